/**
 * The files through which the CLI reaches a server that holds its data directory: written by
 * the server when it starts (`publishLocalAccess`), read by the CLI (`findRoute`). See
 * src/cli/remote/discovery.ts for the rules.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../../runtime.ts';
import { inspectDataDirLock } from '../../storage/data-dir-lock.ts';
import { createUser, findUserByName, issueApiToken, revokeApiTokens } from '../../storage/control/users.ts';
import {
  CREDENTIAL_FILE,
  decideRoute,
  LOCAL_ADMIN,
  SERVER_FILE,
  type Route,
  type ServerInfo,
} from './discovery.ts';

const readOr = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

const removeIf = (path: string, text: string): void => {
  if (readOr(path) !== text) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
};

/** Creates `path` afresh for the owner only (O_EXCL, 0600); an older file (a dead server's) is replaced. */
const writeOwnerOnly = (path: string, text: string, mode = 0o600): void => {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
};

export interface LocalAccess {
  /** The credential itself ('' when none was issued), for `registerLocalRoutes`. */
  readonly token: string;
  /** Revokes the credential and removes both files (while the control plane is still open). */
  withdraw(): Promise<void>;
}

/**
 * Called by a serving process once it listens: the admin member `local-cli` (created on first
 * start) gets a fresh API token (its older ones are revoked), written to `local-admin.token`
 * (0600), then `server.json`. The token is never logged. On any exit the files go; `withdraw`
 * also revokes the token.
 */
export const publishLocalAccess = async (rt: Runtime, url: string, version: string): Promise<LocalAccess> => {
  const dir = rt.config.dataDir;
  const tokenPath = join(dir, CREDENTIAL_FILE);
  const serverPath = join(dir, SERVER_FILE);
  let user = await findUserByName(rt.control, LOCAL_ADMIN);
  if (user === null) {
    const made = await createUser(rt.control, { name: LOCAL_ADMIN, role: 'admin' });
    user = made.ok ? made.value : await findUserByName(rt.control, LOCAL_ADMIN);
  }
  const usable = user !== null && user.role === 'admin' && user.disabledAt === null;
  const userId = user?.id;
  if (userId !== undefined) await revokeApiTokens(rt.control, userId);
  const token = usable && userId !== undefined ? `${await issueApiToken(rt.control, userId)}\n` : '';
  // Without a usable member (an admin disabled `local-cli` or changed its role) the file is empty:
  // the CLI then says to stop the server rather than fail with a 401.
  writeOwnerOnly(tokenPath, token);
  const info: ServerInfo = { url, pid: process.pid, startedAt: Date.now(), version };
  const text = `${JSON.stringify(info)}\n`;
  const tmp = `${serverPath}.${process.pid}.tmp`;
  // Readable by all (it names no secret), so another user's CLI can say who holds the directory.
  writeOwnerOnly(tmp, text, 0o644);
  renameSync(tmp, serverPath);
  const remove = () => {
    removeIf(serverPath, text);
    removeIf(tokenPath, token);
  };
  process.on('exit', remove);
  return {
    token: token.trim(),
    withdraw: async () => {
      remove();
      if (userId !== undefined) await revokeApiTokens(rt.control, userId).catch(() => undefined);
    },
  };
};

/** What the CLI does with `dataDir`: open it, or go through the server that holds it. */
export const findRoute = (dataDir: string): Route => {
  const lock = inspectDataDirLock(dataDir);
  if (lock.kind === 'free' || lock.kind === 'stale') return { kind: 'direct' };
  let credential: { ok: true; text: string } | { ok: false; why: string };
  try {
    credential = { ok: true, text: readFileSync(join(dataDir, CREDENTIAL_FILE), 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    credential = {
      ok: false,
      why: code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such file' : String(code),
    };
  }
  return decideRoute({ lock, serverFile: readOr(join(dataDir, SERVER_FILE)), credential });
};
