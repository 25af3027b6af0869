import type { PlanResult } from '../core/planner/types.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import { copyOutboxCsv } from '../storage/control/outbox.ts';
import { csvRow, type SqlClient } from '../storage/control/sql-client.ts';

/** Rows per COPY: bounds the text held in memory at once. */
const CHUNK = 100_000;

/**
 * The planned messages into the outbox, inside the planner's transaction, with COPY (a 1 M slot
 * writes hundreds of thousands of rows). The idempotency key is the primary key: the planner's
 * lock and its re-check make a key new here, so a duplicate is a bug and aborts the whole plan
 * rather than being silently dropped.
 */
export const writeOutbox = async (
  tx: SqlClient,
  workspaceId: string,
  result: PlanResult,
  campaigns: readonly CampaignRecord[],
  at: number,
): Promise<number> => {
  const classOf = new Map(campaigns.map((c) => [c.id, c.definition.class]));
  const created = new Date(at).toISOString();
  // A slot's messages share a handful of send times (the slot, the ends of quiet hours).
  const iso = new Map<number, string>();
  const isoOf = (ms: number) => {
    let s = iso.get(ms);
    if (s === undefined) iso.set(ms, (s = new Date(ms).toISOString()));
    return s;
  };
  for (let i = 0; i < result.messages.length; i += CHUNK) {
    let csv = '';
    for (const m of result.messages.slice(i, i + CHUNK)) {
      // In OUTBOX_COLUMNS order (storage/control/outbox.ts).
      csv += csvRow([
        m.idempotencyKey,
        workspaceId,
        m.campaignId,
        m.runId,
        m.step,
        m.userId,
        m.channel,
        classOf.get(m.campaignId) ?? 'marketing',
        m.variant,
        isoOf(m.sendAt),
        m.costCents,
        created,
      ]);
    }
    await copyOutboxCsv(tx, csv);
  }
  return result.messages.length;
};
