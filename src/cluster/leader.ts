import { hostname } from 'node:os';
import pg from 'pg';
import type { Clock } from '../core/clock.ts';
import { leaderLockKey, memberLockKey } from '../core/cluster/lock-key.ts';
import {
  clearLeader,
  installationOf,
  recordLeader,
  touchLeader,
  tryLock,
  type Queryable,
} from '../storage/control/cluster.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/**
 * One leader among the `rekindle serve` processes sharing a control plane (docs/cluster.md).
 *
 * On PostgreSQL the leader is the process whose DEDICATED connection holds the session advisory
 * lock `leaderLockKey` (a 64-bit key derived from 'rekindle.leader', the database and the schema).
 * Every `pollMs` each process either tries to take it (`pg_try_advisory_lock`, never waits) or, as
 * leader, touches the `cluster_leader` row on that connection, which also proves the connection
 * still works. Not a pool connection: a pool hands connections out and closes idle ones, and a
 * session lock lives exactly as long as its connection.
 *
 * A process killed with -9 closes its socket, PostgreSQL ends the session and frees the lock; the
 * next process to poll leads, within one poll period. When the connection errors, ends or a query
 * hangs past `queryTimeoutMs`, this process stops leading AT ONCE (its leader loops are stopped)
 * and then reconnects and tries again. The server side ends a dead peer's session through TCP
 * keepalives, asked for here per session, so a leader cut off by the network frees the lock too.
 *
 * On PGlite (embedded, one process owns the data directory) the process always leads, no lock.
 */

export interface LeaderLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Called with true when this process starts leading, false when it stops; awaited in order. */
export type LeaderChange = (leader: boolean) => Promise<void> | void;

export interface LeaderElection {
  isLeader(): boolean;
  /** Registers a listener; returns its removal. */
  onChange(cb: LeaderChange): () => void;
  /** The first attempt, its listeners included: after it a lone process already leads. */
  start(): Promise<void>;
  /** Stops leading (listeners awaited), then gives the lock back by closing the connection. */
  stop(): Promise<void>;
}

export interface LeaderElectionOptions {
  /** The control plane; on PGlite the process always leads. */
  control: SqlClient;
  /** The PostgreSQL server (`DATABASE_URL`); a `search_path` in its `options` is honoured. */
  databaseUrl: string | undefined;
  /** The schema the control plane was opened in (tests); else the URL's or the server's default. */
  schema?: string | undefined;
  /** Between tries to take the lead, and between a leader's checks of its connection. */
  pollMs: number;
  /** This process as the jobs it runs name their owner (`JobRegistry.owner`): its liveness lock. */
  owner: string;
  clock: Clock;
  log: LeaderLog;
  /** A query on the dedicated connection taking longer counts as a lost connection; default max(5 s, 2 polls). */
  queryTimeoutMs?: number;
}

/** Server-side TCP keepalive for the dedicated session: a dead peer's session ends in about 25 s. */
const SERVER_KEEPALIVE = '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3';

export const startLeaderElection = (o: LeaderElectionOptions): LeaderElection =>
  o.control.kind === 'pglite' || o.databaseUrl === undefined ? alwaysLeader(o) : advisoryLeader(o);

/** Listeners notified one change at a time, in order; a failing listener is logged, not fatal. */
const listeners = (log: LeaderLog) => {
  const cbs = new Set<LeaderChange>();
  let chain: Promise<void> = Promise.resolve();
  return {
    add: (cb: LeaderChange) => {
      cbs.add(cb);
      return () => void cbs.delete(cb);
    },
    notify: (leader: boolean): Promise<void> => {
      chain = chain.then(async () => {
        for (const cb of [...cbs])
          await Promise.resolve()
            .then(() => cb(leader))
            .catch((e: unknown) => log.error({ err: e, leader }, 'a leadership listener failed'));
      });
      return chain;
    },
  };
};

const whoAmI = (owner: string) => ({ owner, host: hostname(), pid: process.pid });

/** The dedicated connection as the store functions take it. */
const queryable = (c: pg.Client): Queryable => ({
  query: async <T>(text: string, params: readonly unknown[] = []) =>
    (await c.query(text, params as unknown[])).rows as T[],
});

const alwaysLeader = (o: LeaderElectionOptions): LeaderElection => {
  const ls = listeners(o.log);
  let leader = false;
  return {
    isLeader: () => leader,
    onChange: ls.add,
    start: async () => {
      leader = true;
      // For operators only: a failure to write it must not keep the process from working.
      await recordLeader(o.control, { ...whoAmI(o.owner), at: o.clock() }).catch((e: unknown) =>
        o.log.error({ err: e }, 'recording the leader failed'),
      );
      await ls.notify(true);
    },
    stop: async () => {
      if (!leader) return;
      leader = false;
      await ls.notify(false);
      await clearLeader(o.control, o.owner).catch(() => undefined);
    },
  };
};

const advisoryLeader = (o: LeaderElectionOptions): LeaderElection => {
  const ls = listeners(o.log);
  const queryTimeoutMs = o.queryTimeoutMs ?? Math.max(5_000, 2 * o.pollMs);
  let leader = false;
  let stopped = false;
  let client: pg.Client | undefined;
  let keys: { leader: bigint; member: bigint } | undefined;
  /** Whether this session holds the member lock (an old session of ours may still, for a while). */
  let member = false;
  /**
   * After losing its connection a process lets the others try first for two polls: they are
   * likelier to be healthy, and its own old session may still hold the lock for a moment.
   */
  let holdOffUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();
  const who = whoAmI(o.owner);

  const setLeader = (next: boolean): Promise<void> => {
    if (leader === next) return Promise.resolve();
    leader = next;
    o.log.info(who, next ? 'became leader' : 'lost leadership');
    return ls.notify(next);
  };

  /** The connection is gone or unusable: stop leading at once; the next poll reconnects. */
  const lose = (c: pg.Client, why: unknown): Promise<void> => {
    if (client !== c) return Promise.resolve();
    client = undefined;
    keys = undefined;
    member = false;
    holdOffUntil = performance.now() + 2 * o.pollMs;
    if (!stopped) o.log.error({ err: why, ...who }, 'leader election connection lost');
    // Ends the socket too, so the server frees the session's locks as soon as it notices.
    void c.end().catch(() => undefined);
    return setLeader(false);
  };

  const connect = async (): Promise<pg.Client> => {
    // The URL's own `options` (a search_path) are kept and ours appended: pg lets a URL's
    // parameters override the config's, so they are taken out of the URL and passed as one.
    const url = new URL(o.databaseUrl ?? '');
    const fromUrl = url.searchParams.get('options');
    url.searchParams.delete('options');
    const c = new pg.Client({
      connectionString: url.toString(),
      options: [fromUrl, o.schema ? `-c search_path=${o.schema}` : null, SERVER_KEEPALIVE]
        .filter((s) => s !== null && s !== '')
        .join(' '),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: queryTimeoutMs,
      query_timeout: queryTimeoutMs,
      application_name: `rekindle ${o.owner}`.slice(0, 63),
    });
    c.on('error', (e) => void lose(c, e));
    c.on('end', () => void lose(c, new Error('connection ended')));
    client = c;
    await c.connect();
    const at = await installationOf(queryable(c));
    keys = { leader: leaderLockKey(at), member: memberLockKey(at, o.owner) };
    return c;
  };

  const tick = async (): Promise<void> => {
    let c = client;
    try {
      if (c === undefined) c = await connect();
      const k = keys;
      if (k === undefined) return;
      // This process's liveness, held for as long as this session lives (jobs' recovery). Tried,
      // not awaited: after a network cut our old session may hold it until the server ends it.
      if (!member) member = await tryLock(queryable(c), k.member);
      if (!leader) {
        if (performance.now() < holdOffUntil) return;
        if (!(await tryLock(queryable(c), k.leader)) || stopped) return;
        await setLeader(true);
        await recordLeader(queryable(c), { ...who, at: o.clock() });
      } else
        // The lock holds while the session lives; this round trip proves the session still does.
        await touchLeader(queryable(c), o.owner, o.clock());
    } catch (e) {
      if (c !== undefined) await lose(c, e);
      else if (client !== undefined) await lose(client, e);
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick().finally(schedule);
    }, o.pollMs);
    timer.unref();
  };

  return {
    isLeader: () => leader,
    onChange: ls.add,
    start: async () => {
      ticking = tick();
      await ticking;
      schedule();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      // The loops stop before the lock is given back: two leaders never overlap.
      await setLeader(false);
      const c = client;
      client = undefined;
      if (c === undefined) return;
      await clearLeader(queryable(c), o.owner).catch(() => undefined);
      await c.end().catch(() => undefined);
    },
  };
};
