import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe, type ServeInstance } from './serve-harness';

const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

let serve: ServeInstance;

test.beforeAll(async () => {
  serve = await startServe();
});

test.afterAll(async () => {
  await serve?.stop();
});

test('serve prints one URL with a token; requests without it are refused', async ({ request }) => {
  expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{16,}$/);
  const stdoutLines = serve
    .output()
    .split('\n')
    .filter((line) => line.includes('http://'));
  expect(stdoutLines).toHaveLength(1);

  for (const path of ['/', '/index.html', '/media/thumb/image/1', '/api/upload?batch=x']) {
    const response = await request.get(`${serve.origin}${path}`, { failOnStatusCode: false });
    expect([401, 403], path).toContain(response.status());
  }
  const wrong = await request.get(`${serve.origin}/?token=${'x'.repeat(serve.token.length)}`, { failOnStatusCode: false });
  expect([401, 403]).toContain(wrong.status());

  const page = await request.get(serve.url);
  expect(page.status()).toBe(200);
  expect(await page.text()).toContain('<div id="app">');
});

test('the page opens and connects over the WebSocket', async ({ page }) => {
  await page.goto(serve.url);
  await expect(page.getByTestId('view-datasets')).toBeVisible();
  // app.info arrived over the WebSocket: the sidebar shows the version, the top bar the mode.
  await expect(page.getByText(`v${version}`)).toBeVisible();
  await expect(page.getByText('Browser', { exact: true })).toBeVisible();
  await expect(page.getByTestId('connection-status')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/screenshots/serve-01-opened.png' });
});
