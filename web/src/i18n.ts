// The dashboard's words in Chinese and English, and the server's errors in the user's language:
// each field problem is shown from its stable code, with the server's English as the fallback.
import { createI18n } from 'vue-i18n';
import { ApiError, type Problem, type RowError } from './api';

const zh = {
  signin: { lead: '输入管理令牌登录。', token: '管理令牌', submit: '登录', bad: '令牌无效。', limited: '失败次数过多，请一分钟后再试。' },
  nav: {
    overview: '概览', channels: '渠道', leaderboard: '推广员排行', compare: '对比', followers: '粉丝明细',
    conversions: '转化', campaigns: '裂变活动', reconcile: '与微信核对', signout: '退出', lang: 'English',
  },
  range: {
    yesterday: '昨天', last7: '近 7 天', last30: '近 30 天', thisMonth: '本月', lastMonth: '上月', custom: '自定义',
    start: '开始日期', end: '结束日期', to: '至',
  },
  gran: { hour: '按小时', day: '按日', week: '按周', month: '按月' },
  m: {
    scans: '扫码', new_follows: '新关注', first_follows: '首次关注', re_follows: '再次关注', existing_scans: '老粉扫码',
    unfollows: '取关', net: '净增', unique_scanners: '扫码人数', total_followers: '累积关注人数', total_followers_channels: '渠道累积关注人数',
    retention_d1: '次日留存', retention_d7: '7 日留存', retention_d30: '30 日留存', early: '24 小时内取关率',
    quick: '5 分钟内取关', organic: '自然关注', cost_new: '单个新关注成本', cost_net: '单个净增成本',
    cost_retained: '单个留存成本', spend: '投入',
  },
  delta: { vs: '较上期', none: '上期无数据' },
  chart: { partial: '最后一个时间段尚未结束（{label} 的数据仍在增加）', count: '人数', yuan: '金额（元）', metric: '指标' },
  overview: {
    top: '渠道排行', quota: '永久二维码配额', bursts: '异常激增',
    burst: '{label}：新关注 {n} 人，平时约 {baseline} 人，超过阈值 {threshold}',
    bursts_none: '所选时间段内没有异常激增。',
    bursts_by_day: '异常激增按日检测：请选择“按日”查看。',
    quota_used: '已用 {used} / 100,000，剩余 {left}',
    quota_refused: '微信已拒绝新建永久二维码（45029）：配额已用完（包括在本系统外创建的二维码）。',
  },
  start: {
    title: '开始使用', lead: '还没有渠道。三步开始：',
    step1: '创建第一个渠道二维码', step2: '在微信公众平台“设置与开发 → 基本配置 → 服务器配置”中填写：',
    url: '服务器地址（URL）', token: '令牌（Token）', token_hint: '与 qrscene.toml 中该公众号的 token 相同',
    mode: '消息加解密方式', step3: '检查微信能否到达本服务：', verified: '最近一次 URL 验证', pushed: '最近一次收到推送',
    never: '尚未收到', mode_plain: '明文模式', mode_compatible: '兼容模式', mode_safe: '安全模式',
  },
  att: {
    renewal: '续期失败', expiry: '{days} 天后过期',
    renewal_detail: '上次续期失败：{error}。已印刷的二维码会在到期时失效。',
  },
  ch: {
    name: '名称', group: '分组', owner: '推广员', kind: '类型', scene: '场景值', status: '状态', tag: '微信标签',
    reply_subscribe: '关注回复', reply_scan: '扫码回复', evergreen: '到期前自动续期', spend: '投入（元）',
    expires: '到期时间', expire_days: '有效期（天）', expire_hint: '临时二维码最长 30 天', created: '创建时间',
    tag_hint: '选择或输入新标签', scene_hint: '留空自动分配；数字或字符串', reply_hint: '可用 {placeholder} 插入渠道名',
    no_downloads: '已停用的渠道不再提供二维码下载。',
  },
  kind: { temporary: '临时', permanent: '永久' },
  status: { active: '启用', paused: '暂停', expired: '已过期', retired: '已停用', all: '全部状态' },
  group: { all: '全部分组' },
  list: { lifetime: '表中数字为各渠道创建以来的累计值。', export: '导出 CSV（{from} 至 {to}）' },
  act: {
    search: '搜索名称、场景值、推广员', new: '新建渠道', import: '批量导入 CSV', export: '导出 CSV', create: '创建',
    save: '保存', cancel: '取消', edit: '编辑渠道', pause: '暂停', resume: '恢复', retire: '停用', download: '下载',
    retire_confirm: '停用后不可恢复，场景值将被释放。确定？', confirm: '确定', saved: '已保存', back: '返回',
    template: '下载模板', choose_file: '选择 CSV 文件', upload: '开始导入', view_followers: '查看粉丝明细',
  },
  imp: {
    title: '批量导入渠道', lead: '每行一个渠道，第一行是列名。只有 name 必填。金额以“分”为单位（spend_cents=100 即 ¥1.00）。',
    done: '导入完成：成功 {ok} 个，失败 {bad} 个', row: '第 {row} 行：{message}', field: '列', meaning: '含义',
    c_title: '导入转化', c_lead: '每行一笔转化（订单、付款、注册），external_id 相同的行只记一次。金额以“分”为单位。',
    c_done: '导入完成：新增 {ok}，已存在 {dup}，失败 {bad}',
  },
  cols: {
    name: '渠道名称（必填）', group: '分组', owner: '推广员', kind: 'temporary（临时，默认）或 permanent（永久）',
    scene: '场景值，留空自动分配', expire_seconds: '临时码有效期（秒，60–2592000）', evergreen: '到期前自动续期：true/false',
    reply_subscribe: '关注时的回复文字', reply_scan: '已关注用户扫码时的回复文字', tag: '微信标签名', spend_cents: '投入金额（分）',
    external_id: '订单号等唯一标识（必填）', openid: '用户 OpenID（与 unionid 二选一）', unionid: '用户 UnionID',
    kind_c: '类型，如 order、payment、signup', value_cents: '金额（分）', occurred_at: '发生时间：Unix 秒，或带时区的时间如 2026-12-01T10:00:00+08:00',
    currency: '币种，默认 CNY',
  },
  cohort: { title: '留存（按关注日期）', day: '关注日期', follows: '关注数' },
  cp: {
    new: '新建裂变活动', lead: '每位参与者获得专属海报；好友通过海报首次关注即为一次助力，达到档位即可获得奖励。',
    window: '活动时间', participants: '参与人数', participants_left: '参与后取关', posters_sent: '已发海报',
    invites_counted: '有效助力', invites_taken_back: '已撤回助力', rewards_granted: '已发奖励', fission_rate: '人均有效助力（有效助力 ÷ 参与人数）',
    invitees_who_joined: '好友参与（第 2 代起）', retention_7d: '被邀好友 7 日留存', channels_retention_7d: '同期渠道新粉 7 日留存', generations: '参与者代数',
    generation: '第 {n} 代', generation_col: '代数', participant_id: '参与者编号', invited_by: '邀请人编号', rewards: '奖励', leaderboard: '邀请排行', fraud: '风险信号',
    quick_unfollows: '10 分钟内取关的好友', capped_inviters: '触发每小时上限的邀请人', one_deep_inviters: '好友从不继续邀请的邀请人（≥3 人）',
    rewarded_at: '已获奖励', retention_wait: '好友关注满 7 天后才有数据', rewarded_below_tier: '已发奖但现有助力已低于档位', joined_at: '参与时间', granted_at: '发放时间', left: '（已取关）',
    end: '提前结束', end_confirm: '结束后不再有人参与，助力也不再计数。确定？',
    state: { running: '进行中', scheduled: '未开始', ended: '已结束' },
    reward: { granted: '已发放', delivered: '已通知', failed: '失败' },
    outcome: {
      not_first_follow: '非首次关注', self_invite: '扫自己的码', over_hourly_cap: '超过每小时上限',
      outside_window: '活动时间外', inviter_left: '邀请人已取关',
    },
    triggers: '参与方式', triggers_hint: '满足任一条件即参与：发送关键词、点击菜单、通过指定渠道关注或扫码。',
    keywords: '关键词', click_keys: '菜单 KEY', channels: '渠道', invitees_join: '通过海报关注的好友也获得专属海报',
    tiers: '奖励档位', tier_invites: '助力人数', reward_text: '奖励内容', reward_code: '奖品编号（可选，随发奖通知发给你的系统）', tier_prefix: '档位 {n}：邀请', tier_suffix: '人',
    tier_line: '{n} 人得{reward}', add_tier: '添加档位', remove: '删除', rules: '规则',
    keep_hours: '好友至少保持关注（小时）', hourly_cap: '每人每小时最多计数',
    rules_hint: '只计首次关注；好友在保持时间内取关、或在邀请人领奖前取关，助力撤回；扫自己的码不计。',
    messages: '消息', join_reply: '参与时的自动回复', template_id: '模板消息 ID（48 小时外通知）', template_field: '模板中填写通知内容的字段（如 keyword1）', center_qr: '二维码水平居中', line_no: '文字 {n}',
    template_hint: '客服消息只能在用户互动后 48 小时内发送；超出时用该模板通知进度和奖励。',
    poster: '海报', background: '背景图（PNG 或 JPEG）', width: '宽（像素）', height: '高（像素）', background_color: '背景色',
    qr_x: '二维码 X', qr_y: '二维码 Y', qr_size: '二维码边长', line_x: '中心 X', line_y: '基线 Y', line_text: '文字', line_size: '字号', add_line: '添加文字',
    line_hint: '可用 {expires}（二维码到期日）和 {campaign}（活动名称）。每行文字以中心 X 居中，Y 为文字基线。', texts: '通知文案', text_counted: '好友助力成功', text_taken_back: '好友取关、助力撤回', text_done: '全部档位完成', text_reward: '获得奖励', texts_hint: '可用 {count}（已邀请人数）、{left}（还差人数）、{reward}（下一档奖励）。',
    preview: '海报预览', preview_hint: '示例二维码；每位参与者的海报上是其专属二维码。', sample_name: '示例活动',
  },
  leader: { by: '推广员排行', channels: '渠道数', rank: '名次', unit: '净增（人）', no_owner: '（未指定推广员）' },
  compare: { pick: '选择要对比的渠道', metric: '对比指标', none: '请选择要对比的渠道' },
  f: {
    channel: '渠道', all_channels: '全部渠道', owner: '推广员', all_owners: '全部推广员', status: '状态', all: '全部',
    following: '关注中', left: '已取关', followed_at: '关注时间', left_at: '取关时间', who: 'OpenID / 匿名标识',
    unionid: 'UnionID', tags: '标签', first: '首次关注', conversions: '转化次数', value: '转化金额',
    sort_followed_at: '按关注时间', sort_left_at: '按取关时间', sort_channel: '按渠道', sort_value: '按转化金额',
    export_csv: '导出 CSV', export_xlsx: '导出 Excel', yes: '是', no: '否', total: '共 {n} 条',
  },
  c: {
    touch: '归因模型', first: '首次触达', last: '末次触达', by_channel: '按渠道', by_owner: '按推广员',
    conversions: '转化次数', converters: '转化人数', value: '转化金额', followers: '新关注', per_follower: '每个关注的价值',
    time_to_first: '关注到首次转化（中位）', unattributed: '无渠道', total: '合计', title: '转化（关注后的订单、付款、注册）',
    basis: '转化按发生日期计入所选时间段，新关注按关注日期计入；每个关注的价值 = 转化金额 ÷ 新关注。',
  },
  rec: {
    lead: '每天通过本系统渠道的扫码关注，与微信“用户分析”中“扫描二维码”来源的人数对照（最多 7 天，截至昨天）。',
    day: '日期', ours: '渠道关注', other: '其他二维码', wechat: '微信统计', diff: '差异', ours_unf: '渠道取关', wechat_unf: '微信取关',
    unpublished: '微信在次日 8:00（北京时间）发布前一天的数据，尚未发布的显示为“–”。',
    unknown: '{date}：{n} 人通过场景值“{scene}”关注，它不属于任何渠道（可能是在本系统外创建的二维码）。',
  },
  empty: '暂无数据',
  err: {
    fallback: '出错了：{message}', field: '{field}：{problem}', unavailable: '存储暂时不可用，请稍后重试。',
    not_found: '找不到该对象。', conflict: '与现有数据冲突：{message}',
    required: '必填', too_long: '最多 {max} 字节', out_of_range: '须在 {min} 到 {max} 之间', not_integer: '须为整数',
    not_date: '须为日期（YYYY-MM-DD）', not_one_of: '须为以下之一：{allowed}', not_json: '请求格式不是 JSON',
    scene_length: '字符串场景值须为 1 到 64 字节', scene_range: '数字场景值须为 {min} 到 {max}',
    scene_reserved: '以“{prefix}”开头的场景值为系统保留', scene_taken: '该场景值已被渠道“{channel}”使用：先停用该渠道，或换一个场景值',
    scene_not_integer: '数字场景值须为整数', scene_all_digits: '全是数字的字符串场景值会被当作数字场景值：请加一个字母',
    scene_characters: '场景值只能包含可打印字符',
    evergreen_permanent: '只有临时二维码会过期，永久二维码无需续期', invalid: '无效（{message}）',
    no_trigger: '至少填写一个关键词、菜单 KEY 或渠道', trigger_taken: '已用于同时进行的活动“{campaign}”：请换一个，或先结束该活动', not_increasing: '须大于上一档（至少 {min}）',
    outside_image: '超出海报范围', overlaps_qr: '与二维码重叠', does_not_fit: '最小字号也放不下，请缩短文字',
    too_small: '太小，至少 {min}', range_too_long: '最长 {max_days} 天', range_reversed: '结束须晚于开始', wrong_type: '格式不对',
  },
  fields: {
    name: '名称', group: '分组', owner: '推广员', kind: '类型', scene: '场景值', tag: '微信标签', spend_cents: '投入',
    expire_seconds: '有效期', evergreen: '自动续期', on_subscribe: '关注回复', on_scan: '扫码回复', reply_subscribe: '关注回复',
    reply_scan: '扫码回复', external_id: '外部编号', openid: 'OpenID', unionid: 'UnionID', value_cents: '金额',
    occurred_at: '发生时间', currency: '币种', from: '开始日期', to: '结束日期', csv: 'CSV 文件', body: '请求',
  },
};

type Messages = typeof zh;

const en: Messages = {
  signin: { lead: 'Sign in with an admin token.', token: 'Admin token', submit: 'Sign in', bad: 'That token is not valid.', limited: 'Too many failures: try again in a minute.' },
  nav: {
    overview: 'Overview', channels: 'Channels', leaderboard: 'Leaderboard', compare: 'Compare', followers: 'Followers',
    conversions: 'Conversions', campaigns: 'Campaigns', reconcile: 'Reconcile', signout: 'Sign out', lang: '中文',
  },
  range: {
    yesterday: 'Yesterday', last7: 'Last 7 days', last30: 'Last 30 days', thisMonth: 'This month', lastMonth: 'Last month',
    custom: 'Custom', start: 'Start date', end: 'End date', to: 'to',
  },
  gran: { hour: 'By hour', day: 'By day', week: 'By week', month: 'By month' },
  m: {
    scans: 'Scans', new_follows: 'New follows', first_follows: 'First follows', re_follows: 'Re-follows', existing_scans: 'Follower scans',
    unfollows: 'Unfollows', net: 'Net', unique_scanners: 'Unique scanners', total_followers: 'Total followers', total_followers_channels: 'Total followers via channels',
    retention_d1: '1-day retention', retention_d7: '7-day retention', retention_d30: '30-day retention', early: 'Unfollowed within 24 h',
    quick: 'Unfollowed within 5 min', organic: 'Organic follows', cost_new: 'Cost per new follower', cost_net: 'Cost per net follower',
    cost_retained: 'Cost per retained follower', spend: 'Spend',
  },
  delta: { vs: 'vs prior period', none: 'no prior data' },
  chart: { partial: 'The last period is not over yet ({label} is still counting)', count: 'People', yuan: 'Value (CNY)', metric: 'Metric' },
  overview: {
    top: 'Top channels', quota: 'Permanent QR quota', bursts: 'Unusual bursts',
    burst: '{label}: {n} new follows where about {baseline} is usual (threshold {threshold})',
    bursts_none: 'No unusual burst in this period.',
    bursts_by_day: 'Bursts are found day by day: choose By day to see them.',
    quota_used: '{used} of 100,000 used, {left} left',
    quota_refused: 'WeChat refused a new permanent code (45029): the quota is used up, counting codes made outside qrscene.',
  },
  start: {
    title: 'Getting started', lead: 'No channel yet. Three steps:',
    step1: 'Create the first channel code', step2: 'In the WeChat Official Account Platform, under Settings & Development → Basic configuration → Server configuration, enter:',
    url: 'Server URL', token: 'Token', token_hint: "the account's token in qrscene.toml", mode: 'Message encryption',
    step3: 'Check that WeChat reaches this service:', verified: 'Last URL verification', pushed: 'Last push received', never: 'not yet',
    mode_plain: 'Plaintext', mode_compatible: 'Compatible', mode_safe: 'Safe',
  },
  att: {
    renewal: 'Renewal failing', expiry: 'Expires in {days} d',
    renewal_detail: 'The last renewal failed: {error}. A printed code stops working when it expires.',
  },
  ch: {
    name: 'Name', group: 'Group', owner: 'Owner', kind: 'Kind', scene: 'Scene', status: 'Status', tag: 'WeChat tag',
    reply_subscribe: 'Reply on follow', reply_scan: 'Reply on scan', evergreen: 'Renew before expiry', spend: 'Spend (CNY)',
    expires: 'Expires', expire_days: 'Valid for (days)', expire_hint: 'a temporary code lives 30 days at most', created: 'Created',
    tag_hint: 'Pick a tag or type a new one', scene_hint: 'empty: assigned for you; a number or a string',
    reply_hint: '{placeholder} inserts the channel name', no_downloads: 'A retired channel offers no QR downloads.',
  },
  kind: { temporary: 'Temporary', permanent: 'Permanent' },
  status: { active: 'Active', paused: 'Paused', expired: 'Expired', retired: 'Retired', all: 'All statuses' },
  group: { all: 'All groups' },
  list: { lifetime: "The figures are each channel's totals since it was created.", export: 'Export CSV ({from} to {to})' },
  act: {
    search: 'Search name, scene, owner', new: 'New channel', import: 'Import CSV', export: 'Export CSV', create: 'Create',
    save: 'Save', cancel: 'Cancel', edit: 'Edit the channel', pause: 'Pause', resume: 'Resume', retire: 'Retire', download: 'Download',
    retire_confirm: 'Retiring is final and frees the scene. Retire?', confirm: 'OK', saved: 'Saved', back: 'Back',
    template: 'Download the template', choose_file: 'Choose a CSV file', upload: 'Import', view_followers: 'See the followers',
  },
  imp: {
    title: 'Import channels', lead: 'One channel per line; the first line names the columns. Only name is required. Money is in fen (spend_cents=100 is ¥1.00).',
    done: 'Import finished: {ok} created, {bad} failed', row: 'Row {row}: {message}', field: 'Column', meaning: 'Meaning',
    c_title: 'Import conversions', c_lead: 'One conversion (order, payment, sign-up) per line; lines with the same external_id count once. Money is in fen.',
    c_done: 'Import finished: {ok} new, {dup} already there, {bad} failed',
  },
  cols: {
    name: 'channel name (required)', group: 'group', owner: 'owner (promoter)', kind: 'temporary (default) or permanent',
    scene: 'scene; empty: assigned for you', expire_seconds: 'lifetime of a temporary code, seconds (60–2592000)',
    evergreen: 'renew before expiry: true/false', reply_subscribe: 'reply text on follow', reply_scan: 'reply text when a follower scans',
    tag: 'WeChat tag name', spend_cents: 'spend, in fen',
    external_id: 'order number or other unique id (required)', openid: "the user's OpenID (or unionid)", unionid: "the user's UnionID",
    kind_c: 'kind, e.g. order, payment, signup', value_cents: 'value, in fen', occurred_at: 'when: Unix seconds, or a time with its zone such as 2026-12-01T10:00:00+08:00',
    currency: 'currency, CNY by default',
  },
  cohort: { title: 'Retention by follow date', day: 'Follow date', follows: 'Follows' },
  cp: {
    new: 'New campaign', lead: 'Each participant gets a poster with a code of their own; a friend\'s first follow through it is an invite, and enough invites earn a reward.',
    window: 'Runs', participants: 'Participants', participants_left: 'Unfollowed', posters_sent: 'Posters sent',
    invites_counted: 'Invites', invites_taken_back: 'Taken back', rewards_granted: 'Rewards', fission_rate: 'Invites per participant',
    invitees_who_joined: 'Friends who joined (generation 2+)', retention_7d: 'Invitees kept 7 days', channels_retention_7d: 'Channels\' followers kept 7 days (same days)', generations: 'Participants by generation',
    generation: 'Generation {n}', generation_col: 'Gen.', participant_id: 'Participant', invited_by: 'Invited by', rewards: 'Rewards', leaderboard: 'Inviters', fraud: 'Fraud signals',
    quick_unfollows: 'Friends who left within 10 minutes', capped_inviters: 'Inviters over the hourly cap', one_deep_inviters: 'Inviters whose friends never invite (3+)',
    rewarded_at: 'Reward held', retention_wait: 'Known once friends have followed for 7 days', rewarded_below_tier: 'Rewarded, now below the tier', joined_at: 'Joined', granted_at: 'Granted', left: '(left)',
    end: 'End now', end_confirm: 'Nobody joins and no invite counts once it ends. End it?',
    state: { running: 'Running', scheduled: 'Scheduled', ended: 'Ended' },
    reward: { granted: 'Granted', delivered: 'Delivered', failed: 'Failed' },
    outcome: {
      not_first_follow: 'Not a first follow', self_invite: 'Own code', over_hourly_cap: 'Over the hourly cap',
      outside_window: 'Outside the campaign', inviter_left: 'Inviter left',
    },
    triggers: 'How people join', triggers_hint: 'Any of: a keyword sent, a menu key clicked, a follow or scan through a channel.',
    keywords: 'Keywords', click_keys: 'Menu keys', channels: 'Channels', invitees_join: 'Friends who follow through a poster get a poster too',
    tiers: 'Tiers', tier_invites: 'Invites', reward_text: 'Reward', reward_code: 'Prize code (optional, sent to your system with the reward)', tier_prefix: 'Tier {n}: invite', tier_suffix: 'friends',
    tier_line: '{n} invites: {reward}', add_tier: 'Add a tier', remove: 'Remove', rules: 'Rules',
    keep_hours: 'Friends must stay (hours)', hourly_cap: 'Invites counted per hour at most',
    rules_hint: 'Only first follows count; a friend who leaves within the stay time, or before the inviter\'s reward, is taken back; one\'s own code does not count.',
    messages: 'Messages', join_reply: 'Reply on joining', template_id: 'Template id (beyond the 48-hour window)', template_field: 'The template\'s field for the message (e.g. keyword1)', center_qr: 'Centre the code', line_no: 'Line {n}',
    template_hint: 'Customer-service messages reach a follower only within 48 hours of their last message; beyond it this template tells them.',
    poster: 'Poster', background: 'Background (PNG or JPEG)', width: 'Width (px)', height: 'Height (px)', background_color: 'Background colour',
    qr_x: 'Code X', qr_y: 'Code Y', qr_size: 'Code size', line_x: 'Centre X', line_y: 'Baseline Y', line_text: 'Text', line_size: 'Size', add_line: 'Add a line',
    line_hint: 'Use {expires} (the code\'s last day) and {campaign} (its name). Each line is centred on its X; Y is its baseline.', texts: 'Messages to participants', text_counted: 'A friend counted', text_taken_back: 'A friend left (taken back)', text_done: 'Every tier reached', text_reward: 'A reward', texts_hint: 'Use {count} (invites so far), {left} (still needed) and {reward} (the next reward).',
    preview: 'Poster preview', preview_hint: 'A sample code; each participant\'s poster carries their own.', sample_name: 'Sample campaign',
  },
  leader: { by: 'Leaderboard by owner', channels: 'Channels', rank: 'Rank', unit: 'Net follows (people)', no_owner: '(no owner)' },
  compare: { pick: 'Pick channels to compare', metric: 'Metric', none: 'Pick the channels to compare' },
  f: {
    channel: 'Channel', all_channels: 'All channels', owner: 'Owner', all_owners: 'All owners', status: 'Status', all: 'All',
    following: 'Following', left: 'Left', followed_at: 'Followed', left_at: 'Left', who: 'OpenID / pseudonym',
    unionid: 'UnionID', tags: 'Tags', first: 'First follow', conversions: 'Conversions', value: 'Value',
    sort_followed_at: 'By follow time', sort_left_at: 'By unfollow time', sort_channel: 'By channel', sort_value: 'By value',
    export_csv: 'Export CSV', export_xlsx: 'Export Excel', yes: 'yes', no: 'no', total: '{n} rows',
  },
  c: {
    touch: 'Attribution', first: 'First touch', last: 'Last touch', by_channel: 'By channel', by_owner: 'By owner',
    conversions: 'Conversions', converters: 'Converters', value: 'Value', followers: 'New follows', per_follower: 'Value per follower',
    time_to_first: 'Follow to first conversion (median)', unattributed: 'No channel', total: 'Total',
    title: 'Conversions (orders, payments, sign-ups after the follow)',
    basis: 'Conversions count on the day they happened, new follows on the day of the follow; value per follower = value ÷ new follows.',
  },
  rec: {
    lead: "Each day's QR follows through qrscene's channels beside WeChat's own count of follows by QR scan (7 days at most, up to yesterday).",
    day: 'Day', ours: 'Channels', other: 'Other codes', wechat: 'WeChat', diff: 'Difference', ours_unf: 'Channel unfollows', wechat_unf: 'WeChat unfollows',
    unpublished: "WeChat publishes a day's figures at 08:00 Beijing time the next day; until then they show as –.",
    unknown: "{date}: {n} followed through scene '{scene}', which no channel holds (a code made outside qrscene?).",
  },
  empty: 'No data',
  err: {
    fallback: 'Something went wrong: {message}', field: '{field}: {problem}', unavailable: 'The store is unavailable for a moment: retry.',
    not_found: 'Not found.', conflict: 'Conflicts with existing data: {message}',
    required: 'required', too_long: 'at most {max} bytes', out_of_range: 'must be {min} to {max}', not_integer: 'must be a whole number',
    not_date: 'must be a date (YYYY-MM-DD)', not_one_of: 'must be one of: {allowed}', not_json: 'the request is not JSON',
    scene_length: 'a string scene is 1 to 64 bytes', scene_range: 'a number scene is {min} to {max}',
    scene_reserved: "scenes starting '{prefix}' are reserved", scene_taken: 'channel "{channel}" holds this scene: retire it first, or choose another',
    scene_not_integer: 'a number scene must be a whole number', scene_all_digits: 'a string scene of digits only reads as a number scene: add a letter',
    scene_characters: 'a scene may hold printable characters only',
    evergreen_permanent: 'only temporary codes expire; a permanent code needs no renewal', invalid: 'not valid ({message})',
    no_trigger: 'name at least one keyword, menu key or channel', trigger_taken: 'already used by “{campaign}”, which runs at the same time: choose another, or end that campaign', not_increasing: 'must be more than the tier before (at least {min})',
    outside_image: 'outside the poster', overlaps_qr: 'over the code', does_not_fit: 'does not fit even at the smallest size: shorten it',
    too_small: 'too small: at least {min}', range_too_long: '{max_days} days at most', range_reversed: 'must end after it starts', wrong_type: 'the wrong kind of value',
  },
  fields: {
    name: 'Name', group: 'Group', owner: 'Owner', kind: 'Kind', scene: 'Scene', tag: 'WeChat tag', spend_cents: 'Spend',
    expire_seconds: 'Validity', evergreen: 'Renewal', on_subscribe: 'Reply on follow', on_scan: 'Reply on scan',
    reply_subscribe: 'Reply on follow', reply_scan: 'Reply on scan', external_id: 'External id', openid: 'OpenID', unionid: 'UnionID',
    value_cents: 'Value', occurred_at: 'Occurred at', currency: 'Currency', from: 'Start date', to: 'End date', csv: 'CSV file', body: 'Request',
  },
};

function initialLocale(): 'zh' | 'en' {
  const saved = localStorage.getItem('qrscene.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: { zh, en },
  missingWarn: false,
  fallbackWarn: false,
});

export function setLocale(lang: 'zh' | 'en'): void {
  i18n.global.locale.value = lang;
  localStorage.setItem('qrscene.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function isZh(): boolean {
  return i18n.global.locale.value === 'zh';
}

export function localeTag(): string {
  return isZh() ? 'zh-CN' : 'en-GB';
}

const t = (key: string, params: Record<string, unknown> = {}) => i18n.global.t(key, params);
const te = (key: string) => i18n.global.te(key, 'en');

// One field problem in the user's words: the field's label and the code's text; the server's
// English where the dashboard has no words for the code.
// A campaign's fields by path with the list indexes left out ("tiers[1].invites" → tiers.invites),
// then numbered: "奖励档位 2 · 助力人数".
const campaignFields: Record<'zh' | 'en', Record<string, string>> = {
  zh: {
    starts_at: '开始时间', ends_at: '结束时间', triggers: '参与方式', 'triggers.keywords': '关键词',
    'triggers.click_keys': '菜单 KEY', 'triggers.channel_ids': '渠道', tiers: '奖励档位', 'tiers.invites': '奖励档位 {n} · 助力人数',
    'tiers.reward_text': '奖励档位 {n} · 奖励内容', 'tiers.reward_code': '奖励档位 {n} · 奖励编码',
    'rules.keep_seconds': '好友至少保持关注', 'rules.hourly_cap': '每人每小时最多计数', join_reply: '参与时的自动回复',
    'notify_template.template_id': '模板消息 ID', 'poster.background': '背景图', 'poster.width': '海报宽度',
    'poster.height': '海报高度', 'poster.qr.x': '二维码 X', 'poster.qr.y': '二维码 Y', 'poster.qr.size': '二维码边长',
    'poster.lines': '文字 {n}', 'poster.lines.text': '文字 {n}', 'poster.lines.color': '文字 {n} · 颜色',
    'poster.lines.size': '文字 {n} · 字号', 'poster.lines.y': '文字 {n} · 位置', 'poster.lines.max_width': '文字 {n} · 宽度',
  },
  en: {
    starts_at: 'Start', ends_at: 'End', triggers: 'How people join', 'triggers.keywords': 'Keywords',
    'triggers.click_keys': 'Menu keys', 'triggers.channel_ids': 'Channels', tiers: 'Tiers', 'tiers.invites': 'Tier {n} · invites',
    'tiers.reward_text': 'Tier {n} · reward', 'tiers.reward_code': 'Tier {n} · reward code',
    'rules.keep_seconds': 'Friends must stay', 'rules.hourly_cap': 'Invites per hour', join_reply: 'Reply on joining',
    'notify_template.template_id': 'Template id', 'poster.background': 'Background', 'poster.width': 'Poster width',
    'poster.height': 'Poster height', 'poster.qr.x': 'Code X', 'poster.qr.y': 'Code Y', 'poster.qr.size': 'Code size',
    'poster.lines': 'Line {n}', 'poster.lines.text': 'Line {n}', 'poster.lines.color': 'Line {n} · colour',
    'poster.lines.size': 'Line {n} · size', 'poster.lines.y': 'Line {n} · position', 'poster.lines.max_width': 'Line {n} · width',
  },
};

function fieldLabel(field: string): string {
  if (te('fields.' + field)) return t('fields.' + field);
  const index = /\[(\d+)\]/.exec(field);
  const label = campaignFields[isZh() ? 'zh' : 'en'][field.replace(/\[\d+\]/g, '')];
  return label ? label.replace('{n}', index ? String(Number(index[1]) + 1) : '') : field;
}

export function problemText(p: { field?: string | null; code?: string; message: string; params?: Record<string, string> }): string {
  const field = p.field ? fieldLabel(p.field) : '';
  const code = p.code && p.code !== 'invalid' && te('err.' + p.code) ? p.code : '';
  const problem = code ? t('err.' + code, { ...p.params }) : p.field ? t('err.invalid', { message: p.message }) : p.message;
  return field ? t('err.field', { field, problem }) : problem;
}

// An error from the API (or any other) as one message in the user's language.
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.problems.length) return e.problems.map((p: Problem) => problemText(p)).join(isZh() ? '；' : '; ');
    if (e.code === 'unavailable') return t('err.unavailable');
    if (e.code === 'not_found') return t('err.not_found');
    if (e.code === 'already_exists') return t('err.conflict', { message: e.message });
    return t('err.fallback', { message: e.message });
  }
  return t('err.fallback', { message: e instanceof Error ? e.message : String(e) });
}

// A CSV row's error, numbered as a line of the file: each of its problems in the user's words.
export function rowErrorText(e: RowError): string {
  const message = e.problems?.length ? e.problems.map((p) => problemText(p)).join(isZh() ? '；' : '; ') : problemText(e);
  return t('imp.row', { row: e.row, message });
}
