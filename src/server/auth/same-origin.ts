/** Methods that change something: only these need the cross-site check. */
export const isUnsafeMethod = (method: string): boolean =>
  method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';

/**
 * CSRF defence for cookie-authenticated requests: a browser sends `Origin` with every
 * cross-site POST (and SameSite=Strict already withholds the cookie from most of them). A
 * present `Origin` whose host[:port] is not the `Host` the request was sent to is refused;
 * `Origin: null` (sandboxed frames, some redirects) is refused too. No `Origin` means a
 * same-origin request from an old browser or a non-browser client, which CSRF cannot forge.
 */
export const crossSiteOrigin = (origin: string | undefined, host: string | undefined): boolean => {
  if (origin === undefined) return false;
  const o = parseUrl(origin);
  if (o === null || (o.protocol !== 'http:' && o.protocol !== 'https:')) return true;
  const h = /^(\[[0-9a-f:.]+\]|[^:/?#@[\]]+)(?::(\d{1,5}))?$/i.exec(host ?? '');
  if (h === null) return true;
  // A Host without a port means the default port of the scheme the page used.
  const defaultPort = o.protocol === 'https:' ? '443' : '80';
  const hostPort = h[2] === undefined ? defaultPort : String(Number(h[2]));
  return h[1]?.toLowerCase() !== o.hostname || hostPort !== (o.port || defaultPort);
};

const parseUrl = (text: string): URL | null => {
  try {
    return new URL(text);
  } catch {
    return null;
  }
};
