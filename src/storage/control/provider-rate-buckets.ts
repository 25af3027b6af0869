import type { SqlClient } from './sql-client.ts';

/**
 * The providers' shared token buckets (migration 025): `takeTokens` of
 * src/core/delivery/shared-rate-bucket.ts as one statement, on the database's clock, so every
 * process of the cluster refills from one time. One round trip per batch of tokens.
 */

export interface TokenTake {
  providerId: string;
  /** Tokens per second the bucket fills at (the plan's rate, headroom already taken off). */
  ratePerSecond: number;
  capacity: number;
  want: number;
  /**
   * The time to take at, epoch ms; by default the database's `now()` (the statement's start: it
   * runs alone, outside any transaction). Only tests pass one, to check the statement against the
   * pure maths at known times.
   */
  at?: number;
}

export interface TokensTaken {
  granted: number;
  /** Tokens left in the bucket after this take. */
  tokensLeft: number;
}

// The bucket's level at the take: the old row (`b`) refilled up to the take's time, which the
// INSERT's row carries as `excluded.refilled_at`. A time before the row's (the statement waited
// for the row while a later one wrote it) adds nothing, as in `refill`.
const LEVEL = `least($3::float8, b.tokens + $2::float8 * greatest(0::float8,
  extract(epoch FROM excluded.refilled_at - b.refilled_at)::float8))`;
// 1e-9: float rounding must not refuse a whole token (the same epsilon as the pure maths).
const GRANT = (level: string) => `least($4::integer, floor(${level} + 1e-9)::integer)`;

const TAKE = `
INSERT INTO provider_rate_buckets AS b (provider_id, rate_per_second, tokens, refilled_at, last_granted)
SELECT $1, $2::float8, greatest(0::float8, $3::float8 - ${GRANT('$3::float8')}), t.at, ${GRANT('$3::float8')}
  FROM (SELECT coalesce($5::timestamptz, now()) AS at) t
ON CONFLICT (provider_id) DO UPDATE SET
  rate_per_second = excluded.rate_per_second,
  tokens = greatest(0::float8, ${LEVEL} - ${GRANT(LEVEL)}),
  refilled_at = greatest(b.refilled_at, excluded.refilled_at),
  last_granted = ${GRANT(LEVEL)}
RETURNING last_granted AS granted, tokens AS tokens_left`;

/** Takes up to `want` tokens from the provider's bucket (created full on its first take). */
export const takeProviderTokens = async (
  db: Pick<SqlClient, 'query'>,
  t: TokenTake,
): Promise<TokensTaken> => {
  const [r] = await db.query<{ granted: number; tokens_left: number }>(TAKE, [
    t.providerId,
    t.ratePerSecond,
    t.capacity,
    t.want,
    t.at === undefined ? null : new Date(t.at),
  ]);
  if (r === undefined) throw new Error('taking rate tokens returned no row');
  return { granted: Number(r.granted), tokensLeft: Number(r.tokens_left) };
};

/** The provider's bucket as stored, for tests and operators; undefined before its first take. */
export const providerBucket = async (
  db: Pick<SqlClient, 'query'>,
  providerId: string,
): Promise<{ tokens: number; refilledAt: number; ratePerSecond: number } | undefined> => {
  const [r] = await db.query<{ tokens: number; refilled_at: Date; rate_per_second: number }>(
    'SELECT tokens, refilled_at, rate_per_second FROM provider_rate_buckets WHERE provider_id = $1',
    [providerId],
  );
  return r === undefined
    ? undefined
    : {
        tokens: Number(r.tokens),
        refilledAt: r.refilled_at.getTime(),
        ratePerSecond: Number(r.rate_per_second),
      };
};
