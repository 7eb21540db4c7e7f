// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against
// `qrscene serve` fed by `qrscene sim`. A marketer signs in, creates a channel, sees its QR code,
// the simulator's users scan that very image, the numbers change, the figures are exported; the
// backend sends conversions and the follower list and conversion figures show them; the language
// switches; the pages fit a phone. Screenshots are kept in the artefact directory.
//
// Usage: node dashboard.mjs /path/to/qrscene ARTEFACT_DIR
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { DEMO, Harness, json } from './support.mjs';

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

async function metric(page, id) {
  return Number(await page.locator(`#channel-metrics [data-metric="${id}"] .value`).innerText());
}

try {
  const { sim, service } = await harness.simAndService({ seed: 11, adminToken: token });

  const browser = await harness.launch();
  const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });

  // Sign in: a wrong token is refused with a message; the right one opens the overview.
  await page.goto(service + '/');
  await page.locator('#token').fill('wrong-token');
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('#signin-error').filter({ hasText: '令牌无效' }).waitFor();
  await shot(page, 'signin-refused');
  problems.length = 0;  // the refusal's 401 was the point
  await page.locator('#token').fill(token);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('#overview-chart canvas').waitFor();
  assert.match(await page.locator('header nav').innerText(), /概览/);
  assert.ok(await page.locator('#signin').isHidden(), 'the sign-in form is still shown');
  await shot(page, 'overview-empty');

  // Create a channel.
  await page.locator('header nav a[href="#/channels"]').click();
  await page.locator('#new-channel').click();
  const form = page.locator('#create-form');
  await form.locator('[name=name]').fill('地铁海报');
  await form.locator('[name=group]').fill('线下');
  await form.locator('[name=owner]').fill('小李');
  await form.locator('[name=kind]').selectOption('permanent');
  await form.locator('[name=on_subscribe]').fill('欢迎来自{channel}的朋友');
  await form.locator('[name=spend]').fill('60');
  await shot(page, 'create-form');
  await form.locator('button[type=submit]').click();
  await page.locator('#channel-name').filter({ hasText: '地铁海报' }).waitFor();
  const channelId = Number(page.url().match(/#\/channels\/(\d+)/)[1]);

  // Its QR code shows; the simulator's users scan the very PNG the dashboard offers for download.
  await page.waitForFunction(() => {
    const img = document.querySelector('#qr-preview');
    return img && img.complete && img.naturalWidth > 0;
  });
  const download = page.waitForEvent('download');
  await page.locator('#download-png').click();
  const png = readFileSync(await (await download).path());
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
  // Two scan again (already following), one leaves.
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
  assert.equal(await metric(page, 'unique_scanners'), 5);
  assert.equal(await page.locator('#cohort-table tbody tr').count(), 1);
  await shot(page, 'channel-after-scans');

  // Edit the reply; the next follower sees it.
  const edit = page.locator('#edit-form');
  await edit.locator('[name=on_subscribe]').fill('新的欢迎语');
  await edit.locator('button[type=submit]').click();
  await page.locator('#channel-message').filter({ hasText: '已保存' }).waitFor();
  const [late] = (await json(`${sim}/sim/accounts/${appid}/users`, { count: 1 })).users;
  const lateScan = await json(`${sim}/sim/accounts/${appid}/users/${late.openid}/scan`, { image_base64: png.toString('base64') });
  assert.equal(lateScan.delivery.user_sees, '新的欢迎语');

  // The list: search finds it, the status filter hides it.
  await page.locator('header nav a[href="#/channels"]').click();
  await page.locator('#channel-table tbody tr').first().waitFor();
  await page.locator('#channel-search').fill('地铁');
  assert.equal(await page.locator('#channel-table tbody tr').count(), 1);
  await page.locator('#channel-status').selectOption('paused');
  assert.equal(await page.locator('#channel-table tbody tr').count(), 0);
  await page.locator('#channel-status').selectOption('');
  await shot(page, 'channel-list');

  // Export: the CSV has the channel with its figures.
  const exported = page.waitForEvent('download');
  await page.locator('#export-csv').click();
  const csv = readFileSync(await (await exported).path(), 'utf8');
  assert.match(csv, new RegExp(`地铁海报,${channelId},1,8,6,`), csv);

  // The account's backend sends two orders (one re-sent: counted once).
  const auth = { Authorization: 'Bearer ' + token };
  const now = Math.floor(Date.now() / 1000);
  const orders = [[users[0].openid, 'o-1', 9950], [users[1].openid, 'o-2', 2000], [users[0].openid, 'o-1', 9950]];
  for (const [openid, id, cents] of orders) {
    const r = await json(`${service}/api/v1/conversions`, { openid, external_id: id, kind: 'order', value_cents: cents, occurred_at: now }, auth);
    assert.equal(r.first_touch.channel_id, channelId, JSON.stringify(r));
  }

  // The channel page shows them under both models: 2 conversions, ¥119.50 over 6 new follows.
  await page.locator('#channel-table tbody tr').first().click();
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
  await page.locator('#followers-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#followers-table tbody tr').count(), 6);
  const left = page.locator('#followers-table tbody tr[data-following="no"]');
  assert.equal(await left.count(), 1);
  const leftText = await left.innerText();
  assert.ok(!leftText.includes(users[4].openid) && leftText.includes('…'), `the leaver's row: ${leftText}`);
  const buyer = page.locator('#followers-table tbody tr', { hasText: users[0].openid });
  assert.match(await buyer.innerText(), /\t1\t¥99\.50$/);
  assert.match(await page.locator('#followers-page').innerText(), /共 6 条/);
  await shot(page, 'followers');
  await page.locator('#followers-status').selectOption('left');
  await page.locator('#followers-page').filter({ hasText: '共 1 条' }).waitFor();
  assert.equal(await page.locator('#followers-table tbody tr').count(), 1);
  const xlsx = page.waitForEvent('download');
  await page.locator('#followers-xlsx').click();
  const workbook = readFileSync(await (await xlsx).path());
  assert.equal(workbook.subarray(0, 2).toString(), 'PK');
  await page.locator('#followers-status').selectOption('');
  await page.locator('#followers-page').filter({ hasText: '共 6 条' }).waitFor();
  const followersCsv = page.waitForEvent('download');
  await page.locator('#followers-csv').click();
  const fcsv = readFileSync(await (await followersCsv).path(), 'utf8');
  assert.equal(fcsv.trim().split('\n').length, 7, fcsv);
  assert.match(fcsv, new RegExp(users[0].openid));

  // The conversions page: the channel's row, the same under last touch.
  await page.locator('header nav a[href="#/conversions"]').click();
  await page.locator('#conversions-table tbody tr').first().waitFor();
  assert.match(await page.locator('#conversions-table tbody tr').first().innerText(), /^地铁海报\t6\t2\t2\t¥119\.50\t¥19\.92/);
  await page.locator('#conversions-touch').selectOption('last');
  await page.waitForURL(/touch=last/);
  await page.locator('#conversions-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#conversions-totals [data-metric="value"] .value').innerText(), '¥119.50');
  await shot(page, 'conversions');

  // Leaderboard by owner; a promoter's row opens their followers.
  await page.locator('header nav a[href="#/leaderboard"]').click();
  await page.locator('#leaderboard-table tbody tr').first().waitFor();
  assert.match(await page.locator('#leaderboard-table tbody').innerText(), /小李/);
  await shot(page, 'leaderboard');
  await page.locator('#leaderboard-table tbody tr', { hasText: '小李' }).click();
  await page.locator('#followers-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#followers-owner').inputValue(), '小李');
  assert.equal(await page.locator('#followers-table tbody tr').count(), 6);
  // Beside WeChat's datacube: the last 7 days up to yesterday, one row each.
  await page.locator('header nav a[href="#/reconcile"]').click();
  await page.locator('#reconcile-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#reconcile-table tbody tr').count(), 7);
  await shot(page, 'reconcile');
  await page.locator('header nav a[href="#/overview"]').click();
  await page.locator('[data-metric="m.new_follows"] .value').filter({ hasText: '6' }).waitFor();
  await page.locator('#lang').click();
  await page.locator('header nav a[href="#/overview"]').filter({ hasText: 'Overview' }).waitFor();
  assert.equal(await page.locator('header nav a[href="#/followers"]').innerText(), 'Followers');
  await shot(page, 'overview-english');

  // A phone-sized screen: nothing wider than the viewport.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('header nav a[href="#/channels"]').click();
  await page.locator('#channel-table tbody tr').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  await shot(page, 'phone-channels');
  await page.locator('header nav a[href="#/followers"]').click();
  await page.locator('#followers-table tbody tr').first().waitFor();
  const followersOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(followersOverflow <= 1, `the follower list is ${followersOverflow}px wider than a phone`);
  await shot(page, 'phone-followers');

  assert.deepEqual(problems, [], 'the page logged errors');
  console.log('all checks passed');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await harness.close();
}
