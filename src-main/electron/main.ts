/**
 * The Electron main process: one hardened window on `app://studio`, the services behind an IPC
 * bridge, images on `studio-media://`, and the ML host in a utility process. This process never
 * loads TensorFlow.js (test/electron/main-bundle.test.ts checks the bundle's module graph).
 */
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, session, utilityProcess } from 'electron';
import { createAppRouter, protocolMediaUrls } from '../services';
import { MEDIA_SCHEME } from './app-origin';
import { resolveDataDir } from './data-dir';
import { dialogHandlers } from './dialogs';
import { bindIpc } from './ipc-bridge';
import { trackKnownFolders } from './known-folders';
import { handleAppProtocol, handleMediaProtocol, registerPrivilegedSchemes } from './protocols';
import { forkUtilityHostPort } from './utility-host-port';
import { applyContentSecurityPolicy, createMainWindow, lockNavigation } from './window';

// Privileged schemes must be registered before the app is ready.
registerPrivilegedSchemes();

/** dist-main/electron/ in development and inside app.asar when packaged. */
const here = __dirname;
const appRoot = app.getAppPath();

function mainWindow(): BrowserWindow | null {
  return BrowserWindow.getAllWindows()[0] ?? null;
}

function openWindow(): BrowserWindow {
  return createMainWindow({
    preload: join(here, '..', 'preload', 'preload.js'),
    icon: join(appRoot, 'resources', 'icon.png'),
  });
}

async function start(): Promise<void> {
  const dataDir = resolveDataDir(process.argv);
  const appSession = session.defaultSession;
  applyContentSecurityPolicy(appSession);
  handleAppProtocol(appSession, join(appRoot, 'dist-renderer'));

  const { router, services } = createAppRouter({
    dataDir,
    mode: 'electron',
    version: app.getVersion(),
    capabilities: { nativeDialogs: true, upload: false },
    mediaUrls: protocolMediaUrls(MEDIA_SCHEME),
    hostPort: () =>
      forkUtilityHostPort({
        fork: (modulePath, args, options) => utilityProcess.fork(modulePath, args, options),
        entry: join(here, '..', 'ml-host', 'main.js'),
      }),
  });
  router.register(dialogHandlers(mainWindow, trackKnownFolders(router, services, dataDir)));
  handleMediaProtocol(appSession, (request) => services.media.handle(request));
  const unbind = bindIpc(ipcMain, router, {
    onRejected: (url, method) => console.warn(`Refused IPC call ${String(method)} from ${url ?? 'an unknown frame'}`),
  });

  app.on('will-quit', () => {
    unbind();
    services.close();
  });
  openWindow();
}

if (!app.requestSingleInstanceLock()) {
  // Another window of the app is already open; it is focused by its 'second-instance' handler.
  app.quit();
} else {
  app.on('second-instance', () => {
    const window = mainWindow();
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  // Every web contents, not only the main window's, gets the same navigation lock.
  app.on('web-contents-created', (_event, contents) => lockNavigation(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (app.isReady() && !mainWindow()) openWindow();
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('ShuffleNet Studio could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}
