import type { SendOutcome } from '../../../core/delivery/message.ts';
import type { SqlClient } from '../../../storage/control/sql-client.ts';
import type { MasterKeys } from '../../../lib/secret-box.ts';
import { failed, type Failed } from './http-outcome.ts';
import {
  readToken,
  sealingKeys,
  tokenKey,
  withLockedToken,
  type StoredToken,
  type TokenCredential,
} from '../../../storage/control/provider-access-tokens.ts';

/**
 * A vendor access token (WeChat / WeCom `access_token`, FCM OAuth2) shared by every adapter
 * instance and every worker process that sends with the same credential. A WeChat fetch
 * invalidates the previous token and counts against a small daily quota (errcode 45009), so:
 * - one token per credential, stored (sealed) in the control database (storage/control/provider-access-tokens.ts);
 * - fetched only with the row locked, and only when no other holder fetched meanwhile;
 * - refreshed a few minutes before it expires, not after a send was refused;
 * - when the vendor refuses a token (`refused`), refetched only if the stored token is still the
 *   refused one (compare-and-swap): twenty sends refused together cause one fetch.
 * A process-wide cache sits in front, so a send does not read the database each time.
 */

export type TokenGrant = { value: string; expiresInMs: number };

/** Refresh this long before expiry (at most half the token's lifetime). */
export const REFRESH_BEFORE_MS = 5 * 60_000;

interface Slot {
  cached: StoredToken | null;
  /** The tail of this credential's in-process lock (a promise chain). */
  tail: Promise<unknown>;
}

// Per database (so tests with several databases in one process stay apart), then per credential.
const slots = new WeakMap<SqlClient, Map<string, Slot>>();

const slotOf = (db: SqlClient, key: string): Slot => {
  let byKey = slots.get(db);
  if (!byKey) slots.set(db, (byKey = new Map()));
  let slot = byKey.get(key);
  if (!slot) byKey.set(key, (slot = { cached: null, tail: Promise.resolve() }));
  return slot;
};

const locked = <T>(slot: Slot, fn: () => Promise<T>): Promise<T> => {
  const run = slot.tail.then(fn, fn);
  slot.tail = run.catch(() => undefined);
  return run;
};

export const isFresh = (t: StoredToken | null, now: number): t is StoredToken =>
  t !== null && now < t.expiresAt - Math.min(REFRESH_BEFORE_MS, (t.expiresAt - t.fetchedAt) / 2);

export class SharedAccessToken<E> {
  private readonly key: string;
  private readonly keys: MasterKeys;
  private readonly slot: Slot;

  constructor(
    private readonly db: SqlClient,
    credential: TokenCredential,
    /** The vendor call; an `E` (a failed outcome) is returned to the sender and not stored. */
    private readonly fetchToken: () => Promise<TokenGrant | E>,
    private readonly now: () => number,
  ) {
    this.key = tokenKey(credential);
    this.keys = sealingKeys(credential);
    this.slot = slotOf(db, this.key);
  }

  /** A token to send with: the cached one while fresh, else the stored one, else a new one. */
  async get(): Promise<{ value: string } | E> {
    if (isFresh(this.slot.cached, this.now())) return { value: this.slot.cached.value };
    return locked(this.slot, async () => {
      if (isFresh(this.slot.cached, this.now())) return { value: this.slot.cached.value };
      return this.load(null);
    });
  }

  /** The vendor refused `value` (WeChat 40001/40014/42001, FCM 401): a token other than it. */
  async refused(value: string): Promise<{ value: string } | E> {
    return locked(this.slot, async () => {
      const c = this.slot.cached;
      if (c !== null && c.value !== value && isFresh(c, this.now())) return { value: c.value };
      return this.load(value);
    });
  }

  /** Under the in-process lock: the stored token if usable, else one fetched under the row lock. */
  private async load(refusedValue: string | null): Promise<{ value: string } | E> {
    const usable = (t: StoredToken | null): t is StoredToken =>
      isFresh(t, this.now()) && t.value !== refusedValue;
    const seen = await readToken(this.db, this.key, this.keys);
    if (usable(seen)) return this.keep(seen);
    return withLockedToken(this.db, this.key, this.keys, async (current, store) => {
      // Another process may have fetched while this one waited for the lock.
      if (usable(current)) return this.keep(current);
      const fetchedAt = this.now();
      const grant = await this.fetchToken();
      if (!isGrant(grant)) return grant;
      const t = { value: grant.value, expiresAt: fetchedAt + grant.expiresInMs, fetchedAt };
      await store(t);
      return this.keep(t);
    });
  }

  private keep(t: StoredToken): { value: string } {
    this.slot.cached = t;
    return { value: t.value };
  }
}

const isGrant = (r: unknown): r is TokenGrant =>
  typeof r === 'object' && r !== null && 'value' in r && 'expiresInMs' in r;

/**
 * One send with a shared token: on `token_invalid` (the vendor refused the token) the token is
 * replaced — compare-and-swap, see `refused` — and the send tried exactly once more.
 */
export const sendWithToken = async (
  tokens: SharedAccessToken<Failed>,
  send: (token: string) => Promise<SendOutcome | 'token_invalid'>,
  vendor: string,
): Promise<SendOutcome> => {
  const first = await tokens.get();
  if ('kind' in first) return first;
  const once = await send(first.value);
  if (once !== 'token_invalid') return once;
  const next = await tokens.refused(first.value);
  if ('kind' in next) return next;
  const again = await send(next.value);
  return again === 'token_invalid'
    ? failed('same_provider', 'token_invalid', `${vendor}: a fresh access token was refused too`)
    : again;
};
