import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRevealable, EXTERNAL_HOSTS, isAllowedExternalUrl, isInsideKnownFolder } from '../../src-main/electron/allowed-targets';

/**
 * Issue 17 item 1f: the desktop app opened any https:// address the page asked for and revealed any
 * path in the file manager. Now only known hosts and known folders pass.
 */

describe('isAllowedExternalUrl', () => {
  it('opens https pages of the known hosts', () => {
    expect(EXTERNAL_HOSTS.length).toBeGreaterThan(0);
    for (const host of EXTERNAL_HOSTS) expect(isAllowedExternalUrl(`https://${host}/some/page?q=1#part`), host).toBe(true);
    expect(isAllowedExternalUrl('https://GitHub.com/x')).toBe(true);
  });

  it('refuses other hosts, look-alikes, other schemes, ports and credentials', () => {
    for (const url of [
      'https://evil.example/',
      'https://github.com.evil.example/',
      'https://evilgithub.com/',
      'https://gist.github.com/x',
      'http://github.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://github.com/share',
      'https://github.com:8443/',
      'https://user:pass@github.com/',
      'https://user@github.com/',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false);
    }
  });
});

describe('isInsideKnownFolder', () => {
  const data = '/home/ada/.config/ShuffleNet Studio';
  const folders = [data, '/home/ada/pictures/pets'];

  it('takes a known folder itself and anything below it', () => {
    expect(isInsideKnownFolder(data, folders)).toBe(true);
    expect(isInsideKnownFolder(`${data}/runs/3/exports/onnx/model.onnx`, folders)).toBe(true);
    expect(isInsideKnownFolder('/home/ada/pictures/pets/cat/1.jpg', folders)).toBe(true);
    expect(isInsideKnownFolder('/home/ada/pictures/pets/..hidden/x.jpg', folders)).toBe(true);
  });

  it('refuses anything else: other folders, a prefix that is not a parent, .. escapes, relative or empty paths', () => {
    for (const path of [
      '/etc/passwd',
      '/home/ada/pictures',
      '/home/ada/pictures/pets-private/a.jpg',
      '/home/ada/pictures/pets/../../.ssh/id_rsa',
      `${data}/../other-app/secrets`,
      'runs/3',
      '',
      '/home/ada/pictures/pets\0/x',
    ]) {
      expect(isInsideKnownFolder(path, folders), path).toBe(false);
    }
    expect(isInsideKnownFolder('/etc/passwd', [])).toBe(false);
    expect(isInsideKnownFolder('/etc/passwd', ['', 'relative/folder'])).toBe(false);
  });
});

describe('checkRevealable (dialogs.showInFolder)', () => {
  const root = mkdtempSync(join(tmpdir(), 'known-folder-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const show = (path: string) => checkRevealable(path, [root]);

  it('refuses a path outside the known folders before it reaches the file manager', async () => {
    await expect(show('/etc/passwd')).rejects.toThrow(/Not shown: \/etc\/passwd is not in the app's data folder/);
    await expect(show(`${root}/../../etc/passwd`)).rejects.toMatchObject({ code: 'invalid-input' });
  });

  it('lets through an existing file in a known folder', async () => {
    writeFileSync(join(root, 'model.onnx'), 'x');
    await expect(show(join(root, 'model.onnx'))).resolves.toBeUndefined();
    await expect(show(root)).resolves.toBeUndefined();
  });

  it('refuses a symlink inside a known folder that leads out of it, and a path that does not exist', async () => {
    symlinkSync('/etc', join(root, 'link'));
    await expect(show(join(root, 'link', 'passwd'))).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(show(join(root, 'gone.onnx'))).rejects.toMatchObject({ code: 'not-found' });
  });
});
