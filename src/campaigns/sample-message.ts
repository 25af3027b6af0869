import { audienceMemberIds } from '../audience/saved-audiences.ts';
import { composeExtensions } from '../automation/compose-extensions.ts';
import { maskEmail, maskPhone } from '../core/audience/mask.ts';
import type { Clock } from '../core/clock.ts';
import type { RenderOptions, TemplateSample } from '../core/content/index.ts';
import { issueOffer, type IssuedOffer } from '../core/offers/index.ts';
import { memberOffer } from '../core/campaigns/variant-offer.ts';
import { skipReasonOf } from '../delivery/compose-skip.ts';
import { extensionScopes, messageRender, templateUser, type ComposeExtension } from '../delivery/compose.ts';
import type { ClaimedRow } from '../outbox/claim.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import { getPolicy } from '../storage/control/planner-settings.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { orderHistories } from '../storage/warehouse/planner-inputs.ts';
import { profilesByIds } from '../storage/warehouse/profiles-by-id.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * One sample recipient's message input, built on delivery's path (`messageRender`): the profile
 * as the composer reads it (contacts masked: operators look at it), the offer as it would be
 * issued, the compose extensions' names (the best item), and the recipient's time zone. The
 * campaign preview and the content gate (submit, approval) both render with it, so what they
 * show and check is what the recipient gets.
 */

export interface SampleContext {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
  /** Default: delivery's (`composeExtensions`). */
  extensions?: readonly ComposeExtension[];
}

export interface SampleMessage {
  /** null: the audience had no members, and the render used no profile. */
  userId: string | null;
  /** The user exists in the warehouse. */
  found: boolean;
  offer: IssuedOffer | null;
  sample: TemplateSample;
  options: RenderOptions;
  /** Set when delivery would not send to this user (e.g. `no_recommendation`). */
  skipped: string | null;
}

/** Codes shown in previews are not real: they are derived with this secret. */
export const PREVIEW_SECRET = 'preview-not-a-real-code';

/** The first member of the campaign's audience now, if any. */
export const firstMember = async (
  ctx: SampleContext,
  c: CampaignRecord,
  now: number,
): Promise<string | undefined> =>
  (await audienceMemberIds(ctx, c.workspaceId, c.definition.audienceId, now))?.[0];

const previewRow = (c: CampaignRecord, userId: string, now: number): ClaimedRow => ({
  idempotencyKey: `preview:${c.id}:${userId}`,
  workspaceId: c.workspaceId,
  campaignId: c.id,
  runId: 'preview',
  step: '0',
  userId,
  channel: c.definition.channels[0] ?? 'sms',
  class: c.definition.class,
  variant: null,
  sendAt: now,
  costCents: 0,
  attempts: 0,
  providerId: null,
  pinned: false,
  payload: null,
  claimToken: 'preview',
  startedAt: null,
});

export const sampleMessage = async (
  ctx: SampleContext,
  c: CampaignRecord,
  userId: string | null,
  now: number,
): Promise<SampleMessage> => {
  const defaultTimezone = (await getPolicy(ctx.control, c.workspaceId)).policy.defaultTimezone;
  if (userId === null) {
    const { sample, options } = messageRender({
      userId: '',
      profile: { user_id: '' },
      campaign: c,
      extra: undefined,
      payload: null,
      offer: undefined,
      now,
      defaultTimezone,
    });
    return { userId: null, found: false, offer: null, sample, options, skipped: null };
  }
  const [row] = await profilesByIds(ctx.warehouse, [userId]);
  const profile =
    row === undefined
      ? undefined
      : {
          ...templateUser(row),
          phone: maskPhone(row['phone'] as string | null),
          email: maskEmail(row['email'] as string | null),
        };
  let offer: IssuedOffer | null = null;
  // The sample user's own offer: their A/B variant's (an offer test), else the campaign's.
  const own = memberOffer(c.id, c.definition, userId);
  if (own) {
    const history = await orderHistories(ctx.warehouse, [userId], now);
    const r = issueOffer(own, history.get(userId) ?? {}, {
      campaignId: c.id,
      userId,
      now,
      secret: PREVIEW_SECRET,
    });
    offer = r.ok ? r.value : null;
  }
  const previewKey = previewRow(c, userId, now);
  const scopes = await extensionScopes(ctx.extensions ?? composeExtensions(ctx), c, [previewKey]);
  const extra = scopes.get(previewKey.idempotencyKey);
  const { sample, options } = messageRender({
    userId,
    profile,
    campaign: c,
    extra,
    payload: null,
    offer: offer ?? undefined,
    now,
    defaultTimezone,
  });
  return { userId, found: profile !== undefined, offer, sample, options, skipped: skipReasonOf(extra) };
};
