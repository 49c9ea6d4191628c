import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { decodedOrNull } from './request-target';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** Same rules as the Electron window: scripts and styles only from this origin, media and sockets too. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const MISSING_BUILD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ShuffleNet Studio: renderer not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The app's page is not built yet</h1>
<p>The server is running, but <code>dist-renderer/</code> does not exist. Build it once with</p>
<pre>npm run build:renderer</pre>
<p>then reload this page (keep the <code>?token=</code> part of the address).</p>
</body></html>`;

/** Serves the built renderer; unknown paths get index.html (client-side routes). */
export async function serveStatic(rendererDir: string, pathname: string, response: ServerResponse, headers: Record<string, string>): Promise<void> {
  const root = resolve(rendererDir);
  const decoded = decodedOrNull(pathname);
  if (decoded === null) {
    response.writeHead(400, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    response.end('Bad request: the path has a malformed percent-escape\n');
    return;
  }
  const wanted = normalize(join(root, decoded));
  const inside = wanted === root || wanted.startsWith(root + sep);
  const file = inside
    ? await stat(wanted).then(
        (s) => (s.isFile() ? wanted : s.isDirectory() ? join(wanted, 'index.html') : null),
        () => null,
      )
    : null;
  const fallback = join(root, 'index.html');
  const chosen =
    file &&
    (await stat(file).then(
      (s) => s.isFile(),
      () => false,
    ))
      ? file
      : extname(pathname) === ''
        ? fallback
        : null;
  const body = chosen ? await readFile(chosen).catch(() => null) : null;
  if (body === null) {
    const indexMissing = !(await stat(fallback).then(
      (s) => s.isFile(),
      () => false,
    ));
    if (indexMissing) {
      response.writeHead(503, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      response.end(MISSING_BUILD);
      return;
    }
    response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
    response.end('Not found');
    return;
  }
  const type = TYPES[extname(chosen as string).toLowerCase()] ?? 'application/octet-stream';
  response.writeHead(200, {
    ...headers,
    'content-type': type,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cache-control': type.startsWith('text/html') ? 'no-store' : 'private, max-age=300',
  });
  response.end(body);
}
