import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppUrl } from '../../src-main/electron/app-origin';
import { createAppProtocolHandler } from '../../src-main/electron/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../src-main/electron/csp';

let dir: string;
let handle: (request: Request) => Promise<Response>;

beforeAll(() => {
  const base = mkdtempSync(join(tmpdir(), 'app-protocol-'));
  dir = join(base, 'dist-renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(dir, 'assets', 'main-abc.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'style.css'), 'body{}');
  // A file beside the renderer folder that a crafted URL must not reach.
  writeFileSync(join(base, 'secret.txt'), 'secret');
  handle = createAppProtocolHandler(dir);
});

afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('app:// protocol', () => {
  it('serves index.html at the root with the strict CSP', async () => {
    const response = await handle(new Request('app://studio/'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<div id="app">');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    for (const directive of [
      "default-src 'self'",
      "img-src 'self' studio-media: data: blob:",
      "connect-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
    ]) {
      expect(csp.split('; ')).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-eval');
  });

  it('serves assets with their content type', async () => {
    const js = await handle(new Request('app://studio/assets/main-abc.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
    const css = await handle(new Request('app://studio/assets/style.css'));
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('falls back to index.html for client routes but 404s for missing files', async () => {
    const route = await handle(new Request('app://studio/datasets/3'));
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<div id="app">');
    const missing = await handle(new Request('app://studio/assets/nope.js'));
    expect(missing.status).toBe(404);
  });

  it('never leaves the renderer folder', async () => {
    for (const url of ['app://studio/..%2fsecret.txt', 'app://studio/assets/..%2f..%2fsecret.txt', 'app://studio/%2e%2e/secret.txt']) {
      const response = await handle(new Request(url));
      expect(response.status, url).not.toBe(200);
      expect(await response.text()).not.toBe('secret');
    }
  });

  it('answers only GET/HEAD on the app host', async () => {
    expect((await handle(new Request('app://studio/', { method: 'POST', body: 'x' }))).status).toBe(405);
    expect((await handle(new Request('app://other/index.html'))).status).toBe(404);
    const head = await handle(new Request('app://studio/index.html', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});

describe('isAppUrl', () => {
  it('accepts only the app origin', () => {
    expect(isAppUrl('app://studio/index.html')).toBe(true);
    expect(isAppUrl('app://studio/')).toBe(true);
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(isAppUrl('app://user@studio/')).toBe(false);
    expect(isAppUrl('file:///work/dist-renderer/index.html')).toBe(false);
    expect(isAppUrl('https://studio/')).toBe(false);
    expect(isAppUrl('studio-media://thumb/image/1')).toBe(false);
    expect(isAppUrl('')).toBe(false);
    expect(isAppUrl(null)).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});
