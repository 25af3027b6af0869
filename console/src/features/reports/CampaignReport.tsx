import {
  Card,
  Col,
  Descriptions,
  Empty,
  Row,
  Segmented,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import { getOptional, query } from '../../lib/api.ts';
import { Chart } from '../../lib/Chart.tsx';
import { formatCents, formatNumber, formatPercent, formatYuan, plainYuan } from '../../lib/format.ts';
import { deliveredShown, type DeliveredShown } from '../../lib/in-app-figures.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { csvFileName, type CsvColumn } from './csv.ts';
import { ExportCsv } from './ExportCsv.tsx';
import { FunnelTable } from '../../lib/FunnelTable.tsx';
import { browserTimeZone, dayText, type DayRange } from '../../lib/RangeFilter.tsx';
import { IncrementalRoi } from './IncrementalRoi.tsx';
import type { Ab, CampaignRoi, Lift, Stats, StatsRow } from './report-types.ts';
import { channelName, fill } from '../../lib/report-words.ts';
import { abOfferLines } from './ab-offers.ts';
import { chartMeasures, deliveryMeasures } from './stats-series.ts';

type By = 'variant' | 'channel' | 'day';

const KEY_TITLES: Record<By, MessageKey> = {
  variant: 'rep.key.variant',
  channel: 'rep.key.channel',
  day: 'rep.key.day',
};

const statsOption = (
  rows: StatsRow[],
  label: (r: StatsRow) => string,
  t: (k: MessageKey) => string,
  shown: DeliveredShown['kind'],
): EChartsOption => ({
  // Screen readers (and the browser test) read which measures the bars are.
  aria: {
    enabled: true,
    label: {
      description: fill(t('rep.chart.series'), {
        series: chartMeasures(shown)
          .map((m) => t(m.label))
          .join(t('rep.chart.sep')),
      }),
    },
  },
  tooltip: { trigger: 'axis' },
  legend: {},
  grid: { left: rows.length > 6 ? 36 : 8, right: 16, bottom: 8 },
  xAxis: { type: 'category', data: rows.map(label), axisLabel: { rotate: rows.length > 6 ? 30 : 0 } },
  yAxis: { type: 'value' },
  series: chartMeasures(shown).map((m) => ({ name: t(m.label), type: 'bar', data: rows.map(m.value) })),
});

/** Offers in all three of their booking parts. */
const offersCents = (r: StatsRow) =>
  r.offersIssuedCostCents + r.offersRedeemedCostCents + r.offersBonusCostCents;

/**
 * One campaign's report: totals (money as spent, in ¥), the funnel planned → sent → delivered →
 * clicked → converted with the rates between stages, a breakdown by variant / channel / day (the
 * days computed by the server for the period picked on the page, in the operator's zone), the lift
 * over the holdout and the A/B test with each variant's offer and what it cost. The totals always
 * cover the whole campaign (the by-variant answer); only the day breakdown is limited to the range.
 */
export const CampaignReport = ({ campaignId, range }: { campaignId: string; range: DayRange }) => {
  const { t, locale } = useI18n();
  const [by, setBy] = useState<By>('variant');
  const id = encodeURIComponent(campaignId);
  const from = dayText(range[0]);
  const to = dayText(range[1]);
  const whole = useAsync(() => getOptional<Stats>(`/v1/campaigns/${id}/stats?by=variant`), [id]);
  // By variant the whole campaign's answer is the breakdown too: no second request.
  const other = useAsync(
    () =>
      by === 'variant'
        ? Promise.resolve(null)
        : getOptional<Stats>(
            `/v1/campaigns/${id}/stats${query(
              by === 'day' ? { by, from, to, timeZone: browserTimeZone() } : { by },
            )}`,
          ),
    [id, by, ...(by === 'day' ? [from, to] : [])],
  );
  const breakdown = by === 'variant' ? whole : other;
  const lift = useAsync(() => getOptional<Lift>(`/v1/campaigns/${id}/lift`), [id]);
  const ab = useAsync(() => getOptional<Ab>(`/v1/campaigns/${id}/ab`), [id]);
  const roi = useAsync(() => getOptional<CampaignRoi>(`/v1/campaigns/${id}/roi`), [id]);
  const pct = (v: number | null) => (v === null ? '—' : formatPercent(locale, v, 2));
  const keyLabel = (r: StatsRow) =>
    by === 'channel' ? channelName(t, r.key) : by === 'variant' && r.key === '' ? t('rep.key.none') : r.key;
  // In-app has no delivery receipt: the whole campaign's channels say how delivery is shown.
  const shownKind: DeliveredShown['kind'] =
    whole.data === undefined || whole.data === null
      ? 'receipts'
      : deliveredShown(whole.data.total.sent, whole.data.inApp).kind;
  const csvColumns = useMemo<CsvColumn<StatsRow>[]>(
    () => [
      { title: t(KEY_TITLES[by]), value: keyLabel },
      { title: t('rep.m.planned'), value: (r) => r.planned },
      { title: t('rep.m.sent'), value: (r) => r.sent },
      ...deliveryMeasures(shownKind).map((m) => ({ title: t(m.label), value: m.value })),
      { title: t('rep.m.failed'), value: (r) => r.failed },
      { title: t('rep.m.clicked'), value: (r) => r.clicked },
      { title: t('rep.m.converted'), value: (r) => r.convertedUsers },
      { title: t('rep.m.unsubscribes'), value: (r) => r.unsubscribes },
      {
        title: `${t('rep.m.revenue')}${t('rep.csv.yuan')}`,
        value: (r) => plainYuan(Math.round(r.revenue * 100)),
      },
      {
        title: `${t('rep.m.messagesCost')}${t('rep.csv.yuan')}`,
        value: (r) => plainYuan(r.messagesCostCents),
      },
      { title: `${t('rep.m.offersCost')}${t('rep.csv.yuan')}`, value: (r) => plainYuan(offersCents(r)) },
      { title: `${t('rep.m.cost')}${t('rep.csv.yuan')}`, value: (r) => plainYuan(r.costCents) },
      { title: t('rep.m.roi'), value: (r) => (r.roi === null ? '' : `${(r.roi * 100).toFixed(1)}%`) },
    ],
    // keyLabel reads `by` and `t`, both listed.
    [t, by, shownKind],
  );
  return (
    <Row gutter={[16, 16]} data-testid="campaign-report">
      <Col span={24}>
        <Card
          title={t('rep.campaign')}
          extra={
            <Segmented<By>
              value={by}
              onChange={setBy}
              options={[
                { value: 'variant', label: t('rep.byVariant') },
                { value: 'channel', label: t('rep.byChannel') },
                { value: 'day', label: t('rep.byDay') },
              ]}
            />
          }
        >
          <PageState state={whole}>
            {(s) => {
              // In-app has no delivery receipt: read in its place, never "已送达 0".
              const shownAs = deliveredShown(s.total.sent, s.inApp);
              const deliveredLabel =
                shownAs.kind === 'mixed' ? t('rep.funnel.deliveredOther') : t('rep.m.delivered');
              return (
                <Space orientation="vertical" style={{ width: '100%' }} size="middle">
                  <Row gutter={[16, 16]} data-testid="report-totals">
                    <Col xs={12} sm={8} lg={4}>
                      <Statistic title={t('rep.m.sent')} value={formatNumber(locale, s.total.sent)} />
                    </Col>
                    <Col xs={12} sm={8} lg={4}>
                      <Statistic
                        title={deliveredLabel}
                        value={
                          shownAs.kind === 'inAppOnly'
                            ? t('rep.inApp.noReceipt')
                            : formatNumber(locale, s.total.delivered)
                        }
                        styles={shownAs.kind === 'inAppOnly' ? { content: { fontSize: 16 } } : {}}
                        data-testid="report-delivered"
                      />
                    </Col>
                    {shownAs.kind === 'receipts' ? null : (
                      <Col xs={12} sm={8} lg={4}>
                        <Statistic
                          title={t('rep.m.inAppRead')}
                          value={formatNumber(locale, shownAs.read)}
                          data-testid="report-in-app-read"
                        />
                      </Col>
                    )}
                    <Col xs={12} sm={8} lg={4}>
                      <Statistic
                        title={t('rep.m.converted')}
                        value={formatNumber(locale, s.total.convertedUsers)}
                      />
                    </Col>
                    <Col xs={12} sm={8} lg={4}>
                      <Statistic title={t('rep.m.revenue')} value={formatYuan(locale, s.total.revenue)} />
                    </Col>
                    <Col xs={12} sm={8} lg={4}>
                      <Statistic
                        title={t('rep.m.cost')}
                        value={formatCents(locale, s.total.costCents)}
                        data-testid="report-cost"
                      />
                    </Col>
                    <Col xs={12} sm={8} lg={4}>
                      <Statistic
                        title={t('rep.roi.attributed')}
                        value={pct(s.total.roi)}
                        data-testid="report-attributed-roi"
                      />
                    </Col>
                  </Row>
                  {roi.data !== undefined && roi.data !== null && <IncrementalRoi roi={roi.data} />}
                  <Descriptions
                    size="small"
                    column={{ xs: 1, sm: 2, lg: 5 }}
                    data-testid="report-cost-parts"
                    title={t('cost.parts')}
                  >
                    <Descriptions.Item label={t('cost.messages')}>
                      {formatCents(locale, s.total.messagesCostCents)}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('cost.offersIssued')}>
                      {formatCents(locale, s.total.offersIssuedCostCents)}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('cost.offersRedeemed')}>
                      {formatCents(locale, s.total.offersRedeemedCostCents)}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('cost.offersBonus')}>
                      {formatCents(locale, s.total.offersBonusCostCents)}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('rep.m.cost')}>
                      {formatCents(locale, s.total.costCents)} ·{' '}
                      {t(`cost.recognition.${s.costRecognition ?? 'none'}`)}
                    </Descriptions.Item>
                  </Descriptions>
                  <Row gutter={[16, 16]}>
                    <Col xs={24} xl={8}>
                      <Typography.Title level={5}>{t('rep.funnel')}</Typography.Title>
                      <FunnelTable
                        testId="campaign-funnel"
                        steps={[
                          { key: 'planned', label: t('rep.funnel.planned'), count: s.total.planned },
                          { key: 'sent', label: t('rep.funnel.sent'), count: s.total.sent },
                          shownAs.kind === 'inAppOnly'
                            ? { key: 'inAppRead', label: t('rep.funnel.inAppRead'), count: shownAs.read }
                            : {
                                key: 'delivered',
                                label:
                                  shownAs.kind === 'mixed'
                                    ? t('rep.funnel.deliveredOther')
                                    : t('rep.funnel.delivered'),
                                count: s.total.delivered,
                              },
                          { key: 'clicked', label: t('rep.funnel.clicked'), count: s.total.clicked },
                          {
                            key: 'converted',
                            label: t('rep.funnel.converted'),
                            count: s.total.convertedUsers,
                          },
                        ]}
                      />
                      {shownAs.kind === 'receipts' ? null : (
                        <Typography.Text type="secondary" data-testid="report-in-app-note">
                          {fill(t(shownAs.kind === 'mixed' ? 'rep.inApp.mixed' : 'rep.inApp.only'), {
                            stored: formatNumber(locale, shownAs.stored),
                            read: formatNumber(locale, shownAs.read),
                          })}
                        </Typography.Text>
                      )}
                    </Col>
                    <Col xs={24} xl={16}>
                      <PageState state={breakdown}>
                        {(b) => (
                          <Chart
                            option={statsOption(b.rows, keyLabel, t, shownAs.kind)}
                            testId="chart-stats"
                          />
                        )}
                      </PageState>
                    </Col>
                  </Row>
                  <PageState state={breakdown}>
                    {(b) => (
                      <Space orientation="vertical" style={{ width: '100%' }} size="middle">
                        <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
                          <Typography.Text type="secondary">
                            {by === 'day' ? `${t('rep.dayRangeNote')} ` : ''}
                            {t('rep.wholeCampaign')}
                          </Typography.Text>
                          <ExportCsv
                            columns={csvColumns}
                            rows={b.rows}
                            fileName={csvFileName(
                              t('rep.stats.file'),
                              ...(by === 'day' ? [dayText(range[0]), dayText(range[1])] : []),
                            )}
                            testId="stats-export"
                          />
                        </Space>
                        <Table<StatsRow>
                          size="small"
                          rowKey="key"
                          pagination={false}
                          scroll={{ x: 'max-content' }}
                          dataSource={b.rows}
                          data-testid="stats-table"
                          columns={[
                            { title: t(KEY_TITLES[by]), render: (_, r) => keyLabel(r) },
                            { title: t('rep.m.sent'), render: (_, r) => formatNumber(locale, r.sent) },
                            ...deliveryMeasures(shownAs.kind).map((m) => ({
                              title: t(m.label),
                              render: (_: unknown, r: StatsRow) =>
                                m.key === 'delivered' && by === 'channel' && r.key === 'in_app' ? (
                                  <Typography.Text type="secondary">
                                    {t('rep.inApp.noReceipt')}
                                  </Typography.Text>
                                ) : (
                                  formatNumber(locale, m.value(r))
                                ),
                            })),
                            { title: t('rep.m.failed'), render: (_, r) => formatNumber(locale, r.failed) },
                            { title: t('rep.m.ctr'), render: (_, r) => pct(r.ctr) },
                            { title: t('rep.m.conversionRate'), render: (_, r) => pct(r.conversionRate) },
                            {
                              title: t('rep.m.unsubscribes'),
                              render: (_, r) => formatNumber(locale, r.unsubscribes),
                            },
                            { title: t('rep.m.revenue'), render: (_, r) => formatYuan(locale, r.revenue) },
                            { title: t('rep.m.cost'), render: (_, r) => formatCents(locale, r.costCents) },
                            { title: t('rep.m.roi'), render: (_, r) => pct(r.roi) },
                          ]}
                        />
                      </Space>
                    )}
                  </PageState>
                </Space>
              );
            }}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title={t('rep.lift')}>
          <PageState state={lift}>
            {(l) =>
              l.vsHoldout === null ? (
                <Empty description={t('rep.lift.none')} />
              ) : (
                <Descriptions size="small" column={1} bordered data-testid="report-lift">
                  <Descriptions.Item label={t('rep.lift.treatment')}>
                    {fill(t('rep.lift.rateOf'), {
                      rate: pct(l.treatment.rate),
                      converted: formatNumber(locale, l.treatment.converted),
                      users: formatNumber(locale, l.treatment.users),
                    })}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('rep.lift.holdout')}>
                    {fill(t('rep.lift.rateOf'), {
                      rate: pct(l.holdout.rate),
                      converted: formatNumber(locale, l.holdout.converted),
                      users: formatNumber(locale, l.holdout.users),
                    })}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('rep.lift.lift')}>
                    {fill(t('rep.lift.ci'), {
                      lift: pct(l.vsHoldout.absoluteLift),
                      low: pct(l.vsHoldout.absoluteCi.low),
                      high: pct(l.vsHoldout.absoluteCi.high),
                    })}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('rep.pValue')}>
                    {l.vsHoldout.pValue.toFixed(4)}{' '}
                    <Tag color={l.vsHoldout.pValue < 0.05 ? 'green' : 'default'}>
                      {l.vsHoldout.pValue < 0.05 ? t('rep.significant') : t('rep.notSignificant')}
                    </Tag>
                  </Descriptions.Item>
                </Descriptions>
              )
            }
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title={t('rep.ab')}>
          <PageState state={ab}>
            {(a) => (
              <>
                <p data-testid="report-ab-winner">
                  {a.winner === null ? (
                    t('rep.ab.noWinner')
                  ) : (
                    <Tag color="green">{fill(t('rep.ab.winner'), { id: a.winner })}</Tag>
                  )}
                </p>
                <Table
                  size="small"
                  rowKey="id"
                  pagination={false}
                  scroll={{ x: 'max-content' }}
                  dataSource={a.arms}
                  columns={[
                    { title: t('m.arm'), dataIndex: 'id' },
                    {
                      title: t('rep.m.users'),
                      render: (_, r: Ab['arms'][number]) => formatNumber(locale, r.users),
                    },
                    {
                      title: t('rep.m.converted'),
                      render: (_, r: Ab['arms'][number]) => formatNumber(locale, r.conversions),
                    },
                    { title: t('rep.m.conversionRate'), render: (_, r: Ab['arms'][number]) => pct(r.rate) },
                    {
                      title: t('rep.pValue'),
                      render: (_, r: Ab['arms'][number]) =>
                        r.vsControl === null ? (
                          t('rep.ab.control')
                        ) : (
                          <span>
                            {r.vsControl.pValue.toFixed(4)}{' '}
                            {r.vsControl.significant && <Tag color="green">{t('rep.significant')}</Tag>}
                          </span>
                        ),
                    },
                  ]}
                />
                {abOfferLines(t, locale, a.offers).length > 0 && (
                  <div data-testid="report-ab-offers" style={{ marginTop: 12 }}>
                    <Typography.Text strong>{t('rep.ab.offers')}</Typography.Text>
                    {abOfferLines(t, locale, a.offers).map((l) => (
                      <div key={l.id} data-testid={`report-ab-offer-${l.id}`}>
                        {l.text}
                      </div>
                    ))}
                  </div>
                )}
              </>
            )}
          </PageState>
        </Card>
      </Col>
    </Row>
  );
};
