// ECharts, only the parts the dashboard draws, rendered as SVG (labels are text the browser
// tests can measure). Labels stay inside the chart: the grid shrinks to hold them.
import { use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent } from 'echarts/components';

use([SVGRenderer, LineChart, BarChart, GridComponent, LegendComponent, TooltipComponent, MarkAreaComponent]);

export const grid = {
  left: 12,
  right: 28,
  top: 44,
  bottom: 12,
  outerBoundsMode: 'same' as const,
  outerBoundsContain: 'axisLabel' as const,
};

// Long names on a category axis end in an ellipsis inside the chart; the tooltip has them whole.
export function nameAxisLabel(width: number) {
  return { width, overflow: 'truncate' as const, ellipsis: '…' };
}

// Legend items wrap on a narrow screen; the plot starts below as many rows as they take.
export function legendRows(names: string[], width: number): number {
  const textWidth = (n: string) => [...n].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 12 : 7), 0);
  let rows = 1;
  let line = 0;
  for (const n of names) {
    const item = textWidth(n) + 40;
    if (line > 0 && line + item > width - 16) {
      rows += 1;
      line = 0;
    }
    line += item;
  }
  return rows;
}
