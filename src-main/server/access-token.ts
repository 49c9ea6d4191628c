import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const newToken = (): string => randomBytes(24).toString('base64url');

/** Cookies are shared by every port of a host, so each server names its cookie after its port. */
export const cookieName = (port: number) => `studio_token_${port}`;

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** How a request proved it may use the app: the `?token=` query, the cookie, or not at all. */
export function tokenSource(request: IncomingMessage, url: URL, token: string, port: number): 'query' | 'cookie' | null {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null && sameToken(fromQuery, token)) return 'query';
  const fromCookie = cookieValue(request.headers.cookie, cookieName(port));
  if (fromCookie !== null && sameToken(fromCookie, token)) return 'cookie';
  return null;
}

export function tokenCookie(token: string, port: number): string {
  return `${cookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}
