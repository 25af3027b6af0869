import { Card, Col, Empty, Row, Select, Space, Statistic, Table, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import { api, getOptional, query } from '../../lib/api.ts';
import type { CampaignListAnswer } from '../../lib/api-types.ts';
import { Chart } from '../../lib/Chart.tsx';
import { formatCents, formatNumber, formatPercent, formatYuan, plainYuan } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { CampaignReport } from './CampaignReport.tsx';
import { ChurnCohortReport } from './ChurnCohortReport.tsx';
import { csvFileName, type CsvColumn } from './csv.ts';
import { ExportCsv } from './ExportCsv.tsx';
import { browserTimeZone, dayText, lastDays, RangeFilter, type DayRange } from '../../lib/RangeFilter.tsx';
import { RelapseWatch } from './RelapseWatch.tsx';
import type { Period } from './report-types.ts';
import { fill } from '../../lib/report-words.ts';

type PeriodRow = Period['campaigns'][number];

const unsubOption = (p: Period, label: string): EChartsOption => ({
  tooltip: { trigger: 'axis', valueFormatter: (v) => `${(Number(v) * 100).toFixed(2)}%` },
  legend: {},
  grid: { left: 8, right: 16, bottom: 8 },
  xAxis: { type: 'category', data: p.unsubscribeTrend.day.map((d) => d.period.slice(0, 10)) },
  yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `${(v * 100).toFixed(1)}%` } },
  series: [{ type: 'line', name: label, data: p.unsubscribeTrend.day.map((d) => d.rate) }],
});

/**
 * Reports: one period picked at the top (今天 / 近7天 / 近30天 / 本月 or any days) drives every
 * report below — the period view (asked of the server for those days, today included), the
 * campaign report's days, the churn cohorts' registration periods and the relapse monitor's
 * conversions. Each table exports as CSV.
 */
export const ReportsPage = () => {
  const { t, locale } = useI18n();
  const [range, setRange] = useState<DayRange>(() => lastDays(30));
  const [campaignId, setCampaignId] = useState<string | null>(null);
  const campaigns = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns'), []);
  const from = dayText(range[0]);
  const to = dayText(range[1]);
  const period = useAsync(
    () => getOptional<Period>(`/v1/reports/period${query({ from, to, timeZone: browserTimeZone() })}`),
    [from, to],
  );
  const pct = (v: number | null) => (v === null ? '—' : formatPercent(locale, v, 1));
  const csvColumns = useMemo<CsvColumn<PeriodRow>[]>(
    () => [
      { title: t('rep.m.name'), value: (r) => r.name },
      { title: t('rep.m.sent'), value: (r) => r.sent },
      { title: t('rep.m.reached'), value: (r) => r.reachedUsers },
      { title: t('rep.m.converted'), value: (r) => r.convertedUsers },
      {
        title: `${t('rep.m.revenue')}${t('rep.csv.yuan')}`,
        value: (r) => plainYuan(Math.round(r.revenue * 100)),
      },
      {
        title: `${t('rep.m.messagesCost')}${t('rep.csv.yuan')}`,
        value: (r) => plainYuan(r.messagesCostCents),
      },
      {
        title: `${t('rep.m.offersCost')}${t('rep.csv.yuan')}`,
        value: (r) => plainYuan(r.offersIssuedCostCents + r.offersRedeemedCostCents + r.offersBonusCostCents),
      },
      { title: `${t('rep.m.cost')}${t('rep.csv.yuan')}`, value: (r) => plainYuan(r.costCents) },
      { title: t('rep.m.roi'), value: (r) => (r.roi === null ? '' : `${(r.roi * 100).toFixed(1)}%`) },
    ],
    [t],
  );
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large" data-testid="reports-page">
      <Card size="small">
        <Space wrap>
          <Typography.Text strong>{t('rep.range')}</Typography.Text>
          <RangeFilter value={range} onChange={setRange} />
          <Typography.Text type="secondary" data-testid="report-range-text">
            {fill(t('rep.range.shown'), { from, to })}
          </Typography.Text>
        </Space>
      </Card>
      <Card
        title={t('rep.period')}
        extra={
          period.data ? (
            <ExportCsv
              columns={csvColumns}
              rows={period.data.campaigns}
              fileName={csvFileName(t('rep.period.file'), from, to)}
              testId="period-export"
            />
          ) : null
        }
        data-testid="period-report"
      >
        <PageState state={period}>
          {(p) => (
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Typography.Text type="secondary">{t('rep.period.note')}</Typography.Text>
              <Row gutter={[16, 16]} data-testid="period-totals">
                <Col xs={12} sm={8} lg={4}>
                  <Statistic title={t('rep.m.sent')} value={formatNumber(locale, p.sent)} />
                </Col>
                <Col xs={12} sm={8} lg={4}>
                  <Statistic title={t('rep.m.reached')} value={formatNumber(locale, p.reachedUsers)} />
                </Col>
                <Col xs={12} sm={8} lg={4}>
                  <Statistic title={t('rep.m.converted')} value={formatNumber(locale, p.convertedUsers)} />
                </Col>
                <Col xs={12} sm={8} lg={4}>
                  <Statistic title={t('rep.m.revenue')} value={formatYuan(locale, p.revenue)} />
                </Col>
                <Col xs={12} sm={8} lg={4}>
                  <Statistic
                    title={t('rep.m.cost')}
                    value={formatCents(locale, p.costCents)}
                    data-testid="period-cost"
                  />
                </Col>
                <Col xs={12} sm={8} lg={4}>
                  <Statistic title={t('rep.m.roi')} value={pct(p.roi)} />
                </Col>
              </Row>
              <Table<PeriodRow>
                size="small"
                rowKey="campaignId"
                pagination={false}
                scroll={{ x: 'max-content' }}
                dataSource={p.campaigns}
                data-testid="period-table"
                locale={{ emptyText: <Empty description={t('common.noData')} /> }}
                columns={[
                  { title: t('rep.m.name'), dataIndex: 'name' },
                  { title: t('rep.m.sent'), render: (_, r) => formatNumber(locale, r.sent) },
                  { title: t('rep.m.reached'), render: (_, r) => formatNumber(locale, r.reachedUsers) },
                  { title: t('rep.m.converted'), render: (_, r) => formatNumber(locale, r.convertedUsers) },
                  { title: t('rep.m.revenue'), render: (_, r) => formatYuan(locale, r.revenue) },
                  { title: t('rep.m.cost'), render: (_, r) => formatCents(locale, r.costCents) },
                  { title: t('rep.m.roi'), render: (_, r) => pct(r.roi) },
                ]}
              />
              {p.unsubscribeTrend.day.length > 0 && (
                <Chart testId="chart-unsubscribes" height={220} option={unsubOption(p, t('rep.unsubRate'))} />
              )}
            </Space>
          )}
        </PageState>
      </Card>
      <Card title={t('rep.campaign')} size="small">
        <Select
          style={{ width: 360, maxWidth: '100%' }}
          placeholder={t('rep.pick')}
          value={campaignId ?? undefined}
          onChange={(v: string) => setCampaignId(v)}
          notFoundContent={t('rep.noCampaigns')}
          options={(campaigns.data?.campaigns ?? []).map((c) => ({ value: c.id, label: c.name }))}
          data-testid="report-campaign"
        />
      </Card>
      {campaignId !== null && <CampaignReport campaignId={campaignId} range={range} />}
      <ChurnCohortReport range={range} />
      <RelapseWatch range={range} />
    </Space>
  );
};
