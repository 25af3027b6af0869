import { identifiedBefore } from '../../core/events/identified-before.ts';
import { planLinks, type LinkRequest, type StoredLink } from '../../core/events/identity-links.ts';
import type { ClickHouseDb } from './client.ts';
import { identificationOf, storedTreesOf } from './identity-reads.ts';
import { sweepAliases, type AliasMove, type SweepReport } from './identity-sweep.ts';
import { chTime, dedupToken } from './ingest-rows.ts';

/**
 * Identity stitching on a ClickHouse warehouse (features.md A1), the pass the leader runs
 * (DuckDB stitches inside its one writer instead, warehouse.ts). Ingesting processes record the
 * links calls ask for in `identity_link_requests` and store every record under the canonical id
 * of the links they know; this pass:
 * 1. decides the requests no pass decided yet, in time order, with DuckDB's rules (`planLinks`),
 *    and writes the new links and the moved canonical ids (identity_links, a new version);
 * 2. records each request's outcome; an alias that would close a cycle (two processes accepted
 *    a→b and b→a before any pass) is refused here: its event is deleted and the refusal kept in
 *    ingest_rejections with the reason, as DuckDB refuses it at commit;
 * 3. sweeps the rows of every alias linked or moved within `sweepMs` to its canonical id
 *    (identity-sweep.ts): the merged ids' data, and rows a process wrote under an alias before it
 *    learnt of the link.
 * Each step is idempotent and ordered so that a pass cut anywhere is completed by the next one.
 */

export interface StitchOptions {
  now: number;
  /**
   * Requests received this long before the latest decided one are still read: a commit that
   * recorded its requests late (slow insert, a process's clock behind) is not skipped. Default 15 min.
   */
  lagMs?: number;
  /** Aliases whose link was written this recently are swept every pass. Default 15 min. */
  sweepMs?: number;
  /** An alias's profile rows are deleted once they are this old (identity-sweep.ts). Default 30 s. */
  marginMs?: number;
  /** The most requests decided in one chunk. */
  chunk?: number;
  /**
   * Deletes requests and outcomes received `keepMs` (default 7 days) before the latest decided one:
   * decided long ago, they only grow the tables the pass reads. The loop asks for it hourly.
   */
  prune?: boolean;
  keepMs?: number;
  /** Tests: throws after a step, as a killed leader would stop there. */
  cut?: (step: 'links' | 'outcomes') => void;
}

export interface StitchReport {
  decided: number;
  linked: number;
  refused: number;
  /** Links written with a new canonical id: new ones and those moved by a merge. */
  moved: AliasMove[];
  sweep: SweepReport;
}

interface RequestRow {
  alias_id: string;
  user_id: string;
  via: 'alias' | 'identify' | 'track';
  message_id: string;
  ts_ms: number;
  received_ms: number;
}

const DEFAULTS = {
  lagMs: 15 * 60_000,
  sweepMs: 15 * 60_000,
  marginMs: 30_000,
  chunk: 20_000,
  keepMs: 7 * 86_400_000,
};

export const stitchIdentities = async (db: ClickHouseDb, options: StitchOptions): Promise<StitchReport> => {
  const o = { ...DEFAULTS, ...options };
  const report: StitchReport = {
    decided: 0,
    linked: 0,
    refused: 0,
    moved: [],
    sweep: { aliasesWithRows: 0, copied: {} },
  };
  for (;;) {
    const rows = await undecidedRequests(db, o.lagMs, o.chunk);
    if (rows.length === 0) break;
    const decided = await decide(db, rows, o);
    report.decided += rows.length;
    report.linked += decided.linked;
    report.refused += decided.refused;
    report.moved.push(...decided.moved);
    if (rows.length < o.chunk) break;
  }
  const recent = await db.query<{ alias_id: string; canonical_id: string }>(
    'SELECT alias_id, canonical_id FROM identity_links WHERE version >= {since:UInt64}',
    { since: Math.max(0, o.now - o.sweepMs) },
  );
  report.sweep = await sweepAliases(
    db,
    recent.map((r) => ({ from: r.alias_id, to: r.canonical_id })),
    { marginMs: o.marginMs },
  );
  if (o.prune === true) await pruneDecided(db, o.keepMs);
  return report;
};

/** The latest received_at of a decided request (ms), 0 when none is. */
const latestDecided = async (db: ClickHouseDb): Promise<number> =>
  Number(
    (
      await db.query<{ ms: number }>(
        'SELECT toUnixTimestamp64Milli(max(received_at)) AS ms FROM identity_link_outcomes',
      )
    )[0]?.ms ?? 0,
  );

/** Requests and outcomes received `keepMs` before the latest decided request (by data time, not the wall clock). */
const pruneDecided = async (db: ClickHouseDb, keepMs: number): Promise<void> => {
  const latest = await latestDecided(db);
  if (latest <= keepMs) return;
  const before = chTime(latest - keepMs);
  for (const table of ['identity_link_requests', 'identity_link_outcomes']) {
    const n = Number(
      (
        await db.query<{ n: number }>(
          `SELECT count() AS n FROM ${table} WHERE received_at < toDateTime64({before:String}, 3, 'UTC')`,
          { before },
        )
      )[0]?.n ?? 0,
    );
    if (n > 0)
      await db.command(`DELETE FROM ${table} WHERE received_at < toDateTime64({before:String}, 3, 'UTC')`, {
        before,
      });
  }
};

/** The oldest requests without an outcome, from `lagMs` before the latest decided one on. */
const undecidedRequests = async (db: ClickHouseDb, lagMs: number, chunk: number): Promise<RequestRow[]> => {
  const latest = await latestDecided(db);
  const from = chTime(Math.max(0, latest - lagMs));
  return db.query<RequestRow>(
    `SELECT alias_id, user_id, via, message_id,
       toUnixTimestamp64Milli(ts) AS ts_ms, toUnixTimestamp64Milli(received_at) AS received_ms
     FROM identity_link_requests
     WHERE received_at >= toDateTime64({from:String}, 3, 'UTC')
       AND (via, message_id) NOT IN (
         SELECT via, message_id FROM identity_link_outcomes WHERE received_at >= toDateTime64({from:String}, 3, 'UTC'))
     ORDER BY received_at, ts, message_id
     LIMIT {chunk:UInt32}`,
    { from, chunk },
  );
};

const decide = async (
  db: ClickHouseDb,
  chunk: readonly RequestRow[],
  o: typeof DEFAULTS & StitchOptions,
): Promise<{ linked: number; refused: number; moved: AliasMove[] }> => {
  // A request repeated in the chunk (the same call recorded by two commits) is decided once.
  const seen = new Set<string>();
  const rows = [...chunk]
    .filter((r) => {
      const k = `${r.via}:${r.message_id}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => Number(a.ts_ms) - Number(b.ts_ms) || (a.message_id < b.message_id ? -1 : 1));
  const requests: LinkRequest[] = rows.map((r, at) => ({
    from: r.alias_id,
    to: r.user_id,
    explicit: r.via === 'alias',
    via: r.via,
    messageId: r.message_id,
    ts: Number(r.ts_ms),
    at,
  }));
  const known = await storedTreesOf(
    db,
    requests.flatMap((q) => [q.from, q.to]),
  );
  // Whether an anonymous id was sent as a userId is asked as of the first call that would link it.
  const cutoff = new Map<string, number>();
  rows.forEach((r) => {
    if (r.via !== 'alias' && !cutoff.has(r.alias_id)) cutoff.set(r.alias_id, Number(r.received_ms));
  });
  const identification = await identificationOf(db, cutoff.keys());
  const identified = new Set(
    [...cutoff].filter(([id, at]) => identifiedBefore(identification.get(id), at)).map(([id]) => id),
  );
  const plan = planLinks(requests, known, identified);

  const moved = linksToWrite(known, plan.links);
  if (moved.length > 0) {
    const version = await nextVersion(db, o.now);
    const byAlias = new Map(plan.links.map((l) => [l.aliasId, l]));
    const stored = new Map(known.map((k) => [k.aliasId, k]));
    await db.insert(
      'identity_links',
      moved.map((m) => {
        const fresh = byAlias.get(m.aliasId);
        const linkedTo = fresh?.linkedTo ?? stored.get(m.aliasId)?.linkedTo ?? m.canonicalId;
        return {
          alias_id: m.aliasId,
          linked_to: linkedTo,
          canonical_id: m.canonicalId,
          via: fresh?.via ?? 'alias',
          message_id: fresh?.messageId ?? '',
          linked_at: chTime(fresh?.ts ?? o.now),
          version,
        };
      }),
    );
  }
  o.cut?.('links');

  const refusedAt = new Map(plan.refused.map((r) => [r.at, r.reason]));
  const linkedBy = new Set(plan.links.map((l) => `${l.via}:${l.messageId}`));
  // Before the outcomes: a pass cut between the two decides these requests again.
  if (refusedAt.size > 0) {
    await refuseAliases(
      db,
      [...refusedAt].map(([at, reason]) => ({ row: rows[at] as RequestRow, reason })),
    );
  }
  await db.insert(
    'identity_link_outcomes',
    rows.map((r, at) => ({
      via: r.via,
      message_id: r.message_id,
      alias_id: r.alias_id,
      user_id: r.user_id,
      outcome: refusedAt.has(at) ? 'refused' : linkedBy.has(`${r.via}:${r.message_id}`) ? 'linked' : 'none',
      reason: refusedAt.get(at) ?? '',
      received_at: chTime(Number(r.received_ms)),
      decided_at: chTime(o.now),
    })),
  );
  o.cut?.('outcomes');
  return {
    linked: plan.links.length,
    refused: refusedAt.size,
    moved: moved.map((m) => ({ from: m.aliasId, to: m.canonicalId })),
  };
};

/** Every link whose canonical id is new or changed once the plan's links are added to the stored ones. */
const linksToWrite = (known: readonly StoredLink[], added: readonly StoredLink[]): StoredLink[] => {
  if (added.length === 0) return [];
  const edges = new Map<string, string>();
  for (const k of known) edges.set(k.aliasId, k.linkedTo);
  for (const l of added) edges.set(l.aliasId, l.linkedTo);
  const root = (id: string): string => {
    let r = id;
    for (let i = 0; i <= edges.size; i++) {
      const next = edges.get(r);
      if (next === undefined) return r;
      r = next;
    }
    throw new Error(`identity links form a cycle through '${id}'`);
  };
  const before = new Map(known.map((k) => [k.aliasId, k.canonicalId]));
  const out: StoredLink[] = [];
  for (const [aliasId, linkedTo] of edges) {
    const canonicalId = root(aliasId);
    if (before.get(aliasId) !== canonicalId) out.push({ aliasId, linkedTo, canonicalId });
  }
  return out;
};

/** A version above every stored one (the pass's time, or one more than the latest when a clock went back). */
const nextVersion = async (db: ClickHouseDb, now: number): Promise<number> => {
  const latest = Number(
    (await db.query<{ v: number }>('SELECT max(version) AS v FROM identity_links'))[0]?.v ?? 0,
  );
  return Math.max(Math.floor(now), latest + 1);
};

/** An alias refused by the pass: kept in ingest_rejections with its reason, its event deleted. */
const refuseAliases = async (
  db: ClickHouseDb,
  refused: readonly { row: RequestRow; reason: string }[],
): Promise<void> => {
  const rejections = refused.map(({ row, reason }) => ({
    received_at: chTime(Number(row.received_ms)),
    source: 'http',
    record_index: 0,
    field: 'previousId',
    reason,
    raw: JSON.stringify({
      type: 'alias',
      messageId: row.message_id,
      userId: row.user_id,
      properties: JSON.stringify({ previousId: row.alias_id }),
    }),
  }));
  await db.insert('ingest_rejections', rejections, {
    dedupToken: dedupToken(
      'ingest_rejections',
      refused.map((r) => `stitch:${r.row.message_id}`),
    ),
  });
  await db.command(`DELETE FROM events WHERE event = 'alias' AND message_id IN {ids:Array(String)}`, {
    ids: refused.map((r) => r.row.message_id),
  });
};
