import { appendMessageLog, type MessageLogEntry } from '../storage/control/message-log.ts';
import {
  insertLinkClicks,
  markFirstClicks,
  type LinkClick,
  type LinkTarget,
} from '../storage/control/link-clicks.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

interface Pending {
  click: LinkClick;
  message: LinkTarget['message'];
  resolve: () => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 2000;

/**
 * Stores clicks with group commit: a click waits for the transaction that holds it (so every
 * redirect answered has its click stored), and clicks that arrive while one commits share the
 * next, so a burst costs a few transactions rather than one per click. Each transaction writes
 * every click to `link_clicks` and, for a message clicked for the first time, its `clicked`
 * entry in the message log.
 */
export class ClickRecorder {
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

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.commit(batch);
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.running = null;
  }

  private async commit(batch: readonly Pending[]): Promise<void> {
    const firsts = new Map<string, Pending>();
    for (const p of batch)
      if (p.message && !firsts.has(p.click.idempotencyKey)) firsts.set(p.click.idempotencyKey, p);
    await this.db.transaction(async (tx) => {
      await insertLinkClicks(
        tx,
        batch.map((p) => p.click),
      );
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
    });
  }
}
