import type { Identification } from '../../core/events/identified-before.ts';
import type { StoredLink } from '../../core/events/identity-links.ts';
import type { ClickHouseDb } from './client.ts';

/**
 * What stitching reads from a ClickHouse warehouse (DuckDB: warehouse/identity-links.ts). Every
 * read of identity_links applies FINAL (the client's read setting), so a link moved by a later
 * pass is read at its latest version only.
 */

const unique = (ids: Iterable<string>): string[] => [...new Set(ids)];

/** Whether any link is stored. */
export const anyLinksIn = async (db: ClickHouseDb): Promise<boolean> =>
  (await db.query<{ n: number }>('SELECT count() AS n FROM (SELECT 1 FROM identity_links LIMIT 1)'))[0]?.n ===
  1;

/** Every stored link of the trees these ids belong to (whole trees, for `planLinks`). */
export const storedTreesOf = async (db: ClickHouseDb, ids: Iterable<string>): Promise<StoredLink[]> => {
  const asked = unique(ids);
  if (asked.length === 0) return [];
  const rows = await db.query<{ alias_id: string; linked_to: string; canonical_id: string }>(
    `SELECT alias_id, linked_to, canonical_id FROM identity_links
     WHERE canonical_id IN (
       SELECT canonical_id FROM identity_links WHERE alias_id IN {ids:Array(String)}
       UNION ALL SELECT arrayJoin({ids:Array(String)}))`,
    { ids: asked },
  );
  return rows.map((r) => ({ aliasId: r.alias_id, linkedTo: r.linked_to, canonicalId: r.canonical_id }));
};

/** The canonical id of each of these ids that is an alias. */
export const canonicalIdsOf = async (
  db: ClickHouseDb,
  ids: Iterable<string>,
): Promise<Map<string, string>> => {
  const asked = unique(ids);
  if (asked.length === 0) return new Map();
  const rows = await db.query<{ alias_id: string; canonical_id: string }>(
    'SELECT alias_id, canonical_id FROM identity_links WHERE alias_id IN {ids:Array(String)}',
    { ids: asked },
  );
  return new Map(rows.map((r) => [r.alias_id, r.canonical_id]));
};

/** When each id first showed it was sent as a userId, or as an anonymousId (identified-before.ts). */
export const identificationOf = async (
  db: ClickHouseDb,
  ids: Iterable<string>,
): Promise<Map<string, Identification>> => {
  const asked = unique(ids);
  const out = new Map<string, Identification>();
  if (asked.length === 0) return out;
  const rows = await db.query<{ id: string; kind: 'u' | 't' | 'a'; since: number }>(
    `SELECT user_id AS id, 'u' AS kind, toUnixTimestamp64Milli(min(received_at)) AS since FROM events
      WHERE user_id IN {ids:Array(String)} AND (anonymous_id IS NULL OR anonymous_id != user_id) GROUP BY user_id
     UNION ALL
     SELECT user_id AS id, 't' AS kind, toUnixTimestamp64Milli(min(received_at)) AS since FROM profile_history
      WHERE user_id IN {ids:Array(String)} GROUP BY user_id
     UNION ALL
     SELECT assumeNotNull(anonymous_id) AS id, 'a' AS kind, toUnixTimestamp64Milli(min(received_at)) AS since FROM events
      WHERE anonymous_id IN {ids:Array(String)} GROUP BY anonymous_id`,
    { ids: asked },
  );
  for (const r of rows) {
    const i = out.get(r.id) ?? { asUser: null, traits: null, asAnonymous: null };
    const since = Number(r.since);
    if (r.kind === 'u') i.asUser = since;
    else if (r.kind === 't') i.traits = since;
    else i.asAnonymous = since;
    out.set(r.id, i);
  }
  return out;
};
