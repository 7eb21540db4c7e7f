// Figures as text: never "null", "undefined" or "NaN" on a page; a missing figure is "–".
export const DASH = '–';

function known(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function count(v: number | null | undefined, locale: string): string {
  return known(v) ? v.toLocaleString(locale) : DASH;
}

export function percent(v: number | null | undefined): string {
  return known(v) ? (v * 100).toFixed(1) + '%' : DASH;
}

export function money(cents: number | null | undefined, currency = 'CNY'): string {
  if (!known(cents)) return DASH;
  const amount = (cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return currency === 'CNY' ? '¥' + amount : amount + ' ' + currency;
}

// Times as 2026-12-06 14:05:09 (Beijing time) in either language: the charts' and exports' form.
export function dateTime(unix: number | null | undefined): string {
  if (!known(unix) || unix <= 0) return DASH;
  return new Date(unix * 1000 + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

export function duration(seconds: number | null | undefined, zh: boolean): string {
  if (!known(seconds)) return DASH;
  if (seconds < 3600) return Math.round(seconds / 60) + (zh ? ' 分钟' : ' min');
  if (seconds < 86400) return (seconds / 3600).toFixed(1) + (zh ? ' 小时' : ' h');
  return (seconds / 86400).toFixed(1) + (zh ? ' 天' : ' d');
}

// The change from `before` to `now` as a signed percentage, or null when there is no base.
export function change(now: number | null | undefined, before: number | null | undefined): number | null {
  if (!known(now) || !known(before) || before === 0) return null;
  return (now - before) / Math.abs(before);
}

export function text(v: string | null | undefined): string {
  return v === null || v === undefined || v === '' ? DASH : v;
}

// A phone-sized screen (as the CSS's breakpoint): first columns narrower, so that figures show.
export const onPhone = window.matchMedia('(max-width: 700px)').matches;

// A campaign as a marketer sees it: scheduled, running or ended (ended early or over).
export function campaignState(c: { status: string; starts_at: number; ends_at: number }): 'scheduled' | 'running' | 'ended' {
  const now = Date.now() / 1000;
  if (c.status === 'ended' || c.ends_at <= now) return 'ended';
  return c.starts_at > now ? 'scheduled' : 'running';
}
