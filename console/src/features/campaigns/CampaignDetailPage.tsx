import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Progress,
  Row,
  Space,
  Spin,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useEffect } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError } from '../../lib/api.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { formatCents, formatNumber, formatPercent } from '../../lib/format.ts';
import { useI18n, type Locale } from '../../lib/i18n.tsx';
import { deliveredShown } from '../../lib/in-app-figures.ts';
import { useAsync } from '../../lib/use-async.ts';
import type { AudienceListAnswer, Campaign } from './campaign-types.ts';
import type { CampaignProgress } from './campaign-task-types.ts';
import { CampaignActions } from './CampaignActions.tsx';
import { StatusTag } from './CampaignsPage.tsx';
import { channelLabel, fill, shanghaiTime, TYPE_LABEL } from './task-words.ts';

const LIVE_MS = 5_000;

type Words = { zhCN: string; en: string };
const inLocale = (locale: Locale, w: Words) => (locale === 'zh-CN' ? w.zhCN : w.en);

/**
 * `/campaigns/:id`: one campaign as a task — its status and actions, and its progress
 * (GET /v1/campaigns/:id/progress) refreshed every few seconds while it runs: the funnel, failures
 * per channel with their causes, who was left out and why, the snapshot, holdout, next slot
 * (and whether quiet hours hold it), the budget, and the A/B variants.
 */
export const CampaignDetailPage = () => {
  const { id = '' } = useParams();
  const { t, locale } = useI18n();
  const say = useErrorText();
  const navigate = useNavigate();
  const path = `/v1/campaigns/${encodeURIComponent(id)}`;
  const campaign = useAsync(() => api.get<Campaign>(path), [path]);
  const progress = useAsync(() => api.get<CampaignProgress>(`${path}/progress`), [path]);
  const audiences = useAsync(() => api.get<AudienceListAnswer>('/v1/audiences'), []);
  const live = campaign.data?.status === 'running';
  const { reload: reloadCampaign } = campaign;
  const { reload: reloadProgress } = progress;
  useEffect(() => {
    if (!live) return undefined;
    const timer = setInterval(() => {
      reloadCampaign();
      reloadProgress();
    }, LIVE_MS);
    return () => clearInterval(timer);
  }, [live, reloadCampaign, reloadProgress]);
  const reload = () => {
    reloadCampaign();
    reloadProgress();
  };

  const back = (
    <Button onClick={() => void navigate('/campaigns')} data-testid="campaign-back">
      {t('ctask.detail.back')}
    </Button>
  );
  if (campaign.error)
    return (
      <Space orientation="vertical" style={{ width: '100%' }}>
        {back}
        <Alert
          type="error"
          showIcon
          title={
            campaign.error instanceof ApiError && campaign.error.status === 404
              ? t('ctask.detail.notFound')
              : say(campaign.error)
          }
        />
      </Space>
    );
  const c = campaign.data;
  if (c === undefined) return <Spin />;
  const p = progress.data;
  const n = (v: number) => formatNumber(locale, v);
  const pct = (v: number | null) => (v === null ? t('ctask.none') : formatPercent(locale, v));
  const audience = audiences.data?.audiences.find((a) => a.id === c.definition.audienceId)?.name;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="campaign-detail">
      {back}
      <Card
        title={
          <Space wrap size="small" style={{ whiteSpace: 'normal' }}>
            <span data-testid="detail-name">{c.name}</span>
            <StatusTag c={c} />
            <Tag>{t(TYPE_LABEL[c.definition.timing.kind])}</Tag>
          </Space>
        }
      >
        <Space orientation="vertical" style={{ width: '100%' }}>
          <CampaignActions campaign={c} onChanged={reload} showView={false} waiting={p?.waiting} />
          <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }}>
            <Descriptions.Item label={t('ctask.col.owner')}>{c.owner.name}</Descriptions.Item>
            <Descriptions.Item label={t('ctask.col.audience')}>
              {audience ?? t('ctask.none')}
            </Descriptions.Item>
            <Descriptions.Item label={t('ctask.col.channels')}>
              {c.definition.channels.map((ch) => t(channelLabel(ch))).join(' · ')}
            </Descriptions.Item>
            <Descriptions.Item label={t('ctask.facts.nextSlot')}>
              <span data-testid="detail-next-slot">
                {p?.nextSlot ? (
                  <>
                    {shanghaiTime(locale, p.nextSlot.at)}
                    {t('ctask.tz')}
                    {p.nextSlot.inQuietHours && p.nextSlot.sendsFrom !== null ? (
                      <Typography.Text type="warning" data-testid="detail-quiet" style={{ marginLeft: 8 }}>
                        {fill(t('ctask.facts.quiet'), { time: p.nextSlot.sendsFrom })}
                      </Typography.Text>
                    ) : null}
                  </>
                ) : (
                  t('ctask.facts.nextSlotNone')
                )}
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('ctask.detail.asOf')}>
              {p ? shanghaiTime(locale, p.asOf) : t('ctask.none')}
              {live ? (
                <Typography.Text type="secondary" data-testid="detail-live" style={{ marginLeft: 8 }}>
                  {t('ctask.detail.live')}
                </Typography.Text>
              ) : null}
            </Descriptions.Item>
          </Descriptions>
        </Space>
      </Card>
      {progress.error ? <Alert type="error" showIcon title={say(progress.error)} /> : null}
      {p === undefined ? <Spin /> : <ProgressBody p={p} c={c} n={n} pct={pct} />}
      <Space wrap>
        <Link to={`/outbox?campaign=${encodeURIComponent(c.id)}`} data-testid="detail-lookup">
          {t('ctask.lookup')}
        </Link>
        <Link to={`/reports?campaign=${encodeURIComponent(c.id)}`}>{t('ctask.reports')}</Link>
      </Space>
    </Space>
  );
};

const ProgressBody = ({
  p,
  c,
  n,
  pct,
}: {
  p: CampaignProgress;
  c: Campaign;
  n: (v: number) => string;
  pct: (v: number | null) => string;
}) => {
  const { t, locale } = useI18n();
  const f = p.funnel;
  // In-app has no delivery receipt: read in its place, never "已送达 0" (lib/in-app-figures.ts).
  const shownAs = deliveredShown(f.sent, f.inApp);
  const deliveredSteps =
    shownAs.kind === 'receipts'
      ? [
          {
            key: 'delivered',
            label: t('ctask.funnel.delivered'),
            count: f.delivered,
            rate: f.deliveredRate,
            base: t('ctask.rate.delivered'),
          },
        ]
      : [
          ...(shownAs.kind === 'mixed'
            ? [
                {
                  key: 'delivered',
                  label: t('ctask.funnel.deliveredOther'),
                  count: f.delivered,
                  rate: f.deliveredRate,
                  base: t('ctask.rate.deliveredOther'),
                },
              ]
            : []),
          {
            key: 'inAppRead',
            label: t('ctask.funnel.inAppRead'),
            count: shownAs.read,
            rate: f.inApp?.readRate ?? null,
            base: fill(t('ctask.rate.inAppRead'), { n: n(shownAs.stored) }),
          },
        ];
  const steps = [
    { key: 'planned', label: t('ctask.funnel.planned'), count: f.planned, rate: null, base: '' },
    {
      key: 'sent',
      label: t('ctask.funnel.sent'),
      count: f.sent,
      rate: f.sentRate,
      base: t('ctask.rate.sent'),
    },
    ...deliveredSteps,
    {
      key: 'clicked',
      label: t('ctask.funnel.clicked'),
      count: f.clicked,
      rate: f.clickRate,
      base: t('ctask.rate.clicked'),
    },
    {
      key: 'converted',
      label: t('ctask.funnel.converted'),
      count: f.converted,
      rate: f.conversionRate,
      base: fill(t('ctask.rate.converted'), { n: n(f.users) }),
    },
  ];
  const top = Math.max(f.planned, f.sent, 1);
  const money = (cents: number) => formatCents(locale, cents);
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Card title={t('ctask.detail.progress')} data-testid="detail-funnel">
        {p.runs.count === 0 && p.trigger === null && f.planned === 0 ? (
          <Alert type="info" showIcon title={t('ctask.notRun')} style={{ marginBottom: 12 }} />
        ) : null}
        <Space orientation="vertical" style={{ width: '100%' }}>
          {steps.map((s) => (
            <Row key={s.key} gutter={8} align="middle" data-testid={`funnel-${s.key}`}>
              <Col xs={8} sm={4}>
                {s.label}
              </Col>
              <Col xs={6} sm={3} style={{ textAlign: 'right', fontWeight: 600 }}>
                <span data-testid={`funnel-${s.key}-count`}>{n(s.count)}</span>
              </Col>
              <Col xs={10} sm={5}>
                <Typography.Text type="secondary">
                  {s.rate === null ? '' : `${s.base} ${pct(s.rate)}`}
                </Typography.Text>
              </Col>
              <Col xs={24} sm={12}>
                <Progress percent={(s.count / top) * 100} showInfo={false} size="small" />
              </Col>
            </Row>
          ))}
          {shownAs.kind === 'receipts' ? null : (
            <Typography.Text type="secondary" data-testid="detail-in-app-note">
              {t('ctask.inApp.note')}
            </Typography.Text>
          )}
          {p.waiting > 0 ? (
            <Typography.Text data-testid="detail-waiting">
              {fill(t('ctask.waiting'), { n: n(p.waiting) })}
            </Typography.Text>
          ) : null}
        </Space>
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24}>
          <Card title={t('ctask.channels.title')} style={{ height: '100%' }}>
            <Table
              rowKey="channel"
              size="small"
              pagination={false}
              scroll={{ x: 'max-content' }}
              dataSource={p.channels}
              data-testid="detail-channels"
              locale={{ emptyText: t('ctask.none') }}
              columns={[
                { title: t('ctask.col.channels'), render: (_, r) => t(channelLabel(r.channel)) },
                { title: t('ctask.channels.planned'), align: 'right', render: (_, r) => n(r.planned) },
                { title: t('ctask.channels.waiting'), align: 'right', render: (_, r) => n(r.waiting) },
                { title: t('ctask.channels.sent'), align: 'right', render: (_, r) => n(r.sent) },
                {
                  title: t('ctask.channels.delivered'),
                  align: 'right',
                  render: (_, r) =>
                    r.channel === 'in_app' ? (
                      <Typography.Text type="secondary" data-testid="channel-delivered-in_app">
                        {t('ctask.inApp.noReceipt')}
                      </Typography.Text>
                    ) : (
                      n(r.delivered)
                    ),
                },
                {
                  title: t('ctask.channels.failed'),
                  align: 'right',
                  render: (_, r) => (
                    <span data-testid={`channel-failed-${r.channel}`}>
                      {n(r.failed + r.dead + r.unknown)}
                    </span>
                  ),
                },
                {
                  title: t('ctask.channels.reasons'),
                  render: (_, r) =>
                    r.failures.length === 0 ? (
                      <Typography.Text type="secondary">{t('ctask.channels.noFailures')}</Typography.Text>
                    ) : (
                      <Space orientation="vertical" size={0}>
                        {r.failures.map((x) => (
                          <span key={`${x.kind}:${x.reason}`} data-testid="channel-failure">
                            {fill(t('ctask.channels.failureLine'), {
                              n: n(x.count),
                              why: inLocale(locale, x.words),
                            })}
                          </span>
                        ))}
                      </Space>
                    ),
                },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card title={t('ctask.skips.title')} style={{ height: '100%' }} data-testid="detail-skips">
            {p.skipped.reasons.length === 0 ? (
              <Typography.Text type="secondary">{t('ctask.skips.none')}</Typography.Text>
            ) : (
              <Space orientation="vertical" size={4} style={{ width: '100%' }}>
                {p.skipped.reasons.map((r) => (
                  <span key={r.reason} data-testid={`skip-${r.reason}`}>
                    {fill(t('ctask.skips.line'), { n: n(r.count), why: inLocale(locale, r.words) })}
                  </span>
                ))}
                <Typography.Text type="secondary">
                  {fill(t('ctask.skips.total'), { n: n(p.skipped.total) })}
                </Typography.Text>
              </Space>
            )}
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card title={t('ctask.facts.title')} style={{ height: '100%' }}>
            <Descriptions size="small" column={1} data-testid="detail-facts">
              <Descriptions.Item label={t('ctask.facts.snapshot')}>
                <span data-testid="detail-snapshot">
                  {p.snapshot
                    ? fill(t('ctask.facts.snapshotValue'), {
                        n: n(p.snapshot.members),
                        at: shanghaiTime(locale, p.snapshot.slotAt),
                      })
                    : t('ctask.facts.snapshotNone')}
                </span>
              </Descriptions.Item>
              <Descriptions.Item label={t('ctask.facts.holdout')}>
                <span data-testid="detail-holdout">
                  {fill(t('ctask.facts.holdoutValue'), {
                    n: n(p.holdout.users),
                    share: formatPercent(locale, p.holdout.share),
                  })}
                </span>
              </Descriptions.Item>
              <Descriptions.Item label={t('ctask.facts.runs')}>{n(p.runs.count)}</Descriptions.Item>
              {p.trigger ? (
                <Descriptions.Item label={t('ctask.facts.trigger')}>
                  {fill(t('ctask.facts.triggerValue'), {
                    waiting: n(p.trigger.waiting),
                    sent: n(p.trigger.sent),
                    holdout: n(p.trigger.holdout),
                    skipped: n(p.trigger.skipped),
                  })}
                </Descriptions.Item>
              ) : null}
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card title={t('ctask.budget.title')} style={{ height: '100%' }}>
            <Descriptions size="small" column={1} data-testid="detail-budget">
              <Descriptions.Item label={t('ctask.budget.limit')}>
                {p.budget.limitCents === null ? t('ctask.budget.none') : money(p.budget.limitCents)}
              </Descriptions.Item>
              <Descriptions.Item label={t('ctask.budget.spent')}>
                <span data-testid="budget-spent">{money(p.budget.spentCents)}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('ctask.budget.committed')}>
                {money(p.budget.committedCents)}
              </Descriptions.Item>
              {p.budget.remainingCents === null ? null : (
                <Descriptions.Item label={t('ctask.budget.remaining')}>
                  <span data-testid="budget-remaining">{money(p.budget.remainingCents)}</span>
                </Descriptions.Item>
              )}
            </Descriptions>
          </Card>
        </Col>
      </Row>
      {c.definition.variants.length > 0 ? (
        <Card title={t('ctask.ab.title')}>
          <Table
            rowKey="variant"
            size="small"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={p.variants}
            data-testid="detail-variants"
            columns={[
              {
                title: t('ctask.ab.variant'),
                render: (_, r) => (r.variant === '' ? t('ctask.ab.noVariant') : r.variant),
              },
              { title: t('ctask.ab.sent'), align: 'right', render: (_, r) => n(r.sent) },
              { title: t('ctask.ab.clicked'), align: 'right', render: (_, r) => n(r.clicked) },
              { title: t('ctask.ab.ctr'), align: 'right', render: (_, r) => pct(r.ctr) },
              { title: t('ctask.ab.converted'), align: 'right', render: (_, r) => n(r.convertedUsers) },
              { title: t('ctask.ab.rate'), align: 'right', render: (_, r) => pct(r.conversionRate) },
            ]}
          />
        </Card>
      ) : null}
    </Space>
  );
};
