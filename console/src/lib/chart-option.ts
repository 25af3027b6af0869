import type { EChartsOption } from 'echarts';

/**
 * Legends that never overlap the plot or each other: a legend scrolls (arrows) instead of
 * wrapping onto the series at 390 px, sits at the top, and the plot starts below it; axis
 * labels stay inside the grid (`containLabel`). A chart that sets these itself keeps its own.
 */
export const readableOption = (option: EChartsOption): EChartsOption => {
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
