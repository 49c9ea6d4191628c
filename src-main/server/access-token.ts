import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { decodedOrNull } from './request-target';

export const newToken = (): string => randomBytes(24).toString('base64url');

/** Cookies are shared by every port of a host, so each server names its cookie after its port. */
export const cookieName = (port: number) => `studio_token_${port}`;

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Every value the header gives the cookie. Any page on 127.0.0.1 can plant a cookie of the same
 * name (with a more specific path, so the browser sends it first), so each is tried; a malformed
 * percent-escape in one counts as no value.
 */
function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    const value = decodedOrNull(part.slice(eq + 1).trim());
    if (value !== null) values.push(value);
  }
  return values;
}

/** How a request proved it may use the app: the `?token=` query, the cookie, or not at all. */
export function tokenSource(request: IncomingMessage, url: URL, token: string, port: number): 'query' | 'cookie' | null {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null && sameToken(fromQuery, token)) return 'query';
  if (cookieValues(request.headers.cookie, cookieName(port)).some((value) => sameToken(value, token))) return 'cookie';
  return null;
}

export function tokenCookie(token: string, port: number): string {
  return `${cookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}
