import type { EChartsOption } from 'echarts';
import type { Activity, ChurnStructure, Funnel, Risk } from './dashboard-types.ts';

/** ECharts options as pure functions of the API's answers (and the page's labels). */

export const activityOption = (
  a: Activity,
  labels: { active: string; silent: string; churned: string },
): EChartsOption => ({
  tooltip: { trigger: 'axis' },
  // The legend above the plot: below, it sat on the date labels.
  legend: { top: 0 },
  grid: { left: 50, right: 20, top: 36, bottom: 30 },
  xAxis: { type: 'category', data: a.points.map((p) => p.at.slice(0, 10)) },
  yAxis: { type: 'value' },
  series: (['active', 'silent', 'churned'] as const).map((k) => ({
    name: labels[k],
    type: 'line',
    stack: 'users',
    areaStyle: {},
    smooth: true,
    data: a.points.map((p) => p[k]),
  })),
});

// A rate is null where no one was eligible: the line leaves a gap there.
export const churnBarOption = (
  rows: { key: string; churned: number; churnRate: number | null }[],
): EChartsOption => ({
  tooltip: { trigger: 'axis' },
  grid: { left: 50, right: 50, bottom: 60 },
  xAxis: { type: 'category', data: rows.map((r) => r.key), axisLabel: { rotate: rows.length > 6 ? 30 : 0 } },
  yAxis: [
    { type: 'value' },
    { type: 'value', max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
  ],
  series: [
    { type: 'bar', name: 'churned', data: rows.map((r) => r.churned) },
    { type: 'line', name: 'rate', yAxisIndex: 1, data: rows.map((r) => r.churnRate) },
  ],
});

export const stageRows = (s: ChurnStructure) =>
  s.byStage.map((r) => ({ key: r.stage, churned: r.churned, churnRate: r.churnRate }));

export const riskOption = (r: Risk): EChartsOption => ({
  tooltip: { trigger: 'axis' },
  grid: { left: 50, right: 20, bottom: 30 },
  xAxis: { type: 'category', data: r.bins.map((b) => `${b.from}–${b.to}`) },
  yAxis: { type: 'value' },
  series: [{ type: 'bar', data: r.bins.map((b) => b.users), itemStyle: { color: '#fa8c16' } }],
});

const FUNNEL_ORDER = ['planned', 'queued', 'sent', 'delivered', 'opened', 'clicked'];

export const funnelOption = (f: Funnel, convertedLabel: string): EChartsOption => {
  const steps = f.statuses
    .filter((s) => FUNNEL_ORDER.includes(s.status))
    .sort((a, b) => FUNNEL_ORDER.indexOf(a.status) - FUNNEL_ORDER.indexOf(b.status))
    .map((s) => ({ name: s.status, value: s.messages }));
  return {
    tooltip: { trigger: 'item' },
    series: [
      {
        type: 'funnel',
        sort: 'descending',
        data: [...steps, { name: convertedLabel, value: f.conversions }],
      },
    ],
  };
};
