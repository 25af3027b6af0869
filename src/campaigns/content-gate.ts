import type { Actor } from '../core/auth/roles.ts';
import type { CampaignDefinition } from '../core/campaigns/schema.ts';
import type { Channel } from '../core/channels/channels.ts';
import type { Clock } from '../core/clock.ts';
import {
  DEFAULT_CHECK_OPTIONS,
  DEFAULT_SMS_BLOCKED_WORDS,
  previewContent,
  type ChannelContent,
  type IssueCode,
  type RenderOptions,
  type SmsCheckOptions,
  type TemplateSample,
} from '../core/content/index.ts';
import { err, ok, type Result } from '../core/result.ts';
import { forbidden, invalid, invalidAll, type ServiceFailure } from '../core/service-failure.ts';
import type { ComposeExtension } from '../delivery/compose.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import {
  getContentOverride,
  listBlockedWords,
  type ContentOverrideRecord,
} from '../storage/control/content-gating.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { firstMember, sampleMessage } from './sample-message.ts';

/**
 * The content gate (issue 17): SMS errors that carriers punish — a blocked word, a link glued to
 * its neighbours, more segments than the campaign allows — block submit-for-review and approval,
 * unless an admin overrides them with a written reason (stored per campaign version, shown to
 * reviewers, audited). The checks run on the text rendered for a sample recipient on delivery's
 * path (`sampleMessage`), so a `{{ … }}` literal is judged by what it becomes.
 */

export const GATED_CODES: ReadonlySet<IssueCode> = new Set<IssueCode>([
  'blocked_word',
  'link_spacing',
  'sms_segments',
]);

export interface GateIssue {
  /** Where in the definition: `content[0].text`, `variants[1].content[0].text`. */
  path: string;
  /** The A/B variant whose content it is; null: the campaign's own content. */
  variant: string | null;
  channel: Channel;
  field: string;
  code: IssueCode;
  /** Offset into the rendered field. */
  index?: number;
  /** blocked_word: the word as listed. */
  word?: string;
  /** link_spacing: the URL. */
  url?: string;
  /** sms_segments: the message's segments and the campaign's limit. */
  segments?: number;
  maxSegments?: number;
  /** `sms.text (variant 'B'): blocked word '贷款' at 12 ('贷款')` */
  message: string;
}

/** The SMS rules of a campaign: built-in + workspace blocked words, its segment limit. */
export const smsRules = async (db: SqlClient, c: CampaignRecord): Promise<SmsCheckOptions> => ({
  ...DEFAULT_CHECK_OPTIONS.sms,
  blockedWords: [
    ...DEFAULT_SMS_BLOCKED_WORDS,
    ...(await listBlockedWords(db, c.workspaceId)).map((w) => w.word),
  ],
  maxSegments: c.definition.smsMaxSegments ?? DEFAULT_CHECK_OPTIONS.sms.maxSegments,
});

const isSms = (x: unknown): x is ChannelContent =>
  typeof x === 'object' && x !== null && (x as { channel?: unknown }).channel === 'sms';

/** The gated errors of every SMS content of a definition (its own, each variant's), rendered for `sample`. */
export const gateIssues = (
  def: CampaignDefinition,
  sample: TemplateSample,
  options: RenderOptions,
  sms: SmsCheckOptions,
): GateIssue[] => {
  const sets: { variant: string | null; path: string; content: ChannelContent }[] = [];
  def.content.forEach((c, i) => {
    if (isSms(c)) sets.push({ variant: null, path: `content[${i}]`, content: c });
  });
  def.variants.forEach((v, j) =>
    (v.content ?? []).forEach((c, k) => {
      if (isSms(c)) sets.push({ variant: v.id, path: `variants[${j}].content[${k}]`, content: c });
    }),
  );
  return sets.flatMap(({ variant, path, content }) => {
    const preview = previewContent([content], sample, { ...options, messageClass: def.class, sms });
    const count = preview.channels[0]?.sms;
    return preview.issues.flatMap((i): GateIssue[] =>
      i.severity === 'error' && GATED_CODES.has(i.code)
        ? [
            {
              path: `${path}.${i.field}`,
              variant,
              channel: i.channel,
              field: i.field,
              code: i.code,
              ...(i.index === undefined ? {} : { index: i.index }),
              ...(i.code === 'blocked_word' && i.subject !== undefined ? { word: i.subject } : {}),
              ...(i.code === 'link_spacing' && i.subject !== undefined ? { url: i.subject } : {}),
              ...(i.code === 'sms_segments' && count !== undefined
                ? { segments: count.segments, maxSegments: sms.maxSegments }
                : {}),
              message: `${i.channel}.${i.field} (${variant === null ? 'main content' : `variant '${variant}'`}): ${i.message}`,
            },
          ]
        : [],
    );
  });
};

export interface OverrideInput {
  reason: string;
}

/**
 * Whether a step may go on (pure): no gated issues, or an override of this version that covers
 * them all, or a new override by an admin with a reason (returned, to be stored). Anything else
 * is refused naming every issue.
 */
export const decideGate = (
  actor: Actor,
  step: 'submit' | 'approve',
  issues: readonly GateIssue[],
  existing: Pick<ContentOverrideRecord, 'issues'> | null,
  override: OverrideInput | undefined,
): Result<{ reason: string; issues: string[] } | null, ServiceFailure> => {
  const covered = new Set(existing?.issues ?? []);
  const open = issues.filter((i) => !covered.has(i.message));
  if (open.length === 0) return ok(null);
  const list = open.map((i) => i.message).join('; ');
  const what = step === 'submit' ? 'submitted for review' : 'approved';
  if (override === undefined)
    return err(
      invalidAll(
        `the campaign cannot be ${what}: its SMS content has ${open.length} error${open.length === 1 ? '' : 's'} (${list}); fix them, or an admin may override them with a written reason`,
        open.map((i) => ({ path: `definition.${i.path}`, message: i.message })),
      ),
    );
  if (actor.role !== 'admin')
    return err(
      forbidden(
        `only an admin may override the SMS content checks (your role is '${actor.role}'); fix the errors instead: ${list}`,
      ),
    );
  const reason = override.reason.trim();
  if (reason === '')
    return err(
      invalid('override.reason', 'say why the SMS may go out despite its errors (a written reason)'),
    );
  return ok({ reason, issues: issues.map((i) => i.message) });
};

export interface GateContext {
  control: SqlClient;
  clock: Clock;
  /** Absent (tests of the lifecycle alone): the templates render without a profile. */
  warehouse?: WarehouseSql | undefined;
  extensions?: readonly ComposeExtension[];
}

export interface GateState {
  version: number;
  /** The sample recipient the content was rendered for; null: none (no members, no warehouse). */
  userId: string | null;
  issues: GateIssue[];
  override: ContentOverrideRecord | null;
  /** Submit / approval would be refused without a (new) override. */
  blocked: boolean;
}

/** The gated issues of a campaign's current version, for its first audience member. */
export const campaignGateIssues = async (
  ctx: GateContext,
  c: CampaignRecord,
): Promise<{ userId: string | null; issues: GateIssue[] }> => {
  const now = ctx.clock();
  const sms = await smsRules(ctx.control, c);
  const warehouse = ctx.warehouse;
  if (warehouse === undefined) {
    const sample: TemplateSample = { user: { user_id: '' }, campaign: { name: c.name } };
    return { userId: null, issues: gateIssues(c.definition, sample, { now }, sms) };
  }
  const sctx = { ...ctx, warehouse };
  // An audience that no longer compiles is the planner's problem; the gate renders without a profile.
  const userId = (await firstMember(sctx, c, now).catch(() => undefined)) ?? null;
  const m = await sampleMessage(sctx, c, userId, now);
  return { userId: m.userId, issues: gateIssues(c.definition, m.sample, m.options, sms) };
};

export const campaignGateState = async (ctx: GateContext, c: CampaignRecord): Promise<GateState> => {
  const { userId, issues } = await campaignGateIssues(ctx, c);
  const override = await getContentOverride(ctx.control, c.id, c.version);
  const covered = new Set(override?.issues ?? []);
  return {
    version: c.version,
    userId,
    issues,
    override,
    blocked: issues.some((i) => !covered.has(i.message)),
  };
};
