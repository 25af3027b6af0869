import { appendMessageLog, type MessageLogEntry } from '../storage/control/message-log.ts';
import {
  insertLinkClicks,
  markFirstClicks,
  type LinkClick,
  type LinkTarget,
} from '../storage/control/link-clicks.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/** A click to store with the message its link belongs to (null: no outbox row carries the key). */
export interface ClickToStore {
  click: LinkClick;
  message: LinkTarget['message'];
}

/** Where the click path puts a click; the promise resolves once the click survives a crash. */
export interface ClickSink {
  record(click: LinkClick, message: LinkTarget['message']): Promise<void>;
  /** Resolves when every click recorded so far is in the control plane (shutdown, tests). */
  idle(): Promise<void>;
  /** Stops taking clicks after storing what was recorded (the server's close). */
  close(): Promise<void>;
}

/**
 * Writes clicks in the caller's transaction: every click to `link_clicks` and, for a message
 * clicked for the first time, its `clicked` entry in the message log.
 */
export const storeClicks = async (tx: SqlClient, batch: readonly ClickToStore[]): Promise<void> => {
  if (batch.length === 0) return;
  await insertLinkClicks(
    tx,
    batch.map((p) => p.click),
  );
  const firsts = new Map<string, ClickToStore>();
  for (const p of batch)
    if (p.message && !firsts.has(p.click.idempotencyKey)) firsts.set(p.click.idempotencyKey, p);
  if (firsts.size === 0) return;
  const fresh = await markFirstClicks(
    tx,
    [...firsts.values()].map((p) => ({
      workspaceId: p.click.workspaceId,
      idempotencyKey: p.click.idempotencyKey,
      at: p.click.at,
    })),
  );
  const entries: MessageLogEntry[] = [];
  for (const key of fresh) {
    const p = firsts.get(key);
    if (!p?.message) continue;
    entries.push({
      workspaceId: p.click.workspaceId,
      idempotencyKey: key,
      ...p.message,
      kind: 'clicked',
      at: p.click.at,
      properties: { code: p.click.code, uaFamily: p.click.uaFamily },
    });
  }
  await appendMessageLog(tx, entries);
};

interface Pending extends ClickToStore {
  resolve: () => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 2000;

/**
 * Stores clicks straight in the control plane with group commit: a click waits for the
 * transaction that holds it, and clicks that arrive while one commits share the next. Used where
 * this process owns no data directory to journal in (a cluster on PostgreSQL, an in-memory
 * control plane); otherwise `ClickJournal` takes the clicks (click-journal.ts).
 */
export class ClickRecorder implements ClickSink {
  private pending: Pending[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly db: SqlClient) {}

  record(click: LinkClick, message: LinkTarget['message']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ click, message, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves when nothing is waiting (used on shutdown and by tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  close(): Promise<void> {
    return this.idle();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.db.transaction((tx) => storeClicks(tx, batch));
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.running = null;
  }
}
