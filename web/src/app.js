// The qrscene dashboard: a single page on the admin API (/api/v1), in Chinese and English.
// No framework: the views are small, and everything is served from the binary.
'use strict';

const I18N = {
  zh: {
    'signin.lead': '输入管理令牌登录。', 'signin.token': '管理令牌', 'signin.submit': '登录',
    'signin.bad': '令牌无效。', 'signin.limited': '失败次数过多，请一分钟后再试。',
    'nav.overview': '概览', 'nav.channels': '渠道', 'nav.leaderboard': '推广员排行', 'nav.compare': '对比',
    'nav.signout': '退出',
    'range.7': '近 7 天', 'range.30': '近 30 天', 'range.90': '近 90 天',
    'gran.day': '按日', 'gran.week': '按周', 'gran.month': '按月', 'gran.hour': '按小时',
    'm.scans': '扫码', 'm.new_follows': '新关注', 'm.first_follows': '首次关注', 'm.re_follows': '再次关注',
    'm.existing_scans': '老粉扫码', 'm.unfollows': '取关', 'm.net': '净增', 'm.unique_scanners': '扫码人数',
    'm.retention_d1': '次日留存', 'm.retention_d7': '7 日留存', 'm.retention_d30': '30 日留存',
    'm.early': '24 小时内取关率', 'm.quick': '5 分钟内取关', 'm.organic': '自然关注', 'm.cost_new': '单个新关注成本',
    'm.cost_net': '单个净增成本', 'm.cost_retained': '单个留存成本', 'm.spend': '投入',
    'overview.top': '渠道排行', 'overview.quota': '永久二维码配额', 'overview.bursts': '异常激增',
    'quota.used': '已用 {used} / 100,000，剩余 {left}',
    'quota.refused': '微信已拒绝新建永久二维码（45029）：配额已用完（包括在本系统外创建的二维码）。',
    'att.renewal': '续期失败', 'att.expiry': '{days} 天后过期',
    'att.renewal_detail': '上次续期失败：{error}。已印刷的二维码会在到期时失效。',
    'ch.name': '名称', 'ch.group': '分组', 'ch.owner': '推广员', 'ch.kind': '类型', 'ch.scene': '场景值',
    'ch.status': '状态', 'ch.tag': '标签', 'ch.reply_subscribe': '关注回复', 'ch.reply_scan': '扫码回复',
    'ch.evergreen': '到期自动续期', 'ch.spend': '投入（元）', 'ch.expires': '到期',
    'kind.temporary': '临时', 'kind.permanent': '永久',
    'status.active': '启用', 'status.paused': '暂停', 'status.expired': '已过期', 'status.retired': '已停用',
    'status.all': '全部状态', 'group.all': '全部分组', 'search': '搜索名称、场景值、推广员',
    'new': '新建渠道', 'import': '批量导入 CSV', 'export': '导出 CSV', 'create': '创建', 'save': '保存',
    'cancel': '取消', 'edit': '编辑渠道', 'pause': '暂停', 'resume': '恢复', 'retire': '停用', 'download': '下载',
    'retire.confirm': '停用后不可恢复，场景值将被释放。确定？', 'saved': '已保存', 'created': '已创建',
    'import.done': '导入完成：成功 {ok} 个，失败 {bad} 个', 'import.row': '第 {row} 行：{message}',
    'cohort.title': '留存（按关注日期）', 'cohort.day': '关注日期', 'cohort.follows': '关注数',
    'leader.by': '按推广员', 'leader.channels': '渠道数', 'compare.pick': '选择要对比的渠道',
    'compare.series': '新关注', 'empty': '暂无数据', 'back': '返回', 'lang': 'English',
    'nav.followers': '粉丝明细', 'nav.conversions': '转化', 'nav.reconcile': '与微信核对',
    'rec.lead': '每天通过本系统渠道的扫码关注，与微信“用户分析”中“扫描二维码”来源的人数对照（最多 7 天，截至昨天）。',
    'rec.day': '日期', 'rec.ours': '渠道关注', 'rec.other': '其他二维码', 'rec.wechat': '微信统计', 'rec.diff': '差异',
    'rec.ours_unf': '渠道取关', 'rec.wechat_unf': '微信取关',
    'rec.unpublished': '微信在次日 8:00（北京时间）发布前一天的数据，尚未发布的显示为“–”。',
    'rec.unknown': '{date}：{n} 人通过场景值“{scene}”关注，它不属于任何渠道（可能是在本系统外创建的二维码）。',
    'f.channel': '渠道', 'f.all_channels': '全部渠道', 'f.owner': '推广员', 'f.all_owners': '全部推广员',
    'f.status': '状态', 'f.status.all': '全部', 'f.status.following': '关注中', 'f.status.left': '已取关',
    'f.followed_at': '关注时间', 'f.left_at': '取关时间', 'f.who': 'OpenID / 匿名标识', 'f.unionid': 'UnionID',
    'f.tags': '标签', 'f.first': '首次关注', 'f.conversions': '转化次数', 'f.value': '转化金额',
    'f.sort.followed_at': '按关注时间', 'f.sort.left_at': '按取关时间', 'f.sort.channel': '按渠道', 'f.sort.value': '按转化金额',
    'f.page': '第 {page} / {pages} 页，共 {total} 条', 'f.prev': '上一页', 'f.next': '下一页',
    'f.export_csv': '导出 CSV', 'f.export_xlsx': '导出 Excel', 'f.yes': '是', 'f.no': '否', 'f.view': '查看粉丝明细',
    'c.touch': '归因模型', 'c.touch.first': '首次触达', 'c.touch.last': '末次触达', 'c.by.channel': '按渠道', 'c.by.owner': '按推广员',
    'c.conversions': '转化次数', 'c.converters': '转化人数', 'c.value': '转化金额', 'c.followers': '新关注',
    'c.per_follower': '每个关注的价值', 'c.time_to_first': '关注到首次转化（中位）', 'c.unattributed': '无渠道',
    'c.total': '合计', 'c.import': '导入转化 CSV', 'c.import.done': '导入完成：新增 {ok}，已存在 {dup}，失败 {bad}',
    'c.title': '转化（关注后的订单、付款、注册）',
  },
  en: {
    'signin.lead': 'Sign in with an admin token.', 'signin.token': 'Admin token', 'signin.submit': 'Sign in',
    'signin.bad': 'That token is not valid.', 'signin.limited': 'Too many failures: try again in a minute.',
    'nav.overview': 'Overview', 'nav.channels': 'Channels', 'nav.leaderboard': 'Leaderboard', 'nav.compare': 'Compare',
    'nav.signout': 'Sign out',
    'range.7': 'Last 7 days', 'range.30': 'Last 30 days', 'range.90': 'Last 90 days',
    'gran.day': 'By day', 'gran.week': 'By week', 'gran.month': 'By month', 'gran.hour': 'By hour',
    'm.scans': 'Scans', 'm.new_follows': 'New follows', 'm.first_follows': 'First follows', 'm.re_follows': 'Re-follows',
    'm.existing_scans': 'Follower scans', 'm.unfollows': 'Unfollows', 'm.net': 'Net', 'm.unique_scanners': 'Unique scanners',
    'm.retention_d1': '1-day retention', 'm.retention_d7': '7-day retention', 'm.retention_d30': '30-day retention',
    'm.early': 'Unfollowed within 24 h', 'm.quick': 'Unfollowed within 5 min', 'm.organic': 'Organic follows',
    'm.cost_new': 'Cost per new follower', 'm.cost_net': 'Cost per net follower', 'm.cost_retained': 'Cost per retained follower',
    'm.spend': 'Spend',
    'overview.top': 'Top channels', 'overview.quota': 'Permanent QR quota', 'overview.bursts': 'Unusual bursts',
    'quota.used': '{used} of 100,000 used, {left} left',
    'quota.refused': 'WeChat refused a new permanent code (45029): the quota is used up, counting codes made outside qrscene.',
    'att.renewal': 'Renewal failing', 'att.expiry': 'Expires in {days} d',
    'att.renewal_detail': 'The last renewal failed: {error}. A printed code stops working when it expires.',
    'ch.name': 'Name', 'ch.group': 'Group', 'ch.owner': 'Owner', 'ch.kind': 'Kind', 'ch.scene': 'Scene',
    'ch.status': 'Status', 'ch.tag': 'Tag', 'ch.reply_subscribe': 'Reply on follow', 'ch.reply_scan': 'Reply on scan',
    'ch.evergreen': 'Renew before expiry', 'ch.spend': 'Spend (CNY)', 'ch.expires': 'Expires',
    'kind.temporary': 'Temporary', 'kind.permanent': 'Permanent',
    'status.active': 'Active', 'status.paused': 'Paused', 'status.expired': 'Expired', 'status.retired': 'Retired',
    'status.all': 'All statuses', 'group.all': 'All groups', 'search': 'Search name, scene, owner',
    'new': 'New channel', 'import': 'Import CSV', 'export': 'Export CSV', 'create': 'Create', 'save': 'Save',
    'cancel': 'Cancel', 'edit': 'Edit the channel', 'pause': 'Pause', 'resume': 'Resume', 'retire': 'Retire', 'download': 'Download',
    'retire.confirm': 'Retiring is final and frees the scene. Retire?', 'saved': 'Saved', 'created': 'Created',
    'import.done': 'Import finished: {ok} created, {bad} failed', 'import.row': 'Row {row}: {message}',
    'cohort.title': 'Retention by follow date', 'cohort.day': 'Follow date', 'cohort.follows': 'Follows',
    'leader.by': 'By owner', 'leader.channels': 'Channels', 'compare.pick': 'Pick channels to compare',
    'compare.series': 'New follows', 'empty': 'Nothing yet', 'back': 'Back', 'lang': '中文',
    'nav.followers': 'Followers', 'nav.conversions': 'Conversions', 'nav.reconcile': 'Reconcile',
    'rec.lead': "Each day's QR follows through qrscene's channels beside WeChat's own count of follows by QR scan (7 days at most, up to yesterday).",
    'rec.day': 'Day', 'rec.ours': 'Channels', 'rec.other': 'Other codes', 'rec.wechat': 'WeChat', 'rec.diff': 'Difference',
    'rec.ours_unf': 'Channel unfollows', 'rec.wechat_unf': 'WeChat unfollows',
    'rec.unpublished': "WeChat publishes a day's figures at 08:00 Beijing time the next day; until then they show as –.",
    'rec.unknown': "{date}: {n} followed through scene '{scene}', which no channel holds (a code made outside qrscene?).",
    'f.channel': 'Channel', 'f.all_channels': 'All channels', 'f.owner': 'Owner', 'f.all_owners': 'All owners',
    'f.status': 'Status', 'f.status.all': 'All', 'f.status.following': 'Following', 'f.status.left': 'Left',
    'f.followed_at': 'Followed', 'f.left_at': 'Left', 'f.who': 'OpenID / pseudonym', 'f.unionid': 'UnionID',
    'f.tags': 'Tags', 'f.first': 'First follow', 'f.conversions': 'Conversions', 'f.value': 'Value',
    'f.sort.followed_at': 'By follow time', 'f.sort.left_at': 'By unfollow time', 'f.sort.channel': 'By channel', 'f.sort.value': 'By value',
    'f.page': 'Page {page} of {pages}, {total} rows', 'f.prev': 'Previous', 'f.next': 'Next',
    'f.export_csv': 'Export CSV', 'f.export_xlsx': 'Export Excel', 'f.yes': 'yes', 'f.no': 'no', 'f.view': 'See the followers',
    'c.touch': 'Attribution', 'c.touch.first': 'First touch', 'c.touch.last': 'Last touch', 'c.by.channel': 'By channel', 'c.by.owner': 'By owner',
    'c.conversions': 'Conversions', 'c.converters': 'Converters', 'c.value': 'Value', 'c.followers': 'New follows',
    'c.per_follower': 'Value per follower', 'c.time_to_first': 'Follow to first conversion (median)', 'c.unattributed': 'No channel',
    'c.total': 'Total', 'c.import': 'Import conversions (CSV)', 'c.import.done': 'Import finished: {ok} new, {dup} already there, {bad} failed',
    'c.title': 'Conversions (orders, payments, sign-ups after the follow)',
  },
};

const state = {
  lang: localStorage.getItem('qrscene.lang') || ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en'),
  token: sessionStorage.getItem('qrscene.token') || '',
  appid: '',
  accounts: [],
  days: 30,
  granularity: 'day',
  charts: [],
  flash: '',  // a message for the next view ("saved")
};

function t(key, vars) {
  let s = (I18N[state.lang] && I18N[state.lang][key]) || I18N.en[key] || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replace('{' + k + '}', v);
  return s;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === 'class') e.className = v;
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ('HTTP ' + status));
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + state.token }, options.headers || {});
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(options.json);
  }
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) {
    signOut();
    throw new ApiError(401, null);
  }
  const type = res.headers.get('Content-Type') || '';
  if (options.raw) {
    if (!res.ok) throw new ApiError(res.status, type.includes('json') ? await res.json() : null);
    return res;
  }
  const body = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok && res.status !== 207) throw new ApiError(res.status, body);
  return body;
}

function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) u.set(k, v);
  return u.toString();
}

function dayString(d) {
  return d.toISOString().slice(0, 10);
}

function range() {
  // Days in Beijing (the store's default zone); the API takes local dates.
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const from = new Date(now.getTime() - (state.days - 1) * 86400 * 1000);
  return { from: dayString(from), to: dayString(now) };
}

function pct(v) { return v === null || v === undefined ? '–' : (v * 100).toFixed(1) + '%'; }
function yuan(cents) { return cents === null || cents === undefined ? '–' : '¥' + (cents / 100).toFixed(2); }
function money(cents, currency) {
  if (cents === null || cents === undefined) return '–';
  return currency === 'CNY' ? yuan(cents) : (cents / 100).toFixed(2) + ' ' + currency;
}
function when(unix) {
  if (unix === null || unix === undefined) return '–';
  return new Date(unix * 1000).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}
function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 3600) return Math.round(seconds / 60) + (state.lang === 'zh' ? ' 分钟' : ' min');
  if (seconds < 86400) return (seconds / 3600).toFixed(1) + (state.lang === 'zh' ? ' 小时' : ' h');
  return (seconds / 86400).toFixed(1) + (state.lang === 'zh' ? ' 天' : ' d');
}
// The parameters after the view's name in the hash: #/followers?owner=…
function hashParams() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

function disposeCharts() {
  for (const c of state.charts) c.dispose();
  state.charts = [];
}

function chart(node, option) {
  const c = echarts.init(node);
  c.setOption(option);
  state.charts.push(c);
  return c;
}

window.addEventListener('resize', () => state.charts.forEach((c) => c.resize()));

function lineOption(labels, series) {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 32, bottom: 32 },
    xAxis: { type: 'category', data: labels },
    yAxis: { type: 'value', minInterval: 1 },
    series: series.map((s) => ({ type: 'line', showSymbol: labels.length < 40, name: s.name, data: s.data })),
  };
}

function metric(key, value, id) {
  return el('div', { class: 'metric', 'data-metric': id || key },
    el('div', { class: 'label' }, t(key)), el('div', { class: 'value' }, value));
}

function rangeToolbar(onChange, withHour) {
  const days = el('select', { 'aria-label': 'range', on: { change: (e) => { state.days = Number(e.target.value); onChange(); } } },
    [7, 30, 90].map((d) => el('option', { value: d, selected: state.days === d }, t('range.' + d))));
  const grans = withHour ? ['hour', 'day', 'week', 'month'] : ['day', 'week', 'month'];
  const gran = el('select', { 'aria-label': 'granularity', on: { change: (e) => { state.granularity = e.target.value; onChange(); } } },
    grans.map((g) => el('option', { value: g, selected: state.granularity === g }, t('gran.' + g))));
  return el('div', { class: 'toolbar' }, days, gran);
}

async function download(path, filename) {
  const res = await api(path, { raw: true });
  const blob = await res.blob();
  const a = el('a', { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
}

// --- views ---

async function overview(view) {
  const r = range();
  const gran = state.granularity === 'hour' && state.days > 31 ? 'day' : state.granularity;
  const [stats, top, quota] = await Promise.all([
    api('/api/v1/stats?' + q({ appid: state.appid, from: r.from, to: r.to, granularity: gran })),
    api('/api/v1/stats/breakdown?' + q({ appid: state.appid, from: r.from, to: r.to, by: 'channel' })),
    api('/api/v1/quota?' + q({ appid: state.appid })),
  ]);
  const s = stats.totals;
  const chartNode = el('div', { class: 'chart', id: 'overview-chart' });
  view.replaceChildren(
    rangeToolbar(() => render(), true),
    el('div', { class: 'cards' },
      metric('m.new_follows', s.new_follows), metric('m.unfollows', s.unfollows), metric('m.net', s.net),
      metric('m.scans', s.scans), metric('m.unique_scanners', stats.unique_scanners),
      metric('m.organic', stats.organic ? stats.organic.follows : 0),
      metric('m.retention_d1', pct(stats.retention.d1)), metric('m.retention_d7', pct(stats.retention.d7)),
      metric('m.retention_d30', pct(stats.retention.d30)), metric('m.quick', stats.fraud.quick_unfollows)),
    el('div', { class: 'card' }, chartNode),
    el('div', { class: 'card' }, el('h3', {}, t('overview.quota')),
      el('div', { class: 'meter' }, el('div', { id: 'quota-bar' })),
      el('p', { id: 'quota-text' }, t('quota.used', { used: quota.used, left: quota.left })),
      quota.wechat_refused_at ? el('p', { class: 'error', id: 'quota-refused' }, t('quota.refused')) : null),
    stats.fraud.bursts.length ? el('div', { class: 'card' }, el('h3', {}, t('overview.bursts')),
      el('ul', {}, stats.fraud.bursts.map((b) => el('li', {}, `${b.label}: ${b.new_follows} (${b.baseline.toFixed(1)} → ${b.threshold})`)))) : null,
    el('div', { class: 'card' }, el('h3', {}, t('overview.top')), breakdownTable(top.slice(0, 10), true)));
  view.querySelector('#quota-bar').style.width = Math.max(0.5, quota.used / 1000) + '%';
  const labels = stats.series.map((p) => p.label);
  chart(chartNode, lineOption(labels, [
    { name: t('m.new_follows'), data: stats.series.map((p) => p.new_follows) },
    { name: t('m.unfollows'), data: stats.series.map((p) => p.unfollows) },
    { name: t('m.net'), data: stats.series.map((p) => p.net) },
  ]));
}

function breakdownTable(rows, link) {
  if (!rows.length) return el('p', {}, t('empty'));
  return el('div', { class: 'table-wrap' }, el('table', {},
    el('thead', {}, el('tr', {}, el('th', {}, t('ch.name')), ...['scans', 'new_follows', 'unfollows', 'net']
      .map((k) => el('th', { class: 'num' }, t('m.' + k))))),
    el('tbody', {}, rows.map((row) => el('tr', {
      class: link && row.channel_id ? 'clickable' : '',
      on: { click: () => { if (link && row.channel_id) location.hash = '#/channels/' + row.channel_id; } },
    }, el('td', {}, row.key || '–'), ...['scans', 'new_follows', 'unfollows', 'net']
      .map((k) => el('td', { class: 'num' }, row[k])))))));
}

async function channels(view) {
  const list = await api('/api/v1/channels?' + q({ appid: state.appid }));
  const groups = [...new Set(list.map((c) => c.group).filter(Boolean))].sort();
  const search = el('input', { type: 'search', id: 'channel-search', placeholder: t('search') });
  const group = el('select', { id: 'channel-group', 'aria-label': t('ch.group') },
    el('option', { value: '' }, t('group.all')), groups.map((g) => el('option', { value: g }, g)));
  const status = el('select', { id: 'channel-status', 'aria-label': t('ch.status') },
    el('option', { value: '' }, t('status.all')),
    ['active', 'paused', 'expired', 'retired'].map((s) => el('option', { value: s }, t('status.' + s))));
  const tbody = el('tbody', {});
  const draw = () => {
    const needle = search.value.trim().toLowerCase();
    tbody.replaceChildren(...list.filter((c) =>
      (!needle || [c.name, c.scene, c.owner, c.group].some((v) => String(v).toLowerCase().includes(needle))) &&
      (!group.value || c.group === group.value) && (!status.value || c.status === status.value))
      .map((c) => el('tr', { class: 'clickable', 'data-channel': c.id, on: { click: () => { location.hash = '#/channels/' + c.id; } } },
        el('td', {}, c.name), el('td', {}, c.group), el('td', {}, c.owner), el('td', {}, t('kind.' + c.kind)),
        el('td', {}, c.scene), el('td', {}, el('span', { class: 'badge ' + c.status }, t('status.' + c.status)), ...attention(c)),
        ...['scans', 'new_follows', 'unfollows', 'net'].map((k) => el('td', { class: 'num' }, c.totals ? c.totals[k] : 0)))));
  };
  for (const input of [search, group, status]) input.addEventListener('input', draw);
  const r = range();
  view.replaceChildren(
    el('div', { class: 'toolbar' }, search, group, status, el('span', { class: 'spacer' }),
      el('button', { id: 'new-channel', on: { click: () => { location.hash = '#/new'; } } }, t('new')),
      el('button', { class: 'secondary', id: 'import-channels', on: { click: () => { location.hash = '#/import'; } } }, t('import')),
      el('button', {
        class: 'secondary', id: 'export-csv',
        on: { click: () => download('/api/v1/export?' + q({ appid: state.appid, from: r.from, to: r.to, by: 'channel' }), `qrscene-${r.from}-${r.to}.csv`) },
      }, t('export'))),
    el('div', { class: 'table-wrap card' }, el('table', { id: 'channel-table' },
      el('thead', {}, el('tr', {}, ['name', 'group', 'owner', 'kind', 'scene', 'status'].map((k) => el('th', {}, t('ch.' + k))),
        ['scans', 'new_follows', 'unfollows', 'net'].map((k) => el('th', { class: 'num' }, t('m.' + k))))),
      tbody)));
  draw();
}

// Badges for a code that needs a marketer: it dies soon, or its renewal fails (the API's
// expiry_warning and renewal_failure); the title says when, and WeChat's words.
function attention(c) {
  const out = [];
  if (c.renewal_failure) {
    out.push(el('span', { class: 'badge bad', title: c.renewal_failure.error, 'data-attention': 'renewal' }, t('att.renewal')));
  }
  if (c.expiry_warning) {
    const days = Math.max(0, Math.ceil(c.expires_in_seconds / 86400));
    out.push(el('span', { class: 'badge warn', 'data-attention': 'expiry' }, t('att.expiry', { days })));
  }
  return out;
}

function replyText(r) { return r && r.kind === 'text' ? r.text : ''; }

function channelForm(onSubmit, submitLabel, existing) {
  const c = existing || {};
  const field = (key, input) => el('label', {}, el('span', {}, t(key)), input);
  const form = el('form', { class: 'grid', id: existing ? 'edit-form' : 'create-form' },
    field('ch.name', el('input', { name: 'name', required: true, value: c.name || '' })),
    field('ch.group', el('input', { name: 'group', value: c.group || '' })),
    field('ch.owner', el('input', { name: 'owner', value: c.owner || '' })),
    existing ? null : field('ch.kind', el('select', { name: 'kind' },
      el('option', { value: 'temporary' }, t('kind.temporary')), el('option', { value: 'permanent' }, t('kind.permanent')))),
    existing ? null : field('ch.scene', el('input', { name: 'scene', placeholder: '1001 / store-a' })),
    field('ch.reply_subscribe', el('textarea', { name: 'on_subscribe', rows: 2 }, replyText(c.on_subscribe))),
    field('ch.reply_scan', el('textarea', { name: 'on_scan', rows: 2 }, replyText(c.on_scan))),
    field('ch.tag', el('input', { name: 'tag', value: '' })),
    field('ch.spend', el('input', { name: 'spend', type: 'number', min: 0, step: '0.01', value: c.spend_cents ? c.spend_cents / 100 : '' })),
    el('label', {}, el('span', {}, t('ch.evergreen')), el('input', { name: 'evergreen', type: 'checkbox', checked: !!c.evergreen })),
    el('div', {}, el('button', { type: 'submit' }, submitLabel)),
    el('p', { class: 'error', role: 'alert', id: 'form-error' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = { name: f.get('name'), group: f.get('group'), owner: f.get('owner'), evergreen: f.get('evergreen') === 'on' };
    if (!existing) {
      body.kind = f.get('kind');
      const scene = String(f.get('scene') || '').trim();
      if (scene) body.scene = /^\d{1,10}$/.test(scene) ? Number(scene) : scene;
      if (body.kind === 'permanent') delete body.evergreen;
    }
    body.on_subscribe = f.get('on_subscribe') ? { kind: 'text', text: f.get('on_subscribe') } : { kind: 'none' };
    body.on_scan = f.get('on_scan') ? { kind: 'text', text: f.get('on_scan') } : { kind: 'none' };
    if (f.get('tag')) body.tag = f.get('tag');
    if (f.get('spend') !== '') body.spend_cents = Math.round(Number(f.get('spend')) * 100);
    try {
      await onSubmit(body);
    } catch (err) {
      form.querySelector('#form-error').textContent = err.message;
    }
  });
  return form;
}

async function createView(view) {
  view.replaceChildren(el('div', { class: 'card' }, el('h2', {}, t('new')), channelForm(async (body) => {
    body.appid = state.appid;
    const made = await api('/api/v1/channels', { method: 'POST', json: body });
    location.hash = '#/channels/' + made.id;
  }, t('create'))));
}

// Splits a CSV into its header and rows (quotes respected) so that it can be sent in parts.
function csvRecords(text) {
  const records = [];
  let cur = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === '\n')) {
      if (cur.trim()) records.push(cur.replace(/\r$/, ''));
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) records.push(cur.replace(/\r$/, ''));
  return records;
}

// Sends a CSV file in parts of `chunk` rows (each with the header) to `path`, moving `bar`; each
// part's answer goes to `take(answer, offset)`. Row errors come back numbered as lines of the file.
async function uploadCsv(file, path, bar, take) {
  const records = csvRecords(await file.text());
  const header = records.shift();
  const chunk = 20;
  const errors = [];
  bar.max = Math.max(1, records.length);
  for (let i = 0; i < records.length; i += chunk) {
    const part = [header, ...records.slice(i, i + chunk)].join('\n');
    try {
      const res = await api(path, { method: 'POST', body: part, headers: { 'Content-Type': 'text/csv' } });
      take(res);
      for (const e of res.errors) errors.push({ row: e.row + i, message: e.message });
    } catch (err) {
      errors.push({ row: i + 2, message: err.message });
    }
    bar.value = Math.min(records.length, i + chunk);
  }
  return errors;
}

async function importView(view) {
  const file = el('input', { type: 'file', accept: '.csv,text/csv', id: 'import-file' });
  const bar = el('progress', { max: 1, value: 0, id: 'import-progress' });
  const out = el('div', { id: 'import-result' });
  const go = el('button', {
    id: 'import-go', on: {
      click: async () => {
        if (!file.files[0]) return;
        let ok = 0;
        const errors = await uploadCsv(file.files[0], '/api/v1/channels/import?' + q({ appid: state.appid }), bar,
          (res) => { ok += res.created.length; });
        out.replaceChildren(el('p', { class: errors.length ? 'error' : 'ok' }, t('import.done', { ok, bad: errors.length })),
          el('ul', {}, errors.map((e) => el('li', {}, t('import.row', e)))));
      },
    },
  }, t('import'));
  view.replaceChildren(el('div', { class: 'card' }, el('h2', {}, t('import')),
    el('p', {}, 'name,group,owner,kind,scene,expire_seconds,evergreen,reply_subscribe,reply_scan,tag,spend_cents'),
    el('div', { class: 'toolbar' }, file, go), bar, out));
}

async function qrImage(id, node) {
  const res = await api(`/api/v1/channels/${id}/qr.png?size=400`, { raw: true });
  node.src = URL.createObjectURL(await res.blob());
}

async function channelView(view, id) {
  const r = range();
  const [c, stats, firstTouch, lastTouch] = await Promise.all([
    api('/api/v1/channels/' + id),
    api('/api/v1/stats?' + q({ appid: state.appid, channel: id, from: r.from, to: r.to, granularity: state.granularity === 'hour' && state.days > 31 ? 'day' : state.granularity })),
    api('/api/v1/conversions/report?' + q({ appid: state.appid, channel: id, from: r.from, to: r.to, touch: 'first' })),
    api('/api/v1/conversions/report?' + q({ appid: state.appid, channel: id, from: r.from, to: r.to, touch: 'last' })),
  ]);
  const img = el('img', { id: 'qr-preview', alt: c.name });
  const chartNode = el('div', { class: 'chart', id: 'channel-chart' });
  const msg = el('p', { id: 'channel-message', class: 'ok' }, state.flash || '');
  state.flash = '';
  const act = (action) => async () => {
    if (action === 'retire' && !confirm(t('retire.confirm'))) return;
    try { await api(`/api/v1/channels/${id}/${action}`, { method: 'POST' }); render(); } catch (e) { msg.className = 'error'; msg.textContent = e.message; }
  };
  const s = stats.totals;
  view.replaceChildren(
    el('p', {}, el('a', { href: '#/channels' }, '← ' + t('back'))),
    el('div', { class: 'card' },
      el('h2', { id: 'channel-name' }, c.name, ' ', el('span', { class: 'badge ' + c.status, id: 'channel-status' }, t('status.' + c.status)), ...attention(c)),
    c.renewal_failure ? el('p', { class: 'error' }, t('att.renewal_detail', { error: c.renewal_failure.error })) : null,
      el('div', { class: 'qr' }, img, el('div', {},
        el('p', {}, `${t('ch.kind')}: ${t('kind.' + c.kind)} · ${t('ch.scene')}: ${c.scene}` + (c.expires_at ? ` · ${t('ch.expires')}: ${new Date(c.expires_at * 1000).toLocaleString()}` : '')),
        el('p', {}, `${t('ch.group')}: ${c.group || '–'} · ${t('ch.owner')}: ${c.owner || '–'}`),
        el('div', { class: 'toolbar' },
          el('button', { class: 'secondary', id: 'download-png', on: { click: () => download(`/api/v1/channels/${id}/qr.png?size=860`, `channel-${id}.png`) } }, t('download') + ' PNG'),
          el('button', { class: 'secondary', id: 'download-svg', on: { click: () => download(`/api/v1/channels/${id}/qr.svg`, `channel-${id}.svg`) } }, t('download') + ' SVG'),
          c.status === 'active' ? el('button', { class: 'secondary', id: 'pause', on: { click: act('pause') } }, t('pause')) : null,
          c.status === 'paused' ? el('button', { class: 'secondary', id: 'resume', on: { click: act('resume') } }, t('resume')) : null,
          c.status !== 'retired' ? el('button', { class: 'danger', id: 'retire', on: { click: act('retire') } }, t('retire')) : null,
          el('a', { class: 'button secondary', id: 'channel-followers', href: '#/followers?' + q({ channel: id }) }, t('f.view'))),
        msg))),
    rangeToolbar(() => render(), true),
    el('div', { class: 'cards', id: 'channel-metrics' },
      metric('m.scans', s.scans, 'scans'), metric('m.new_follows', s.new_follows, 'new_follows'),
      metric('m.unfollows', s.unfollows, 'unfollows'), metric('m.net', s.net, 'net'),
      metric('m.existing_scans', s.existing_scans, 'existing_scans'), metric('m.unique_scanners', stats.unique_scanners, 'unique_scanners'),
      metric('m.retention_d1', pct(stats.retention.d1)), metric('m.retention_d7', pct(stats.retention.d7)),
      metric('m.early', pct(stats.early_unfollow_rate)), metric('m.quick', stats.fraud.quick_unfollows),
      metric('m.spend', yuan(stats.costs.spend_cents)), metric('m.cost_new', yuan(stats.costs.per_new_follow_cents)),
      metric('m.cost_net', yuan(stats.costs.per_net_follow_cents)), metric('m.cost_retained', yuan(stats.costs.per_retained_follow_cents))),
    el('div', { class: 'card' }, chartNode),
    el('div', { class: 'card' }, el('h3', {}, t('c.title')),
      el('h4', {}, t('c.touch.first')), conversionCards(firstTouch.totals, firstTouch.currency, 'channel-conversions-first'),
      el('h4', {}, t('c.touch.last')), conversionCards(lastTouch.totals, lastTouch.currency, 'channel-conversions-last')),
    el('div', { class: 'card' }, el('h3', {}, t('cohort.title')), el('div', { class: 'table-wrap' }, el('table', { id: 'cohort-table' },
      el('thead', {}, el('tr', {}, el('th', {}, t('cohort.day')), el('th', { class: 'num' }, t('cohort.follows')),
        ['m.retention_d1', 'm.retention_d7', 'm.retention_d30'].map((k) => el('th', { class: 'num' }, t(k))))),
      el('tbody', {}, stats.cohorts.map((row) => el('tr', {}, el('td', {}, row.day), el('td', { class: 'num' }, row.follows),
        [row.retention_1d, row.retention_7d, row.retention_30d].map((v) => el('td', { class: 'num' }, pct(v))))))))),
    c.status !== 'retired' ? el('div', { class: 'card' }, el('h3', {}, t('edit')), channelForm(async (body) => {
      await api('/api/v1/channels/' + id, { method: 'PATCH', json: body });
      state.flash = t('saved');
      await render();
    }, t('save'), c)) : null);
  qrImage(id, img).catch(() => {});
  chart(chartNode, lineOption(stats.series.map((p) => p.label), [
    { name: t('m.new_follows'), data: stats.series.map((p) => p.new_follows) },
    { name: t('m.unfollows'), data: stats.series.map((p) => p.unfollows) },
    { name: t('m.existing_scans'), data: stats.series.map((p) => p.existing_scans) },
  ]));
}

async function leaderboard(view) {
  const r = range();
  const rows = await api('/api/v1/stats/breakdown?' + q({ appid: state.appid, from: r.from, to: r.to, by: 'owner' }));
  const chartNode = el('div', { class: 'chart' });
  view.replaceChildren(rangeToolbar(() => render(), false),
    el('div', { class: 'card' }, el('h2', {}, t('leader.by')), chartNode),
    el('div', { class: 'card table-wrap' }, el('table', { id: 'leaderboard-table' },
      el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, t('ch.owner')), el('th', { class: 'num' }, t('leader.channels')),
        ['new_follows', 'unfollows', 'net'].map((k) => el('th', { class: 'num' }, t('m.' + k))))),
      el('tbody', {}, rows.map((row, i) => el('tr', { class: 'clickable', on: { click: () => { location.hash = '#/followers?' + q({ owner: row.key }); } } },
        el('td', {}, i + 1), el('td', {}, row.key || '–'),
        el('td', { class: 'num' }, row.channels), ['new_follows', 'unfollows', 'net'].map((k) => el('td', { class: 'num' }, row[k]))))))));
  chart(chartNode, {
    tooltip: {}, grid: { left: 80, right: 16, top: 8, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: rows.map((r2) => r2.key || '–').reverse() },
    series: [{ type: 'bar', name: t('m.net'), data: rows.map((r2) => r2.net).reverse() }],
  });
}

async function reconcileView(view) {
  const days = await api('/api/v1/stats/reconciliation?' + q({ appid: state.appid }));
  const known = (v) => (v === null ? '–' : v);
  const cols = ['rec.day', 'rec.ours', 'rec.other', 'rec.wechat', 'rec.diff', 'rec.ours_unf', 'rec.wechat_unf'];
  const notes = [];
  if (days.some((d) => !d.wechat_published)) notes.push(el('p', { class: 'hint' }, t('rec.unpublished')));
  for (const d of days) {
    for (const s of d.unknown_scenes) notes.push(el('p', { class: 'hint' }, t('rec.unknown', { date: d.date, n: s.follows, scene: s.scene })));
  }
  view.replaceChildren(el('div', { class: 'card' }, el('h2', {}, t('nav.reconcile')), el('p', {}, t('rec.lead')),
    el('div', { class: 'table-wrap' }, el('table', { id: 'reconcile-table' },
      el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', i ? { class: 'num' } : {}, t(c))))),
      el('tbody', {}, days.map((d) => el('tr', {}, el('td', {}, d.date),
        [d.ours_follows, d.unknown_scene_follows, known(d.wechat_follows), known(d.follows_difference), d.ours_unfollows,
          known(d.wechat_unfollows)].map((v) => el('td', { class: 'num' }, v))))))),
    ...notes));
}

async function compare(view) {
  const list = (await api('/api/v1/channels?' + q({ appid: state.appid }))).filter((c) => c.status !== 'retired');
  const picked = new Set(list.slice(0, 3).map((c) => c.id));
  const chartNode = el('div', { class: 'chart', id: 'compare-chart' });
  const draw = async () => {
    const r = range();
    const ids = [...picked];
    const all = await Promise.all(ids.map((id) => api('/api/v1/stats?' + q({ appid: state.appid, channel: id, from: r.from, to: r.to, granularity: state.granularity === 'hour' ? 'day' : state.granularity }))));
    disposeCharts();
    const labels = all.length ? all[0].series.map((p) => p.label) : [];
    chart(chartNode, lineOption(labels, all.map((s, i) => ({ name: list.find((c) => c.id === ids[i]).name, data: s.series.map((p) => p.new_follows) }))));
  };
  view.replaceChildren(rangeToolbar(() => draw(), false),
    el('div', { class: 'card' }, el('h3', {}, t('compare.pick')), el('div', { class: 'toolbar' }, list.map((c) =>
      el('label', {}, el('input', { type: 'checkbox', checked: picked.has(c.id), on: { change: (e) => { if (e.target.checked) picked.add(c.id); else picked.delete(c.id); draw(); } } }), ' ', c.name)))),
    el('div', { class: 'card' }, chartNode));
  await draw();
}

// The follower list: one row per follow through a channel; rows of people who left keep only the
// pseudonym.
async function followersView(view) {
  const p = hashParams();
  const params = {
    appid: state.appid, channel: p.get('channel') || '', owner: p.get('owner') || '', status: p.get('status') || '',
    sort: p.get('sort') || 'followed_at', order: p.get('order') || 'desc', page: Number(p.get('page') || 1), per_page: 50,
  };
  const [list, page] = await Promise.all([
    api('/api/v1/channels?' + q({ appid: state.appid })),
    api('/api/v1/followers?' + q(params)),
  ]);
  const go = (change) => {
    const next = Object.assign({}, params, change);
    delete next.appid;
    delete next.per_page;
    if (!('page' in change)) next.page = 1;
    location.hash = '#/followers?' + q(next);
  };
  const owners = [...new Set(list.map((c) => c.owner).filter(Boolean))].sort();
  const select = (id, label, value, options, key) => el('select', { id, 'aria-label': label, on: { change: (e) => go({ [key]: e.target.value }) } },
    options.map(([v, text]) => el('option', { value: v, selected: String(value) === String(v) }, text)));
  const pages = Math.max(1, Math.ceil(page.total / page.per_page));
  const exportParams = Object.assign({}, params);
  delete exportParams.page;
  delete exportParams.per_page;
  view.replaceChildren(
    el('div', { class: 'toolbar' },
      select('followers-channel', t('f.channel'), params.channel, [['', t('f.all_channels')], ...list.map((c) => [c.id, c.name])], 'channel'),
      select('followers-owner', t('f.owner'), params.owner, [['', t('f.all_owners')], ...owners.map((o) => [o, o])], 'owner'),
      select('followers-status', t('f.status'), params.status, ['', 'following', 'left'].map((v) => [v, t('f.status.' + (v || 'all'))]), 'status'),
      select('followers-sort', 'sort', params.sort, ['followed_at', 'left_at', 'channel', 'value'].map((v) => [v, t('f.sort.' + v)]), 'sort'),
      el('span', { class: 'spacer' }),
      el('button', { class: 'secondary', id: 'followers-csv', on: { click: () => download('/api/v1/followers/export?' + q(Object.assign({ format: 'csv' }, exportParams)), 'followers.csv') } }, t('f.export_csv')),
      el('button', { class: 'secondary', id: 'followers-xlsx', on: { click: () => download('/api/v1/followers/export?' + q(Object.assign({ format: 'xlsx' }, exportParams)), 'followers.xlsx') } }, t('f.export_xlsx'))),
    el('div', { class: 'table-wrap card' }, page.rows.length ? el('table', { id: 'followers-table' },
      el('thead', {}, el('tr', {}, ['f.channel', 'f.owner', 'f.followed_at', 'f.status', 'f.left_at', 'f.who', 'f.unionid', 'f.tags', 'f.first']
        .map((k) => el('th', {}, t(k))), el('th', { class: 'num' }, t('f.conversions')), el('th', { class: 'num' }, t('f.value')))),
      el('tbody', {}, page.rows.map((f) => el('tr', { 'data-following': f.following ? 'yes' : 'no' },
        el('td', {}, f.channel), el('td', {}, f.owner || '–'), el('td', {}, when(f.followed_at)),
        el('td', {}, el('span', { class: 'badge ' + (f.following ? 'active' : 'retired') }, t('f.status.' + (f.following ? 'following' : 'left')))),
        el('td', {}, when(f.left_at)),
        el('td', { class: 'mono' }, f.openid || (f.pseudonym ? f.pseudonym.slice(0, 12) + '…' : '–')),
        el('td', { class: 'mono' }, f.unionid || '–'), el('td', {}, f.tags.join('、') || '–'),
        el('td', {}, t(f.first_follow ? 'f.yes' : 'f.no')),
        el('td', { class: 'num' }, f.conversions), el('td', { class: 'num' }, money(f.value_cents, page.currency)))))) : el('p', {}, t('empty'))),
    el('div', { class: 'toolbar' },
      el('button', { class: 'secondary', id: 'followers-prev', disabled: params.page <= 1, on: { click: () => go({ page: params.page - 1 }) } }, t('f.prev')),
      el('span', { id: 'followers-page' }, t('f.page', { page: params.page, pages, total: page.total })),
      el('button', { class: 'secondary', id: 'followers-next', disabled: params.page >= pages, on: { click: () => go({ page: params.page + 1 }) } }, t('f.next'))));
}

function conversionCards(f, currency, idPrefix) {
  return el('div', { class: 'cards', id: idPrefix },
    metric('c.conversions', f.conversions, 'conversions'), metric('c.converters', f.converters, 'converters'),
    metric('c.value', money(f.value_cents, currency), 'value'), metric('c.followers', f.followers, 'followers'),
    metric('c.per_follower', money(f.value_per_follower_cents, currency), 'per_follower'),
    metric('c.time_to_first', duration(f.median_seconds_to_first), 'time_to_first'));
}

async function conversionsView(view) {
  const p = hashParams();
  const touch = p.get('touch') || 'first';
  const by = p.get('by') || 'channel';
  const r = range();
  const report = await api('/api/v1/conversions/report?' + q({ appid: state.appid, from: r.from, to: r.to, touch, by }));
  const go = (change) => { location.hash = '#/conversions?' + q(Object.assign({ touch, by }, change)); };
  const chartNode = el('div', { class: 'chart', id: 'conversions-chart' });
  const file = el('input', { type: 'file', accept: '.csv,text/csv', id: 'conversions-file' });
  const bar = el('progress', { max: 1, value: 0, id: 'conversions-progress' });
  const out = el('div', { id: 'conversions-import-result' });
  const row = (key, f, link) => el('tr', { class: link ? 'clickable' : '', on: { click: () => { if (link) location.hash = link; } } },
    el('td', {}, key), ...['followers', 'conversions', 'converters'].map((k) => el('td', { class: 'num' }, f[k])),
    el('td', { class: 'num' }, money(f.value_cents, report.currency)), el('td', { class: 'num' }, money(f.value_per_follower_cents, report.currency)),
    el('td', { class: 'num' }, duration(f.median_seconds_to_first)));
  view.replaceChildren(
    el('div', { class: 'toolbar' },
      el('select', { id: 'conversions-touch', 'aria-label': t('c.touch'), on: { change: (e) => go({ touch: e.target.value }) } },
        ['first', 'last'].map((v) => el('option', { value: v, selected: v === touch }, t('c.touch.' + v)))),
      el('select', { id: 'conversions-by', 'aria-label': 'by', on: { change: (e) => go({ by: e.target.value }) } },
        ['channel', 'owner'].map((v) => el('option', { value: v, selected: v === by }, t('c.by.' + v)))),
      el('select', { 'aria-label': 'range', on: { change: (e) => { state.days = Number(e.target.value); render(); } } },
        [7, 30, 90].map((d) => el('option', { value: d, selected: state.days === d }, t('range.' + d))))),
    el('h2', {}, t('c.title')),
    conversionCards(report.totals, report.currency, 'conversions-totals'),
    el('div', { class: 'card' }, chartNode),
    el('div', { class: 'card table-wrap' }, el('table', { id: 'conversions-table' },
      el('thead', {}, el('tr', {}, el('th', {}, t(by === 'owner' ? 'f.owner' : 'f.channel')),
        ['c.followers', 'c.conversions', 'c.converters', 'c.value', 'c.per_follower', 'c.time_to_first'].map((k) => el('th', { class: 'num' }, t(k))))),
      el('tbody', {},
        report.rows.map((f) => row(f.key || '–', f, by === 'owner' ? '#/followers?' + q({ owner: f.key }) : '#/followers?' + q({ channel: f.channel_id }))),
        row(t('c.total'), report.totals),
        report.unattributed ? row(t('c.unattributed'), report.unattributed) : null))),
    el('div', { class: 'card' }, el('h3', {}, t('c.import')),
      el('p', {}, 'external_id,openid,unionid,kind,value_cents,occurred_at,currency'),
      el('div', { class: 'toolbar' }, file, el('button', {
        id: 'conversions-import', on: {
          click: async () => {
            if (!file.files[0]) return;
            let ok = 0, dup = 0;
            const errors = await uploadCsv(file.files[0], '/api/v1/conversions/import?' + q({ appid: state.appid }), bar,
              (res) => { ok += res.recorded; dup += res.duplicates; });
            out.replaceChildren(el('p', { class: errors.length ? 'error' : 'ok' }, t('c.import.done', { ok, dup, bad: errors.length })),
              el('ul', {}, errors.map((e) => el('li', {}, t('import.row', e)))));
          },
        },
      }, t('import'))), bar, out));
  chart(chartNode, {
    tooltip: {}, grid: { left: 100, right: 16, top: 8, bottom: 24 },
    xAxis: { type: 'value' }, yAxis: { type: 'category', data: report.rows.map((f) => f.key || '–').reverse() },
    series: [{ type: 'bar', name: t('c.value'), data: report.rows.map((f) => f.value_cents / 100).reverse() }],
  });
}

// --- shell ---

function applyI18n() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
  document.getElementById('lang').textContent = t('lang');
}

async function render() {
  disposeCharts();
  applyI18n();
  const view = document.getElementById('view');
  const hash = location.hash || '#/overview';
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  try {
    let m;
    if ((m = hash.match(/^#\/channels\/(\d+)$/))) await channelView(view, m[1]);
    else if (hash === '#/channels') await channels(view);
    else if (hash === '#/new') await createView(view);
    else if (hash === '#/import') await importView(view);
    else if (hash === '#/leaderboard') await leaderboard(view);
    else if (hash === '#/compare') await compare(view);
    else if (hash.startsWith('#/followers')) await followersView(view);
    else if (hash.startsWith('#/conversions')) await conversionsView(view);
    else if (hash === '#/reconcile') await reconcileView(view);
    else await overview(view);
  } catch (e) {
    if (e.status !== 401) view.replaceChildren(el('p', { class: 'error', role: 'alert' }, e.message));
  }
}

function signOut() {
  sessionStorage.removeItem('qrscene.token');
  state.token = '';
  document.getElementById('app').hidden = true;
  document.getElementById('signin').hidden = false;
  applyI18n();
}

async function signIn(token) {
  state.token = token;
  const res = await fetch('/api/v1/accounts', { headers: { Authorization: 'Bearer ' + token } });
  if (!res.ok) {
    state.token = '';
    throw new Error(res.status === 429 ? t('signin.limited') : t('signin.bad'));
  }
  state.accounts = await res.json();
  sessionStorage.setItem('qrscene.token', token);
  const select = document.getElementById('account');
  select.replaceChildren(...state.accounts.map((a) => el('option', { value: a.appid }, a.name || a.appid)));
  state.appid = localStorage.getItem('qrscene.appid') || state.accounts[0].appid;
  if (!state.accounts.some((a) => a.appid === state.appid)) state.appid = state.accounts[0].appid;
  select.value = state.appid;
  document.getElementById('signin').hidden = true;
  document.getElementById('app').hidden = false;
  await render();
}

document.addEventListener('DOMContentLoaded', () => {
  applyI18n();
  document.getElementById('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = document.getElementById('signin-error');
    error.textContent = '';
    try { await signIn(document.getElementById('token').value); } catch (err) { error.textContent = err.message; }
  });
  document.getElementById('signout').addEventListener('click', signOut);
  document.getElementById('lang').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('qrscene.lang', state.lang);
    render();
  });
  document.getElementById('account').addEventListener('change', (e) => {
    state.appid = e.target.value;
    localStorage.setItem('qrscene.appid', state.appid);
    render();
  });
  window.addEventListener('hashchange', () => { if (state.token) render(); });
  if (state.token) signIn(state.token).catch(signOut);
  else signOut();
});
