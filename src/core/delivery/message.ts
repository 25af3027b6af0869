import type { Channel, MessageClass } from '../channels/channels.ts';
import type { ChannelContent } from '../content/schema.ts';

/**
 * The contract between delivery workers and channel adapters (features.md F1/F2). A worker composes an
 * `OutgoingMessage` from an outbox row (content rendered for the user, links shortened, the
 * signed unsubscribe URL), hands it to the adapter of the channel's current provider and records
 * the `SendOutcome`. Adapters do the network I/O of one provider; everything they need arrives
 * here, so an adapter never reads the stores.
 */

/** The recipient's addresses, from the profile; an adapter uses the one its channel needs. */
export interface Recipient {
  userId: string;
  phone?: string | undefined;
  email?: string | undefined;
  pushToken?: string | undefined;
  /** WeChat Official Account open id (trait `wecom_openid`, kept for compatibility). */
  wecomOpenId?: string | undefined;
  /** WeCom (企业微信) member userid (trait `wecom_userid`). */
  wecomUserId?: string | undefined;
  timezone?: string | undefined;
}

export interface OutgoingMessage {
  /** The outbox key; every provider call carries it (header or field), so a retry is deduplicated. */
  idempotencyKey: string;
  workspaceId: string;
  campaignId: string;
  runId: string;
  step: string;
  variant: string | null;
  channel: Channel;
  class: MessageClass;
  recipient: Recipient;
  /** Rendered for this user, links already rewritten to short links. */
  content: ChannelContent;
  /** Signed one-click unsubscribe URL (absent for transactional messages). */
  unsubscribeUrl?: string | undefined;
}

/**
 * What a provider said. `retry` decides what the worker does next:
 * - `same_provider`: transient (timeout, 429, 5xx) — the provider may have received it, so only
 *   the same provider, with the same idempotency key, may be tried again;
 * - `next_provider`: the provider certainly did not take it (connection refused, explicit
 *   "not accepted", circuit open) — fail over;
 * - `later`: the provider did not take it and says when it may (a per-recipient limit such as
 *   "5 an hour to this number"): the same provider after `retryAfterMs`; not counted as an attempt;
 * - `never`: permanent (invalid number, no address, rejected content) — dead letter now.
 */
export type SendOutcome =
  | { kind: 'accepted'; providerMessageId: string }
  | {
      kind: 'failed';
      retry: 'same_provider' | 'next_provider' | 'later' | 'never';
      /** Short machine code, e.g. `http_503`, `timeout`, `no_address`, `vendor_isv.MOBILE_NUMBER_ILLEGAL`. */
      code: string;
      /** Human-readable, safe to store and show (no credentials, no full addresses). */
      reason: string;
      /** The provider asked to wait this long (e.g. `Retry-After`). */
      retryAfterMs?: number;
      /**
       * The address is gone for good (FCM `UNREGISTERED`): it is removed from the user's profile,
       * so the planner stops counting the user as reachable on the channel.
       */
      forgetAddress?: 'push_token';
    };

export interface ChannelAdapter {
  /** The configured provider's id (`providers.id`). */
  readonly providerId: string;
  readonly channel: Channel;
  send(message: OutgoingMessage, signal: AbortSignal): Promise<SendOutcome>;
  /**
   * One vendor call for several messages (Aliyun `SendBatchSms` when they share a template):
   * one outcome per message, in order. Absent: the worker calls `send` per message.
   */
  sendBatch?(messages: readonly OutgoingMessage[], signal: AbortSignal): Promise<readonly SendOutcome[]>;
  close?(): Promise<void>;
}

/** A provider as the worker sees it: its adapter, its send rate, its place in the failover order. */
export interface ProviderHandle {
  id: string;
  channel: Channel;
  /** Messages per second this provider allows (the worker's token bucket). */
  ratePerSecond: number;
  /** Lower first; the next one takes over on `next_provider`. */
  priority: number;
  /**
   * The provider drops a second call with an idempotency key it has seen (a vendor that says so,
   * or our own inbox). Only then may a message whose send was interrupted by a crash be sent
   * again; SMTP, FCM and plain webhooks do not, so such a message is reported `unknown` instead.
   */
  dedupesByKey?: boolean;
  adapter: ChannelAdapter;
}

/** Where workers get providers; the provider-config service implements it (encrypted secrets). */
export interface ProviderRegistry {
  /** Enabled providers of the channel in failover order (empty: the channel is not configured). */
  providersFor(workspaceId: string, channel: Channel): Promise<readonly ProviderHandle[]>;
}
