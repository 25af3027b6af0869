/** The console session cookie: HttpOnly (no script reads it), SameSite=Strict, whole site. */
export const SESSION_COOKIE = 'rk_session';

/**
 * `Cookie: a=1; rk_session=…` → its pairs. When a name repeats, the first wins (browsers send
 * the most specific path first). Values that are not valid percent-encoding are kept as sent.
 */
export const parseCookies = (header: string | undefined): Map<string, string> => {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name === '' || out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      out.set(name, value);
    }
  }
  return out;
};

/** `Set-Cookie` for a session token, kept by the browser until the session's absolute limit. */
export const sessionCookie = (token: string, options: { maxAgeSeconds: number; secure: boolean }): string =>
  [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');

/** `Set-Cookie` that makes the browser drop the session cookie. */
export const clearedSessionCookie = (options: { secure: boolean }): string =>
  sessionCookie('', { maxAgeSeconds: 0, secure: options.secure });
