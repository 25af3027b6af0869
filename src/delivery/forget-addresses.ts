import type { OutgoingMessage, SendOutcome } from '../core/delivery/message.ts';
import { forgetPushTokens, type RefusedPushToken } from '../storage/warehouse/forgotten-push-tokens.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import type { Recorded } from '../outbox/record.ts';

/**
 * Addresses a provider declared gone for good (FCM `UNREGISTERED`) leave the user's profile, so
 * the planner stops counting the user as reachable on the channel and no later campaign pays for
 * a message that cannot arrive.
 */

/** What a `Recorded` carries when the outcome says to forget the address the message went to. */
export const forgetting = (
  outcome: SendOutcome,
  message: OutgoingMessage,
): Pick<Recorded, 'forgetAddress' | 'refusedAddress'> => {
  if (outcome.kind !== 'failed' || outcome.forgetAddress === undefined) return {};
  const refused = message.recipient.pushToken;
  return refused === undefined ? {} : { forgetAddress: outcome.forgetAddress, refusedAddress: refused };
};

/** The push tokens of a wave that their provider refused for good, once each. */
export const refusedPushTokens = (results: readonly Recorded[]): RefusedPushToken[] => {
  const seen = new Map<string, RefusedPushToken>();
  for (const r of results)
    if (r.forgetAddress === 'push_token' && r.refusedAddress !== undefined)
      seen.set(`${r.row.userId}\u0000${r.refusedAddress}`, {
        userId: r.row.userId,
        pushToken: r.refusedAddress,
      });
  return [...seen.values()];
};

/**
 * Clears the wave's refused push tokens from the warehouse profiles (only where the profile
 * still holds the refused token). Runs after the outcomes are recorded and never throws: a
 * failure here is logged and leaves the outcomes as written (the token is refused again, and
 * cleared then, the next time a message goes to it). Returns how many profiles lost a token.
 */
/**
 * The warehouse as forgetting needs it: the DuckDB statements run in one transaction; the
 * ClickHouse warehouse forgets through its own method (its profiles are a view over appended
 * state, ClickHouseWarehouse.forgetPushTokens), which it must then have.
 */
export type ForgettingWarehouse = WarehouseSql & {
  forgetPushTokens?(tokens: readonly RefusedPushToken[], now: number): Promise<number>;
};

export const forgetRefusedAddresses = async (
  warehouse: ForgettingWarehouse,
  results: readonly Recorded[],
  now: number,
  log: (message: string, error: unknown) => void,
): Promise<number> => {
  const tokens = refusedPushTokens(results);
  if (tokens.length === 0) return 0;
  try {
    if (warehouse.dialect.name === 'clickhouse') {
      if (warehouse.forgetPushTokens === undefined)
        throw new Error('this ClickHouse warehouse cannot forget push tokens');
      return await warehouse.forgetPushTokens(tokens, now);
    }
    return await warehouse.transaction((tx) => forgetPushTokens(tx, tokens, now));
  } catch (e) {
    log(`clearing ${tokens.length} refused push token(s) failed; the outcomes are recorded`, e);
    return 0;
  }
};
