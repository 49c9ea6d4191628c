import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDataDir } from '../../src-main/electron/data-dir';
import { defaultDataDir } from '../../src-main/server/data-dir';

const saved = process.env.SHUFFLENET_STUDIO_DATA_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.SHUFFLENET_STUDIO_DATA_DIR;
  else process.env.SHUFFLENET_STUDIO_DATA_DIR = saved;
});

describe('desktop data folder', () => {
  it('takes --data-dir in either form among Electron and Chromium arguments', () => {
    const electron = ['/opt/ShuffleNet Studio/shufflenet-studio', '/app', '--no-sandbox'];
    expect(resolveDataDir([...electron, '--data-dir=/tmp/studio-a'])).toBe('/tmp/studio-a');
    expect(resolveDataDir([...electron, '--data-dir', '/tmp/studio-b', '--enable-logging'])).toBe('/tmp/studio-b');
    expect(resolveDataDir([...electron, '--data-dir=relative/dir'])).toBe(resolve('relative/dir'));
  });

  it('shares serve mode’s folder when not told, including its environment override', () => {
    delete process.env.SHUFFLENET_STUDIO_DATA_DIR;
    expect(resolveDataDir(['electron', '.'])).toBe(defaultDataDir());
    process.env.SHUFFLENET_STUDIO_DATA_DIR = '/srv/studio-data';
    expect(resolveDataDir(['electron', '.', '--data-dir='])).toBe('/srv/studio-data');
  });
});
