import { BrowserWindow, shell, type Session, type WebContents } from 'electron';
import { isAllowedExternalUrl } from './allowed-targets';
import { APP_ENTRY_URL, isAppUrl } from './app-origin';
import { CONTENT_SECURITY_POLICY } from './csp';

/**
 * Adds the app's Content-Security-Policy to every response of the app's own pages. The app
 * protocol sets it too, so the policy holds even where Chromium skips header hooks for custom
 * schemes.
 */
export function applyContentSecurityPolicy(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!isAppUrl(details.url)) {
      callback({});
      return;
    }
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // The app needs no camera, microphone, notifications, geolocation, ...
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Denies every way a page could leave the app: navigation, new windows, webviews. */
export function lockNavigation(contents: WebContents): void {
  // In-page navigation (hash, history API) does not fire this; a file dropped outside a drop zone does.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to the app's known hosts open in the person's browser, never inside the app; any other
    // address is refused (a page that went wrong must not open arbitrary sites).
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    else console.warn(`Refused to open ${url}: not one of the app's known https hosts`);
    return { action: 'deny' };
  });
}

export interface MainWindowOptions {
  preload: string;
  icon?: string;
  /** Show the window as soon as it exists (tests), instead of after the first paint. */
  showImmediately?: boolean;
}

/**
 * The one app window: isolated, sandboxed, no Node in the page, loading `app://studio/`.
 * Navigation is locked by the app's 'web-contents-created' handler (main.ts), which covers every
 * web contents, this one included.
 */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 840,
    minWidth: 900,
    minHeight: 600,
    title: 'ShuffleNet Studio',
    icon: options.icon,
    show: options.showImmediately ?? false,
    backgroundColor: '#0d1326',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
