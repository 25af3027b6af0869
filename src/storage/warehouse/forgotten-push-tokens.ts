import type { ForgottenPushToken } from '../../core/profile/forgotten-push-tokens.ts';
import type { SqlParam, WarehouseTx } from './warehouse-tx.ts';

/** A push token to clear: the user's, as the provider refused it. */
export interface RefusedPushToken {
  userId: string;
  pushToken: string;
}

type Query = <T>(sql: string, params?: SqlParam[]) => Promise<T[]>;

/** The forgotten push tokens of these users (one query; none when no user is given). */
export const forgottenPushTokensOf = async (
  query: Query,
  userIds: readonly string[],
): Promise<ForgottenPushToken[]> => {
  if (userIds.length === 0) return [];
  const rows = await query<{ user_id: string; push_token: string; profile_ms: number | null }>(
    `SELECT user_id, push_token, epoch_ms(profile_ts)::DOUBLE AS profile_ms FROM forgotten_push_tokens
     WHERE user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
    [JSON.stringify([...new Set(userIds)])],
  );
  return rows.map((r) => ({ userId: r.user_id, pushToken: r.push_token, profileMs: r.profile_ms }));
};

/**
 * Clears refused push tokens from the profiles, only where the stored token is still the refused
 * one (a token the app registered meanwhile stays), and keeps each refused token so that no
 * identify call applied later brings it back (see core/profile/forgotten-push-tokens.ts).
 * Returns how many profiles lost their token.
 */
export const forgetPushTokens = async (
  tx: WarehouseTx,
  tokens: readonly RefusedPushToken[],
  now: number,
): Promise<number> => {
  let cleared = 0;
  const at = new Date(now).toISOString();
  for (const t of tokens) {
    await tx.run(
      `INSERT INTO forgotten_push_tokens
       SELECT $1, $2, (SELECT updated_at FROM profiles WHERE user_id = $1), $3::TIMESTAMP
       WHERE NOT EXISTS (SELECT 1 FROM forgotten_push_tokens WHERE user_id = $1 AND push_token = $2)`,
      [t.userId, t.pushToken, at],
    );
    cleared += await tx.run(
      `UPDATE profiles SET push_token = NULL,
         traits = json_merge_patch(coalesce(traits, '{}'), '{"push_token":null}')
       WHERE user_id = $1 AND push_token = $2`,
      [t.userId, t.pushToken],
    );
  }
  return cleared;
};
