import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Outbound targets (provider endpoints, alert destinations) may not be this machine or the
 * private network behind it unless the server allows it (`REKINDLE_ALLOW_PRIVATE_TARGETS=1`):
 * otherwise whoever configures a URL can make the server call its own admin ports, cloud metadata
 * (169.254.169.254) or internal services, and read what comes back in error texts. Checked when
 * a URL is stored (literal addresses and `localhost`) and again when it is called (what the name
 * resolves to then).
 */

const v4 = (ip: string): number[] => ip.split('.').map(Number);

const privateV4 = (ip: string): boolean => {
  const [a = 0, b = 0] = v4(ip);
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) // carrier-grade NAT, often internal
  );
};

const privateV6 = (ip: string): boolean => {
  const x = ip.toLowerCase().replace(/^\[|\]$/g, '');
  if (x === '::1' || x === '::') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(x)?.[1];
  if (mapped !== undefined) return privateV4(mapped);
  const first = parseInt(x.split(':')[0] || '0', 16);
  return (
    (first & 0xfe00) === 0xfc00 || // fc00::/7 unique local
    (first & 0xffc0) === 0xfe80 // fe80::/10 link local
  );
};

/** Loopback, private, link-local (and unspecified) addresses. */
export const isPrivateAddress = (ip: string): boolean => {
  const bare = ip.replace(/^\[|\]$/g, '');
  const kind = isIP(bare);
  if (kind === 4) return privateV4(bare);
  if (kind === 6) return privateV6(bare);
  return false;
};

const LOCAL_NAMES = /^(localhost|localhost\.localdomain)\.?$|\.localhost\.?$/i;

export type TargetVerdict = { ok: true } | { ok: false; reason: string };

const refused = (host: string): TargetVerdict => ({
  ok: false,
  reason: `'${host}' is a loopback or private-network address; set REKINDLE_ALLOW_PRIVATE_TARGETS=1 to allow such targets`,
});

/** What can be said from the URL alone (when it is stored): literal addresses and local names. */
export const checkTargetUrl = (url: string, allowPrivate: boolean): TargetVerdict => {
  if (allowPrivate) return { ok: true };
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return { ok: true }; // not a URL: the schema says so
  }
  return isPrivateAddress(host) || LOCAL_NAMES.test(host) ? refused(host) : { ok: true };
};

export type Resolve = (host: string) => Promise<readonly string[]>;

const systemResolve: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/**
 * Where the URL leads now: every address its host resolves to must be public. An unresolvable
 * host passes (the request itself then fails as a connection failure).
 */
export const checkTargetNow = async (
  url: string,
  allowPrivate: boolean,
  resolve: Resolve = systemResolve,
): Promise<TargetVerdict> => {
  const literal = checkTargetUrl(url, allowPrivate);
  if (allowPrivate || !literal.ok) return literal;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return { ok: true };
  let addresses: readonly string[];
  try {
    addresses = await resolve(host);
  } catch {
    return { ok: true };
  }
  return addresses.some(isPrivateAddress)
    ? {
        ok: false,
        reason: `'${host}' resolves to a loopback or private-network address; set REKINDLE_ALLOW_PRIVATE_TARGETS=1 to allow such targets`,
      }
    : { ok: true };
};

/** Thrown by `guardedFetch` when a target is refused; `code` lets adapters tell it apart. */
export class PrivateTargetError extends Error {
  readonly code = 'EPRIVATE_TARGET';
  constructor(reason: string) {
    super(reason);
    this.name = 'PrivateTargetError';
  }
}

/** Resolving every send would cost more than the send; a verdict holds this long per host. */
const VERDICT_TTL_MS = 30_000;

export type TargetGuard = (url: string) => Promise<TargetVerdict>;

/** `checkTargetNow` with each host's verdict kept for a while. */
export const targetGuard = (allowPrivate: boolean, resolve?: Resolve): TargetGuard => {
  const verdicts = new Map<string, { at: number; verdict: Promise<TargetVerdict> }>();
  return (url) => {
    if (allowPrivate) return Promise.resolve({ ok: true });
    let host: string;
    try {
      host = new URL(url).host;
    } catch {
      return Promise.resolve({ ok: true });
    }
    const hit = verdicts.get(host);
    if (hit && Date.now() - hit.at < VERDICT_TTL_MS) return hit.verdict;
    if (verdicts.size > 1000) verdicts.clear();
    const verdict = checkTargetNow(url, false, resolve);
    verdicts.set(host, { at: Date.now(), verdict });
    return verdict;
  };
};

/**
 * A fetch that refuses private targets (checked just before each call) and does not follow
 * redirects (a public endpoint must not bounce the request inward).
 */
export const guardedFetch = (inner: typeof fetch, allowPrivate: boolean, resolve?: Resolve): typeof fetch => {
  if (allowPrivate) return inner;
  const guard = targetGuard(false, resolve);
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const verdict = await guard(url);
    if (!verdict.ok) throw new PrivateTargetError(verdict.reason);
    return inner(input, { ...init, redirect: 'error' });
  };
};
