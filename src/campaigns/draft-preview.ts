import { audienceMemberIds } from '../audience/saved-audiences.ts';
import type { Actor } from '../core/auth/roles.ts';
import type { CampaignDefinition } from '../core/campaigns/schema.ts';
import { previewContent, validateContents, type ChannelPreview } from '../core/content/index.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import { refused } from './campaigns.ts';
import { smsRules } from './content-gate.ts';
import type { EstimateContext } from './estimate.ts';
import { sampleMessage } from './sample-message.ts';

/**
 * The editor's contents rendered for a sample member of the chosen audience before the campaign is
 * saved (issue 18: SMS checks on the rendered text, not on `{{ … }}`): each content object on its
 * own, so a variant's SMS and the campaign's are both rendered, and one that does not validate
 * (a Liquid error) comes back with its problems instead of failing the others. Rendered on
 * delivery's path (`sampleMessage`), like the saved campaign's preview; nothing is stored.
 */
export interface DraftPreviewInput {
  name?: string | undefined;
  audienceId?: string | undefined;
  userId?: string | undefined;
  offer?: unknown;
  /** Per content object: an A/B variant's own offer (null: none); absent: `offer`. */
  itemOffers?: readonly unknown[] | undefined;
  content: readonly unknown[];
}

export interface DraftPreviewItem {
  /** Null when the content does not validate; `problems` then say why, with their paths. */
  preview: ChannelPreview | null;
  problems: { path: string; message: string }[];
}

export interface DraftPreview {
  /** The sample member the contents were rendered for; null: no audience, or it has no members. */
  userId: string | null;
  items: DraftPreviewItem[];
}

export const previewDraftAs = async (
  ctx: EstimateContext,
  actor: Actor,
  input: DraftPreviewInput,
): Outcome<DraftPreview> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  const now = ctx.clock();
  const definition = {
    audienceId: input.audienceId ?? '',
    class: 'marketing',
    timing: { kind: 'one_off', at: new Date(now).toISOString() },
    channels: [],
    content: [],
    ...(input.offer === undefined ? {} : { offer: input.offer }),
    priority: 50,
    category: 'recall',
    variants: [],
    holdoutShare: 0,
    outsideWindow: 'hold',
  } as CampaignDefinition;
  const record: CampaignRecord = {
    id: 'draft',
    workspaceId: actor.workspaceId,
    name: input.name ?? '',
    status: 'draft',
    version: 0,
    definition,
    ownerId: actor.userId,
    ownerName: '',
    createdAt: now,
    updatedAt: now,
    submittedBy: null,
    submittedAt: null,
    approvedBy: null,
    approvedAt: null,
    approvedVersion: null,
    nextSlotAt: null,
    awaitingDelivery: false,
  };
  let userId: string | null = input.userId ?? null;
  if (userId === null && input.audienceId) {
    try {
      userId = (await audienceMemberIds(ctx, actor.workspaceId, input.audienceId, now))?.[0] ?? null;
    } catch {
      userId = null; // an audience that no longer compiles: render without a profile
    }
  }
  // One sample per distinct offer: a variant with its own offer (or none) renders with that one.
  const samples = new Map<string, Awaited<ReturnType<typeof sampleMessage>>>();
  const sampleWith = async (offer: unknown) => {
    const key = JSON.stringify(offer ?? null);
    const known = samples.get(key);
    if (known) return known;
    record.definition = { ...definition, offer: offer ?? undefined } as CampaignDefinition;
    // An offer that does not validate is left out of the sample (the save reports it).
    let m = await sampleMessage(ctx, record, userId, now).catch(() => null);
    if (m === null) {
      record.definition = { ...definition, offer: undefined } as CampaignDefinition;
      m = await sampleMessage(ctx, record, userId, now);
    }
    samples.set(key, m);
    return m;
  };
  const m = await sampleWith(input.offer);
  const sms = await smsRules(ctx.control, record);
  const items: DraftPreviewItem[] = [];
  for (const [i, raw] of input.content.entries()) {
    const v = validateContents([raw]);
    const at = (path: string) => path.replace(/^content\[0\]/, `content[${i}]`);
    if (!v.ok) {
      items.push({ preview: null, problems: v.error.map((p) => ({ path: at(p.path), message: p.message })) });
      continue;
    }
    const own = input.itemOffers?.[i];
    const mi = own === undefined ? m : await sampleWith(own);
    const p = previewContent(v.value, mi.sample, { ...mi.options, messageClass: 'marketing', sms });
    items.push({ preview: p.channels[0] ?? null, problems: [] });
  }
  return ok({ userId: m.found ? userId : null, items });
};
