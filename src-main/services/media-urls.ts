/** What a media URL points at: a dataset image, a prediction item, or an evaluation sample. */
export type MediaKind = 'image' | 'predict' | 'sample';
export type MediaVariant = 'thumb' | 'image';

export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'predict', 'sample'];
export const THUMB_SIZE = 128;
/**
 * The only thumbnail sizes made: each size is a cached file per image, so a client choosing any
 * size could make the server decode every image again and again.
 */
export const THUMB_SIZES: readonly number[] = [64, THUMB_SIZE, 256];

/** The smallest allowed size that is at least `requested` (the largest for anything bigger). */
export function thumbSize(requested: number): number {
  return THUMB_SIZES.find((size) => size >= requested) ?? THUMB_SIZES[THUMB_SIZES.length - 1];
}

/** Builds the URLs the renderer loads images from; each transport has its own scheme. */
export interface MediaUrls {
  url(variant: MediaVariant, kind: MediaKind, id: number): string;
}

/** `/media/thumb/image/12?size=128` (serve mode), with the access token when one is given. */
export function httpMediaUrls(token?: string): MediaUrls {
  return {
    url(variant, kind, id) {
      const query = new URLSearchParams();
      if (variant === 'thumb') query.set('size', String(THUMB_SIZE));
      if (token) query.set('token', token);
      const qs = query.toString();
      return `/media/${variant}/${kind}/${id}${qs ? `?${qs}` : ''}`;
    },
  };
}

/** `studio-media://thumb/image/12?size=128` (the Electron app's custom protocol). */
export function protocolMediaUrls(scheme = 'studio-media'): MediaUrls {
  return {
    url: (variant, kind, id) => `${scheme}://${variant}/${kind}/${id}${variant === 'thumb' ? `?size=${THUMB_SIZE}` : ''}`,
  };
}

/**
 * Reads `variant/kind/id` from either URL form; null when the URL is not a media URL.
 * Ids are all the client may name: files are found through the database.
 */
export function parseMediaUrl(url: URL): { variant: MediaVariant; kind: MediaKind; id: number; size: number } | null {
  const parts = url.pathname.split('/').filter(Boolean);
  const segments = url.protocol === 'http:' || url.protocol === 'https:' ? parts : [url.hostname, ...parts];
  if (segments[0] === 'media') segments.shift();
  if (segments.length !== 3) return null;
  const [variant, kind, rawId] = segments;
  if (variant !== 'thumb' && variant !== 'image') return null;
  if (!MEDIA_KINDS.includes(kind as MediaKind)) return null;
  if (!/^[1-9]\d{0,15}$/.test(rawId)) return null;
  const size = Number(url.searchParams.get('size') ?? THUMB_SIZE);
  return { variant, kind: kind as MediaKind, id: Number(rawId), size: Number.isInteger(size) ? thumbSize(size) : THUMB_SIZE };
}
