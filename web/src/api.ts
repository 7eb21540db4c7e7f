// The admin API (/api/v1): JSON calls with the bearer token, errors with their stable codes.
import { session } from './state';

export interface Problem {
  field: string;
  code?: string;
  message: string;
  params?: Record<string, string>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function query(params: Query): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== '' && v !== undefined && v !== null) u.set(k, String(v));
  }
  return u.toString();
}

interface CallOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
}

async function send(path: string, options: CallOptions): Promise<Response> {
  const headers: Record<string, string> = { Authorization: 'Bearer ' + session.token };
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.contentType) {
    headers['Content-Type'] = options.contentType;
  }
  const res = await fetch(path, { method: options.method ?? 'GET', headers, body });
  if (res.status === 401) {
    session.signOut();
    throw new ApiError(401, 'unauthenticated', 'sign in again');
  }
  if (!res.ok && res.status !== 207) {
    const type = res.headers.get('Content-Type') ?? '';
    const payload = type.includes('json') ? await res.json().catch(() => null) : null;
    const e = payload?.error ?? {};
    throw new ApiError(res.status, e.code ?? 'http_' + res.status, e.message ?? 'HTTP ' + res.status, e.problems ?? []);
  }
  return res;
}

export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const res = await send(path, options);
  return (await res.json()) as T;
}

export async function apiBlob(path: string): Promise<Blob> {
  return (await send(path, {})).blob();
}

// Saves what `path` answers as `filename` (exports, QR codes).
export async function download(path: string, filename: string): Promise<void> {
  const blob = await apiBlob(path);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// --- what the API answers (docs/api.yaml) ---

export interface Account {
  appid: string;
  name: string;
  mode: string;
  permanent_quota?: { used: number; left: number };
  callback_path?: string;
  last_push_at?: number | null;
  last_verified_at?: number | null;
}

export interface Counters {
  scans: number;
  new_follows: number;
  first_follows: number;
  re_follows: number;
  existing_scans: number;
  unfollows: number;
  net: number;
}

export interface SeriesPoint extends Counters {
  label: string;
  start: number;
}

export interface Stats {
  from: string;
  to: string;
  granularity: string;
  totals: Counters;
  unique_scanners: number;
  followers_before?: number;
  retention: { d1: number | null; d7: number | null; d30: number | null };
  early_unfollow_rate: number | null;
  fraud: {
    quick_unfollows: number;
    quick_unfollow_rate: number | null;
    bursts: { label: string; start: number; new_follows: number; baseline: number; threshold: number }[];
  };
  costs: {
    spend_cents: number;
    per_new_follow_cents: number | null;
    per_net_follow_cents: number | null;
    per_retained_follow_cents: number | null;
  };
  series: SeriesPoint[];
  cohorts: { day: string; follows: number; retention_1d: number | null; retention_7d: number | null; retention_30d: number | null }[];
  organic?: { follows: number; unfollows: number };
}

export interface BreakdownRow extends Counters {
  key: string;
  channel_id?: number;
  channels: number;
  spend_cents: number;
  quick_unfollows: number;
  early_unfollows: number;
}

export interface Reply {
  kind: string;
  text?: string;
}

export interface Channel {
  id: number;
  appid: string;
  name: string;
  group: string;
  owner: string;
  kind: 'temporary' | 'permanent';
  scene: string | number;
  status: 'active' | 'paused' | 'expired' | 'retired';
  evergreen: boolean;
  expires_at: number | null;
  expires_in_seconds: number | null;
  expiry_warning: boolean;
  renewal_failure: { at: number; error: string } | null;
  wechat_tag_id: number;
  tag?: string | null;
  spend_cents: number;
  on_subscribe: Reply | null;
  on_scan: Reply | null;
  totals?: { scans: number; new_follows: number; unfollows: number; net: number };
}

export interface Tag {
  id: number;
  name: string;
  count: number;
}

export interface Quota {
  used: number;
  left: number;
  wechat_refused_at?: number | null;
}

export interface FollowerRow {
  channel: string;
  channel_id: number;
  owner: string;
  followed_at: number;
  left_at: number | null;
  following: boolean;
  openid?: string | null;
  pseudonym?: string | null;
  unionid?: string | null;
  tags: string[];
  first_follow: boolean;
  conversions: number;
  value_cents: number;
}

export interface FollowerPage {
  rows: FollowerRow[];
  total: number;
  page: number;
  per_page: number;
  currency: string;
}

export interface ConversionFigures {
  key?: string;
  channel_id?: number;
  followers: number;
  conversions: number;
  converters: number;
  value_cents: number;
  value_per_follower_cents: number | null;
  median_seconds_to_first: number | null;
}

export interface ConversionReport {
  currency: string;
  totals: ConversionFigures;
  rows: ConversionFigures[];
  unattributed?: ConversionFigures | null;
}

export interface ReconciliationDay {
  date: string;
  wechat_published: boolean;
  ours_follows: number;
  unknown_scene_follows: number;
  unknown_scenes: { scene: string; follows: number }[];
  wechat_follows: number | null;
  follows_difference: number | null;
  ours_unfollows: number;
  wechat_unfollows: number | null;
}

export interface RowError {
  row: number;
  field?: string | null;
  code?: string;
  message: string;
  problems?: Problem[];
}

// Fission campaigns (任务宝): docs/campaigns.md.
export interface CampaignTier {
  invites: number;
  reward_text: string;
  reward_code: string;
}
export interface PosterLine {
  text: string;
  x: number;
  y: number;
  size: number;
  color: string;
  bold: boolean;
  align: 'left' | 'center' | 'right';
  max_width: number;
}
export interface CampaignStats {
  participants: number;
  participants_left: number;
  posters_sent: number;
  invites_counted: number;
  invites_taken_back: number;
  invites_not_counted: Record<string, number>;
  fission_rate: number;
  generations: { generation: number; participants: number }[];
  invitees_who_joined: number;
  rewards: { invites: number; granted: number; delivered: number; failed: number }[];
  retention_7d: { invitees: number; retained: number; rate: number | null };
  fraud: { quick_unfollows: number; capped_inviters: number; one_deep_inviters: number; rewarded_below_tier: number };
}
export interface Campaign {
  id: number;
  appid: string;
  name: string;
  starts_at: number;
  ends_at: number;
  status: 'active' | 'ended';
  triggers: { keywords: string[]; click_keys: string[]; channel_ids: number[] };
  tiers: CampaignTier[];
  rules: { keep_seconds: number; hourly_cap: number };
  join_reply: string;
  invitee_reply: string;
  invitees_join: boolean;
  poster: {
    width: number;
    height: number;
    background_color: string;
    has_background: boolean;
    qr: { x: number; y: number; size: number };
    lines: PosterLine[];
    format: 'jpeg' | 'png';
  };
  notify_template: { template_id: string; fields: Record<string, string> };
  created_at: number;
  stats?: CampaignStats;
}
export interface Participant {
  rank: number;
  id: number;
  openid: string | null;
  joined_at: number;
  generation: number;
  invited_by: number | null;
  counted: number;
  taken_back: number;
  rewarded_invites: number;
  code_url: string;
  code_expires_at: number;
  posters_sent: number;
  left_at: number | null;
}
export interface CampaignReward {
  id: number;
  participant_id: number;
  openid: string | null;
  unionid: string | null;
  tier: number;
  reward_code: string;
  reward_text: string;
  granted_at: number;
  state: 'granted' | 'delivered' | 'failed';
  error: string;
  updated_at: number;
}

// POST with a JSON body, the answer as a Blob (the poster preview).
export async function apiPostBlob(path: string, json: unknown): Promise<Blob> {
  return (await send(path, { method: 'POST', json })).blob();
}
