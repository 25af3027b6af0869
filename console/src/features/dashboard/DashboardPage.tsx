import { Card, Col, Row, Space, Statistic, Table, Typography } from 'antd';
import { useState } from 'react';
import { api, getOptional, query } from '../../lib/api.ts';
import { Chart } from '../../lib/Chart.tsx';
import { formatCents, formatNumber, formatPercent, formatYuan } from '../../lib/format.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import {
  browserTimeZone,
  dayText,
  lastDays,
  RangeFilter,
  rangeLabel,
  type DayRange,
  type RangePreset,
} from '../../lib/RangeFilter.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { FunnelTable } from '../../lib/FunnelTable.tsx';
import { channelName, fill, stageName } from '../../lib/report-words.ts';
import { activityOption, churnBarOption, funnelSteps, namedRows, riskOption, stageRows } from './charts.ts';
import type { Activity, ChurnStructure, Funnel, Risk, Running } from './dashboard-types.ts';

const STATUS_LABELS: Record<string, MessageKey> = {
  sent: 'rep.funnel.sent',
  delivered: 'rep.funnel.delivered',
  opened: 'rep.funnel.opened',
  clicked: 'rep.funnel.clicked',
};

/** The dashboard's quick periods: 今天 / 近7天 / 近30天 / 近90天, any other days picked by hand (自定义). */
const PRESETS: readonly RangePreset[] = ['today', '7d', '30d', '90d'];

export const DashboardPage = () => {
  const { t, locale } = useI18n();
  const activity = useAsync(() => getOptional<Activity>('/v1/console/activity?weeks=26'), []);
  const structure = useAsync(() => getOptional<ChurnStructure>('/v1/analysis/churn-structure'), []);
  const risk = useAsync(() => getOptional<Risk>('/v1/console/risk'), []);
  const [range, setRange] = useState<DayRange>(() => lastDays(30));
  const from = dayText(range[0]);
  const to = dayText(range[1]);
  // Whole days in the operator's zone (Beijing for a Chinese team), today up to now.
  const funnel = useAsync(
    () => getOptional<Funnel>(`/v1/console/funnel${query({ from, to, timeZone: browserTimeZone() })}`),
    [from, to],
  );
  const period = rangeLabel(t, range, PRESETS);
  const running = useAsync(() => api.get<Running>('/v1/campaigns?status=running'), []);
  const last = activity.data?.points.at(-1);
  const churnLabels = { churned: t('dash2.churnedUsers'), rate: t('dash2.rate') };
  const f = funnel.data;
  const stat = (title: string, value: string | number, testId?: string) => (
    <Col xs={12} sm={8} lg={6} xxl={3}>
      <Card size="small">
        <Statistic title={title} value={value} data-testid={testId} />
      </Card>
    </Col>
  );
  return (
    <Row gutter={[16, 16]} data-testid="dashboard">
      <Col span={24}>
        <Card size="small">
          <Space wrap>
            <Typography.Text strong>{t('rep.range')}</Typography.Text>
            <RangeFilter value={range} onChange={setRange} presets={PRESETS} testId="dashboard-range" />
            <Typography.Text type="secondary" data-testid="dashboard-range-text">
              {fill(t('rep.range.shown'), { from, to })}
            </Typography.Text>
          </Space>
          <Typography.Paragraph type="secondary" style={{ margin: '6px 0 0' }}>
            {t('dash2.rangeNote')}
          </Typography.Paragraph>
        </Card>
      </Col>
      {stat(t('dash.active'), last ? formatNumber(locale, last.active) : '—')}
      {stat(t('dash.silent'), last ? formatNumber(locale, last.silent) : '—')}
      {stat(t('dash.churned'), last ? formatNumber(locale, last.churned) : '—')}
      {stat(t('dash.campaignsRunning'), running.data?.campaigns.length ?? '—')}
      {stat(
        fill(t('dash2.spentIn'), { period }),
        f ? formatCents(locale, f.costCents) : '—',
        'dashboard-spent',
      )}
      {stat(fill(t('dash2.revenueIn'), { period }), f ? formatYuan(locale, f.revenue) : '—')}
      {/* Every conversion in the period over the spend: attributed, and said so (no holdout across campaigns). */}
      {stat(
        t('rep.roi.attributed'),
        f?.roi === null || f?.roi === undefined ? '—' : formatPercent(locale, f.roi),
        'dashboard-roi',
      )}
      {stat(
        t('dash.churnRate'),
        // null (no one eligible yet) reads 0 %, as it always has (Intl formats null as 0).
        structure.data ? formatPercent(locale, structure.data.churnRate ?? 0) : '—',
      )}
      <Col xs={24} xl={16}>
        <Card title={t('dash.usersOverTime')}>
          <PageState state={activity}>
            {(a) => (
              <Chart
                testId="chart-activity"
                option={activityOption(a, {
                  active: t('dash.active'),
                  silent: t('dash.silent'),
                  churned: t('dash.churned'),
                })}
              />
            )}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card title={t('dash.risk')}>
          <PageState state={risk}>
            {(r) => <Chart testId="chart-risk" option={riskOption(r, t('dash2.users'))} />}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card title={t('dash.byStage')}>
          <PageState state={structure}>
            {(s) => (
              <Chart
                testId="chart-stage"
                option={churnBarOption(
                  stageRows(s, (stage) => stageName(t, stage)),
                  churnLabels,
                )}
              />
            )}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card title={t('dash.byChannel')}>
          <PageState state={structure}>
            {(s) => (
              <Chart option={churnBarOption(namedRows(s.byChannel, t('dash2.unknown')), churnLabels)} />
            )}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card title={t('dash.byCohort')}>
          <PageState state={structure}>
            {(s) => <Chart option={churnBarOption(namedRows(s.byCohort, t('dash2.unknown')), churnLabels)} />}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title={t('dash.funnel')}>
          <PageState state={funnel}>
            {(fu) => (
              <>
                <Typography.Paragraph type="secondary">
                  {fill(t('dash2.funnelNote'), { period })}
                </Typography.Paragraph>
                <FunnelTable
                  testId="dashboard-funnel"
                  steps={funnelSteps(
                    fu,
                    (status) => (STATUS_LABELS[status] ? t(STATUS_LABELS[status]) : status),
                    t('rep.funnel.converted'),
                  )}
                />
              </>
            )}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title={t('dash.campaignsRunning')}>
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={running.data?.campaigns ?? []}
            columns={[
              { title: t('common.name'), dataIndex: 'name' },
              {
                title: t('camp.channels'),
                render: (_, c: Running['campaigns'][number]) =>
                  c.definition.channels.map((ch) => channelName(t, ch)).join(' · '),
              },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
};
