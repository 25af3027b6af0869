import type { Locale, MessageKey } from '../../lib/i18n.tsx';
import type { Campaign, CampaignStatus } from './campaign-types.ts';

/** Small pure helpers of the campaign list and detail page (issue 18): words, colours, times. */

export const STATUS_COLOR: Record<CampaignStatus, string> = {
  draft: 'default',
  pending_review: 'orange',
  approved: 'blue',
  scheduled: 'cyan',
  running: 'green',
  paused: 'gold',
  finished: 'purple',
  cancelled: 'red',
};

export const STATUS_LABEL: Record<CampaignStatus, MessageKey> = {
  draft: 'camp.status.draft',
  pending_review: 'camp.status.pending_review',
  approved: 'camp.status.approved',
  scheduled: 'camp.status.scheduled',
  running: 'camp.status.running',
  paused: 'camp.status.paused',
  finished: 'camp.status.finished',
  cancelled: 'camp.status.cancelled',
};

export const CAMPAIGN_STATUSES = Object.keys(STATUS_LABEL) as CampaignStatus[];

export const TYPE_LABEL: Record<Campaign['definition']['timing']['kind'], MessageKey> = {
  one_off: 'ctask.type.one_off',
  periodic: 'ctask.type.periodic',
  triggered: 'ctask.type.triggered',
};

const CHANNEL_LABEL: Record<string, MessageKey> = {
  push: 'ctask.channel.push',
  sms: 'ctask.channel.sms',
  in_app: 'ctask.channel.in_app',
  email: 'ctask.channel.email',
  wecom: 'ctask.channel.wecom',
  call: 'ctask.channel.call',
  webhook: 'ctask.channel.webhook',
};
export const channelLabel = (c: string): MessageKey => CHANNEL_LABEL[c] ?? 'ctask.channel.other';

/** `fill('{n} 位用户', { n: 3 })` → '3 位用户'. */
export const fill = (text: string, values: Record<string, string | number>): string =>
  text.replace(/\{(\w+)\}/gu, (m, k: string) => (k in values ? String(values[k]) : m));

/** An instant in Beijing time (the workspace's zone), whatever the browser's own zone. */
export const shanghaiTime = (locale: Locale, iso: string | null | undefined): string => {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai',
    hour12: false,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
};

/** Statuses whose edit goes back to review (approved and not yet ended). */
export const editNeedsReview = (c: Pick<Campaign, 'status'>): boolean =>
  c.status === 'approved' || c.status === 'scheduled' || c.status === 'paused';
