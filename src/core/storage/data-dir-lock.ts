/**
 * Who owns a data directory (the lock file `<data>/.rekindle.lock`) and whether a lock left
 * behind may be taken over. Pure: the caller reads the file and asks the operating system.
 */

/** What a process writes into the lock file when it takes the directory. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** The process's start, epoch ms (tells a reused pid from the owner). */
  startedAt: number;
  /** The first CLI word (`serve`, `demo`, `import`, …), for the refusal message. */
  command: string;
  /** `/proc/sys/kernel/random/boot_id`: a lock from an earlier boot is always stale. */
  bootId?: string | undefined;
  /** `/proc/self/ns/pid`: pids of another pid namespace (container) cannot be checked from here. */
  pidNamespace?: string | undefined;
  /** Set when the owner began its shutdown (it still drains and holds the stores). */
  stoppingSince?: number | undefined;
}

/** This process and what the operating system says about other pids. */
export interface LockProbe {
  pid: number;
  hostname: string;
  bootId: string | undefined;
  pidNamespace: string | undefined;
  alive(pid: number): boolean;
  /** When `pid` started (epoch ms), where the system tells (Linux /proc); else undefined. */
  startedAt(pid: number): number | undefined;
}

export type LockVerdict =
  | { kind: 'held'; owner: LockOwner | null }
  | { kind: 'other_host'; owner: LockOwner; why: 'hostname' | 'pid_namespace' }
  | { kind: 'stale'; why: string };

/** A lock file being written right now is empty for a moment; only an old empty one is debris. */
export const UNREADABLE_GRACE_MS = 10_000;
/** A live pid whose start differs more than this from the recorded one is a different process. */
export const START_TOLERANCE_MS = 60_000;

export const parseLockOwner = (text: string): LockOwner | null => {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!Number.isInteger(o['pid']) || typeof o['hostname'] !== 'string') return null;
  if (typeof o['startedAt'] !== 'number' || typeof o['command'] !== 'string') return null;
  const optional = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  return {
    pid: o['pid'] as number,
    hostname: o['hostname'],
    startedAt: o['startedAt'],
    command: o['command'],
    bootId: optional('bootId'),
    pidNamespace: optional('pidNamespace'),
    stoppingSince: typeof o['stoppingSince'] === 'number' ? o['stoppingSince'] : undefined,
  };
};

/**
 * Whether a lock found on disk still belongs to a running process. When in doubt the answer is
 * `held` or `other_host` (refuse): a wrong `stale` lets two processes open the stores, which
 * destroys the embedded control plane; a wrong refusal only costs deleting a file by hand.
 */
export const judgeLock = (owner: LockOwner | null, fileAgeMs: number, here: LockProbe): LockVerdict => {
  if (owner === null)
    return fileAgeMs > UNREADABLE_GRACE_MS
      ? { kind: 'stale', why: 'the lock file is empty or unreadable' }
      : { kind: 'held', owner: null };
  if (owner.hostname !== here.hostname) return { kind: 'other_host', owner, why: 'hostname' };
  if (owner.bootId !== undefined && here.bootId !== undefined && owner.bootId !== here.bootId)
    return { kind: 'stale', why: `pid ${owner.pid} ran before this machine restarted` };
  if (
    owner.pidNamespace !== undefined &&
    here.pidNamespace !== undefined &&
    owner.pidNamespace !== here.pidNamespace
  )
    return { kind: 'other_host', owner, why: 'pid_namespace' };
  // This process has that pid now, so the process that wrote it is gone (e.g. a container restarted).
  if (owner.pid === here.pid) return { kind: 'stale', why: `pid ${owner.pid} is this process now` };
  if (!here.alive(owner.pid)) return { kind: 'stale', why: `pid ${owner.pid} is not running` };
  const started = here.startedAt(owner.pid);
  if (started !== undefined && Math.abs(started - owner.startedAt) > START_TOLERANCE_MS)
    return { kind: 'stale', why: `pid ${owner.pid} is a different process now` };
  return { kind: 'held', owner };
};

/** Skips the global `--data-dir <dir>` so a path never lands in the lock; the first word is the command. */
export const commandOf = (args: readonly string[]): string => {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--data-dir') i++;
    else if (!a.startsWith('-')) return a;
  }
  return 'rekindle';
};

const when = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The refusal a second process prints: who holds the directory and what to do. */
export const refusalMessage = (
  dataDir: string,
  lockPath: string,
  verdict: Exclude<LockVerdict, { kind: 'stale' }>,
  now: number,
): string => {
  const o = verdict.owner;
  const who =
    o === null
      ? 'another Rekindle process (it is taking the directory right now)'
      : `another Rekindle process: \`rekindle ${o.command}\`, pid ${o.pid} on host ${o.hostname}, started ${when(o.startedAt)}` +
        (o.stoppingSince === undefined
          ? ''
          : `; it is shutting down (since ${Math.max(0, Math.round((now - o.stoppingSince) / 1000))} s) and still closing its stores`);
  const lines = [
    `the data directory ${dataDir} is in use by ${who}.`,
    'Only one process may open it: a second one would corrupt the embedded control plane, so nothing was opened.',
  ];
  if (o?.stoppingSince !== undefined)
    lines.push('Wait until that process has exited (draining takes up to about 15 s), then run this again.');
  else
    lines.push(
      'Stop that process first (Ctrl-C or `kill <pid>`, then wait for it to exit), or do this through the running server’s HTTP API instead.',
    );
  if (verdict.kind === 'other_host')
    lines.push(
      verdict.why === 'hostname'
        ? `That process runs on another host (${verdict.owner.hostname}), so this one cannot tell whether it is still alive.`
        : 'That process runs in another pid namespace (container), so this one cannot tell whether it is still alive.',
    );
  lines.push(`If you are sure no such process is running any more, delete ${lockPath} and try again.`);
  return lines.join('\n');
};
