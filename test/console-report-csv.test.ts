import { describe, expect, it } from 'vitest';
import { BOM, csvFileName, toCsv, type CsvColumn } from '../console/src/features/reports/csv.ts';
import { readableOption } from '../console/src/lib/chart-option.ts';
import { plainYuan } from '../console/src/lib/format.ts';
import { funnelStages } from '../console/src/lib/funnel.ts';
import { zhCN } from '../console/src/lib/i18n-dict.ts';
import { channelName, refusalText } from '../console/src/lib/report-words.ts';

/**
 * The reports' pure pieces: the CSV an operator opens in Excel (BOM, Chinese headers, yuan with
 * two decimals, quoting, no formula injection), the funnel's rates, the chart legend that
 * scrolls instead of overlapping, and refusals and channels in words.
 */

interface Row {
  name: string;
  sent: number;
  costCents: number;
}
const columns: CsvColumn<Row>[] = [
  { title: '触达任务', value: (r) => r.name },
  { title: '已发送', value: (r) => r.sent },
  { title: '成本（元）', value: (r) => plainYuan(r.costCents) },
];
const t = (k: keyof typeof zhCN) => zhCN[k];

describe('report CSV', () => {
  it('starts with a UTF-8 BOM, has the Chinese headers, money in yuan with two decimals, CRLF lines', () => {
    const csv = toCsv(columns, [
      { name: '双渠道召回', sent: 6, costCents: 21 },
      { name: '大促', sent: 1200, costCents: 100_000 },
    ]);
    expect(csv.startsWith(BOM)).toBe(true);
    expect(csv).toBe(`${BOM}触达任务,已发送,成本（元）\r\n双渠道召回,6,0.21\r\n大促,1200,1000.00\r\n`);
    // Encoded as the browser's Blob encodes it: EF BB BF in front.
    expect([...Buffer.from(csv, 'utf8').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it('quotes commas, quotes and line breaks, and defuses cells a spreadsheet would run as formulas', () => {
    const csv = toCsv(columns, [
      { name: '春节,召回 "老客"', sent: 1, costCents: 5 },
      { name: '=HYPERLINK("http://x")', sent: 2, costCents: 0 },
      { name: '第一行\n第二行', sent: 3, costCents: 1 },
    ]);
    const lines = csv.slice(1).split('\r\n');
    expect(lines[1]).toBe('"春节,召回 ""老客""",1,0.05');
    expect(lines[2]).toBe(`"'=HYPERLINK(""http://x"")",2,0.00`);
    expect(lines[3]).toBe('"第一行\n第二行",3,0.01');
    // A negative number is a number, not a formula.
    expect(toCsv([{ title: 'x', value: () => '-1.50' }], [{}])).toBe(`${BOM}x\r\n-1.50\r\n`);
    expect(toCsv([{ title: 'x', value: () => '-100.0%' }], [{}])).toBe(`${BOM}x\r\n-100.0%\r\n`);
    expect(toCsv([{ title: 'x', value: () => '-1+1' }], [{}])).toBe(`${BOM}x\r\n'-1+1\r\n`);
  });

  it('names the file after the report and its period', () => {
    expect(csvFileName('周期报表', '2026-12-01', '2026-12-07')).toBe('周期报表_2026-12-01_2026-12-07.csv');
    expect(csvFileName('再流失')).toBe('再流失.csv');
    expect(csvFileName('a/b:c')).toBe('a-b-c.csv');
  });
});

describe('funnel, legends, words', () => {
  it('gives each stage its share of the stage before and of the first', () => {
    const stages = funnelStages([
      { key: 'planned', label: '计划发送', count: 200 },
      { key: 'sent', label: '已发送', count: 180 },
      { key: 'clicked', label: '已点击', count: 0 },
      { key: 'converted', label: '已转化用户', count: 3 },
    ]);
    expect(stages.map((s) => [s.stepRate, s.overallRate])).toEqual([
      [null, 1],
      [0.9, 0.9],
      [0, 0],
      [null, 0.015],
    ]);
    expect(funnelStages([{ key: 'a', label: 'a', count: 0 }])[0]?.overallRate).toBeNull();
  });

  it('makes a legend scroll at the top with the plot below it, keeping what a chart set itself', () => {
    const o = readableOption({ legend: {}, grid: { left: 8, top: 10 }, series: [] });
    expect(o.legend).toEqual({ type: 'scroll', top: 0, left: 'center' });
    expect(o.grid).toEqual({ containLabel: true, left: 8, top: 36 });
    expect(readableOption({ legend: { top: 'bottom' }, series: [] }).legend).toMatchObject({
      type: 'scroll',
      top: 'bottom',
    });
    // No legend: nothing added.
    expect(readableOption({ series: [] })).toEqual({ series: [] });
  });

  it('words refusals and channels in Chinese, never the server’s path or English', () => {
    expect(
      refusalText(t, { status: 400, errors: [{ path: 'body.costCents', message: 'must be <= 100000' }] }),
    ).toBe('请检查填写的内容：单价');
    expect(refusalText(t, { status: 403 })).toBe('当前角色无权执行此操作');
    expect(refusalText(t, new Error('socket hang up'))).toBe('服务器处理失败，请重试');
    expect(channelName(t, 'webhook')).toBe('回调');
    expect(channelName(t, 'carrier_pigeon')).toBe('其他渠道');
  });
});
