// The scan-to-log-in example page (/examples/login) in a real browser: Debian's Chromium, headless,
// against `qrscene serve` fed by `qrscene sim`. The page shows a code; a simulated WeChat user
// scans that very image; the page learns of it over Server-Sent Events and shows who logged in;
// the website's backend trades the exchange code for the same follower. Then the same with the
// confirmation in WeChat, and in English. The secret never reaches the page's script.
//
// Usage: node login.mjs /path/to/qrscene ARTEFACT_DIR
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { DEMO, Harness, json } from './support.mjs';

const [qrscene, artefacts] = process.argv.slice(2);
if (!qrscene || !artefacts) {
  console.error('usage: node login.mjs QRSCENE ARTEFACT_DIR');
  process.exit(2);
}
mkdirSync(artefacts, { recursive: true });
const harness = new Harness(qrscene);
const { appid } = DEMO;
const token = 'login-browser-test-admin-token-01234';

let step = 0;
async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(artefacts, `login-${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

// The code the page shows, as bytes: fetched by the page itself (with its cookie), like the <img>.
async function shownCode(page) {
  await page.waitForFunction(() => {
    const img = document.querySelector('#qr');
    return img && img.complete && img.naturalWidth > 0 && document.body.dataset.state === 'pending';
  });
  return page.evaluate(async () => {
    const res = await fetch(document.querySelector('#qr').src, { credentials: 'same-origin' });
    const bytes = new Uint8Array(await res.arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
  });
}

try {
  const { sim, service } = await harness.simAndService({ seed: 21, adminToken: token });
  const [alice, bob] = (await json(`${sim}/sim/accounts/${appid}/users`, { count: 2 })).users.map((u) => u.openid);
  const simUser = (openid, what) => `${sim}/sim/accounts/${appid}/users/${openid}/${what}`;

  const browser = await harness.launch();
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 420, height: 760 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });

  // The page starts a session and shows its code; the secret is an HttpOnly cookie the script cannot read.
  await page.goto(`${service}/examples/login`);
  const image = await shownCode(page);
  assert.match(await page.locator('#hint').innerText(), /微信扫一扫/);
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session secret is readable by the page');
  const cookies = await context.cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0].name, 'qrscene_login');
  assert.ok(cookies[0].httpOnly && cookies[0].sameSite === 'Strict', JSON.stringify(cookies[0]));
  assert.match(cookies[0].path, /^\/api\/v1\/login-sessions\/[0-9a-f]{32}$/);
  await shot(page, 'code');

  // Alice scans the very image; WeChat answers her and the page shows her as logged in.
  const scanned = await json(simUser(alice, 'scan'), { image_base64: image });
  assert.equal(scanned.delivery.user_sees, '登录成功');
  await page.locator('body[data-state="confirmed"]').waitFor();
  assert.equal(await page.locator('#openid').innerText(), alice);
  assert.ok(await page.locator('#qr-box').isHidden());
  const code = await page.locator('#exchange').innerText();
  assert.match(code, /^[0-9a-f]{32}$/);
  await shot(page, 'logged-in');

  // The website's backend learns who it was, once.
  const who = await json(`${service}/api/v1/login-sessions/exchange`, { code }, { Authorization: `Bearer ${token}` });
  assert.equal(who.openid, alice);
  const again = await fetch(`${service}/api/v1/login-sessions/exchange`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ code }),
  });
  assert.equal(again.status, 404);

  // With the confirmation in WeChat: Bob scans, is asked (naming this browser), says yes.
  await page.reload();
  await shownCode(page);
  await page.locator('#confirm').check();
  const confirmImage = await shownCode(page);
  const asked = await json(simUser(bob, 'scan'), { image_base64: confirmImage });
  assert.match(asked.delivery.user_sees, /Chrome on Linux/);
  assert.match(asked.delivery.user_sees, /127\.0\.0\.1/);
  await page.locator('body[data-state="scanned"]').waitFor();
  await shot(page, 'scanned');
  const yes = await json(simUser(bob, 'text'), { content: '1' });
  assert.equal(yes.delivery.user_sees, '登录成功');
  await page.locator('body[data-state="confirmed"]').waitFor();
  assert.equal(await page.locator('#openid').innerText(), bob);

  // In English, and no page errors.
  await page.locator('#lang').click();
  assert.equal(await page.locator('h1').innerText(), 'Log in with WeChat');
  assert.equal(await page.locator('#hint').innerText(), 'Logged in');
  await shot(page, 'english');
  assert.deepEqual(problems, []);
  const sessions = await fetch(`${service}/metrics`).then((r) => r.text());
  assert.match(sessions, /qrscene_login_wakeups_total\{source="local"\} [1-9]/);
  console.log('all checks passed');
} finally {
  await harness.close();
}
