import {
  EDITOR_CHANNELS,
  type Campaign,
  type EditorChannel,
  type EditorState,
  type VariantState,
} from './campaign-types.ts';
import {
  emptyMore,
  isMoreChannel,
  MORE_CHANNELS,
  moreMissing,
  readMore,
  writeMore,
  type MoreChannel,
  type MoreContents,
} from './channel-content.ts';

type Push = EditorState['push'];
type Sms = { text: string; signature: string };

const contentOf = (ch: EditorChannel, push: Push, sms: Sms, more: MoreContents): Record<string, unknown> =>
  isMoreChannel(ch)
    ? writeMore(ch, more)
    : ch === 'push'
      ? {
          channel: 'push',
          title: push.title,
          body: push.body,
          ...(push.landingUrl ? { landingUrl: push.landingUrl } : {}),
        }
      : { channel: 'sms', text: sms.text, signature: sms.signature };

const isEditorChannel = (x: unknown): x is EditorChannel =>
  typeof x === 'string' && (EDITOR_CHANNELS as readonly string[]).includes(x);

/** A variant's own contents, in the order sent (the server's `variants[i].content[j]`). */
export const variantContents = (v: VariantState, channels: readonly EditorChannel[]) =>
  channels.filter((ch) => v.own[ch] === true).map((ch) => contentOf(ch, v.push, v.sms, v.more));

/** A fixed coupon of `cents` fen as the form writes it (the campaign's and a variant's own). */
const couponOf = (cents: number): Record<string, unknown> => ({
  kind: 'coupon',
  amount: { type: 'fixed', amount: cents },
  validityDays: 7,
  expectedRedemptionRate: 0.2,
  costRecognition: 'redemption',
});

/**
 * A variant's `offer` key: absent (the campaign's), null (none) or its own coupon; an own offer
 * loaded from the server keeps its other fields, and one the form cannot show (not a fixed
 * amount) is kept as it was.
 */
export const variantOfferOf = (v: VariantState): { offer?: Record<string, unknown> | null } => {
  if (v.offer === 'inherit') return {};
  if (v.offer === 'none') return { offer: null };
  const saved = v.offerSaved;
  if (saved !== undefined && ownOfferKept(v)) return { offer: saved };
  if (v.offerCents === null || v.offerCents <= 0) return {};
  return {
    offer:
      saved !== undefined
        ? { ...saved, amount: { type: 'fixed', amount: v.offerCents } }
        : couponOf(v.offerCents),
  };
};

/** A variant's own offer the form cannot show (a rule other than a fixed amount, set through the API): kept whole. */
export const ownOfferKept = (v: VariantState): boolean => {
  const amount = v.offerSaved?.['amount'];
  return isObj(amount) && amount['type'] !== 'fixed';
};

/** The keys of a definition the form writes; every other key is kept as loaded. */
const FORM_KEYS: readonly string[] = [
  'audienceId',
  'timing',
  'channels',
  'content',
  'smsMaxSegments',
  'offer',
  'goal',
  'variants',
  'holdoutShare',
  'priority',
  'outsideWindow',
  'budgetCents',
];

const savedObj = (s: EditorState, key: string): Loose | undefined => {
  const v = s.saved?.[key];
  return isObj(v) ? v : undefined;
};

/** A saved offer whose amount is not a fixed sum (by days lapsed, a share of the order…): the form cannot show it. */
const amountRuleBeyondForm = (offer: Loose | undefined): boolean =>
  offer !== undefined && isObj(offer['amount']) && offer['amount']['type'] !== 'fixed';

/** The campaign's offer as loaded when the form cannot show its amount rule (kept whole on save). */
export const campaignOfferKept = (s: EditorState): boolean => amountRuleBeyondForm(savedObj(s, 'offer'));

/** The campaign's `offer`: a loaded offer keeps its kind, validity and rules; only a fixed amount is the form's. */
const campaignOfferOf = (s: EditorState): { offer?: Loose } => {
  const saved = savedObj(s, 'offer');
  if (saved !== undefined && amountRuleBeyondForm(saved)) return { offer: saved };
  if (s.offerAmountCents === null || s.offerAmountCents <= 0) return {};
  return {
    offer:
      saved !== undefined
        ? { ...saved, amount: { type: 'fixed', amount: s.offerAmountCents } }
        : couponOf(s.offerAmountCents),
  };
};

/** Settings beyond the form worth telling the operator about (a default class or category is not). */
const NOTED: Record<string, (v: unknown) => boolean> = {
  class: (v) => v !== 'marketing',
  category: (v) => v !== 'recall',
  department: () => true,
  reEligibilityDays: () => true,
  ladder: () => true,
  recommendation: () => true,
};

/** Dictionary keys of what a loaded campaign has beyond the form (kept unchanged on save). */
export const keptBeyondForm = (s: EditorState): string[] => {
  const d = s.saved ?? {};
  const out: string[] = [];
  for (const [k, worth] of Object.entries(NOTED))
    if (d[k] !== undefined && worth(d[k])) out.push(`ced.kept.${k}`);
  const timing = savedObj(s, 'timing');
  if (timing !== undefined && timing['kind'] === s.timing)
    for (const k of ['where', 'unlessEvent', 'startAt', 'endAt'])
      if (timing[k] !== undefined) out.push(`ced.kept.timing.${k}`);
  if (campaignOfferKept(s)) out.push('ced.kept.offerRule');
  return out;
};

/** The editor's fields as the API's CampaignDefinition (money in cents). */
export const toDefinition = (s: EditorState): Record<string, unknown> => {
  const content = s.channels.map((ch) => contentOf(ch, s.push, s.sms, s.more));
  const form =
    s.timing === 'one_off'
      ? { kind: 'one_off', at: Number.isFinite(Date.parse(s.at)) ? new Date(s.at).toISOString() : s.at }
      : s.timing === 'periodic'
        ? { kind: 'periodic', cron: s.cron, timezone: s.timezone }
        : { kind: 'triggered', event: s.triggerEvent, delayMinutes: s.delayMinutes };
  // Same kind as loaded: a trigger's conditions and a schedule's start and end stay.
  const savedTiming = savedObj(s, 'timing');
  const timing =
    savedTiming !== undefined && savedTiming['kind'] === form.kind ? { ...savedTiming, ...form } : form;
  const kept = Object.fromEntries(Object.entries(s.saved ?? {}).filter(([k]) => !FORM_KEYS.includes(k)));
  return {
    ...kept,
    audienceId: s.audienceId,
    timing,
    channels: s.channels,
    content,
    ...(s.channels.includes('sms') ? { smsMaxSegments: s.sms.maxSegments } : {}),
    ...campaignOfferOf(s),
    ...(s.goalEvent.trim() !== '' ? { goal: { event: s.goalEvent.trim(), withinDays: s.goalDays } } : {}),
    variants: s.ab
      ? s.variants.map((v) => {
          const own = variantContents(v, s.channels);
          const channels = v.channels.filter((c) => s.channels.includes(c));
          return {
            id: v.id,
            weight:
              v.weightSaved !== undefined && v.weightSaved.share === v.share ? v.weightSaved.weight : v.share,
            ...(own.length > 0 ? { content: own } : {}),
            ...(channels.length > 0 ? { channels } : {}),
            ...variantOfferOf(v),
          };
        })
      : [],
    holdoutShare: s.holdoutShare,
    priority: s.priority,
    outsideWindow: s.outsideWindow,
    ...(s.budgetYuan !== null ? { budgetCents: Math.round(s.budgetYuan * 100) } : {}),
  };
};

/** Weights as whole percentages that add up to 100 (largest remainder), so 1:1:1 reads 34 / 33 / 33. */
export const sharesOf = (weights: readonly number[]): number[] => {
  const total = weights.reduce((a, w) => a + w, 0);
  if (total <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w / total) * 100);
  const shares = exact.map(Math.floor);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  let left = 100 - shares.reduce((a, x) => a + x, 0);
  for (const { i } of order) {
    if (left <= 0) break;
    shares[i] = (shares[i] ?? 0) + 1;
    left -= 1;
  }
  return shares;
};

const pad = (n: number) => String(n).padStart(2, '0');
const localInput = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

const tomorrowNine = (): string => {
  const d = new Date(Date.now() + 86_400_000);
  d.setHours(9, 0, 0, 0);
  return localInput(d);
};

export const newVariant = (
  id: string,
  share: number,
  s: Pick<EditorState, 'push' | 'sms'> & { more?: MoreContents },
): VariantState => ({
  id,
  share,
  channels: [],
  own: {},
  push: { ...s.push },
  sms: { text: s.sms.text, signature: s.sms.signature },
  // A variant's own content starts as a copy of the campaign's, to be changed where it differs.
  more: structuredClone(s.more ?? emptyMore()),
  offer: 'inherit',
  offerCents: null,
});

export const initialEditor = (): EditorState => {
  const push = { title: '', body: '', landingUrl: 'https://example.com/' };
  const sms = { text: '', signature: '【Rekindle】', maxSegments: 3 };
  const more = emptyMore();
  return {
    name: '',
    audienceId: '',
    channels: ['push'],
    push,
    sms,
    more,
    offerAmountCents: null,
    goalEvent: 'order',
    goalDays: 3,
    ab: false,
    variants: [newVariant('A', 50, { push, sms, more }), newVariant('B', 50, { push, sms, more })],
    outsideWindow: 'hold',
    holdoutShare: 0.1,
    timing: 'one_off',
    at: tomorrowNine(),
    cron: '0 9 * * *',
    timezone: 'Asia/Shanghai',
    triggerEvent: '',
    delayMinutes: 0,
    budgetYuan: null,
    priority: 50,
  };
};

type Loose = Record<string, unknown>;
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null;
const find = (list: unknown, ch: string): Loose | undefined =>
  Array.isArray(list) ? (list.find((c) => isObj(c) && c['channel'] === ch) as Loose | undefined) : undefined;

/**
 * The channels of a saved campaign the editor has no fields for (none of the API's today; a
 * channel a newer server adds): saving from the form would drop their content, so such a campaign
 * is shown read-only.
 */
export const channelsBeyondEditor = (c: Campaign): string[] => {
  const d = c.definition as unknown as Loose;
  return (Array.isArray(d['channels']) ? d['channels'] : []).filter(
    (x): x is string => typeof x === 'string' && !isEditorChannel(x),
  );
};

/** The in-app, e-mail, WeCom, call-list and webhook contents of a content list; `base` where absent. */
const moreOf = (list: unknown, base: MoreContents): MoreContents => {
  const own = <C extends MoreChannel>(ch: C): MoreContents[C] => {
    const c = find(list, ch);
    return c === undefined ? structuredClone(base[ch]) : readMore(ch, c);
  };
  return {
    in_app: own('in_app'),
    email: own('email'),
    wecom: own('wecom'),
    call: own('call'),
    webhook: own('webhook'),
  };
};

/**
 * A saved campaign back into the editor's fields. Shares are the weights as percentages of their
 * sum, whole and adding up to 100, so a 1:1 test reads 50 / 50 and 1:1:1 reads 34 / 33 / 33.
 */
export const fromCampaign = (c: Campaign): EditorState => {
  const base = initialEditor();
  const d = c.definition as unknown as Loose;
  const channels = (Array.isArray(d['channels']) ? d['channels'] : []).filter(isEditorChannel);
  const more = moreOf(d['content'], base.more);
  const pushC = find(d['content'], 'push');
  const smsC = find(d['content'], 'sms');
  const push = pushC
    ? { title: str(pushC['title']), body: str(pushC['body']), landingUrl: str(pushC['landingUrl']) }
    : base.push;
  const sms = smsC
    ? {
        text: str(smsC['text']),
        signature: str(smsC['signature']),
        maxSegments: Number(d['smsMaxSegments'] ?? 3),
      }
    : base.sms;
  const timing = isObj(d['timing']) ? d['timing'] : {};
  const offer = isObj(d['offer']) ? d['offer'] : undefined;
  const amount = offer && isObj(offer['amount']) ? offer['amount']['amount'] : undefined;
  const rawVariants = Array.isArray(d['variants']) ? (d['variants'] as Loose[]) : [];
  const shares = sharesOf(rawVariants.map((v) => Number(v['weight'] ?? 0)));
  const variants = rawVariants.map((v, i): VariantState => {
    const share = shares[i] ?? 0;
    const vp = find(v['content'], 'push');
    const vs = find(v['content'], 'sms');
    const vo = v['offer'];
    const voAmount = isObj(vo) && isObj(vo['amount']) ? vo['amount'] : undefined;
    return {
      offer: vo === null ? 'none' : isObj(vo) ? 'custom' : 'inherit',
      offerCents:
        voAmount !== undefined && voAmount['type'] === 'fixed' && typeof voAmount['amount'] === 'number'
          ? voAmount['amount']
          : null,
      offerSaved: isObj(vo) ? vo : undefined,
      id: str(v['id']),
      share,
      weightSaved: { share, weight: Number(v['weight'] ?? 0) },
      channels: (Array.isArray(v['channels']) ? v['channels'] : []).filter(isEditorChannel),
      own: Object.fromEntries(EDITOR_CHANNELS.map((ch) => [ch, find(v['content'], ch) !== undefined])),
      more: moreOf(v['content'], more),
      push: vp
        ? { title: str(vp['title']), body: str(vp['body']), landingUrl: str(vp['landingUrl']) }
        : { ...push },
      sms: vs
        ? { text: str(vs['text']), signature: str(vs['signature']) }
        : { text: sms.text, signature: sms.signature },
    };
  });
  const goal = isObj(d['goal']) ? d['goal'] : undefined;
  const at = str(timing['at']);
  return {
    ...base,
    name: c.name,
    audienceId: str(d['audienceId']),
    channels: channels.length > 0 ? channels : base.channels,
    push,
    sms,
    more,
    offerAmountCents: typeof amount === 'number' ? amount : null,
    goalEvent: goal ? str(goal['event']) : '',
    goalDays: goal ? Number(goal['withinDays'] ?? 3) : base.goalDays,
    ab: variants.length > 0,
    variants: variants.length > 0 ? variants : base.variants,
    outsideWindow: d['outsideWindow'] === 'drop' ? 'drop' : 'hold',
    holdoutShare: Number(d['holdoutShare'] ?? base.holdoutShare),
    timing:
      timing['kind'] === 'periodic' ? 'periodic' : timing['kind'] === 'triggered' ? 'triggered' : 'one_off',
    at: at !== '' && Number.isFinite(Date.parse(at)) ? localInput(new Date(at)) : base.at,
    cron: str(timing['cron'], base.cron),
    timezone: str(timing['timezone'], base.timezone),
    triggerEvent: str(timing['event']),
    delayMinutes: Number(timing['delayMinutes'] ?? 0),
    budgetYuan: typeof d['budgetCents'] === 'number' ? d['budgetCents'] / 100 : null,
    priority: Number(d['priority'] ?? 50),
    saved: structuredClone(d),
  };
};

/** What Save needs that is not filled in, as dictionary keys (checked before the server is called). */
export const missingFields = (s: EditorState): string[] => {
  const out: string[] = [];
  if (s.name.trim() === '') out.push('ced.missing.name');
  if (s.audienceId === '') out.push('ced.missing.audience');
  if (s.channels.length === 0) out.push('ced.missing.channels');
  if (s.channels.includes('push') && (s.push.title.trim() === '' || s.push.body.trim() === ''))
    out.push('ced.missing.push');
  if (s.channels.includes('sms') && s.sms.text.trim() === '') out.push('ced.missing.sms');
  for (const ch of MORE_CHANNELS)
    if (s.channels.includes(ch) && moreMissing(ch, s.more)) out.push(`ced.missing.${ch}`);
  if (s.timing === 'one_off' && !Number.isFinite(Date.parse(s.at))) out.push('ced.missing.at');
  if (s.timing === 'periodic' && s.cron.trim() === '') out.push('ced.missing.cron');
  if (s.timing === 'triggered' && s.triggerEvent.trim() === '') out.push('ced.missing.trigger');
  if (s.ab) {
    if (s.variants.length < 2) out.push('ced.missing.twoVariants');
    if (s.variants.reduce((a, v) => a + v.share, 0) !== 100) out.push('ced.missing.shares');
    if (s.variants.some((v) => v.share <= 0)) out.push('ced.missing.shareZero');
    for (const v of s.variants) {
      if (v.own.sms === true && s.channels.includes('sms') && v.sms.text.trim() === '')
        out.push('ced.missing.variantSms');
      if (
        v.own.push === true &&
        s.channels.includes('push') &&
        (v.push.title.trim() === '' || v.push.body.trim() === '')
      )
        out.push('ced.missing.variantPush');
      if (v.offer === 'custom' && variantOfferOf(v).offer === undefined) out.push('ced.missing.variantOffer');
      for (const ch of MORE_CHANNELS)
        if (v.own[ch] === true && s.channels.includes(ch) && moreMissing(ch, v.more))
          out.push('ced.missing.variantContent');
    }
  }
  return [...new Set(out)];
};
