import type { LinkPlan, StoredLink } from '../../core/events/identity-links.ts';
import { PROFILE_COLUMNS } from '../../core/profile/columns.ts';
import type { SqlDialect } from '../../core/sql/dialect.ts';
import { inList, jsonList } from './id-list.ts';
import type { WarehouseTx } from './warehouse-tx.ts';

const idList = (ids: Iterable<string>): string => JSON.stringify([...new Set(ids)]);
const IN_LIST = `(SELECT unnest(from_json($1, '["VARCHAR"]')))`;

/** Whether any link is stored (while none is, a commit skips every identity lookup). */
export const anyLinks = async (tx: Pick<WarehouseTx, 'query'>): Promise<boolean> =>
  (
    await tx.query<{ n: number }>('SELECT count(*)::INTEGER AS n FROM (SELECT 1 FROM identity_links LIMIT 1)')
  )[0]?.n === 1;

/** Every stored link of the trees these ids belong to (whole trees, for `planLinks`). */
export const treesOf = async (tx: WarehouseTx, ids: readonly string[]): Promise<StoredLink[]> => {
  const rows = await tx.query<{ alias_id: string; linked_to: string; canonical_id: string }>(
    `WITH roots AS (
       SELECT canonical_id AS id FROM identity_links WHERE alias_id IN ${IN_LIST}
       UNION SELECT unnest(from_json($1, '["VARCHAR"]')))
     SELECT alias_id, linked_to, canonical_id FROM identity_links WHERE canonical_id IN (SELECT id FROM roots)`,
    [idList(ids)],
  );
  return rows.map((r) => ({ aliasId: r.alias_id, linkedTo: r.linked_to, canonicalId: r.canonical_id }));
};

/**
 * The ids among these that were sent as a `userId` (never linked implicitly): an event stored
 * under the id that was not its anonymousId, or traits stored under it while it never sent an
 * event as an anonymousId. (An identify without traits leaves no trace, so it does not count.)
 */
export const knownUsersAmong = async (tx: WarehouseTx, ids: readonly string[]): Promise<Set<string>> => {
  if (ids.length === 0) return new Set();
  const rows = await tx.query<{ id: string }>(
    `WITH c AS (SELECT unnest(from_json($1, '["VARCHAR"]')) AS id)
     SELECT id FROM c
     WHERE EXISTS (SELECT 1 FROM events e WHERE e.user_id = c.id AND e.anonymous_id IS DISTINCT FROM c.id)
        OR (EXISTS (SELECT 1 FROM profile_history h WHERE h.user_id = c.id)
            AND NOT EXISTS (SELECT 1 FROM events e WHERE e.anonymous_id = c.id))`,
    [idList(ids)],
  );
  return new Set(rows.map((r) => r.id));
};

/** The canonical id of each of these ids that is an alias. */
export const canonicalOf = async (tx: WarehouseTx, ids: Iterable<string>): Promise<Map<string, string>> => {
  const rows = await tx.query<{ alias_id: string; canonical_id: string }>(
    `SELECT alias_id, canonical_id FROM identity_links WHERE alias_id IN ${IN_LIST}`,
    [idList(ids)],
  );
  return new Map(rows.map((r) => [r.alias_id, r.canonical_id]));
};

const cols = PROFILE_COLUMNS.map((c) => c.name);

/**
 * Stores the plan's links and moves the merged ids' data to their canonical id, inside the
 * caller's transaction: events, trait history, survey answers, warning state and forgotten push
 * tokens are rewritten; the old score rows are deleted (the next scoring run computes the merged
 * user); the old profile is folded into the canonical one (the canonical's known values win,
 * first_seen is the earlier) and deleted. Sent-message history (message_facts, conversions,
 * plan decisions, snapshots) keeps the id it was sent to.
 */
export const applyLinkPlan = async (tx: WarehouseTx, plan: LinkPlan): Promise<void> => {
  if (plan.links.length === 0) return;
  await tx.run('CREATE OR REPLACE TEMP TABLE identity_merge (from_id VARCHAR, to_id VARCHAR)');
  await tx.append(
    'identity_merge',
    (a) => {
      for (const m of plan.merges) {
        a.varchar(m.from);
        a.varchar(m.to);
        a.end();
      }
    },
    { temp: true },
  );
  const merge = 'temp.identity_merge';
  await tx.run(
    `UPDATE identity_links SET canonical_id = m.to_id FROM ${merge} m WHERE identity_links.canonical_id = m.from_id`,
  );
  await tx.append('identity_links', (a) => {
    for (const l of plan.links) {
      a.varchar(l.aliasId);
      a.varchar(l.linkedTo);
      a.varchar(l.canonicalId);
      a.varchar(l.via);
      a.varchar(l.messageId);
      a.timestamp(l.ts);
      a.end();
    }
  });
  for (const table of ['events', 'profile_history', 'churn_reasons', 'forgotten_push_tokens']) {
    await tx.run(`UPDATE ${table} SET user_id = m.to_id FROM ${merge} m WHERE ${table}.user_id = m.from_id`);
  }
  // A rule that warns both ids warns the merged user once (the canonical's spell is kept).
  await tx.run(
    `DELETE FROM warning_state WHERE EXISTS (
       SELECT 1 FROM ${merge} m JOIN warning_state w ON w.user_id = m.to_id
       WHERE m.from_id = warning_state.user_id AND w.rule_id = warning_state.rule_id)`,
  );
  await tx.run(
    `UPDATE warning_state SET user_id = m.to_id FROM ${merge} m WHERE warning_state.user_id = m.from_id`,
  );
  for (const table of ['user_scores', 'churn_risk_reasons']) {
    await tx.run(`DELETE FROM ${table} WHERE user_id IN (SELECT from_id FROM ${merge})`);
  }
  const list = cols.join(', ');
  const keepCanonical = cols.map((c) => `${c} = coalesce(profiles.${c}, excluded.${c})`).join(', ');
  const fold = `ON CONFLICT (user_id) DO UPDATE SET ${keepCanonical},
         traits = json_merge_patch(coalesce(excluded.traits, '{}'), coalesce(profiles.traits, '{}')),
         first_seen = least(profiles.first_seen, excluded.first_seen),
         updated_at = greatest(profiles.updated_at, excluded.updated_at)`;
  // A canonical id that absorbs one id in this plan (nearly always) is folded for the whole plan in
  // one statement (one per merge cost ~8 ms each); one that absorbs several folds them one at a
  // time, in the plan's order, so the earlier merged profile keeps precedence as before.
  const absorbed = new Map<string, number>();
  for (const m of plan.merges) absorbed.set(m.to, (absorbed.get(m.to) ?? 0) + 1);
  const single = plan.merges.filter((m) => absorbed.get(m.to) === 1);
  if (single.length > 0) {
    await tx.run(
      `INSERT INTO profiles (user_id, ${list}, traits, first_seen, updated_at)
       SELECT m.to_id, ${cols.map((c) => `p.${c}`).join(', ')}, p.traits, p.first_seen, p.updated_at
       FROM profiles p JOIN (SELECT unnest(from_json($1, '["VARCHAR"]')) AS from_id,
                                    unnest(from_json($2, '["VARCHAR"]')) AS to_id) m ON p.user_id = m.from_id
       ${fold}`,
      [JSON.stringify(single.map((m) => m.from)), JSON.stringify(single.map((m) => m.to))],
    );
    await tx.run(`DELETE FROM profiles WHERE user_id IN ${IN_LIST}`, [idList(single.map((m) => m.from))]);
  }
  for (const m of plan.merges.filter((x) => absorbed.get(x.to) !== 1)) {
    await tx.run(
      `INSERT INTO profiles (user_id, ${list}, traits, first_seen, updated_at)
       SELECT $2, ${list}, traits, first_seen, updated_at FROM profiles WHERE user_id = $1
       ${fold}`,
      [m.from, m.to],
    );
    await tx.run('DELETE FROM profiles WHERE user_id = $1', [m.from]);
  }
  await tx.run(`DROP TABLE ${merge}`);
};

/** The canonical id of each of these ids that is an alias, read outside any transaction (either engine). */
export const canonicalIdsIn = async (
  warehouse: { query: WarehouseTx['query']; dialect?: SqlDialect },
  ids: readonly string[],
): Promise<Map<string, string>> => {
  if (ids.length === 0) return new Map();
  const rows = await warehouse.query<{ alias_id: string; canonical_id: string }>(
    `SELECT alias_id, canonical_id FROM identity_links WHERE alias_id IN (${inList('$1', warehouse.dialect)})`,
    [jsonList([...new Set(ids)])],
  );
  return new Map(rows.map((r) => [r.alias_id, r.canonical_id]));
};
