import * as echarts from 'echarts';
import { useEffect, useRef } from 'react';

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
  useEffect(() => {
    if (el.current === null) return;
    const c = echarts.init(el.current);
    chart.current = c;
    const onResize = () => c.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);
  return <div ref={el} style={{ width: '100%', height }} data-testid={testId} />;
};
