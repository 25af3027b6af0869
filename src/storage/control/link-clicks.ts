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

/**
 * Many links at once (the click path batches the codes that arrive together): one round trip
 * for all of them, keyed by code; a code with no link is absent from the map.
 */
export const findLinkTargets = async (
  db: SqlClient,
  codes: readonly string[],
): Promise<Map<string, LinkTarget>> => {
  const out = new Map<string, LinkTarget>();
  for (let i = 0; i < codes.length; i += 1000) {
    const rows = await db.query<TargetRow & { code: string }>(
      `SELECT s.code, s.url, s.workspace_id, s.idempotency_key, o.campaign_id, o.run_id, o.step, o.variant, o.user_id, o.channel
         FROM short_links s LEFT JOIN outbox o ON o.idempotency_key = s.idempotency_key
        WHERE s.code = ANY($1::text[])`,
      [codes.slice(i, i + 1000)],
    );
    for (const r of rows)
      out.set(r.code, {
        url: r.url,
        workspaceId: r.workspace_id,
        idempotencyKey: r.idempotency_key,
        message: messageOf(r),
      });
  }
  return out;
};

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

/** `n` fresh `link_clicks` ids, ascending, from the table's own sequence (shared with plain inserts). */
export const reserveClickIds = async (db: SqlClient, n: number): Promise<number[]> => {
  const rows = await db.query<{ id: string | number }>(
    "SELECT nextval('link_clicks_id_seq') AS id FROM generate_series(1, $1::int)",
    [n],
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
};

/**
 * Moves the id sequence past every stored click. A sequence's advance is written ahead lazily
 * (PostgreSQL logs it only with a later commit), so after a crash it may hand out ids that
 * journaled clicks already hold; called once the journal is replayed, before new ids are taken.
 */
export const raiseClickIdSequence = async (db: SqlClient): Promise<void> => {
  await db.query(
    `SELECT setval('link_clicks_id_seq',
       GREATEST((SELECT COALESCE(max(id), 0) FROM link_clicks), (SELECT last_value FROM link_clicks_id_seq), 1))`,
  );
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
  // Array parameters, not a VALUES list: one statement text whatever the count, and cheaper to run.
  for (let i = 0; i < first.length; i += 5000) {
    const chunk = first.slice(i, i + 5000);
    const inserted = await tx.query<{ idempotency_key: string }>(
      `INSERT INTO message_first_clicks (idempotency_key, workspace_id, at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
      [
        chunk.map((c) => c.idempotencyKey),
        chunk.map((c) => c.workspaceId),
        chunk.map((c) => new Date(c.at).toISOString()),
      ],
    );
    for (const r of inserted) out.add(r.idempotency_key);
  }
  return out;
};

/** A workspace's secret if it exists; never creates one (it is kept, sealed, with the others). */
export { existingWorkspaceSecret } from './workspace-secrets.ts';

/**
 * Journaled clicks in ONE statement (atomic without a transaction): every click into
 * `link_clicks` under its reserved id, the first click of each message not yet marked into
 * `message_first_clicks`, and a `clicked` message-log entry for each mark that is new. Storing
 * the same clicks again changes nothing. One round trip instead of five (BEGIN, three inserts,
 * COMMIT): on PGlite each costs about a millisecond of the event loop whatever its size.
 */
export const storeClicksOnce = async (
  db: SqlClient,
  clicks: readonly (LinkClick & { id: number; message: LinkTarget['message'] })[],
): Promise<void> => {
  for (let i = 0; i < clicks.length; i += 5000) {
    const chunk = clicks.slice(i, i + 5000);
    const firsts = new Map<string, LinkClick & { message: NonNullable<LinkTarget['message']> }>();
    for (const c of chunk)
      if (c.message && !firsts.has(c.idempotencyKey))
        firsts.set(c.idempotencyKey, { ...c, message: c.message });
    const f = [...firsts.values()];
    await db.query(
      `WITH ins AS (
         INSERT INTO link_clicks (id, code, workspace_id, idempotency_key, at, ua_family, ip_hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
         ON CONFLICT (id) DO NOTHING
       ), firsts AS (
         SELECT * FROM unnest($8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::text[],
                              $14::text[], $15::text[], $16::text[], $17::jsonb[])
           AS f(idempotency_key, workspace_id, at, campaign_id, run_id, step, variant, user_id, channel, properties)
       ), fresh AS (
         INSERT INTO message_first_clicks (idempotency_key, workspace_id, at)
         SELECT idempotency_key, workspace_id, at FROM firsts
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING idempotency_key
       )
       INSERT INTO message_log (workspace_id, idempotency_key, campaign_id, run_id, step, variant, user_id, channel,
                                kind, at, properties)
       SELECT f.workspace_id, f.idempotency_key, f.campaign_id, f.run_id, f.step, f.variant, f.user_id, f.channel,
              'clicked', f.at, f.properties
         FROM firsts f JOIN fresh USING (idempotency_key)`,
      [
        chunk.map((c) => c.id),
        chunk.map((c) => c.code),
        chunk.map((c) => c.workspaceId),
        chunk.map((c) => c.idempotencyKey),
        chunk.map((c) => new Date(c.at).toISOString()),
        chunk.map((c) => c.uaFamily),
        chunk.map((c) => c.ipHash),
        f.map((c) => c.idempotencyKey),
        f.map((c) => c.workspaceId),
        f.map((c) => new Date(c.at).toISOString()),
        f.map((c) => c.message.campaignId),
        f.map((c) => c.message.runId),
        f.map((c) => c.message.step),
        f.map((c) => c.message.variant),
        f.map((c) => c.message.userId),
        f.map((c) => c.message.channel),
        f.map((c) => JSON.stringify({ code: c.code, uaFamily: c.uaFamily })),
      ],
    );
  }
};
