import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { processBatch } from '../src/ingest/process-batch.ts';
import { ClickHouseWarehouse } from '../src/storage/clickhouse/clickhouse-warehouse.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import type { CommitBatch } from '../src/storage/warehouse/isolating-commit.ts';

/**
 * Identity stitching on ClickHouse (the leader's pass) beside DuckDB (inside the commit), on the
 * same calls: `users` visitors each send `eventsPerVisitor` anonymous events, then an identify
 * with their userId and anonymousId, in batches of 100 records as SDKs send them. Measured:
 * - DuckDB: committing the identify batches (each links its visitors and moves their events and
 *   profiles in its transaction), beside the same identifies without anonymousId (no linking);
 * - ClickHouse: committing the same identify batches (requests recorded), then one pass that
 *   decides every request and moves every visitor's rows.
 */

export interface IdentityStitchResult {
  users: number;
  eventsMoved: number;
  duckLinkedMs: number;
  duckPlainMs: number;
  chCommitMs: number;
  chPassMs: number;
  chLinked: number;
}

const NOW = Date.UTC(2026, 10, 1);

const batchesOf = (messages: Record<string, unknown>[], receivedAt: number): CommitBatch[] => {
  const out: CommitBatch[] = [];
  for (let i = 0; i < messages.length; i += 100) {
    const p = processBatch(messages.slice(i, i + 100), { receivedAt: receivedAt + i, source: 'http' });
    if (p.errors.length > 0) throw new Error(JSON.stringify(p.errors[0]));
    out.push({
      events: p.events,
      identifies: p.identifies,
      rejections: p.rejections,
      rejectedAt: receivedAt + i,
      rejectionSource: 'http',
    });
  }
  return out;
};

const calls = (users: number, eventsPerVisitor: number, tag: string) => {
  const visits: Record<string, unknown>[] = [];
  for (let u = 0; u < users; u++)
    for (let e = 0; e < eventsPerVisitor; e++)
      visits.push({
        type: 'track',
        messageId: `${tag}-v${u}-${e}`,
        anonymousId: `${tag}-anon-${u}`,
        event: 'view_item',
        timestamp: new Date(NOW - (e + 1) * 3_600_000).toISOString(),
      });
  const identify = (linked: boolean) =>
    Array.from({ length: users }, (_, u) => ({
      type: 'identify',
      messageId: `${tag}-i${linked ? 'l' : 'p'}${u}`,
      userId: `${tag}-user-${u}`,
      ...(linked ? { anonymousId: `${tag}-anon-${u}` } : {}),
      traits: { city: 'Hangzhou' },
      timestamp: new Date(NOW).toISOString(),
    }));
  return {
    visits: batchesOf(visits, NOW),
    linked: batchesOf(identify(true), NOW + 3_600_000),
    plain: batchesOf(identify(false), NOW + 3_600_000),
  };
};

const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await work();
  return performance.now() - t;
};

export const benchIdentityStitch = async (options: {
  work: string;
  users: number;
  eventsPerVisitor: number;
  log: (s: string) => void;
}): Promise<IdentityStitchResult> => {
  const { users, eventsPerVisitor } = options;
  const duckPath = join(options.work, 'identity-stitch.duckdb');
  const chPath = join(options.work, 'identity-stitch-chdb');
  rmSync(duckPath, { force: true });
  rmSync(`${duckPath}.wal`, { force: true });
  rmSync(chPath, { recursive: true, force: true });

  const duck = await Warehouse.open(duckPath);
  const d = calls(users, eventsPerVisitor, 'd');
  for (const b of d.visits) await duck.commit(b);
  const duckPlainMs = await timed(async () => {
    for (const b of d.plain) await duck.commit(b);
  });
  const duckLinkedMs = await timed(async () => {
    for (const b of d.linked) await duck.commit(b);
  });
  const linkedDuck = Number(await duck.scalar('SELECT count(*) FROM identity_links'));
  duck.close();
  if (linkedDuck !== users) throw new Error(`DuckDB linked ${linkedDuck} of ${users}`);
  options.log(`    DuckDB: ${users} links in ${(duckLinkedMs / 1000).toFixed(2)} s of commits`);

  const ch = await ClickHouseWarehouse.open({ kind: 'chdb', path: chPath, database: 'stitch_bench' });
  try {
    const c = calls(users, eventsPerVisitor, 'c');
    for (const b of c.visits) await ch.commit(b);
    const chCommitMs = await timed(async () => {
      for (const b of c.linked) await ch.commit(b);
    });
    let report: Awaited<ReturnType<ClickHouseWarehouse['stitch']>> | undefined;
    const chPassMs = await timed(async () => {
      report = await ch.stitch({ now: Date.now(), marginMs: 0 });
    });
    const left = Number(await ch.scalar(`SELECT count() FROM events WHERE user_id LIKE 'c-anon-%'`));
    if (left !== 0) throw new Error(`ClickHouse left ${left} events under anonymous ids`);
    options.log(`    ClickHouse: ${report?.linked ?? 0} links, pass ${(chPassMs / 1000).toFixed(2)} s`);
    return {
      users,
      eventsMoved: users * eventsPerVisitor,
      duckLinkedMs,
      duckPlainMs,
      chCommitMs,
      chPassMs,
      chLinked: report?.linked ?? 0,
    };
  } finally {
    await ch.close();
    rmSync(chPath, { recursive: true, force: true });
    rmSync(duckPath, { force: true });
  }
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export const identityStitchRows = (r: IdentityStitchResult): string[] => [
  `| Identity stitching on ClickHouse (chDB in-process): the leader's pass decides ${fmt(r.users)} anonymous → known links and moves their events, history and profiles (copy, then delete) | ${fmt(r.users)} visitors, ${fmt(r.eventsMoved)} events | **pass ${(r.chPassMs / 1000).toFixed(2)} s** (${fmt(r.chLinked / (r.chPassMs / 1000))} links/s); committing the identifies that ask for the links: ${(r.chCommitMs / 1000).toFixed(2)} s | DuckDB, the same calls, linked inside their commits: ${(r.duckLinkedMs / 1000).toFixed(2)} s of commits (the same identifies without anonymousId: ${(r.duckPlainMs / 1000).toFixed(2)} s) | ${(r.chPassMs / r.duckLinkedMs).toFixed(2)}× | — |`,
];
