// Days as the store counts them (Beijing time, UTC+8), the presets of the range picker, the period
// before a range, and a series cut at "now": no future buckets, the current one marked partial.
import type { SeriesPoint } from './api';

export type Granularity = 'hour' | 'day' | 'week' | 'month';
export type PresetName = 'yesterday' | 'last7' | 'last30' | 'thisMonth' | 'lastMonth' | 'custom';
export const PRESETS: PresetName[] = ['yesterday', 'last7', 'last30', 'thisMonth', 'lastMonth'];

export interface Range {
  from: string; // YYYY-MM-DD
  to: string;
}

const DAY = 86_400_000;
const ZONE_OFFSET = 8 * 3600_000;

// A date (YYYY-MM-DD) as a count of days, and back; all arithmetic in UTC days.
export function dayNumber(date: string): number {
  return Math.floor(Date.parse(date + 'T00:00:00Z') / DAY);
}
export function dayString(n: number): string {
  return new Date(n * DAY).toISOString().slice(0, 10);
}
export function today(now = Date.now()): string {
  return new Date(now + ZONE_OFFSET).toISOString().slice(0, 10);
}

export function presetRange(name: PresetName, now = Date.now()): Range {
  const t = dayNumber(today(now));
  const [y, m] = today(now).split('-').map(Number);
  const monthStart = (year: number, month: number) => dayNumber(`${year}-${String(month).padStart(2, '0')}-01`);
  switch (name) {
    case 'yesterday':
      return { from: dayString(t - 1), to: dayString(t - 1) };
    case 'last7':
      return { from: dayString(t - 6), to: dayString(t) };
    case 'thisMonth':
      return { from: dayString(monthStart(y, m)), to: dayString(t) };
    case 'lastMonth': {
      const first = m === 1 ? monthStart(y - 1, 12) : monthStart(y, m - 1);
      return { from: dayString(first), to: dayString(monthStart(y, m) - 1) };
    }
    default:
      return { from: dayString(t - 29), to: dayString(t) };
  }
}

export function rangeDays(r: Range): number {
  return dayNumber(r.to) - dayNumber(r.from) + 1;
}

// The same number of days just before `r` (for period-over-period deltas).
export function previousRange(r: Range): Range {
  const n = rangeDays(r);
  return { from: dayString(dayNumber(r.from) - n), to: dayString(dayNumber(r.from) - 1) };
}

// Hours only for short ranges: the API answers at most 31 days by the hour.
export function usableGranularity(g: Granularity, r: Range): Granularity {
  return g === 'hour' && rangeDays(r) > 31 ? 'day' : g;
}

export interface Trimmed {
  points: SeriesPoint[];
  partial: boolean; // the last point is the bucket that holds now
}

// Drops buckets that start after now; the last one left is partial when the range reaches today.
export function trimSeries(series: SeriesPoint[], r: Range, now = Date.now()): Trimmed {
  const nowSeconds = Math.floor(now / 1000);
  const points = series.filter((p) => p.start <= nowSeconds);
  const partial = points.length > 0 && dayNumber(r.to) >= dayNumber(today(now));
  return { points, partial };
}
