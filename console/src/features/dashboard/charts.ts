import type { EChartsOption } from 'echarts';
import type { Activity, ChurnStructure, Funnel, Risk } from './dashboard-types.ts';

/** ECharts options as pure functions of the API's answers (and the page's labels). */

export const activityOption = (
  a: Activity,
  labels: { active: string; silent: string; churned: string },
): EChartsOption => ({
  tooltip: { trigger: 'axis' },
  // The legend above the plot (scrolling when narrow, lib/Chart.tsx): below, it sat on the dates.
  legend: {},
  grid: { left: 8, right: 16, top: 36, bottom: 8 },
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
  labels: { churned: string; rate: string },
): EChartsOption => ({
  tooltip: { trigger: 'axis' },
  legend: {},
  // Rotated labels reach left of the first bar: room for them.
  grid: { left: rows.length > 6 ? 36 : 8, right: 8, top: 36, bottom: 8 },
  xAxis: { type: 'category', data: rows.map((r) => r.key), axisLabel: { rotate: rows.length > 6 ? 30 : 0 } },
  yAxis: [
    { type: 'value' },
    { type: 'value', max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
  ],
  series: [
    { type: 'bar', name: labels.churned, data: rows.map((r) => r.churned) },
    { type: 'line', name: labels.rate, yAxisIndex: 1, data: rows.map((r) => r.churnRate) },
  ],
});

/** The churn structure by stage, each stage named in words. */
export const stageRows = (s: ChurnStructure, word: (stage: string) => string) =>
  s.byStage.map((r) => ({ key: word(r.stage), churned: r.churned, churnRate: r.churnRate }));

/** Groups whose key is the server's "(unknown)" read as the word for unknown. */
export const namedRows = <R extends { key: string }>(rows: R[], unknown: string): R[] =>
  rows.map((r) => (r.key === '(unknown)' ? { ...r, key: unknown } : r));

export const riskOption = (r: Risk, users: string): EChartsOption => ({
  tooltip: { trigger: 'axis' },
  grid: { left: 8, right: 16, top: 16, bottom: 8 },
  xAxis: { type: 'category', data: r.bins.map((b) => `${b.from}–${b.to}`) },
  yAxis: { type: 'value' },
  series: [{ type: 'bar', name: users, data: r.bins.map((b) => b.users), itemStyle: { color: '#fa8c16' } }],
});

const FUNNEL_ORDER = ['sent', 'delivered', 'opened', 'clicked'];

/** The recall funnel's stages in order (those the period has), then the conversions. */
export const funnelSteps = (
  f: Funnel,
  label: (status: string) => string,
  convertedLabel: string,
): { key: string; label: string; count: number }[] => [
  ...f.statuses
    .filter((s) => FUNNEL_ORDER.includes(s.status))
    .sort((a, b) => FUNNEL_ORDER.indexOf(a.status) - FUNNEL_ORDER.indexOf(b.status))
    .map((s) => ({ key: s.status, label: label(s.status), count: s.messages })),
  { key: 'converted', label: convertedLabel, count: f.conversions },
];
