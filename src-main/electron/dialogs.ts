import { dialog, shell, type BaseWindow } from 'electron';
import type { Handlers } from '../contract';
import { checkRevealable } from './allowed-targets';

/**
 * The native-dialog methods of the contract. They exist only in the desktop app; serve mode
 * answers `unavailable` and its UI offers a path field or an upload instead. `knownFolders` lists
 * the folders whose files the page may reveal (see main.ts): no other path reaches the file manager.
 */
export function dialogHandlers(
  parent: () => BaseWindow | null,
  knownFolders: () => Iterable<string>,
): Pick<Handlers, 'dialogs.openFolder' | 'dialogs.showInFolder'> {
  return {
    'dialogs.openFolder': async ({ title }) => {
      const options: Electron.OpenDialogOptions = {
        title: title ?? 'Choose a folder',
        properties: ['openDirectory', 'dontAddToRecent'],
      };
      const window = parent();
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
    },
    'dialogs.showInFolder': async ({ path }) => {
      await checkRevealable(path, knownFolders());
      shell.showItemInFolder(path);
      return {};
    },
  };
}
