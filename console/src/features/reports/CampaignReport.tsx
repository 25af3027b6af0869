import { Card, Col, Descriptions, Empty, Row, Segmented, Statistic, Table, Tag } from 'antd';
import type { EChartsOption } from 'echarts';
import { useState } from 'react';
import { getOptional } from '../../lib/api.ts';
import { Chart } from '../../lib/Chart.tsx';
import { formatCents, formatNumber, formatPercent } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import type { Ab, Lift, Stats, StatsRow } from './report-types.ts';

type By = 'variant' | 'channel' | 'day';

const statsOption = (rows: StatsRow[]): EChartsOption => ({
  tooltip: { trigger: 'axis' },
  legend: {},
  grid: { left: 50, right: 20, bottom: 30 },
  xAxis: { type: 'category', data: rows.map((r) => r.key || '—') },
  yAxis: { type: 'value' },
  series: (['sent', 'delivered', 'clicked', 'convertedUsers'] as const).map((k) => ({
    name: k,
    type: 'bar',
    data: rows.map((r) => r[k]),
  })),
});

const pct = (locale: 'zh-CN' | 'en', v: number | null) => (v === null ? '—' : formatPercent(locale, v, 2));

export const CampaignReport = ({ campaignId }: { campaignId: string }) => {
  const { t, locale } = useI18n();
  const [by, setBy] = useState<By>('variant');
  const id = encodeURIComponent(campaignId);
  const stats = useAsync(() => getOptional<Stats>(`/v1/campaigns/${id}/stats?by=${by}`), [id, by]);
  const lift = useAsync(() => getOptional<Lift>(`/v1/campaigns/${id}/lift`), [id]);
  const ab = useAsync(() => getOptional<Ab>(`/v1/campaigns/${id}/ab`), [id]);
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
          <PageState state={stats}>
            {(s) => (
              <>
                <Row gutter={16} data-testid="report-totals">
                  <Col span={4}>
                    <Statistic title={t('m.sent')} value={formatNumber(locale, s.total.sent)} />
                  </Col>
                  <Col span={4}>
                    <Statistic title={t('m.delivered')} value={formatNumber(locale, s.total.delivered)} />
                  </Col>
                  <Col span={4}>
                    <Statistic title={t('m.clicked')} value={formatNumber(locale, s.total.clicked)} />
                  </Col>
                  <Col span={4}>
                    <Statistic
                      title={t('m.converted')}
                      value={formatNumber(locale, s.total.convertedUsers)}
                    />
                  </Col>
                  <Col span={4}>
                    <Statistic title={t('m.cost')} value={formatNumber(locale, s.total.cost, 2)} />
                  </Col>
                  <Col span={4}>
                    <Statistic title={t('m.roi')} value={pct(locale, s.total.roi)} />
                  </Col>
                </Row>
                <Descriptions size="small" column={5} data-testid="report-cost-parts" title={t('cost.parts')}>
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
                  <Descriptions.Item label={t('m.cost')}>
                    {formatCents(locale, s.total.costCents)} ·{' '}
                    {t(`cost.recognition.${s.costRecognition ?? 'none'}`)}
                  </Descriptions.Item>
                </Descriptions>
                <Chart option={statsOption(s.rows)} testId="chart-stats" />
                <Table<StatsRow>
                  size="small"
                  rowKey="key"
                  pagination={false}
                  dataSource={s.rows}
                  columns={[
                    { title: by, dataIndex: 'key' },
                    { title: t('m.sent'), dataIndex: 'sent' },
                    { title: t('m.delivered'), dataIndex: 'delivered' },
                    { title: t('m.failed'), dataIndex: 'failed' },
                    { title: t('m.ctr'), render: (_, r) => pct(locale, r.ctr) },
                    { title: t('m.conversionRate'), render: (_, r) => pct(locale, r.conversionRate) },
                    { title: t('m.unsubscribes'), dataIndex: 'unsubscribes' },
                    { title: t('m.revenue'), render: (_, r) => formatNumber(locale, r.revenue, 2) },
                    { title: 'ROI', render: (_, r) => pct(locale, r.roi) },
                  ]}
                />
              </>
            )}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title={t('rep.lift')}>
          <PageState state={lift}>
            {(l) =>
              l.vsHoldout === null ? (
                <Empty description={t('common.noData')} />
              ) : (
                <Descriptions size="small" column={1} bordered data-testid="report-lift">
                  <Descriptions.Item label="treatment">
                    {pct(locale, l.treatment.rate)} ({formatNumber(locale, l.treatment.converted)} /{' '}
                    {formatNumber(locale, l.treatment.users)})
                  </Descriptions.Item>
                  <Descriptions.Item label="holdout">
                    {pct(locale, l.holdout.rate)} ({formatNumber(locale, l.holdout.converted)} /{' '}
                    {formatNumber(locale, l.holdout.users)})
                  </Descriptions.Item>
                  <Descriptions.Item label="lift">
                    {pct(locale, l.vsHoldout.absoluteLift)} [{pct(locale, l.vsHoldout.absoluteCi.low)},{' '}
                    {pct(locale, l.vsHoldout.absoluteCi.high)}]
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
                <p>
                  {a.winner === null ? '—' : <Tag color="green">{a.winner}</Tag>} {a.reason}
                </p>
                <Table
                  size="small"
                  rowKey="id"
                  pagination={false}
                  dataSource={a.arms}
                  columns={[
                    { title: t('m.arm'), dataIndex: 'id' },
                    { title: t('m.users'), dataIndex: 'users' },
                    { title: t('m.converted'), dataIndex: 'conversions' },
                    {
                      title: t('m.conversionRate'),
                      render: (_, r: Ab['arms'][number]) => pct(locale, r.rate),
                    },
                    {
                      title: t('rep.pValue'),
                      render: (_, r: Ab['arms'][number]) =>
                        r.vsControl === null ? (
                          '—'
                        ) : (
                          <span>
                            {r.vsControl.pValue.toFixed(4)}{' '}
                            {r.vsControl.significant && <Tag color="green">{t('rep.significant')}</Tag>}
                          </span>
                        ),
                    },
                  ]}
                />
              </>
            )}
          </PageState>
        </Card>
      </Col>
    </Row>
  );
};
