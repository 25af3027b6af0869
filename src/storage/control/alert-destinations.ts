import { randomBytes } from 'node:crypto';
import { urlHint } from '../../core/alerts/url-hint.ts';
import { openSecrets, sealSecrets, type MasterKeys } from '../../lib/secret-box.ts';
import { epochMs } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

/** Where alerts go (migration 011): the URL and the signing secret are stored sealed. */

export type DestinationKind = 'webhook' | 'wecom_robot';

export interface DestinationView {
  id: string;
  name: string;
  kind: DestinationKind;
  /** Scheme and host only; the URL itself is never returned. */
  urlHint: string;
  signed: boolean;
  createdAt: number;
}

/** A destination opened for sending: the URL and secret in clear, in memory only. */
export interface OpenDestination {
  id: string;
  kind: DestinationKind;
  url: string;
  secret: string | null;
}

const destinationView = (r: Record<string, unknown>): DestinationView => ({
  id: String(r['id']),
  name: String(r['name']),
  kind: r['kind'] as DestinationKind,
  urlHint: String(r['url_hint']),
  signed: r['secret_enc'] !== null,
  createdAt: epochMs(r['created_at']),
});

/** Null when the workspace has a destination of that name already. */
export const insertDestination = async (
  db: SqlClient,
  ws: string,
  keys: MasterKeys,
  d: { name: string; kind: DestinationKind; url: string; secret: string | null; at: number },
): Promise<DestinationView | null> => {
  const rows = await db.query(
    `INSERT INTO alert_destinations (id, workspace_id, name, kind, url_enc, url_hint, secret_enc, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workspace_id, name) DO NOTHING RETURNING *`,
    [
      `dst_${randomBytes(8).toString('hex')}`,
      ws,
      d.name,
      d.kind,
      sealSecrets(keys, { url: d.url }),
      urlHint(d.url),
      d.secret === null ? null : sealSecrets(keys, { secret: d.secret }),
      new Date(d.at),
    ],
  );
  return rows[0] ? destinationView(rows[0]) : null;
};

export const listDestinations = async (db: SqlClient, ws: string): Promise<DestinationView[]> =>
  (await db.query('SELECT * FROM alert_destinations WHERE workspace_id = $1 ORDER BY name', [ws])).map(
    destinationView,
  );

export const deleteDestination = async (db: SqlClient, ws: string, id: string): Promise<boolean> =>
  (
    await db.query('DELETE FROM alert_destinations WHERE workspace_id = $1 AND id = $2 RETURNING id', [
      ws,
      id,
    ])
  ).length > 0;

export const openDestinations = async (
  db: SqlClient,
  ws: string,
  keys: MasterKeys,
): Promise<Map<string, OpenDestination>> => {
  const rows = await db.query<{
    id: string;
    kind: DestinationKind;
    url_enc: string;
    secret_enc: string | null;
  }>('SELECT id, kind, url_enc, secret_enc FROM alert_destinations WHERE workspace_id = $1', [ws]);
  if (rows.length === 0) return new Map();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        kind: r.kind,
        url: String(openSecrets(keys, r.url_enc)['url']),
        secret: r.secret_enc === null ? null : String(openSecrets(keys, r.secret_enc)['secret']),
      },
    ]),
  );
};
