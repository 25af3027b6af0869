import type { EventRow, IdentifyRow } from '../../core/events/rows.ts';
import type { Rejection, Warehouse } from './warehouse.ts';

export interface CommitBatch {
  events: readonly EventRow[];
  identifies: readonly IdentifyRow[];
  rejections: readonly Rejection[];
  rejectedAt: number;
  rejectionSource: string;
}

export type RecordKind = 'event' | 'identify' | 'rejection';

/** One record the warehouse refused on its own: its kind, its position in the batch, DuckDB's reason. */
export interface RefusedRecord {
  kind: RecordKind;
  at: number;
  reason: string;
  /** The field at fault when the commit refused the record for a rule (an alias cycle), kept in `ingest_rejections`. */
  field?: string;
}

export interface IsolatedOutcome {
  /** Records refused for their data (not stored); every other record is stored unless `unavailable`. */
  refused: RefusedRecord[];
  /**
   * The warehouse itself failed (I/O, memory…): records in `unstored` (positions by kind) are not
   * stored either; null when it did not.
   */
  unavailable: { error: unknown; unstored: Record<RecordKind, Set<number>> } | null;
  /** Transactions tried. */
  commits: number;
}

/**
 * Failures of the store rather than of a record: bisecting would only repeat them record by
 * record, and calling records bad would tell clients to drop data they should retry.
 */
const STORAGE_FAILURE =
  /^(IO|Out of Memory|FATAL|Fatal|Internal|Interrupt|Connection|Permission|Transaction|Catalog Write-Write Conflict) Error|database has been invalidated|ENOSPC|EIO/i;

export const isStorageFailure = (e: unknown): boolean =>
  STORAGE_FAILURE.test(e instanceof Error ? e.message : String(e));

const reasonOf = (e: unknown): string => {
  const text = e instanceof Error ? e.message : String(e);
  // DuckDB repeats the input after the reason; it may hold personal data.
  const cut = text.split(/\s+Input: /)[0] ?? text;
  return `cannot be stored: ${cut.slice(0, 200)}`;
};

interface Unit {
  kind: RecordKind;
  at: number;
}

/**
 * Commits a batch in one transaction; if the warehouse refuses it because of a record's data,
 * finds the refused record(s) by bisection (each half in its own transaction) and commits the
 * rest, so one unstorable record never fails the records it shares a commit with. With k bad
 * records among n this costs about 2·k·log2(n) extra commits. Validation (`core/events`) is meant
 * to stop every such record before it gets here; this is the safety net for what it misses.
 */
export const commitIsolating = async (warehouse: Warehouse, batch: CommitBatch): Promise<IsolatedOutcome> => {
  // Records a successful commit refused by rule (warehouse.ts `CommitRefusal`), by batch position.
  const ruled: RefusedRecord[] = [];
  const commit = async (units: readonly Unit[] | null): Promise<void> => {
    if (units === null) {
      const r = await warehouse.commit(batch);
      for (const x of r.refused) ruled.push({ kind: 'event', at: x.at, reason: x.reason, field: x.field });
      return;
    }
    const part = { events: [] as EventRow[], identifies: [] as IdentifyRow[], rejections: [] as Rejection[] };
    const eventAt: number[] = [];
    for (const u of units) {
      if (u.kind === 'event') {
        part.events.push(batch.events[u.at] as EventRow);
        eventAt.push(u.at);
      } else if (u.kind === 'identify') part.identifies.push(batch.identifies[u.at] as IdentifyRow);
      else part.rejections.push(batch.rejections[u.at] as Rejection);
    }
    const r = await warehouse.commit({
      ...part,
      rejectedAt: batch.rejectedAt,
      rejectionSource: batch.rejectionSource,
    });
    for (const x of r.refused)
      ruled.push({ kind: 'event', at: eventAt[x.at] ?? x.at, reason: x.reason, field: x.field });
  };
  let commits = 1;
  try {
    await commit(null);
    return { refused: ruled, unavailable: null, commits };
  } catch (e) {
    if (isStorageFailure(e))
      return { refused: [], unavailable: { error: e, unstored: everything(batch) }, commits };
    const all: Unit[] = [
      ...batch.events.map((_, at) => ({ kind: 'event' as const, at })),
      ...batch.identifies.map((_, at) => ({ kind: 'identify' as const, at })),
      ...batch.rejections.map((_, at) => ({ kind: 'rejection' as const, at })),
    ];
    const refused: RefusedRecord[] = [];
    let outage: unknown;
    const unstored: Unit[] = [];
    // `units` is known to fail as a whole (with `failure`): split it until each refused record is alone.
    const isolate = async (units: Unit[], failure: unknown): Promise<void> => {
      if (outage !== undefined) {
        unstored.push(...units);
        return;
      }
      if (units.length === 1) {
        const u = units[0] as Unit;
        refused.push({ kind: u.kind, at: u.at, reason: reasonOf(failure) });
        return;
      }
      const mid = units.length >> 1;
      for (const half of [units.slice(0, mid), units.slice(mid)]) {
        if (outage !== undefined) {
          unstored.push(...half);
          continue;
        }
        try {
          commits++;
          await commit(half);
        } catch (e2) {
          if (isStorageFailure(e2)) {
            outage = e2;
            unstored.push(...half);
          } else await isolate(half, e2);
        }
      }
    };
    await isolate(all, e);
    if (outage !== undefined) {
      const sets: Record<RecordKind, Set<number>> = {
        event: new Set(),
        identify: new Set(),
        rejection: new Set(),
      };
      for (const u of unstored) sets[u.kind].add(u.at);
      return { refused: [...refused, ...ruled], unavailable: { error: outage, unstored: sets }, commits };
    }
    return { refused: [...refused, ...ruled], unavailable: null, commits };
  }
};

const everything = (batch: CommitBatch): Record<RecordKind, Set<number>> => ({
  event: new Set(batch.events.keys()),
  identify: new Set(batch.identifies.keys()),
  rejection: new Set(batch.rejections.keys()),
});
