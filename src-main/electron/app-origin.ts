/**
 * The app's own origin. The renderer is served from `app://studio/` and images from
 * `studio-media://`; both are registered as standard, secure schemes before the app is ready.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;
export const MEDIA_SCHEME = 'studio-media';

/**
 * True when `url` belongs to the app's own pages. Node's `URL.origin` is "null" for custom schemes,
 * so scheme and host are compared instead.
 */
export function isAppUrl(url: string | null | undefined): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}
