import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, relative, sep } from 'node:path';
import { APP_HOST } from './app-origin';
import { SECURITY_HEADERS } from './csp';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

function textResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS } });
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The `app://studio/...` handler: serves the built renderer from `rendererDir` with the app's
 * security headers. Only GET and HEAD, only the app host, never a path outside `rendererDir`.
 * Paths without a file extension fall back to `index.html` so client-side routes reload.
 */
export function createAppProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
  const root = normalize(rendererDir);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return textResponse(404, 'Not found');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return textResponse(400, 'Bad path');
    }
    if (pathname.includes('\0')) return textResponse(400, 'Bad path');
    let file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
    const inside = relative(root, file);
    if (inside.startsWith('..') || inside.includes(`..${sep}`) || inside === '') return textResponse(403, 'Forbidden');
    if (!(await isFile(file))) {
      if (extname(pathname) !== '') return textResponse(404, 'Not found');
      file = join(root, 'index.html');
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const headers = { 'Content-Type': type, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS };
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
    try {
      return new Response(new Uint8Array(await readFile(file)), { status: 200, headers });
    } catch {
      return textResponse(404, 'Not found');
    }
  };
}
