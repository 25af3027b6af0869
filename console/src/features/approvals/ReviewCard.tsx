import { Alert, Button, Card, Descriptions, Grid, Input, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import type { Campaign, Estimate } from '../../lib/api-types.ts';
import { ContentGatePanel } from '../../lib/ContentGatePanel.tsx';
import { formatCents, formatNumber, formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import { useCan } from '../../lib/permissions.ts';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { useDraftPreview, type DraftPreviewRequest } from '../../lib/draft-preview.ts';
import {
  cronMinutes,
  DEFAULT_SPREAD_MINUTES,
  quietVerdict,
  type QuietWindow,
} from '../../lib/quiet-hours.ts';
import { PhoneMessage } from './PhoneMessages.tsx';
import { scheduleWords, type TimingLike } from './review-words.ts';

const fill = (s: string, values: Record<string, string | number>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

/**
 * The estimate's expectations when the reviewer opens a campaign: the cost calculator's defaults
 * (5 % conversion against a 2 % baseline, ¥150 orders at 30 % margin). The message and offer
 * costs do not depend on them.
 */
export const REVIEW_ESTIMATE_INPUTS = {
  conversionRate: 0.05,
  baselineConversionRate: 0.02,
  averageOrderCents: 15_000,
  marginRate: 0.3,
} as const;

interface Loose {
  [k: string]: unknown;
}
interface VariantLike {
  id: string;
  weight: number;
  content?: unknown[];
  channels?: string[];
  /** Its own offer; null: none; absent: the campaign's. */
  offer?: Loose | null;
}

/**
 * What a reviewer approves, in one card: the content per channel rendered for a sample member of
 * the audience (and each A/B variant's own), the audience and its size, the schedule in words,
 * the offer, the budget and the estimated cost, the content gate with any admin override; then
 * 通过, or 驳回 with a reason. A reviewer cannot review a campaign they own or submitted.
 */
export const ReviewCard = ({
  c,
  onReview,
  gateTick,
}: {
  c: Campaign;
  onReview: (decision: 'approve' | 'reject', note: string, overrideReason: string) => void;
  gateTick: number;
}) => {
  const { t, locale } = useI18n();
  const tk = (k: string) => t(k as MessageKey);
  const can = useCan();
  // On a phone the labels go above their values: a narrow label column breaks 负责人 in two.
  const wide = Grid.useBreakpoint().sm === true;
  const { me } = useSession();
  const [note, setNote] = useState('');
  const [reason, setReason] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const d = c.definition as unknown as Loose;
  const audienceId = String(d['audienceId'] ?? '');
  const audience = useAsync(
    () => api.get<{ name: string }>(`/v1/audiences/${encodeURIComponent(audienceId)}`),
    [audienceId],
  );
  const size = useAsync(
    () => api.get<{ count: number }>(`/v1/audiences/${encodeURIComponent(audienceId)}/preview?sample=1`),
    [audienceId],
  );
  const estimate = useAsync(
    () => api.post<Estimate>(`/v1/campaigns/${encodeURIComponent(c.id)}/estimate`, REVIEW_ESTIMATE_INPUTS),
    [c.id, c.version],
  );
  const policy = useAsync(
    () =>
      api.get<{
        policy: { quietHours: QuietWindow | null; defaultTimezone: string; quietSpreadMinutes?: number };
      }>('/v1/planner/policy'),
    [],
  );
  const timing = d['timing'] as TimingLike;
  const quiet = (() => {
    const p = policy.data?.policy;
    if (p === undefined || p.quietHours === null || timing.kind === 'triggered') return '';
    const spread = p.quietSpreadMinutes ?? DEFAULT_SPREAD_MINUTES;
    const v =
      timing.kind === 'one_off'
        ? quietVerdict({ atMs: Date.parse(timing.at ?? ''), zone: p.defaultTimezone }, p.quietHours, spread)
        : quietVerdict({ minutes: cronMinutes(timing.cron ?? '') }, p.quietHours, spread);
    if (v.kind !== 'night' && v.kind !== 'some') return '';
    const drop = d['outsideWindow'] === 'drop';
    const key =
      v.kind === 'night'
        ? drop
          ? 'appr.quiet.nightDrop'
          : 'appr.quiet.night'
        : drop
          ? 'appr.quiet.someDrop'
          : 'appr.quiet.some';
    return fill(tk(key), { start: p.quietHours.start, end: p.quietHours.end, from: v.from, to: v.to });
  })();
  const variants = (Array.isArray(d['variants']) ? d['variants'] : []) as VariantLike[];
  const main = (Array.isArray(d['content']) ? d['content'] : []) as Loose[];
  const tagged = [
    ...main.map((x) => ({ variant: null as string | null, content: x })),
    ...variants.flatMap((v) => (v.content ?? []).map((x) => ({ variant: v.id, content: x as Loose }))),
  ];
  const request: DraftPreviewRequest = {
    name: c.name,
    audienceId,
    ...(d['offer'] === undefined ? {} : { offer: d['offer'] }),
    content: tagged.map((x) => x.content),
  };
  const rendered = useDraftPreview(request, 0);
  const own = me !== null && (c.owner.id === me.user.id || c.submittedBy === me.user.id);
  const allowed = can('campaign.review', c.submittedBy === me?.user.id ? me.user.id : c.owner.id);
  const why = !allowed.allowed ? allowed.reason : own ? t('perm.notOwnCampaign') : undefined;
  const wordsOf = (offer: Loose | null | undefined): string => {
    if (offer === undefined || offer === null) return t('camp.offerNone');
    const amount = typeof offer['amount'] === 'object' ? (offer['amount'] as Loose | null) : undefined;
    return amount && amount['type'] === 'fixed' && typeof amount['amount'] === 'number'
      ? fill(t('appr.offerFixed'), {
          kind: tk(`appr.offerKind.${String(offer['kind'])}`),
          amount:
            offer['kind'] === 'points'
              ? fill(t('appr.points'), { n: formatNumber(locale, amount['amount']) })
              : formatCents(locale, amount['amount']),
          days: Number(offer['validityDays'] ?? 0),
        })
      : tk(`appr.offerKind.${String(offer['kind'])}`);
  };
  const offerWords = wordsOf(d['offer'] as Loose | undefined);
  // Each variant's offer (an offer test: its own, none, or the campaign's), with the estimate's count.
  const variantOfferWords = (v: VariantLike): string => {
    const words =
      v.offer === undefined
        ? fill(t('appr.variantOfferSame'), { offer: offerWords })
        : fill(t('appr.variantOffer'), { offer: wordsOf(v.offer) });
    const est = estimate.data?.offer?.byVariant.find((x) => x.variant === v.id);
    return est === undefined || est.issued === 0
      ? words
      : `${words}${fill(t('appr.variantOfferEstimate'), {
          n: formatNumber(locale, est.issued),
          total: formatCents(locale, est.totalValueCents),
        })}`;
  };
  const e = estimate.data;
  // The estimate's `cost` is documented as open (Unknown); the calculator's fields, in cents.
  const cost = e?.cost as { total: number; direct: { messages: number; offers: number } } | undefined;
  const totalWeight = variants.reduce((a, v) => a + v.weight, 0) || 1;
  const channels = (c.definition.channels as string[])
    .map((ch) => tk(`ced.channel.${ch}`))
    .join(t('ced.listSep'));
  const renderedAt = (i: number) =>
    rendered.data === undefined ? undefined : (rendered.data.items[i]?.preview ?? null);

  return (
    <Card
      size="small"
      data-testid={`approval-${c.name}`}
      title={
        <Space wrap>
          <Typography.Text strong>{c.name}</Typography.Text>
          <Tag>{fill(t('appr.version'), { n: c.version })}</Tag>
        </Space>
      }
    >
      <Space orientation="vertical" style={{ width: '100%' }} size="middle">
        <Descriptions
          size="small"
          column={{ xs: 1, md: 2 }}
          bordered
          layout={wide ? 'horizontal' : 'vertical'}
        >
          <Descriptions.Item label={t('common.owner')}>
            {c.owner.name} · {formatTime(locale, c.submittedAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('camp.audience')}>
            <span data-testid="review-audience">
              {audience.data?.name ?? '…'}
              {size.data !== undefined &&
                ` · ${fill(t('appr.people'), { n: formatNumber(locale, size.data.count) })}`}
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={t('camp.channels')}>{channels}</Descriptions.Item>
          <Descriptions.Item label={t('appr.schedule')}>
            <span data-testid="review-schedule">
              {scheduleWords(timing, tk, (iso) => formatTime(locale, iso))}
              {quiet !== '' && (
                <Typography.Text type="warning" data-testid="review-quiet">
                  {quiet}
                </Typography.Text>
              )}
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={t('camp.offer')}>{offerWords}</Descriptions.Item>
          <Descriptions.Item label={t('appr.budget')}>
            {typeof d['budgetCents'] === 'number'
              ? formatCents(locale, d['budgetCents'])
              : t('appr.noBudget')}
          </Descriptions.Item>
          <Descriptions.Item label={t('camp.holdout')}>
            {Math.round(Number(d['holdoutShare'] ?? 0) * 100)}%
          </Descriptions.Item>
          <Descriptions.Item label={t('appr.estimate')}>
            {estimate.error ? (
              <Typography.Text type="secondary">{t('appr.estimateFailed')}</Typography.Text>
            ) : e === undefined || cost === undefined ? (
              <Spin size="small" />
            ) : (
              <span data-testid="review-estimate">
                <Typography.Text strong data-testid="review-estimate-total">
                  {formatCents(locale, cost.total)}
                </Typography.Text>
                {' · '}
                {fill(t('appr.estimateParts'), {
                  messages: formatNumber(locale, e.messages),
                  sending: formatCents(locale, cost.direct.messages),
                  offers: formatCents(locale, cost.direct.offers),
                })}
              </span>
            )}
          </Descriptions.Item>
        </Descriptions>
        <div>
          <Typography.Title level={5}>{t('appr.content')}</Typography.Title>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
            {rendered.data?.userId ? t('appr.renderedFor') : t('appr.renderedNoMember')}
          </Typography.Paragraph>
          <Space wrap align="start" data-testid="review-content">
            {main.map((_, i) => (
              <PhoneMessage key={i} preview={renderedAt(i) ?? null} testId={`review-message-${i}`} />
            ))}
          </Space>
          {rendered.data === undefined && <Spin size="small" />}
        </div>
        {variants.length > 0 && (
          <div data-testid="review-variants">
            <Typography.Title level={5}>{t('camp.ab')}</Typography.Title>
            {variants.map((v) => {
              const start =
                main.length +
                variants.slice(0, variants.indexOf(v)).reduce((a, x) => a + (x.content?.length ?? 0), 0);
              return (
                <Card
                  key={v.id}
                  size="small"
                  style={{ marginBottom: 8 }}
                  title={fill(t('ced.field.variant'), { id: v.id })}
                >
                  <Typography.Paragraph>
                    {fill(t('appr.variantShare'), { n: Math.round((v.weight / totalWeight) * 100) })}
                    {' · '}
                    {v.channels && v.channels.length > 0
                      ? fill(t('appr.variantChannels'), {
                          list: v.channels.map((ch) => tk(`ced.channel.${ch}`)).join(t('ced.listSep')),
                        })
                      : t('appr.variantAllChannels')}
                    {' · '}
                    {(v.content ?? []).length > 0
                      ? t('appr.variantOwnContent')
                      : t('appr.variantSameContent')}
                    {' · '}
                    <span data-testid={`review-variant-${v.id}-offer`}>{variantOfferWords(v)}</span>
                  </Typography.Paragraph>
                  <Space wrap align="start">
                    {(v.content ?? []).map((_, j) => (
                      <PhoneMessage key={j} preview={renderedAt(start + j) ?? null} />
                    ))}
                  </Space>
                </Card>
              );
            })}
          </div>
        )}
        {(c.definition.channels as string[]).includes('sms') && (
          <ContentGatePanel
            campaignId={c.id}
            reloadKey={`${c.version}:${gateTick}`}
            canOverride={me?.user.role === 'admin' && !own}
            reason={reason}
            onReason={setReason}
          />
        )}
        {rejecting && (
          <Input.TextArea
            value={note}
            onChange={(ev) => setNote(ev.target.value)}
            placeholder={t('appr.rejectReason')}
            autoSize={{ minRows: 2, maxRows: 5 }}
            data-testid="reject-reason"
          />
        )}
        {why !== undefined && <Alert type="info" showIcon title={why} />}
        <Space wrap>
          <Tooltip title={why}>
            <Button
              type="primary"
              disabled={why !== undefined}
              onClick={() => onReview('approve', note, reason)}
              data-testid="approve"
            >
              {t('appr.approve')}
            </Button>
          </Tooltip>
          {!rejecting ? (
            <Tooltip title={why}>
              <Button
                danger
                disabled={why !== undefined}
                onClick={() => setRejecting(true)}
                data-testid="reject"
              >
                {t('appr.reject')}
              </Button>
            </Tooltip>
          ) : (
            <>
              <Tooltip title={note.trim() === '' ? t('appr.rejectNeedsReason') : undefined}>
                <Button
                  danger
                  type="primary"
                  disabled={note.trim() === ''}
                  onClick={() => onReview('reject', note.trim(), '')}
                  data-testid="reject-confirm"
                >
                  {t('appr.rejectConfirm')}
                </Button>
              </Tooltip>
              <Button onClick={() => setRejecting(false)}>{t('common.cancel')}</Button>
            </>
          )}
        </Space>
      </Space>
    </Card>
  );
};
