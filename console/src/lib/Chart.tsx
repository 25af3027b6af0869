import * as echarts from 'echarts';
import { useEffect, useMemo, useRef } from 'react';
import { readableOption } from './chart-option.ts';

export { readableOption };

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
