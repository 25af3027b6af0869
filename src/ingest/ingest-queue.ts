import type { Clock } from '../core/clock.ts';
import type { EventRow, IdentifyRow } from '../core/events/rows.ts';
import type { Rejection, Warehouse } from '../storage/warehouse/warehouse.ts';
import { DedupWindow } from './dedup-window.ts';

export const DEFAULT_DEDUP_WINDOW_MS = 24 * 3600_000;

interface Group {
  events: EventRow[];
  identifies: IdentifyRow[];
  rejections: Rejection[];
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const newGroup = (): Group => {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed group is reported to each submitter; this keeps an unobserved rejection harmless.
  done.catch(() => undefined);
  return { events: [], identifies: [], rejections: [], done, resolve, reject };
};

export interface SubmitOutcome {
  accepted: number;
  duplicates: number;
}

/**
 * Group commit: records submitted while a commit is running wait for the next one, so many
 * requests share one DuckDB transaction. A submit resolves only after its records are
 * committed — an acknowledgement always means durable. Retried message ids within the dedup
 * window are answered as duplicates and stored once.
 */
export class IngestQueue {
  private current = newGroup();
  private flushing = false;
  private draining: Promise<void> = Promise.resolve();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly listeners: ((events: number) => void)[] = [];

  private constructor(
    private readonly warehouse: Warehouse,
    private readonly dedup: DedupWindow,
    private readonly clock: Clock,
  ) {}

  /** Loads the ids of recent HTTP deliveries so a retry after a restart is still recognised. */
  static async open(
    warehouse: Warehouse,
    options: { clock: Clock; windowMs?: number },
  ): Promise<IngestQueue> {
    const windowMs = options.windowMs ?? DEFAULT_DEDUP_WINDOW_MS;
    const dedup = new DedupWindow(windowMs);
    const since = new Date(options.clock() - windowMs).toISOString();
    const rows = await warehouse.query<{ message_id: string; received_at: Date }>(
      `SELECT message_id, received_at FROM events WHERE source = 'http' AND received_at >= $1::TIMESTAMP
       UNION ALL
       SELECT DISTINCT message_id, received_at FROM profile_history WHERE source = 'http' AND received_at >= $1::TIMESTAMP`,
      [since],
    );
    for (const r of rows) dedup.add(r.message_id, r.received_at.getTime());
    return new IngestQueue(warehouse, dedup, options.clock);
  }

  async submit(batch: {
    events: readonly EventRow[];
    identifies: readonly IdentifyRow[];
    rejections: readonly Rejection[];
  }): Promise<SubmitOutcome> {
    const waits: Promise<void>[] = [];
    let accepted = 0;
    let duplicates = 0;
    const group = this.current;
    const claim = (id: string): boolean => {
      if (this.dedup.has(id)) {
        duplicates++;
        return false;
      }
      const pending = this.inFlight.get(id);
      if (pending !== undefined) {
        // The first copy is still being committed: acknowledge the retry only once it is durable.
        waits.push(pending);
        duplicates++;
        return false;
      }
      this.inFlight.set(id, group.done);
      accepted++;
      return true;
    };
    for (const e of batch.events) if (claim(e.messageId)) group.events.push(e);
    for (const i of batch.identifies) if (claim(i.messageId)) group.identifies.push(i);
    group.rejections.push(...batch.rejections);
    // Wait for the group only if this call put something in it: an empty group is never flushed.
    if (accepted > 0 || batch.rejections.length > 0) {
      waits.push(group.done);
      this.kick();
    }
    await Promise.all(waits);
    return { accepted, duplicates };
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
    while (this.size(this.current) > 0) {
      const group = this.current;
      this.current = newGroup();
      await this.flush(group);
    }
    this.flushing = false;
  }

  private async flush(group: Group): Promise<void> {
    const now = this.clock();
    try {
      // The whole group is one transaction: either every record in it is durable or none is.
      await this.warehouse.commit({
        events: group.events,
        identifies: group.identifies,
        rejections: group.rejections,
        rejectedAt: now,
        rejectionSource: 'http',
      });
      for (const e of group.events) this.dedup.add(e.messageId, now);
      for (const i of group.identifies) this.dedup.add(i.messageId, now);
      this.dedup.expire(now);
      group.resolve();
      if (group.events.length > 0) for (const l of this.listeners) l(group.events.length);
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
  }
}
