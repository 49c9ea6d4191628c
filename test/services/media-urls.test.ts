import { describe, expect, it } from 'vitest';
import { httpMediaUrls, parseMediaUrl, protocolMediaUrls } from '../../src-main/services/media-urls';

describe('media URLs', () => {
  it('round-trip through both URL forms', () => {
    const http = httpMediaUrls('tok');
    expect(http.url('thumb', 'image', 12)).toBe('/media/thumb/image/12?size=128&token=tok');
    expect(parseMediaUrl(new URL(http.url('thumb', 'predict', 5), 'http://127.0.0.1:1'))).toEqual({ variant: 'thumb', kind: 'predict', id: 5, size: 128 });
    const electron = protocolMediaUrls();
    expect(electron.url('image', 'sample', 7)).toBe('studio-media://image/sample/7');
    expect(parseMediaUrl(new URL(electron.url('thumb', 'image', 9)))).toEqual({ variant: 'thumb', kind: 'image', id: 9, size: 128 });
  });

  it('accept only known kinds and plain positive ids, and round sizes up to 64, 128 or 256', () => {
    for (const bad of [
      '/media/thumb/file/1',
      '/media/thumb/image/0',
      '/media/thumb/image/-1',
      '/media/thumb/image/1.5',
      '/media/raw/image/1',
      '/media/thumb/image/1/x',
      '/media/thumb/image/..',
    ]) {
      expect(parseMediaUrl(new URL(bad, 'http://h'))).toBeNull();
    }
    const size = (asked: string) => parseMediaUrl(new URL(`/media/thumb/image/3?size=${asked}`, 'http://h'))?.size;
    expect([size('100000'), size('1'), size('64'), size('65'), size('200'), size('-5'), size('abc')]).toEqual([256, 64, 64, 128, 256, 64, 128]);
  });
});
