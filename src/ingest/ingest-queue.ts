import type { Clock } from '../core/clock.ts';
import type { EventRow, IdentifyRow } from '../core/events/rows.ts';
import type { Rejection, Warehouse } from '../storage/warehouse/warehouse.ts';
import type { IsolatedOutcome } from '../storage/warehouse/isolating-commit.ts';
import { DedupWindow } from './dedup-window.ts';
import { warehouseSink, type IngestSink } from './ingest-sink.ts';

export const DEFAULT_DEDUP_WINDOW_MS = 24 * 3600_000;

/** What happened to one record of a group commit. */
type Fate =
  | { kind: 'stored' }
  | { kind: 'refused'; reason: string; field?: string }
  | { kind: 'unavailable'; error: unknown };

const STORED: Fate = { kind: 'stored' };

interface GroupResult {
  fate(kind: 'event' | 'identify', at: number): Fate;
}

const ALL_STORED: GroupResult = { fate: () => STORED };

interface Group {
  events: EventRow[];
  identifies: IdentifyRow[];
  rejections: Rejection[];
  done: Promise<GroupResult>;
  resolve: (r: GroupResult) => void;
  reject: (e: unknown) => void;
}

const newGroup = (): Group => {
  let resolve!: (r: GroupResult) => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<GroupResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed group is reported to each submitter; this keeps an unobserved rejection harmless.
  done.catch(() => undefined);
  return { events: [], identifies: [], rejections: [], done, resolve, reject };
};

/** A record the warehouse refused although it passed validation: its index in the submitted batch. */
export interface RefusedIndex {
  index: number;
  reason: string;
  /** The field at fault, when the warehouse refused the record by rule (an alias cycle). */
  field?: string;
}

export interface SubmitOutcome {
  accepted: number;
  duplicates: number;
  /** Records not stored because the warehouse refused their data; everything else is stored. */
  refused: RefusedIndex[];
}

/** The warehouse could not store this submitter's records (nor, maybe, some of them): retry. */
export class StorageUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`storage unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StorageUnavailableError';
  }
}

/** Where a claimed record sits in its group: what its submitter looks up once the group is done. */
interface Claim {
  group: Group;
  kind: 'event' | 'identify';
  at: number;
  /** The record's index in its submitter's batch. */
  index: number;
}

/**
 * Group commit: records submitted while a commit is running wait for the next one, so many
 * requests share one DuckDB transaction or one ClickHouse insert per table (a `group` sink, up
 * to its `maxGroupRecords`; an `each` sink commits every submit alone: ingest-sink.ts). A submit resolves only after its records are
 * committed — an acknowledgement always means durable. Retried message ids within the dedup
 * window are answered as duplicates and stored once. A record the warehouse refuses is isolated
 * (`commitIsolating`): it alone is reported refused, the records sharing its commit are stored.
 */
export class IngestQueue {
  private current = newGroup();
  /** Full groups waiting for their commit, oldest first (only with the sink's `maxGroupRecords`). */
  private readonly sealed: Group[] = [];
  private flushing = false;
  private draining: Promise<void> = Promise.resolve();
  private readonly inFlight = new Map<string, Claim>();
  private readonly listeners: ((events: number) => void)[] = [];
  /** Commits of `each` sinks under way (awaited by `drained`). */
  private readonly committing = new Set<Promise<void>>();

  private constructor(
    private readonly sink: IngestSink,
    private readonly dedup: DedupWindow,
    private readonly clock: Clock,
  ) {}

  /** Loads the ids of recent HTTP deliveries so a retry after a restart is still recognised. */
  static async open(
    warehouse: Warehouse,
    options: { clock: Clock; windowMs?: number },
  ): Promise<IngestQueue> {
    return IngestQueue.openOn(warehouseSink(warehouse), options);
  }

  /** The same on any engine's sink (ingest-sink.ts). */
  static async openOn(sink: IngestSink, options: { clock: Clock; windowMs?: number }): Promise<IngestQueue> {
    const windowMs = options.windowMs ?? DEFAULT_DEDUP_WINDOW_MS;
    const dedup = new DedupWindow(windowMs);
    const since = new Date(options.clock() - windowMs).toISOString();
    const rows = await sink.recentMessageIds(since);
    for (const r of rows) dedup.add(r.message_id, r.received_at.getTime());
    return new IngestQueue(sink, dedup, options.clock);
  }

  /**
   * Stores the records (`eventIndexes` / `identifyIndexes`: each row's index in the client's
   * batch, for `refused`; positions when absent). Throws `StorageUnavailableError` when the
   * warehouse failed for any of them: the client retries, and the records that were stored
   * are then answered as duplicates.
   */
  async submit(batch: {
    events: readonly EventRow[];
    identifies: readonly IdentifyRow[];
    rejections: readonly Rejection[];
    eventIndexes?: readonly number[];
    identifyIndexes?: readonly number[];
  }): Promise<SubmitOutcome> {
    const mine: Claim[] = [];
    const waiting: Claim[] = [];
    let duplicates = 0;
    // Stored by another process sharing the warehouse (a retry sent elsewhere): duplicates too.
    // (No await without such a sink: DuckDB's submits claim their ids at once, as they always did.)
    const elsewhere = this.sink.storedAmong === undefined ? EMPTY : await this.storedElsewhere(batch);
    const each = this.sink.grouping === 'each';
    const cap = this.sink.maxGroupRecords;
    const incoming = batch.events.length + batch.identifies.length + batch.rejections.length;
    if (
      !each &&
      cap !== undefined &&
      this.size(this.current) > 0 &&
      this.size(this.current) + incoming > cap
    ) {
      this.sealed.push(this.current);
      this.current = newGroup();
    }
    const group = each ? newGroup() : this.current;
    const claim = (id: string, kind: 'event' | 'identify', index: number, rows: unknown[]): boolean => {
      if (this.dedup.has(id) || elsewhere.has(id)) {
        duplicates++;
        return false;
      }
      const pending = this.inFlight.get(id);
      if (pending !== undefined) {
        // The first copy is still being committed: answer the retry only once its fate is known.
        waiting.push({ ...pending, index });
        return false;
      }
      const c: Claim = { group, kind, at: rows.length, index };
      this.inFlight.set(id, c);
      mine.push(c);
      return true;
    };
    batch.events.forEach((e, i) => {
      if (claim(e.messageId, 'event', batch.eventIndexes?.[i] ?? i, group.events)) group.events.push(e);
    });
    batch.identifies.forEach((r, i) => {
      if (claim(r.messageId, 'identify', batch.identifyIndexes?.[i] ?? i, group.identifies))
        group.identifies.push(r);
    });
    group.rejections.push(...batch.rejections);
    // Kick only if this call put something in the group: an empty group is never flushed.
    if (mine.length > 0 || batch.rejections.length > 0) {
      if (each) this.commitAlone(group);
      else this.kick();
    }
    let accepted = 0;
    const refused: RefusedIndex[] = [];
    let unavailable: { error: unknown } | undefined;
    const count = (c: Claim, result: GroupResult, original: boolean): void => {
      const fate = result.fate(c.kind, c.at);
      if (fate.kind === 'stored') {
        if (original) accepted++;
        else duplicates++;
      } else if (fate.kind === 'refused')
        refused.push({
          index: c.index,
          reason: fate.reason,
          ...(fate.field === undefined ? {} : { field: fate.field }),
        });
      else unavailable = fate;
    };
    if (mine.length > 0 || batch.rejections.length > 0) {
      const result = await group.done;
      for (const c of mine) count(c, result, true);
    }
    for (const c of waiting) count(c, await c.group.done, false);
    if (unavailable !== undefined) throw new StorageUnavailableError(unavailable.error);
    refused.sort((a, b) => a.index - b.index);
    return { accepted, duplicates, refused };
  }

  private async storedElsewhere(batch: {
    events: readonly EventRow[];
    identifies: readonly IdentifyRow[];
  }): Promise<ReadonlySet<string>> {
    if (this.sink.storedAmong === undefined) return EMPTY;
    const unknown = (rows: readonly { messageId: string }[]): string[] =>
      rows.map((r) => r.messageId).filter((id) => !this.dedup.has(id) && !this.inFlight.has(id));
    const ids = { events: unknown(batch.events), identifies: unknown(batch.identifies) };
    if (ids.events.length + ids.identifies.length === 0) return EMPTY;
    let stored: ReadonlySet<string>;
    try {
      stored = await this.sink.storedAmong(ids);
    } catch (e) {
      throw new StorageUnavailableError(e);
    }
    const now = this.clock();
    for (const id of stored) this.dedup.add(id, now);
    return stored;
  }

  private commitAlone(group: Group): void {
    const p = this.flush(group).finally(() => this.committing.delete(p));
    this.committing.add(p);
  }

  private size(g: Group): number {
    return g.events.length + g.identifies.length + g.rejections.length;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    this.draining = Promise.resolve().then(() => this.drain());
  }

  private async drain(): Promise<void> {
    for (;;) {
      let group = this.sealed.shift();
      if (group === undefined) {
        if (this.size(this.current) === 0) break;
        group = this.current;
        this.current = newGroup();
      }
      await this.flush(group);
    }
    this.flushing = false;
  }

  private async flush(group: Group): Promise<void> {
    const now = this.clock();
    try {
      const outcome = await this.sink.commit({
        events: group.events,
        identifies: group.identifies,
        rejections: group.rejections,
        rejectedAt: now,
        rejectionSource: 'http',
      });
      const result = resultOf(outcome);
      let stored = 0;
      group.events.forEach((e, at) => {
        if (result.fate('event', at).kind !== 'stored') return;
        this.dedup.add(e.messageId, now);
        stored++;
      });
      group.identifies.forEach((r, at) => {
        if (result.fate('identify', at).kind === 'stored') this.dedup.add(r.messageId, now);
      });
      this.dedup.expire(now);
      group.resolve(result);
      if (stored > 0) for (const l of this.listeners) l(stored);
    } catch (e) {
      group.reject(e);
    } finally {
      for (const e of group.events) this.inFlight.delete(e.messageId);
      for (const i of group.identifies) this.inFlight.delete(i.messageId);
    }
  }

  /** Called after each commit that stored events (e.g. to look for triggered campaigns at once). */
  onCommit(listener: (events: number) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves when everything submitted so far is committed. */
  async drained(): Promise<void> {
    await this.draining;
    await Promise.all([...this.committing]);
  }
}

const EMPTY: ReadonlySet<string> = new Set();

const resultOf = (outcome: IsolatedOutcome): GroupResult => {
  if (outcome.refused.length === 0 && outcome.unavailable === null) return ALL_STORED;
  const refused = new Map<string, Fate>();
  for (const r of outcome.refused)
    refused.set(`${r.kind}:${r.at}`, {
      kind: 'refused',
      reason: r.reason,
      ...(r.field === undefined ? {} : { field: r.field }),
    });
  const down = outcome.unavailable;
  const unavailable: Fate | undefined =
    down === null ? undefined : { kind: 'unavailable', error: down.error };
  return {
    fate: (kind, at) =>
      refused.get(`${kind}:${at}`) ??
      (unavailable !== undefined && down?.unstored[kind].has(at) === true ? unavailable : STORED),
  };
};
