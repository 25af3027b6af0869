import type { SqlClient } from './sql-client.ts';

/** A short link with the planned message it belongs to (null when no outbox row carries the key). */
export interface LinkTarget {
  url: string;
  workspaceId: string;
  idempotencyKey: string;
  message: {
    campaignId: string;
    runId: string;
    step: string;
    variant: string | null;
    userId: string;
    channel: string;
  } | null;
}

interface TargetRow {
  url: string;
  workspace_id: string;
  idempotency_key: string;
  campaign_id: string | null;
  run_id: string | null;
  step: string | null;
  variant: string | null;
  user_id: string | null;
  channel: string | null;
}

/** One round trip per click: the link and its message's outbox row together. */
export const findLinkTarget = async (db: SqlClient, code: string): Promise<LinkTarget | undefined> => {
  const rows = await db.query<TargetRow>(
    `SELECT s.url, s.workspace_id, s.idempotency_key, o.campaign_id, o.run_id, o.step, o.variant, o.user_id, o.channel
       FROM short_links s LEFT JOIN outbox o ON o.idempotency_key = s.idempotency_key
      WHERE s.code = $1`,
    [code],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    url: r.url,
    workspaceId: r.workspace_id,
    idempotencyKey: r.idempotency_key,
    message: messageOf(r),
  };
};

const messageOf = (r: Omit<TargetRow, 'url' | 'workspace_id' | 'idempotency_key'>): LinkTarget['message'] =>
  r.campaign_id !== null && r.run_id !== null && r.step !== null && r.user_id !== null && r.channel !== null
    ? {
        campaignId: r.campaign_id,
        runId: r.run_id,
        step: r.step,
        variant: r.variant,
        userId: r.user_id,
        channel: r.channel,
      }
    : null;

/** The outbox row of a message (what the unsubscribe link's log entry is about). */
export const findOutboxMessage = async (
  db: SqlClient,
  idempotencyKey: string,
): Promise<LinkTarget['message']> => {
  const rows = await db.query<Omit<TargetRow, 'url' | 'workspace_id' | 'idempotency_key'>>(
    'SELECT campaign_id, run_id, step, variant, user_id, channel FROM outbox WHERE idempotency_key = $1',
    [idempotencyKey],
  );
  const r = rows[0];
  return r ? messageOf(r) : null;
};

export interface LinkClick {
  code: string;
  workspaceId: string;
  idempotencyKey: string;
  /** Epoch ms. */
  at: number;
  uaFamily: string;
  ipHash: string | null;
}

const CLICK_COLUMNS = 6;

export const insertLinkClicks = async (tx: SqlClient, clicks: readonly LinkClick[]): Promise<void> => {
  for (let i = 0; i < clicks.length; i += 1000) {
    const chunk = clicks.slice(i, i + 1000);
    const params: unknown[] = [];
    const rows = chunk.map((c, r) => {
      params.push(
        c.code,
        c.workspaceId,
        c.idempotencyKey,
        new Date(c.at).toISOString(),
        c.uaFamily,
        c.ipHash,
      );
      const b = r * CLICK_COLUMNS;
      return `(${Array.from({ length: CLICK_COLUMNS }, (_, k) => `$${b + k + 1}`).join(', ')})`;
    });
    await tx.query(
      `INSERT INTO link_clicks (code, workspace_id, idempotency_key, at, ua_family, ip_hash) VALUES ${rows.join(', ')}`,
      params,
    );
  }
};

/**
 * Marks messages as clicked; returns the keys clicked for the first time (the ones whose
 * `clicked` log entry is still to be written). Each key appears at most once in `first`.
 */
export const markFirstClicks = async (
  tx: SqlClient,
  first: readonly { workspaceId: string; idempotencyKey: string; at: number }[],
): Promise<Set<string>> => {
  const out = new Set<string>();
  for (let i = 0; i < first.length; i += 1000) {
    const chunk = first.slice(i, i + 1000);
    const params: unknown[] = [];
    const rows = chunk.map((c, r) => {
      params.push(c.idempotencyKey, c.workspaceId, new Date(c.at).toISOString());
      return `($${r * 3 + 1}, $${r * 3 + 2}, $${r * 3 + 3})`;
    });
    const inserted = await tx.query<{ idempotency_key: string }>(
      `INSERT INTO message_first_clicks (idempotency_key, workspace_id, at) VALUES ${rows.join(', ')}
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
      params,
    );
    for (const r of inserted) out.add(r.idempotency_key);
  }
  return out;
};

/** A workspace's secret if it exists; never creates one (it is kept, sealed, with the others). */
export { existingWorkspaceSecret } from './workspace-secrets.ts';
