// A stats answer as chart data: buckets up to now, and total followers as a running sum.
import type { Stats } from './api';
import { period } from './state';
import { trimSeries } from './dates';

export function chartData(stats: Stats) {
  const { points, partial } = trimSeries(stats.series, period.range);
  let total = stats.followers_before ?? 0;
  const totals = points.map((p) => (total += p.net));
  return { points, partial, labels: points.map((p) => p.label), starts: points.map((p) => p.start), totals };
}
