import type { EventRow, IngestSource } from '../../core/events/rows.ts';
import { PROFILE_COLUMNS } from '../../core/profile/columns.ts';
import type {
  ReferenceData,
  ReferenceHistory,
  ReferenceProfile,
  ReferenceScores,
} from '../../core/audience/reference-evaluator.ts';
import { SCORE_NAMES } from '../../core/audience/schema.ts';
import { numberOrNull as num, textOrNull as str } from '../row-values.ts';
import type { Warehouse } from './warehouse.ts';
import { storedJsonObject } from './js-values.ts';

/**
 * Reads a whole (small) warehouse into the shape the reference evaluator takes. For tests and
 * for checking a compiled audience by hand on a sample database; never for production sizes.
 */
export const loadReferenceData = async (warehouse: Warehouse): Promise<ReferenceData> => {
  const columnSql = PROFILE_COLUMNS.map((c) =>
    c.kind === 'timestamp' ? `epoch_ms(${c.name}) AS ${c.name}` : c.name,
  ).join(', ');
  const profileRows = await warehouse.query(
    `SELECT user_id, ${columnSql}, CAST(traits AS VARCHAR) AS traits,
            epoch_ms(first_seen) AS first_seen, epoch_ms(updated_at) AS updated_at
     FROM profiles ORDER BY user_id`,
  );
  const profiles: ReferenceProfile[] = profileRows.map((r) => {
    const columns: Record<string, string | number | boolean | null> = {
      user_id: String(r['user_id']),
      first_seen: num(r['first_seen']),
      updated_at: num(r['updated_at']),
    };
    for (const c of PROFILE_COLUMNS) {
      const v = r[c.name];
      columns[c.name] =
        v === null || v === undefined
          ? null
          : c.kind === 'timestamp' || c.kind === 'number'
            ? Number(v)
            : c.kind === 'boolean'
              ? Boolean(v)
              : String(v);
    }
    const traits = str(r['traits']);
    return {
      userId: String(r['user_id']),
      columns,
      traits: storedJsonObject(traits),
    };
  });

  const eventRows = await warehouse.query(
    `SELECT message_id, user_id, anonymous_id, event, epoch_ms(ts) AS ts, epoch_ms(received_at) AS received_at,
            amount, currency, product_id, category, order_id, platform,
            CAST(properties AS VARCHAR) AS properties, source
     FROM events ORDER BY user_id, ts, message_id`,
  );
  const events: EventRow[] = eventRows.map((r) => ({
    messageId: String(r['message_id']),
    userId: String(r['user_id']),
    anonymousId: str(r['anonymous_id']),
    event: String(r['event']),
    ts: Number(r['ts']),
    receivedAt: Number(r['received_at']),
    amount: num(r['amount']),
    currency: str(r['currency']),
    productId: str(r['product_id']),
    category: str(r['category']),
    orderId: str(r['order_id']),
    platform: str(r['platform']),
    properties: str(r['properties']) ?? '{}',
    source: String(r['source']) as IngestSource,
  }));

  const historyRows = await warehouse.query(
    `SELECT user_id, attribute, CAST(value AS VARCHAR) AS value, epoch_ms(valid_from) AS valid_from,
            epoch_ms(received_at) AS received_at, message_id
     FROM profile_history`,
  );
  const history: ReferenceHistory[] = historyRows.map((r) => ({
    userId: String(r['user_id']),
    attribute: String(r['attribute']),
    value: r['value'] === null ? null : (JSON.parse(String(r['value'])) as unknown),
    validFrom: Number(r['valid_from']),
    receivedAt: Number(r['received_at']),
    messageId: String(r['message_id']),
  }));

  const scoreRows = await warehouse.query(
    `SELECT * REPLACE (epoch_ms(computed_at) AS computed_at) FROM user_scores`,
  );
  const scores: ReferenceScores[] = scoreRows.map((r) => {
    const s: ReferenceScores = { userId: String(r['user_id']) };
    for (const name of SCORE_NAMES) {
      const v = r[name];
      s[name] = v === null || v === undefined ? null : typeof v === 'string' ? v : Number(v);
    }
    return s;
  });

  return { profiles, events, history, scores };
};
