import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  commandOf,
  judgeLock,
  parseLockOwner,
  refusalMessage,
  UNREADABLE_GRACE_MS,
  type LockOwner,
  type LockProbe,
  type LockVerdict,
} from '../core/storage/data-dir-lock.ts';
import { err, ok, type Result } from '../core/result.ts';

/** The file that says which process owns a data directory. */
export const LOCK_FILE = '.rekindle.lock';

/** This process's hold on a data directory; `release` only after the last store is closed. */
export interface DataDirLock {
  readonly path: string;
  /** Notes in the lock that the owner is draining, so a refused process can say so. */
  markStopping(): void;
  /** Removes the lock file if it is still this process's; safe to call twice. */
  release(): void;
}

export interface DataDirLocked {
  kind: 'locked';
  lockPath: string;
  verdict: Exclude<LockVerdict, { kind: 'stale' }>;
  message: string;
}

/** `openRuntime` refuses with this; the CLI prints the message and exits non-zero. */
export class DataDirLockedError extends Error {
  constructor(readonly refusal: DataDirLocked) {
    super(refusal.message);
    this.name = 'DataDirLockedError';
  }
}

const readOr = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

const linkOr = (path: string): string | undefined => {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
};

/** Linux: a pid's start from /proc (clock ticks since boot; USER_HZ is 100 on every Linux we run on). */
const procStartedAt = (pid: number): number | undefined => {
  const stat = readOr(`/proc/${pid}/stat`);
  const btime = /^btime (\d+)$/m.exec(readOr('/proc/stat') ?? '')?.[1];
  if (stat === undefined || btime === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are plain.
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  return Number.isFinite(ticks) ? Number(btime) * 1000 + ticks * 10 : undefined;
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const probe = (): LockProbe => ({
  pid: process.pid,
  hostname: hostname(),
  bootId: readOr('/proc/sys/kernel/random/boot_id'),
  pidNamespace: linkOr('/proc/self/ns/pid'),
  alive: isAlive,
  startedAt: procStartedAt,
});

/** Lock files this process holds → the exact text it wrote (ownership is checked by content). */
const held = new Map<string, string>();
let exitHookInstalled = false;

const removeIfOurs = (path: string): void => {
  const mine = held.get(path);
  held.delete(path);
  if (mine !== undefined && readOr(path) === mine) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  }
};

/**
 * On any exit (process.exit after an error, an uncaught exception) the stores can write no
 * more, so the directory is free: release it rather than leave a stale lock behind. A kill -9
 * runs no hook; the next process finds the pid dead and takes over.
 */
const installExitHook = () => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const path of [...held.keys()]) removeIfOurs(path);
  });
};

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/**
 * Clears a stale lock under a short-lived takeover file, so that of two processes finding the
 * same dead owner only one removes it, and never a lock a live process took meanwhile.
 */
const clearStale = (path: string, staleText: string): 'cleared' | 'busy' => {
  const mutex = `${path}.takeover`;
  try {
    writeFileSync(mutex, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
    let age = 0;
    try {
      age = Date.now() - statSync(mutex).mtimeMs;
    } catch {
      return 'busy';
    }
    // A takeover lasts microseconds; an old takeover file is debris of a crash in that window.
    if (age > UNREADABLE_GRACE_MS) unlinkSync(mutex);
    return 'busy';
  }
  try {
    if (readOr(path) === staleText) unlinkSync(path);
    return 'cleared';
  } finally {
    unlinkSync(mutex);
  }
};

/**
 * Takes the data directory for this process: `<dataDir>/.rekindle.lock`, created exclusively
 * (O_EXCL) with pid, host and start time, before any store is opened. A lock whose process is
 * gone is taken over; a live one is a refusal that names the holder.
 */
export const acquireDataDirLock = (
  dataDir: string,
  options: { command?: string; now?: () => number } = {},
): Result<DataDirLock, DataDirLocked> => {
  const now = options.now ?? Date.now;
  const path = join(dataDir, LOCK_FILE);
  const here = probe();
  const refuse = (verdict: Exclude<LockVerdict, { kind: 'stale' }>) =>
    err<DataDirLocked>({
      kind: 'locked',
      lockPath: path,
      verdict,
      message: refusalMessage(dataDir, path, verdict, now()),
    });
  const owner: LockOwner = {
    pid: process.pid,
    hostname: here.hostname,
    startedAt: here.startedAt(process.pid) ?? Math.round(performance.timeOrigin),
    command: options.command ?? commandOf(process.argv.slice(2)),
    bootId: here.bootId,
    pidNamespace: here.pidNamespace,
  };
  const mine = held.get(path);
  if (mine !== undefined)
    return err<DataDirLocked>({
      kind: 'locked',
      lockPath: path,
      verdict: { kind: 'held', owner: parseLockOwner(mine) ?? owner },
      message: `the data directory ${dataDir} is already open in this process (pid ${process.pid}); close that runtime before opening it again.`,
    });
  mkdirSync(dataDir, { recursive: true });
  // A nonce makes this process's text unique, so release never removes a successor's lock.
  let text = JSON.stringify({ ...owner, nonce: randomBytes(8).toString('hex') });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
      held.set(path, text);
      installExitHook();
      return ok({
        path,
        markStopping: () => {
          if (held.get(path) !== text || readOr(path) !== text) return;
          const next = JSON.stringify({ ...(JSON.parse(text) as object), stoppingSince: now() });
          const tmp = `${path}.${process.pid}.tmp`;
          writeFileSync(tmp, next);
          renameSync(tmp, path);
          text = next;
          held.set(path, next);
        },
        release: () => removeIfOurs(path),
      });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    const found = readOr(path);
    if (found === undefined) continue; // released between our create and our read
    let age = 0;
    try {
      age = now() - statSync(path).mtimeMs;
    } catch {
      continue;
    }
    const verdict = judgeLock(parseLockOwner(found), age, here);
    if (verdict.kind !== 'stale') return refuse(verdict);
    if (clearStale(path, found) === 'busy') return refuse({ kind: 'held', owner: null });
  }
  return refuse({ kind: 'held', owner: null });
};

/** `acquireDataDirLock` for callers that cannot go on without the directory (the CLI, `openRuntime`). */
export const lockDataDir = (dataDir: string, options: { command?: string } = {}): DataDirLock => {
  const r = acquireDataDirLock(dataDir, options);
  if (!r.ok) throw new DataDirLockedError(r.error);
  return r.value;
};

/**
 * Who holds a data directory now, without taking it: `free` when there is no lock file,
 * else the verdict `acquireDataDirLock` would reach (`stale`: the holder is gone).
 */
export const inspectDataDirLock = (
  dataDir: string,
  now: () => number = Date.now,
): { kind: 'free' } | LockVerdict => {
  const path = join(dataDir, LOCK_FILE);
  const found = readOr(path);
  if (found === undefined) return { kind: 'free' };
  let age = 0;
  try {
    age = now() - statSync(path).mtimeMs;
  } catch {
    return { kind: 'free' };
  }
  return judgeLock(parseLockOwner(found), age, probe());
};
