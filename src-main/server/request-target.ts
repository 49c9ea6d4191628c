import type { IncomingMessage } from 'node:http';

/**
 * What arrives from the network is parsed here without throwing: a request target such as
 * `http://[` or a percent-escape such as `%E0%A4%A` is a 400 for that request, never an exception
 * that escapes a handler (an 'upgrade' listener that throws ends the whole process).
 */

/** The request's target as a URL on this server, or null when it cannot be parsed. */
export function requestUrl(request: IncomingMessage, base: string): URL | null {
  try {
    return new URL(request.url ?? '/', base);
  } catch {
    return null;
  }
}

/** `decodeURIComponent`, with null for a malformed percent-escape instead of a URIError. */
export function decodedOrNull(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
