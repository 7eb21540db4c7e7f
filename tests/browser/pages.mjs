// Every page of the dashboard, in Chinese and English, at 1366 and 390 px, on the demo's data and
// on an empty install: no "null"/"undefined"/"NaN", nothing wider than the screen, no chart label
// cut at the chart's edge, no bucket after now (support.mjs pageProblems). An empty install's
// overview says how to start. Screenshots of each go to ARTEFACT_DIR/pages/.
//
// Usage: node pages.mjs /path/to/qrscene ARTEFACT_DIR
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { DEMO, Harness, choose, pageProblems } from './support.mjs';

const [qrscene, artefacts] = process.argv.slice(2);
if (!qrscene || !artefacts) {
  console.error('usage: node pages.mjs QRSCENE ARTEFACT_DIR');
  process.exit(2);
}
const shots = join(artefacts, 'pages');
mkdirSync(shots, { recursive: true });
const harness = new Harness(qrscene);

// `qrscene demo --keep-running`: its dashboard's address and admin token.
async function demo() {
  const dir = join(harness.work, 'demo');
  const out = await harness.startUntil(['demo', '--users', '400', '--seed', '3', '--keep-running', '--port', '0', '--dir', dir],
    'demo.log', /dashboard: (http:\/\/127\.0\.0\.1:\d+)\/ \(admin token ([0-9a-f]+)/, 240000);
  return { service: out[1], token: out[2] };
}

const pages = (channelId, campaignId) => [
  ['overview', '#/overview', '#overview-metrics, #getting-started'],
  ['channels', '#/channels', '#channel-table'],
  ['new', '#/channels/new', '#create-form'],
  ['import', '#/channels/import', '#import'],
  ...(channelId ? [['channel', `#/channels/${channelId}`, '#channel-metrics']] : []),
  ['leaderboard', '#/leaderboard', '#leaderboard-table'],
  ['compare', '#/compare', '.chart, .el-empty'],
  ['followers', '#/followers', '#followers-table'],
  ['conversions', '#/conversions', '#conversions-table'],
  ['reconcile', '#/reconcile', '#reconcile-table'],
  ['campaigns', '#/campaigns', '#campaigns-table'],
  ['campaign-new', '#/campaigns/new', '#poster-preview, #preview-error'],
  ...(campaignId ? [['campaign', `#/campaigns/${campaignId}`, '#campaign-metrics']] : []),
];

async function visitAll(browser, label, service, token, channelId, campaignId) {
  const failures = [];
  for (const lang of ['zh', 'en']) {
    for (const width of [1366, 390]) {
      const context = await browser.newContext({ locale: lang === 'zh' ? 'zh-CN' : 'en-US', viewport: { width, height: 900 }, timezoneId: 'Asia/Shanghai' });
      await context.addInitScript(([t, l]) => {
        sessionStorage.setItem('qrscene.token', t);
        localStorage.setItem('qrscene.lang', l);
      }, [token, lang]);
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} from ${r.url()}`); });
      page.on('console', (m) => {
        if (m.type() === 'error' || (m.type() === 'warning' && /Vue warn|ElementPlusError/.test(m.text()))) errors.push(m.text());
      });
      for (const [name, hash, ready] of pages(channelId, campaignId)) {
        await page.goto(`${service}/${hash}`);
        await page.locator(ready).first().waitFor({ timeout: 20000 });
        await page.waitForLoadState('networkidle');
        await page.waitForTimeout(700);  // charts: first layout and animation
        await page.screenshot({ path: join(shots, `${label}-${lang}-${width}-${name}.png`), fullPage: true });
        for (const p of await pageProblems(page)) failures.push(`${label} ${lang} ${width}px ${name}: ${p}`);
      }
      // The overview by the hour: yesterday (whole), and the last 7 days up to the current hour.
      await page.goto(`${service}/#/overview`);
      await page.locator('#overview-metrics, #getting-started').first().waitFor();
      for (const preset of ['yesterday', 'last7']) {
        await page.locator(`[data-preset=${preset}]`).click();
        if (preset === 'last7') await choose(page, 'granularity', lang === 'zh' ? '按小时' : 'By hour');
        await page.waitForLoadState('networkidle');
        await page.waitForTimeout(700);
        await page.screenshot({ path: join(shots, `${label}-${lang}-${width}-overview-hourly-${preset}.png`), fullPage: true });
        for (const p of await pageProblems(page)) failures.push(`${label} ${lang} ${width}px overview by hour (${preset}): ${p}`);
      }
      for (const e of errors) failures.push(`${label} ${lang} ${width}px: the page logged: ${e}`);
      await context.close();
    }
  }
  return failures;
}

try {
  const browser = await harness.launch();

  // An empty install: the overview says what to do first.
  const token = 'pages-test-admin-token-0123456789';
  const empty = await harness.simAndService({ seed: 5, adminToken: token });
  {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 900 } });
    await context.addInitScript((t) => sessionStorage.setItem('qrscene.token', t), token);
    const page = await context.newPage();
    await page.goto(`${empty.service}/#/overview`);
    await page.locator('#getting-started').waitFor();
    assert.equal(await page.locator('#start-url').innerText(), `${empty.service}/wechat/${DEMO.appid}`);
    await page.locator('#start-create').click();
    await page.locator('#create-form').waitFor();
    await context.close();
  }
  const failures = await visitAll(browser, 'empty', empty.service, token, null);

  // The demo's data: 400 users over six simulated days through five channels.
  const d = await demo();
  const channels = await (await fetch(`${d.service}/api/v1/channels`, { headers: { Authorization: 'Bearer ' + d.token } })).json();
  assert.ok(channels.length >= 5, JSON.stringify(channels).slice(0, 200));
  const campaigns = await (await fetch(`${d.service}/api/v1/campaigns`, { headers: { Authorization: 'Bearer ' + d.token } })).json();
  assert.equal(campaigns.length, 1, 'the demo runs one campaign');
  failures.push(...await visitAll(browser, 'demo', d.service, d.token, channels[0].id, campaigns[0].id));

  // A campaign made in the editor: the poster preview is drawn by the server, a problem is named
  // in the user's language by its field, and the new campaign opens with its figures.
  {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'Asia/Shanghai' });
    await context.addInitScript((t) => { sessionStorage.setItem('qrscene.token', t); localStorage.setItem('qrscene.lang', 'zh'); }, d.token);
    const page = await context.newPage();
    await page.goto(`${d.service}/#/campaigns/new`);
    const preview = page.locator('#poster-preview');
    await preview.waitFor({ timeout: 20000 });
    await page.waitForFunction(() => document.querySelector('#poster-preview')?.naturalWidth === 1080);
    await page.locator('#campaign-form input[name="name"]').fill('元旦拉新');
    await page.locator('#campaign-form button[type="submit"]').click();
    await page.locator('#form-error', { hasText: '奖励档位 1 · 奖励内容：必填' }).waitFor({ timeout: 10000 });
    await page.locator('[data-tier="0"] input[aria-label="奖励内容"]').fill('新年红包');
    // No trigger yet, then the demo's own keyword, which its running campaign answers.
    await page.locator('#campaign-form button[type="submit"]').click();
    await page.locator('#form-error', { hasText: '参与方式：至少填写一个关键词、菜单 KEY 或渠道' }).waitFor({ timeout: 10000 });
    const keywords = page.locator('#keywords');
    const keywordSelect = page.locator('.el-select').filter({ has: keywords });
    // Typed as a person types (the select makes the option from the keystrokes), then Enter.
    const addKeyword = async (word) => {
      await keywordSelect.click();
      await keywords.pressSequentially(word);
      await page.locator('.el-select-dropdown__item:visible', { hasText: word }).first().waitFor();
      await page.keyboard.press('Enter');
      await keywordSelect.locator('.el-tag', { hasText: word }).waitFor();
    };
    await addKeyword('助力');
    await page.locator('#campaign-form button[type="submit"]').click();
    await page.locator('#form-error', { hasText: '关键词：已用于同时进行的活动“双12 助力领好礼”' }).waitFor({ timeout: 10000 });
    await keywordSelect.locator('.el-tag .el-tag__close').click();
    await addKeyword('元旦');
    // A line moved over the code: the preview says so, by field.
    await page.locator('[data-line="0"] input[aria-label="基线 Y"]').fill('1400');
    await page.locator('#preview-error', { hasText: '文字 1' }).waitFor({ timeout: 10000 });
    await page.locator('[data-line="0"] input[aria-label="基线 Y"]').fill('420');
    await page.locator('#preview-error').waitFor({ state: 'detached', timeout: 10000 }).catch(() => {});
    await page.locator('#campaign-form button[type="submit"]').click();
    await page.locator('#campaign-name', { hasText: '元旦拉新' }).waitFor({ timeout: 10000 });
    assert.equal(await page.locator('#campaign-metrics [data-metric="participants"] .value').innerText(), '0');
    await page.goto(`${d.service}/#/campaigns/${campaigns[0].id}`);
    await page.locator('#participants-table .el-table__body tbody tr').first().waitFor();
    const participants = await page.locator('#campaign-metrics [data-metric="participants"] .value').innerText();
    assert.equal(participants, String(campaigns[0].stats.participants));
    await context.close();
  }

  assert.deepEqual(failures, [], failures.join('\n'));
  console.log('all pages passed');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await harness.close();
}
