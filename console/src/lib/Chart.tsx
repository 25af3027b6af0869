import * as echarts from 'echarts';
import { useEffect, useMemo, useRef } from 'react';

/**
 * Legends that never overlap the plot or each other: a legend scrolls (arrows) instead of
 * wrapping onto the series at 390 px, sits at the top, and the plot starts below it; axis
 * labels stay inside the grid (`containLabel`). A chart that sets these itself keeps its own.
 */
export const readableOption = (option: echarts.EChartsOption): echarts.EChartsOption => {
  const legend = option.legend;
  const hasLegend = legend !== undefined && !Array.isArray(legend);
  const grid = option.grid;
  return {
    ...option,
    ...(hasLegend ? { legend: { type: 'scroll', top: 0, left: 'center', ...legend } } : {}),
    ...(grid !== undefined && !Array.isArray(grid)
      ? {
          grid: {
            containLabel: true,
            ...grid,
            ...(hasLegend ? { top: Math.max(Number(grid.top ?? 0), 36) } : {}),
          },
        }
      : {}),
  };
};

/** One ECharts instance bound to a div; the option is replaced whenever it changes. */
export const Chart = ({
  option,
  height = 280,
  testId,
}: {
  option: echarts.EChartsOption;
  height?: number;
  testId?: string;
}) => {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const shown = useMemo(() => readableOption(option), [option]);
  useEffect(() => {
    if (el.current === null) return;
    const c = echarts.init(el.current);
    chart.current = c;
    // The card's width changes without a window resize too (menu collapsed, a column appears).
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(el.current);
    return () => {
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(shown, true);
  }, [shown]);
  return <div ref={el} style={{ width: '100%', height }} data-testid={testId} />;
};
