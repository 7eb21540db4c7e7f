// A stats answer as chart data: buckets up to now, total followers as a running sum, and weeks
// named by their days (11/30–12/06) rather than ISO week numbers.
import type { SeriesPoint, Stats } from './api';
import { period } from './state';
import { trimSeries } from './dates';

function monthDay(unix: number): string {
  const d = new Date(unix * 1000 + 8 * 3600_000).toISOString();
  return d.slice(5, 7) + '/' + d.slice(8, 10);
}

function label(p: SeriesPoint, granularity: string): string {
  return granularity === 'week' ? `${monthDay(p.start)}–${monthDay(p.start + 6 * 86400)}` : p.label;
}

export function chartData(stats: Stats) {
  const { points, partial } = trimSeries(stats.series, period.range);
  let total = stats.followers_before ?? 0;
  const totals = points.map((p) => (total += p.net));
  return { points, partial, labels: points.map((p) => label(p, stats.granularity)), starts: points.map((p) => p.start), totals };
}
