import { protocol, type Session } from 'electron';
import { APP_SCHEME, MEDIA_SCHEME } from './app-origin';
import { createAppProtocolHandler } from './app-protocol';

/**
 * Must run before the app is ready: makes `app://` and `studio-media://` standard, secure schemes
 * so that pages on them get a real origin, `'self'` in the CSP means `app://studio`, and fetch
 * and storage work as on https.
 */
export function registerPrivilegedSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    // Vite's module scripts are fetched in CORS mode; corsEnabled keeps Chromium from refusing them.
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
    { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the built renderer on `app://studio/` in `session`. */
export function handleAppProtocol(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, createAppProtocolHandler(rendererDir));
}

/**
 * Serves thumbnails and images on `studio-media://` through the services' media handler, which
 * resolves ids through the database: the page never names a file path.
 */
export function handleMediaProtocol(session: Session, handler: (request: Request) => Promise<Response>): void {
  session.protocol.handle(MEDIA_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
    try {
      return await handler(request);
    } catch (error) {
      return new Response(error instanceof Error ? error.message : 'Media error', { status: 500 });
    }
  });
}
