/**
 * How the CLI finds a server that holds its data directory (issue 18, running while serving).
 * Pure: the caller reads the files and asks the operating system (src/cli/remote/local-access.ts).
 *
 * A serving process writes `<dataDir>/server.json` (where it listens) and
 * `<dataDir>/local-admin.token` (mode 0600: an API token of the admin member `local-cli`). A CLI
 * command that finds the directory locked by that same live process goes through its HTTP API
 * with that token; a file left by a dead process is ignored (the lock is free or stale).
 */
import type { LockOwner, LockVerdict } from '../../core/storage/data-dir-lock.ts';

export const SERVER_FILE = 'server.json';
export const CREDENTIAL_FILE = 'local-admin.token';
/** The admin member whose API token the local CLI uses; its changes are audited under this name. */
export const LOCAL_ADMIN = 'local-cli';

/** What `<dataDir>/server.json` says. */
export interface ServerInfo {
  /** A loopback URL this machine reaches the server at, with the port really taken. */
  url: string;
  pid: number;
  /** Epoch ms. */
  startedAt: number;
  version: string;
}

export const parseServerInfo = (text: string | undefined): ServerInfo | null => {
  if (text === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o['url'] !== 'string' || !/^https?:\/\//.test(o['url'])) return null;
  if (!Number.isInteger(o['pid']) || typeof o['startedAt'] !== 'number') return null;
  return {
    url: o['url'].replace(/\/+$/, ''),
    pid: o['pid'] as number,
    startedAt: o['startedAt'],
    version: typeof o['version'] === 'string' ? o['version'] : 'unknown',
  };
};

/** The URL a CLI on this machine reaches a server bound to `host` at. */
export const loopbackUrl = (host: string, port: number): string => {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === '' || h === '0.0.0.0' || h === 'localhost') return `http://127.0.0.1:${port}`;
  if (h === '::' || h === '::0') return `http://[::1]:${port}`;
  return h.includes(':') ? `http://[${h}]:${port}` : `http://${h}:${port}`;
};

/** What the CLI does with its data directory. */
export type Route =
  /** Nobody holds it (or the holder is gone): open the stores as always. */
  | { kind: 'direct' }
  /** A live server holds it and left its credential: go through its API. */
  | { kind: 'remote'; server: ServerInfo; token: string }
  /** A server holds it but its credential cannot be read here. */
  | { kind: 'no_credential'; server: ServerInfo; why: string }
  /** The holder is draining its stores before it exits. */
  | { kind: 'stopping'; owner: LockOwner }
  /** Another process holds it that is not a server this CLI can reach (an import, another host, …). */
  | { kind: 'busy'; verdict: Exclude<LockVerdict, { kind: 'stale' }> };

export interface RouteInput {
  lock: { kind: 'free' } | LockVerdict;
  serverFile: string | undefined;
  /** The credential file's text, or why it cannot be read (e.g. EACCES). */
  credential: { ok: true; text: string } | { ok: false; why: string };
}

/**
 * The decision, from what was found on disk. A server file counts only when the process that
 * holds the lock is the one that wrote it: a file left by a killed server (pid gone, lock stale
 * or free) is ignored, and so is one whose pid now belongs to another holder.
 */
export const decideRoute = (i: RouteInput): Route => {
  if (i.lock.kind === 'free' || i.lock.kind === 'stale') return { kind: 'direct' };
  const owner = i.lock.owner;
  if (owner?.stoppingSince !== undefined) return { kind: 'stopping', owner };
  const server = parseServerInfo(i.serverFile);
  if (i.lock.kind === 'held' && owner !== null && server !== null && server.pid === owner.pid) {
    if (!i.credential.ok) return { kind: 'no_credential', server, why: i.credential.why };
    const token = i.credential.text.trim();
    if (token === '')
      return {
        kind: 'no_credential',
        server,
        why: `it issued none: its member ${LOCAL_ADMIN} is disabled or no longer an admin`,
      };
    return { kind: 'remote', server, token };
  }
  return { kind: 'busy', verdict: i.lock };
};

/** Quotes a word for a POSIX shell when it needs it, so the printed command can be pasted. */
export const shellWord = (w: string): string =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;

/** The one-line answer for a command that needs the stores to itself. */
export const stopFirstMessage = (server: ServerInfo, argv: readonly string[], why?: string): string =>
  `Rekindle is serving this data directory (pid ${server.pid}, ${server.url})` +
  (why ? `; ${why}` : '') +
  `. Stop it first (kill ${server.pid} or Ctrl+C in its terminal), then run: rekindle ${argv.map(withoutPassword).map(shellWord).join(' ')}`;

/** A command line word with the password of an address in it (`scheme://user:password@host`) starred out. */
const withoutPassword = (word: string): string =>
  word.replace(/((?:^|=)[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, '$1:***@');
