import type { SqlClient } from './sql-client.ts';

export interface ShortLink {
  code: string;
  workspaceId: string;
  idempotencyKey: string;
  url: string;
}

/** Saves links; a code already saved (the same message composed again) is left as it is. */
export const saveShortLinks = async (
  tx: SqlClient,
  links: readonly ShortLink[],
  at: number,
): Promise<void> => {
  for (let i = 0; i < links.length; i += 1000) {
    const chunk = links.slice(i, i + 1000);
    const params: unknown[] = [];
    const rows = chunk.map((l, r) => {
      params.push(l.code, l.workspaceId, l.idempotencyKey, l.url, new Date(at).toISOString());
      const b = r * 5;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
    });
    await tx.query(
      `INSERT INTO short_links (code, workspace_id, idempotency_key, url, created_at) VALUES ${rows.join(', ')}
       ON CONFLICT (code) DO NOTHING`,
      params,
    );
  }
};

export const findShortLink = async (db: SqlClient, code: string): Promise<ShortLink | undefined> => {
  const rows = await db.query<{ code: string; workspace_id: string; idempotency_key: string; url: string }>(
    'SELECT code, workspace_id, idempotency_key, url FROM short_links WHERE code = $1',
    [code],
  );
  const r = rows[0];
  return r && { code: r.code, workspaceId: r.workspace_id, idempotencyKey: r.idempotency_key, url: r.url };
};
