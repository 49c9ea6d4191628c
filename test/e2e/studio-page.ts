import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';

export type ViewName = 'datasets' | 'labeling' | 'training' | 'evaluation' | 'prediction';

/** A file as the page receives it from a drop: bytes, name and the path inside the dropped folder. */
interface DropFile {
  name: string;
  relativePath: string;
  type: string;
  base64: string;
}

const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };

/** The app as a person sees it: views, steps with screenshots, drops, failure toasts. */
export class StudioPage {
  private step = 0;

  constructor(
    readonly page: Page,
    private readonly screenshotPrefix: string,
  ) {}

  testId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.testId('view-datasets')).toBeVisible();
  }

  async show(view: ViewName): Promise<void> {
    await this.testId(`nav-${view}`).click();
    await expect(this.testId(`view-${view}`)).toBeVisible();
  }

  /** Saves test-results/screenshots/<prefix>-<NN>-<name>.png: one picture per step of the path. */
  async snap(name: string): Promise<void> {
    this.step += 1;
    const file = `${this.screenshotPrefix}-${String(this.step).padStart(2, '0')}-${name}.png`;
    await this.page.screenshot({ path: join('test-results', 'screenshots', file) });
  }

  /** Fails with the message of any error toast the app showed (errors must never be silent). */
  async expectNoErrorToast(): Promise<void> {
    const errors = this.page.locator('[data-testid="toast"][data-kind="error"]');
    if ((await errors.count()) > 0) throw new Error(`The app showed an error: ${await errors.first().innerText()}`);
  }

  /**
   * Drops files on the window as a browser would hand over a dropped folder: File objects whose
   * webkitRelativePath starts with the folder's name. The renderer uploads them (serve mode).
   */
  async dropFolder(dir: string, folderName: string, files: string[]): Promise<void> {
    const payload: DropFile[] = files.map((name) => ({
      name,
      relativePath: `${folderName}/${name}`,
      type: TYPES[name.slice(name.lastIndexOf('.')).toLowerCase()] ?? 'application/octet-stream',
      base64: readFileSync(join(dir, name)).toString('base64'),
    }));
    await this.page.evaluate((items: DropFile[]) => {
      const transfer = new DataTransfer();
      for (const item of items) {
        const bytes = Uint8Array.from(atob(item.base64), (c) => c.charCodeAt(0));
        const file = new File([bytes], item.name, { type: item.type });
        Object.defineProperty(file, 'webkitRelativePath', { value: item.relativePath });
        transfer.items.add(file);
      }
      for (const type of ['dragenter', 'dragover', 'drop']) {
        window.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    }, payload);
  }
}
