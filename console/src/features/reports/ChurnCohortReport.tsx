import { Alert, Card, Select, Space, Table, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import { getOptional, query } from '../../lib/api.ts';
import type { ChurnStructure } from '../../lib/api-types.ts';
import { Chart } from '../../lib/Chart.tsx';
import { formatNumber, formatPercent } from '../../lib/format.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { csvFileName, type CsvColumn } from './csv.ts';
import { ExportCsv } from './ExportCsv.tsx';
import { browserTimeZone, dayText, type DayRange } from '../../lib/RangeFilter.tsx';

type By = ChurnStructure['cohorts']['by'];
type Grain = ChurnStructure['cohorts']['grain'];
type Row = ChurnStructure['cohorts']['rows'][number];

const BY_LABELS: Record<By, MessageKey> = {
  registration: 'rep.cs.byRegistration',
  campaign: 'rep.cs.byCampaign',
  channel: 'rep.cs.byChannel',
};
const GRAIN_LABELS: Record<Grain, MessageKey> = {
  day: 'rep.cs.day',
  week: 'rep.cs.week',
  month: 'rep.cs.month',
};
/** The server's key for users without a campaign or channel. */
const UNKNOWN = '(unknown)';

// Churned users as bars, the churn rate as a line on a 0–100 % axis; a null rate leaves a gap.
const cohortOption = (
  rows: Row[],
  labels: { churned: string; rate: string },
  keyLabel: (k: string) => string,
): EChartsOption => ({
  tooltip: { trigger: 'axis' },
  legend: {},
  grid: { left: rows.length > 6 ? 36 : 8, right: 8, top: 36, bottom: rows.length > 40 ? 28 : 8 },
  xAxis: {
    type: 'category',
    data: rows.map((r) => keyLabel(r.key)),
    axisLabel: { rotate: rows.length > 6 ? 40 : 0 },
  },
  yAxis: [
    { type: 'value' },
    { type: 'value', max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
  ],
  dataZoom: rows.length > 40 ? [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 4 }] : [],
  series: [
    { type: 'bar', name: labels.churned, data: rows.map((r) => r.churned) },
    { type: 'line', name: labels.rate, yAxisIndex: 1, data: rows.map((r) => r.churnRate) },
  ],
});

/**
 * Churn by registration day / week / month or by acquisition campaign or channel (features.md B4)
 * of the users who registered within the page's period: the server counts them for those days
 * (in the operator's time zone), so large workspaces do not ship every cohort to the browser.
 */
export const ChurnCohortReport = ({ range }: { range: DayRange }) => {
  const { t, locale } = useI18n();
  const [by, setBy] = useState<By>('registration');
  const [grain, setGrain] = useState<Grain>('week');
  const from = dayText(range[0]);
  const to = dayText(range[1]);
  const structure = useAsync(
    () =>
      getOptional<ChurnStructure>(
        `/v1/analysis/churn-structure${query({ by, grain, from, to, timeZone: browserTimeZone() })}`,
      ),
    [by, grain, from, to],
  );
  const keyLabel = (k: string) => (k === UNKNOWN ? t('rep.cs.unknown') : k);
  const pct = (v: number | null) => (v === null ? '—' : formatPercent(locale, v));
  const rowsOf = (s: ChurnStructure) => s.cohorts.rows;
  const csvColumns = useMemo<CsvColumn<Row>[]>(
    () => [
      { title: t(BY_LABELS[by]), value: (r) => (r.key === UNKNOWN ? t('rep.cs.unknown') : r.key) },
      { title: t('rep.cs.users'), value: (r) => r.users },
      { title: t('rep.cs.churned'), value: (r) => r.churned },
      {
        title: t('rep.cs.rate'),
        value: (r) => (r.churnRate === null ? '' : `${(r.churnRate * 100).toFixed(1)}%`),
      },
      {
        title: t('rep.cs.share'),
        value: (r) => (r.shareOfChurned === null ? '' : `${(r.shareOfChurned * 100).toFixed(1)}%`),
      },
    ],
    [t, by],
  );
  return (
    <Card
      title={t('rep.cs.title')}
      data-testid="churn-cohorts"
      extra={
        structure.data ? (
          <ExportCsv
            columns={csvColumns}
            rows={rowsOf(structure.data)}
            fileName={csvFileName(t('rep.cohorts.file'), from, to)}
            testId="cohorts-export"
          />
        ) : null
      }
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <span>{t('rep.cs.by')}</span>
        <Select
          style={{ width: 160, maxWidth: '100%' }}
          value={by}
          onChange={(v: By) => setBy(v)}
          options={(Object.keys(BY_LABELS) as By[]).map((b) => ({ value: b, label: t(BY_LABELS[b]) }))}
          data-testid="churn-cohorts-by"
        />
        <span>{t('rep.cs.grain')}</span>
        <Select
          style={{ width: 160, maxWidth: '100%' }}
          value={grain}
          disabled={by !== 'registration'}
          onChange={(v: Grain) => setGrain(v)}
          options={(Object.keys(GRAIN_LABELS) as Grain[]).map((g) => ({
            value: g,
            label: t(GRAIN_LABELS[g]),
          }))}
          data-testid="churn-cohorts-grain"
        />
      </Space>
      <PageState state={structure}>
        {(s) => (
          <>
            <Typography.Paragraph type="secondary">{t('rep.cohorts.rangeNote')}</Typography.Paragraph>
            {rowsOf(s).length === 0 && (
              <Alert
                type="info"
                showIcon
                data-testid="churn-cohorts-none-in-range"
                title={t('rep.cohorts.noneInRange')}
              />
            )}
            {rowsOf(s).length > 0 && (
              <Chart
                testId="chart-churn-cohorts"
                option={cohortOption(
                  rowsOf(s),
                  { churned: t('rep.cs.churned'), rate: t('rep.cs.rate') },
                  keyLabel,
                )}
              />
            )}
            <Table
              size="small"
              rowKey="key"
              scroll={{ x: 'max-content' }}
              pagination={{ pageSize: 10, showSizeChanger: false }}
              dataSource={rowsOf(s)}
              columns={[
                { title: t(BY_LABELS[s.cohorts.by]), dataIndex: 'key', render: (k: string) => keyLabel(k) },
                {
                  title: t('rep.cs.users'),
                  dataIndex: 'users',
                  render: (n: number) => formatNumber(locale, n),
                },
                {
                  title: t('rep.cs.churned'),
                  dataIndex: 'churned',
                  render: (n: number) => formatNumber(locale, n),
                },
                { title: t('rep.cs.rate'), dataIndex: 'churnRate', render: pct },
                { title: t('rep.cs.share'), dataIndex: 'shareOfChurned', render: pct },
              ]}
            />
            <Typography.Text type="secondary">{t('rep.cs.note')}</Typography.Text>
          </>
        )}
      </PageState>
    </Card>
  );
};
