import { words, type Words } from '../words.ts';

/**
 * Whether a dead letter may be put back into the outbox, and how, without ever reaching the user
 * twice (features.md F1, exactly once). Pure: the shell reads the facts.
 *
 * - Proof it arrived (a delivery receipt, a click, its in-app inbox entry): never again.
 * - The campaign was cancelled (or is gone): the operator stopped it; not sent after that.
 * - The user opted out: the opt-out stands.
 * - The provider may hold it (`pinned`: it timed out or answered 5xx before giving up): only
 *   that provider may take it again, with the same idempotency key, and only if it drops a
 *   repeated key; otherwise a retry could deliver it twice.
 */
export interface DeadLetterFacts {
  reason: string | null;
  campaignStatus: string | null;
  pinned: boolean;
  /** The pinned provider drops a repeated idempotency key. */
  providerDedupes: boolean;
  /** What proves it reached the user ('receipt', 'click', 'inbox'). */
  evidence: readonly string[];
}

export type RetryPlan = { ok: true; keepPin: boolean } | { ok: false; why: Words };

export const planRetry = (f: DeadLetterFacts): RetryPlan => {
  if (f.evidence.length > 0)
    return {
      ok: false,
      why: words(
        '已有送达证据（回执、点击或站内信），重发会让用户收到两次',
        `it reached the user after all (${f.evidence.join(', ')}); a retry would send it twice`,
      ),
    };
  if (f.campaignStatus === null || f.campaignStatus === 'cancelled' || f.reason === 'campaign_cancelled')
    return {
      ok: false,
      why: words(
        '任务已取消或不存在，不再发送',
        'its campaign was cancelled or is gone; nothing is sent for it',
      ),
    };
  if (f.reason === 'unsubscribed')
    return { ok: false, why: words('用户已退订，不能重发', 'the user opted out; it is not sent again') };
  if (f.pinned && !f.providerDedupes)
    return {
      ok: false,
      why: words(
        '服务商可能已收到这条消息，且不按幂等键去重；重发可能让用户收到两次',
        'the provider may already have it and does not drop repeated idempotency keys; a retry could send it twice',
      ),
    };
  return { ok: true, keepPin: f.pinned };
};
