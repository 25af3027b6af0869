import type { Channel } from '../core/channels/channels.ts';
import { skipReasonOf } from './compose-skip.ts';
import {
  compileContent,
  defaultContentEngine,
  offerView,
  personalise,
  recipientZone,
  type ChannelContent,
  type CompiledContent,
  type OfferShown,
  type RenderOptions,
  type TemplateSample,
  type TemplateUser,
} from '../core/content/index.ts';
import type { OutgoingMessage, Recipient } from '../core/delivery/message.ts';
import { hasAnyOffer } from '../core/campaigns/variant-offer.ts';
import { linkCode } from '../core/tracking/link-code.ts';
import { signUnsubscribe } from '../core/tracking/unsubscribe-token.ts';
import { shortLinkUrl, unsubscribeUrl } from '../core/tracking/urls.ts';
import { getCampaign, type CampaignRecord } from '../storage/control/campaigns.ts';
import { getPolicy } from '../storage/control/planner-settings.ts';
import { offersOfMessages } from '../storage/control/offers-shown.ts';
import type { ShortLink } from '../storage/control/short-links.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { unsubscribesOf } from '../storage/control/unsubscribes.ts';
import { workspaceSecret } from '../storage/control/workspace-secrets.ts';
import { profilesByIds } from '../storage/warehouse/profiles-by-id.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import type { ClaimedRow } from '../outbox/claim.ts';

/**
 * More template scope per message, computed for a batch (e.g. "best item" recommendations):
 * idempotency key → names templates see at the top level.
 */
export type ComposeExtension = (
  campaign: CampaignRecord,
  rows: readonly ClaimedRow[],
) => Promise<Map<string, Record<string, unknown>>>;

/**
 * Every extension's names for a batch of rows, merged per idempotency key (a later extension's
 * name wins). The preview runs the same extensions on a one-row batch for its sample user.
 */
export const extensionScopes = async (
  extensions: readonly ComposeExtension[],
  campaign: CampaignRecord,
  rows: readonly ClaimedRow[],
): Promise<Map<string, Record<string, unknown>>> => {
  const extra = new Map<string, Record<string, unknown>>();
  for (const ext of extensions)
    for (const [k, v] of await ext(campaign, rows)) extra.set(k, { ...extra.get(k), ...v });
  return extra;
};

/**
 * What one message's templates see and how they render, built the same way for delivery and
 * for the preview (so the preview shows what the recipient gets): the profile as `user`, the
 * extensions' names (e.g. `item`), the row's payload as `data`, the issued offer as `offer`, and
 * the recipient's time zone (their profile's, else the workspace default) for date filters.
 */
export const messageRender = (x: {
  userId: string;
  profile: TemplateUser | undefined;
  campaign: { name: string };
  extra: Record<string, unknown> | undefined;
  payload: Record<string, unknown> | null;
  offer: OfferShown | undefined;
  now: number;
  defaultTimezone: string;
}): { sample: TemplateSample; options: RenderOptions } => ({
  sample: {
    user: x.profile ?? { user_id: x.userId },
    campaign: { name: x.campaign.name },
    extra: {
      ...x.extra,
      ...(x.payload ? { data: x.payload } : {}),
      ...(x.offer ? { offer: offerView(x.offer, 'zh-CN') } : {}),
    },
  },
  options: { now: x.now, timezone: recipientZone(x.profile?.['timezone'], x.defaultTimezone) },
});

export type Composed =
  | { ok: true; row: ClaimedRow; message: OutgoingMessage; links: ShortLink[] }
  /** Cannot be sent at all: dead letter with this reason. */
  | { ok: false; row: ClaimedRow; reason: string; error: string };

export interface ComposerOptions {
  control: SqlClient;
  warehouse: WarehouseSql;
  /** `config.publicUrl`: where short links and unsubscribe links point. */
  publicUrl: string;
  extensions?: readonly ComposeExtension[];
  /** How long a campaign's definition and compiled content are reused (ms). */
  campaignTtlMs?: number;
}

interface CampaignEntry {
  record: CampaignRecord | null;
  loadedAt: number;
  /** `${variant}:${channel}` → compiled content, or the compile error. */
  contents: Map<string, CompiledContent | string>;
}

const PLACEHOLDER = '{{unsubscribe_url}}';

/** Every string in the content with the unsubscribe placeholder filled (it may be in any field). */
const fillUnsubscribe = <C extends ChannelContent>(content: C, url: string): C => {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.includes(PLACEHOLDER) ? v.replaceAll(PLACEHOLDER, url) : v;
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(content) as C;
};

const traitsOf = (v: unknown): Record<string, unknown> | null => {
  if (typeof v === 'string') {
    try {
      const t: unknown = JSON.parse(v);
      return typeof t === 'object' && t !== null ? (t as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
};

/** A warehouse profile row as templates see it (traits parsed); delivery and the preview share it. */
export const templateUser = (p: Record<string, unknown>): TemplateUser => ({
  ...p,
  user_id: String(p['user_id']),
  traits: traitsOf(p['traits']),
});

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const recipientOf = (userId: string, p: TemplateUser | undefined): Recipient => ({
  userId,
  phone: str(p?.['phone']),
  email: str(p?.['email']),
  pushToken: str(p?.['push_token']),
  wecomOpenId: str(p?.traits?.['wecom_openid']),
  wecomUserId: str(p?.traits?.['wecom_userid']),
  timezone: str(p?.['timezone']),
});

/** Whether the recipient has the address the channel needs (in-app and webhook need none). */
const hasAddress = (channel: Channel, r: Recipient): boolean => {
  switch (channel) {
    case 'sms':
    case 'call':
      return r.phone !== undefined;
    case 'email':
      return r.email !== undefined;
    case 'push':
      return r.pushToken !== undefined;
    case 'wecom':
      // WeChat Official Account providers need the openid, WeCom ones the member userid: either
      // may reach the user; the adapter without its address answers `no_address`.
      return r.wecomOpenId !== undefined || r.wecomUserId !== undefined;
    case 'in_app':
    case 'webhook':
      return true;
  }
};

/**
 * Turns claimed outbox rows into messages: the campaign's content for the row's variant and
 * channel, rendered for the user's profile (one warehouse query per batch), the issued offer,
 * the row's `payload` as `data`, links rewritten to short links (deterministic codes, so a
 * message composed again after a crash gets the same ones), and the signed unsubscribe URL for
 * marketing messages. A message that cannot be sent comes back as a dead letter with a reason
 * (`no_address`, `unsubscribed`, `campaign_missing`, `no_content`, `content_error`), never a crash.
 */
export class Composer {
  private readonly campaigns = new Map<string, CampaignEntry>();
  private readonly secrets = new Map<string, string>();
  private readonly zones = new Map<string, { at: number; zone: string }>();
  private readonly extensions: ComposeExtension[];

  constructor(private readonly o: ComposerOptions) {
    this.extensions = [...(o.extensions ?? [])];
  }

  addExtension(e: ComposeExtension): void {
    this.extensions.push(e);
  }

  async compose(rows: readonly ClaimedRow[], now: number): Promise<Composed[]> {
    if (rows.length === 0) return [];
    const byCampaign = new Map<string, ClaimedRow[]>();
    for (const r of rows) {
      const list = byCampaign.get(r.campaignId);
      if (list) list.push(r);
      else byCampaign.set(r.campaignId, [r]);
    }
    const entries = new Map<string, CampaignEntry>();
    for (const [campaignId, group] of byCampaign) {
      const first = group[0];
      if (first) entries.set(campaignId, await this.campaign(first.workspaceId, campaignId, now));
    }
    // Only campaigns that issue offers have any to look up.
    const offerRows = rows.filter((r) => {
      const d = entries.get(r.campaignId)?.record?.definition;
      return d !== undefined && hasAnyOffer(d);
    });
    const [profiles, offers, unsubscribed] = await Promise.all([
      this.profiles(rows),
      offerRows.length > 0 ? this.offers(offerRows) : new Map<string, OfferShown>(),
      this.unsubscribed(rows),
    ]);
    const out: Composed[] = [];
    for (const [campaignId, group] of byCampaign) {
      const entry = entries.get(campaignId);
      if (!entry) continue;
      const campaign = entry.record;
      if (!campaign) {
        for (const row of group) out.push({ ok: false, row, reason: 'campaign_missing', error: campaignId });
        continue;
      }
      const extra = await extensionScopes(this.extensions, campaign, group);
      const defaultTimezone = await this.defaultZone(campaign.workspaceId, now);
      for (const row of group)
        out.push(
          await this.one(row, campaign, entry, {
            profile: profiles.get(row.userId),
            offer: offers.get(row.idempotencyKey),
            unsubscribed: unsubscribed.has(`${row.workspaceId}\u0000${row.userId}\u0000${row.channel}`),
            extra: extra.get(row.idempotencyKey),
            now,
            defaultTimezone,
          }),
        );
    }
    return out;
  }

  private async one(
    row: ClaimedRow,
    campaign: CampaignRecord,
    entry: CampaignEntry,
    x: {
      profile: TemplateUser | undefined;
      offer: OfferShown | undefined;
      unsubscribed: boolean;
      extra: Record<string, unknown> | undefined;
      now: number;
      defaultTimezone: string;
    },
  ): Promise<Composed> {
    const dead = (reason: string, error = reason): Composed => ({ ok: false, row, reason, error });
    if (row.class === 'marketing' && x.unsubscribed) return dead('unsubscribed');
    const skip = skipReasonOf(x.extra);
    if (skip) return dead(skip);
    const recipient = recipientOf(row.userId, x.profile);
    if (!hasAddress(row.channel, recipient)) return dead('no_address', `no ${row.channel} address`);
    const compiled = this.content(campaign, entry, row.variant, row.channel);
    if (typeof compiled === 'string')
      return dead(compiled === 'none' ? 'no_content' : 'content_error', compiled);
    const tracking = await this.secret(row.workspaceId, 'tracking');
    const links: ShortLink[] = [];
    const { sample, options } = messageRender({
      userId: row.userId,
      profile: x.profile,
      campaign,
      extra: x.extra,
      payload: row.payload,
      offer: x.offer,
      now: x.now,
      defaultTimezone: x.defaultTimezone,
    });
    const r = personalise(compiled, sample, {
      ...options,
      shortLink: (url) => {
        const code = linkCode(tracking, row.idempotencyKey, links.length);
        links.push({ code, workspaceId: row.workspaceId, idempotencyKey: row.idempotencyKey, url });
        return shortLinkUrl(this.o.publicUrl, code);
      },
    });
    const failed = r.issues.find((i) => i.severity === 'error');
    if (failed) return dead('content_error', failed.message);
    let unsubscribe: string | undefined;
    if (row.class === 'marketing') {
      const secret = await this.secret(row.workspaceId, 'unsubscribe');
      unsubscribe = unsubscribeUrl(
        this.o.publicUrl,
        signUnsubscribe(secret, {
          workspaceId: row.workspaceId,
          userId: row.userId,
          channel: row.channel,
          idempotencyKey: row.idempotencyKey,
        }),
      );
    }
    return {
      ok: true,
      row,
      links,
      message: {
        idempotencyKey: row.idempotencyKey,
        workspaceId: row.workspaceId,
        campaignId: row.campaignId,
        runId: row.runId,
        step: row.step,
        variant: row.variant,
        channel: row.channel,
        class: row.class,
        recipient,
        content: fillUnsubscribe(r.content, unsubscribe ?? ''),
        ...(unsubscribe === undefined ? {} : { unsubscribeUrl: unsubscribe }),
      },
    };
  }

  private async campaign(workspaceId: string, id: string, now: number): Promise<CampaignEntry> {
    const cached = this.campaigns.get(id);
    if (cached && now - cached.loadedAt < (this.o.campaignTtlMs ?? 60_000)) return cached;
    const entry: CampaignEntry = {
      record: await getCampaign(this.o.control, workspaceId, id),
      loadedAt: now,
      contents: new Map(),
    };
    this.campaigns.set(id, entry);
    return entry;
  }

  /** The variant's content for the channel, else the campaign's; 'none' when neither has one. */
  private content(
    campaign: CampaignRecord,
    entry: CampaignEntry,
    variant: string | null,
    channel: Channel,
  ): CompiledContent | string {
    const key = `${variant ?? ''}:${channel}`;
    const cached = entry.contents.get(key);
    if (cached !== undefined) return cached;
    const forChannel = (list: readonly unknown[] | undefined) =>
      (list as readonly ChannelContent[] | undefined)?.find((c) => c.channel === channel);
    const v = campaign.definition.variants.find((x) => x.id === variant);
    const content = forChannel(v?.content) ?? forChannel(campaign.definition.content);
    let result: CompiledContent | string = 'none';
    if (content) {
      const c = compileContent(content, defaultContentEngine());
      result = c.ok ? c.value : c.error.map((e) => e.message).join('; ');
    }
    entry.contents.set(key, result);
    return result;
  }

  /** The workspace's default time zone (planner policy), re-read like the campaigns. */
  private async defaultZone(workspaceId: string, now: number): Promise<string> {
    const hit = this.zones.get(workspaceId);
    if (hit && now - hit.at < (this.o.campaignTtlMs ?? 60_000)) return hit.zone;
    const zone = (await getPolicy(this.o.control, workspaceId)).policy.defaultTimezone;
    this.zones.set(workspaceId, { at: now, zone });
    return zone;
  }

  private async secret(workspaceId: string, name: string): Promise<string> {
    const k = `${workspaceId}\u0000${name}`;
    let s = this.secrets.get(k);
    if (s === undefined) {
      s = await workspaceSecret(this.o.control, workspaceId, name);
      this.secrets.set(k, s);
    }
    return s;
  }

  private async profiles(rows: readonly ClaimedRow[]): Promise<Map<string, TemplateUser>> {
    const ids = [...new Set(rows.map((r) => r.userId))];
    const found = await profilesByIds(this.o.warehouse, ids);
    const out = new Map<string, TemplateUser>();
    for (const p of found) {
      const user = templateUser(p);
      out.set(user.user_id, user);
    }
    return out;
  }

  private async offers(rows: readonly ClaimedRow[]): Promise<Map<string, OfferShown>> {
    const found = await offersOfMessages(
      this.o.control,
      rows.map((r) => r.idempotencyKey),
    );
    const out = new Map<string, OfferShown>();
    for (const o of found) {
      const d = (typeof o.details === 'string' ? JSON.parse(o.details) : o.details) as {
        condition: OfferShown['condition'];
        minSpendCents: number | null;
      };
      out.set(o.idempotency_key, {
        code: o.code,
        kind: o.kind as OfferShown['kind'],
        amount: Number(o.amount),
        valueCents: Number(o.value_cents),
        condition: d.condition,
        expiresAt: new Date(o.expires_at).getTime(),
        ...(d.minSpendCents === null ? {} : { minSpendCents: d.minSpendCents }),
      });
    }
    return out;
  }

  /** `workspace\0user\0channel` for opt-outs of the row's channel or of every channel, as of now. */
  private async unsubscribed(rows: readonly ClaimedRow[]): Promise<Set<string>> {
    const marketing = rows.filter((r) => r.class === 'marketing');
    if (marketing.length === 0) return new Set();
    const found = await unsubscribesOf(
      this.o.control,
      [...new Set(marketing.map((r) => r.workspaceId))],
      [...new Set(marketing.map((r) => r.userId))],
    );
    const out = new Set<string>();
    const channels = [...new Set(marketing.map((r) => r.channel))];
    for (const u of found)
      for (const c of u.channel === 'all' ? channels : [u.channel])
        out.add(`${u.workspace_id}\u0000${u.user_id}\u0000${c}`);
    return out;
  }
}
