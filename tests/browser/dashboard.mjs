// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against
// `qrscene serve` fed by `qrscene sim`. A marketer signs in, is refused a bad scene in Chinese,
// creates a channel with a WeChat tag, sees its QR code; the simulator's users scan that very
// image, the numbers change, the figures are exported; a temporary code gets its expiry and, once
// retired, no downloads; a CSV import offers its template, reports a bad row in Chinese and the list
// shows the new channel at once; the backend sends conversions and the follower list and
// conversion figures show them; the language switches. Screenshots are kept in the artefact
// directory (pages.mjs checks every page at phone and desktop widths).
//
// Usage: node dashboard.mjs /path/to/qrscene ARTEFACT_DIR
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { DEMO, Harness, choose, json } from './support.mjs';

const [qrscene, artefacts] = process.argv.slice(2);
if (!qrscene || !artefacts) {
  console.error('usage: node dashboard.mjs QRSCENE ARTEFACT_DIR');
  process.exit(2);
}
mkdirSync(artefacts, { recursive: true });
const harness = new Harness(qrscene);

const { appid } = DEMO;
const token = 'browser-test-admin-token-0123456789';

let step = 0;
async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(artefacts, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

const rows = (page, table) => page.locator(`#${table} .el-table__body tbody tr`);

// A table row's cells as text.
async function cells(row) {
  return (await row.locator('td').allInnerTexts()).map((t) => t.trim());
}

async function metric(page, id) {
  return Number((await page.locator(`#channel-metrics [data-metric="${id}"] .value`).innerText()).replace(/,/g, ''));
}

async function saved(page, download) {
  return readFileSync(await (await download).path());
}

try {
  const { sim, service } = await harness.simAndService({ seed: 11, adminToken: token });
  const auth = { Authorization: 'Bearer ' + token };

  const browser = await harness.launch();
  const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true, viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' || (m.type() === 'warning' && /Vue warn|ElementPlusError/.test(m.text()))) problems.push(m.text());
  });

  // Sign in: a wrong token is refused with a message; the right one opens the overview, which
  // on a fresh install says how to start.
  await page.goto(service + '/');
  await page.locator('#token').fill('wrong-token');
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('#signin-error').filter({ hasText: '令牌无效' }).waitFor();
  await shot(page, 'signin-refused');
  problems.length = 0;  // the refusal's 401 was the point
  await page.locator('#token').fill(token);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('#getting-started').waitFor();
  assert.equal(await page.locator('#start-url').innerText(), `${service}/wechat/${appid}`);
  assert.match(await page.locator('header nav').innerText(), /概览/);
  await shot(page, 'overview-empty');

  // Create a channel. A scene WeChat would refuse is refused in Chinese, naming the field.
  await page.locator('#start-create').click();
  const form = page.locator('#create-form');
  await form.locator('[name=name]').fill('地铁海报');
  await form.locator('[name=group]').fill('线下');
  await form.locator('[name=owner]').fill('小李');
  await form.locator('[data-kind=permanent]').click();
  await form.locator('[name=scene]').fill('s'.repeat(70));
  await form.locator('button[type=submit]').click();
  const refusal = page.locator('#form-error');
  await refusal.filter({ hasText: '场景值' }).waitFor();
  const refused = await refusal.innerText();
  assert.match(refused, /^场景值：字符串场景值须为 1 到 64 字节$/, refused);
  assert.equal(problems.length, 1, problems.join('\n'));  // the refusal's 400 was the point
  problems.length = 0;
  await shot(page, 'create-refused');
  await form.locator('[name=scene]').fill('');
  await form.locator('[name=on_subscribe]').fill('欢迎来自{channel}的朋友');
  await form.locator('[name=spend]').fill('60');
  await form.locator('.tag-select').click();
  await page.keyboard.type('地铁');
  await page.keyboard.press('Enter');
  await shot(page, 'create-form');
  await form.locator('button[type=submit]').click();
  await page.locator('#channel-name').filter({ hasText: '地铁海报' }).waitFor();
  const channelId = Number(page.url().match(/#\/channels\/(\d+)/)[1]);
  await page.locator('#channel-tag').filter({ hasText: '地铁' }).waitFor();

  // Its QR code shows; the simulator's users scan the very PNG the dashboard offers for download.
  await page.waitForFunction(() => {
    const img = document.querySelector('#qr-preview');
    return img && img.complete && img.naturalWidth > 0;
  });
  const png = await saved(page, Promise.all([page.waitForEvent('download'), page.locator('#download-png').click()]).then(([d]) => d));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  await shot(page, 'channel-new');
  assert.equal(await metric(page, 'new_follows'), 0);

  const users = (await json(`${sim}/sim/accounts/${appid}/users`, { count: 5 })).users;
  const seen = [];
  for (const u of users) {
    const r = await json(`${sim}/sim/accounts/${appid}/users/${u.openid}/scan`, { image_base64: png.toString('base64') });
    seen.push(r.delivery ? r.delivery.user_sees : '');
  }
  assert.ok(seen.every((s) => s === '欢迎来自地铁海报的朋友'), `replies: ${JSON.stringify(seen)}`);
  for (const u of users.slice(0, 2)) {
    await json(`${sim}/sim/accounts/${appid}/users/${u.openid}/scan`, { image_base64: png.toString('base64') });
  }
  await json(`${sim}/sim/accounts/${appid}/users/${users[4].openid}/unfollow`, {});

  await page.reload();
  await page.locator('#channel-metrics').waitFor();
  assert.equal(await metric(page, 'new_follows'), 5);
  assert.equal(await metric(page, 'existing_scans'), 2);
  assert.equal(await metric(page, 'scans'), 7);
  assert.equal(await metric(page, 'unfollows'), 1);
  assert.equal(await metric(page, 'net'), 4);
  assert.equal(await metric(page, 'total_followers'), 4);
  assert.equal(await metric(page, 'unique_scanners'), 5);
  assert.equal(await rows(page, 'cohort-table').count(), 1);
  await shot(page, 'channel-after-scans');

  // Edit the reply; the next follower sees it.
  const edit = page.locator('#edit-form');
  await edit.locator('[name=on_subscribe]').fill('新的欢迎语');
  await edit.locator('button[type=submit]').click();
  await page.locator('#channel-message').filter({ hasText: '已保存' }).waitFor();
  const [late] = (await json(`${sim}/sim/accounts/${appid}/users`, { count: 1 })).users;
  const lateScan = await json(`${sim}/sim/accounts/${appid}/users/${late.openid}/scan`, { image_base64: png.toString('base64') });
  assert.equal(lateScan.delivery.user_sees, '新的欢迎语');

  // A temporary code for 7 days: its expiry is kept; retired, it offers no downloads.
  await page.goto(service + '/#/channels/new');
  await form.locator('[name=name]').fill('七天活动码');
  await form.locator('[name=expire_days]').fill('7');
  await form.locator('button[type=submit]').click();
  await page.locator('#channel-name').filter({ hasText: '七天活动码' }).waitFor();
  const tempId = Number(page.url().match(/#\/channels\/(\d+)/)[1]);
  const temp = await json(`${service}/api/v1/channels/${tempId}`, undefined, auth);
  const days = (temp.expires_at - Date.now() / 1000) / 86400;
  assert.ok(days > 6.9 && days <= 7, `expires in ${days} days`);
  await page.locator('#retire').click();
  await page.locator('.el-message-box .el-button--primary').click();
  await page.locator('#channel-status').filter({ hasText: '已停用' }).waitFor();
  await page.locator('#no-downloads').waitFor();
  assert.equal(await page.locator('#download-png, #download-svg, #qr-preview').count(), 0);
  await shot(page, 'channel-retired');

  // Import: the template names the columns; a bad row is reported in Chinese; the list shows the
  // good one at once.
  await page.locator('#nav-channels').click();
  await page.locator('#import-channels').click();
  const template = (await saved(page, Promise.all([page.waitForEvent('download'), page.locator('#import-template').click()]).then(([d]) => d))).toString('utf8');
  assert.match(template, /^\uFEFFname,group,owner,kind,scene,expire_seconds,evergreen,reply_subscribe,reply_scan,tag,spend_cents\r\n/);
  await page.locator('#import-file').setInputFiles({
    name: 'channels.csv', mimeType: 'text/csv',
    buffer: Buffer.from(`name,group,owner,kind,scene\nCSV 渠道,线上,小王,permanent,csv-a\n坏渠道,线上,小王,permanent,${'x'.repeat(70)}\n`),
  });
  await page.locator('#import-go').click();
  await page.locator('#import-result').filter({ hasText: '成功 1 个，失败 1 个' }).waitFor();
  const rowError = await page.locator('#import-errors li').innerText();
  assert.match(rowError, /^第 3 行：场景值：/, rowError);
  await shot(page, 'import');
  await page.locator('#import-to-channels').click();
  await rows(page, 'channel-table').filter({ hasText: 'CSV 渠道' }).waitFor();

  // The list: search finds the channel, the status filter hides it.
  await page.locator('#channel-search').fill('地铁');
  await page.waitForFunction(() => document.querySelectorAll('#channel-table .el-table__body tbody tr').length === 1);
  await choose(page, 'channel-status', '暂停');
  await page.waitForFunction(() => document.querySelectorAll('#channel-table .el-table__body tbody tr').length === 0);
  await choose(page, 'channel-status', '全部状态');
  await shot(page, 'channel-list');

  // Export: the CSV has the channel with its figures.
  const csv = (await saved(page, Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()]).then(([d]) => d))).toString('utf8');
  assert.match(csv, new RegExp(`地铁海报,${channelId},1,8,6,`), csv);

  // The account's backend sends two orders (one re-sent: counted once).
  const now = Math.floor(Date.now() / 1000);
  const orders = [[users[0].openid, 'o-1', 9950], [users[1].openid, 'o-2', 2000], [users[0].openid, 'o-1', 9950]];
  for (const [openid, id, cents] of orders) {
    const r = await json(`${service}/api/v1/conversions`, { openid, external_id: id, kind: 'order', value_cents: cents, occurred_at: now }, auth);
    assert.equal(r.first_touch.channel_id, channelId, JSON.stringify(r));
  }

  // The channel page shows them under both models: 2 conversions, ¥119.50 over 6 new follows.
  await page.locator('#channel-search').fill('地铁');
  await rows(page, 'channel-table').first().click();
  await page.locator('#channel-conversions-first').waitFor();
  const conv = async (model, id) => page.locator(`#channel-conversions-${model} [data-metric="${id}"] .value`).innerText();
  for (const model of ['first', 'last']) {
    assert.equal(await conv(model, 'conversions'), '2');
    assert.equal(await conv(model, 'converters'), '2');
    assert.equal(await conv(model, 'value'), '¥119.50');
    assert.equal(await conv(model, 'followers'), '6');
    assert.equal(await conv(model, 'per_follower'), '¥19.92');
  }
  await shot(page, 'channel-conversions');

  // Its followers one by one: six follows, the one who left without an openid, the buyer's order.
  await page.locator('#channel-followers').click();
  await page.locator('#followers-total').filter({ hasText: '共 6 条' }).waitFor();
  assert.equal(await rows(page, 'followers-table').count(), 6);
  const left = rows(page, 'followers-table').and(page.locator('tr.left'));
  assert.equal(await left.count(), 1);
  const leftText = await left.innerText();
  assert.ok(!leftText.includes(users[4].openid) && leftText.includes('…'), `the leaver's row: ${leftText}`);
  const buyer = rows(page, 'followers-table').filter({ hasText: users[0].openid });
  assert.deepEqual((await cells(buyer)).slice(-2), ['1', '¥99.50']);
  await shot(page, 'followers');
  await choose(page, 'followers-status', '已取关');
  await page.locator('#followers-total').filter({ hasText: '共 1 条' }).waitFor();
  assert.equal(await rows(page, 'followers-table').count(), 1);
  const workbook = await saved(page, Promise.all([page.waitForEvent('download'), page.locator('#followers-xlsx').click()]).then(([d]) => d));
  assert.equal(workbook.subarray(0, 2).toString(), 'PK');
  await choose(page, 'followers-status', '全部');
  await page.locator('#followers-total').filter({ hasText: '共 6 条' }).waitFor();
  const fcsv = (await saved(page, Promise.all([page.waitForEvent('download'), page.locator('#followers-csv').click()]).then(([d]) => d))).toString('utf8');
  assert.equal(fcsv.trim().split('\n').length, 7, fcsv);
  assert.match(fcsv, new RegExp(users[0].openid));

  // The conversions page: the channel's row, the same under last touch.
  await page.locator('#nav-conversions').click();
  await rows(page, 'conversions-table').first().waitFor();
  assert.deepEqual((await cells(rows(page, 'conversions-table').first())).slice(0, 6), ['地铁海报', '6', '2', '2', '¥119.50', '¥19.92']);
  await choose(page, 'conversions-touch', '末次触达');
  await page.waitForURL(/touch=last/);
  await page.locator('#conversions-totals [data-metric="value"] .value').filter({ hasText: '¥119.50' }).waitFor();
  await shot(page, 'conversions');

  // Leaderboard by owner; a promoter's row opens their followers.
  await page.locator('#nav-leaderboard').click();
  await rows(page, 'leaderboard-table').filter({ hasText: '小李' }).click();
  await page.waitForURL(/owner=/);
  await page.locator('#followers-total').filter({ hasText: '共 6 条' }).waitFor();
  // Beside WeChat's datacube: the last 7 days up to yesterday, one row each.
  await page.locator('#nav-reconcile').click();
  await rows(page, 'reconcile-table').first().waitFor();
  assert.equal(await rows(page, 'reconcile-table').count(), 7);
  await shot(page, 'reconcile');

  // The overview counts them, against the previous period; then in English.
  await page.locator('#nav-overview').click();
  await page.locator('#overview-metrics [data-metric="new_follows"] .value').filter({ hasText: /^6$/ }).waitFor();
  assert.equal(await page.locator('#getting-started').count(), 0);
  await page.locator('#lang').click();
  await page.locator('#nav-overview').filter({ hasText: 'Overview' }).waitFor();
  assert.equal(await page.locator('#nav-followers').innerText(), 'Followers');
  await page.locator('#overview-metrics [data-metric="new_follows"] .label').filter({ hasText: 'New follows' }).waitFor();
  await shot(page, 'overview-english');
  // The same refusal in English: the dashboard's own words, not the server's.
  await page.goto(service + '/#/channels/new');
  await form.locator('[name=name]').fill('Poster');
  await form.locator('[name=scene]').fill('s'.repeat(70));
  await form.locator('button[type=submit]').click();
  await refusal.filter({ hasText: 'Scene' }).waitFor();
  assert.equal(await refusal.innerText(), 'Scene: a string scene is 1 to 64 bytes');
  assert.equal(problems.length, 1, problems.join('\n'));  // its 400
  problems.length = 0;

  assert.deepEqual(problems, [], 'the page logged errors');
  console.log('all checks passed');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await harness.close();
}
