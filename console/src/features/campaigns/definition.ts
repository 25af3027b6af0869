import type { EditorState } from './campaign-types.ts';

/** The editor's fields as the API's CampaignDefinition (money in cents). */
export const toDefinition = (s: EditorState): Record<string, unknown> => {
  const content = s.channels.map((ch) =>
    ch === 'push'
      ? {
          channel: 'push',
          title: s.push.title,
          body: s.push.body,
          ...(s.push.landingUrl ? { landingUrl: s.push.landingUrl } : {}),
        }
      : { channel: 'sms', text: s.sms.text, signature: s.sms.signature },
  );
  const timing =
    s.timing === 'one_off'
      ? { kind: 'one_off', at: new Date(s.at).toISOString() }
      : s.timing === 'periodic'
        ? { kind: 'periodic', cron: s.cron, timezone: s.timezone }
        : { kind: 'triggered', event: s.triggerEvent, delayMinutes: s.delayMinutes };
  return {
    audienceId: s.audienceId,
    timing,
    channels: s.channels,
    content,
    ...(s.channels.includes('sms') ? { smsMaxSegments: s.sms.maxSegments } : {}),
    ...(s.offerAmountCents !== null && s.offerAmountCents > 0
      ? {
          offer: {
            kind: 'coupon',
            amount: { type: 'fixed', amount: s.offerAmountCents },
            validityDays: 7,
            expectedRedemptionRate: 0.2,
            costRecognition: 'redemption',
          },
        }
      : {}),
    ...(s.goalEvent.trim() !== '' ? { goal: { event: s.goalEvent.trim(), withinDays: s.goalDays } } : {}),
    variants: s.ab
      ? [
          { id: 'A', weight: 1 },
          { id: 'B', weight: 1 },
        ]
      : [],
    holdoutShare: s.holdoutShare,
    priority: s.priority,
    ...(s.budgetYuan !== null ? { budgetCents: Math.round(s.budgetYuan * 100) } : {}),
  };
};

const tomorrowNine = (): string => {
  const d = new Date(Date.now() + 86_400_000);
  d.setHours(9, 0, 0, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T09:00`;
};

export const initialEditor = (): EditorState => ({
  name: '',
  audienceId: '',
  channels: ['push'],
  push: { title: '', body: '', landingUrl: 'https://example.com/' },
  sms: { text: '', signature: '【Rekindle】', maxSegments: 3 },
  offerAmountCents: null,
  goalEvent: 'order',
  goalDays: 3,
  ab: false,
  holdoutShare: 0.1,
  timing: 'one_off',
  at: tomorrowNine(),
  cron: '0 9 * * *',
  timezone: 'Asia/Shanghai',
  triggerEvent: '',
  delayMinutes: 0,
  budgetYuan: null,
  priority: 50,
});
