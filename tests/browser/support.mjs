// What the browser tests share: qrscene processes started and stopped by the test, JSON calls, and
// Debian's Chromium launched headless through playwright-core.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

// The simulator's demo account.
export const DEMO = { appid: 'wx0a1b2c3d4e5f6789', secret: 'qrscene-demo-secret-0123456789ab', token: 'qrscenedemo' };

export class Harness {
  constructor(qrscene) {
    this.qrscene = qrscene;
    this.work = mkdtempSync(join(tmpdir(), 'qrscene-browser-'));
    this.children = [];
    this.browser = null;
  }

  // Starts `qrscene ARGS…` and resolves with the URL it says it listens on.
  async start(args, logName, env = {}) {
    const m = await this.startUntil(args, logName, /(?:on|listening on) (http:\/\/127\.0\.0\.1:\d+)/, 15000, env);
    return m[1];
  }

  // Starts `qrscene ARGS…` and resolves with the match of `pattern` in what it prints.
  startUntil(args, logName, pattern, timeoutMs = 15000, env = {}) {
    const log = join(this.work, logName);
    const child = spawn(this.qrscene, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.children.push(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', () => writeFileSync(log, out));
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`${args[0]} printed no ${pattern}: ${out.slice(-2000)}`)), timeoutMs);
      const timer = setInterval(() => {
        const m = out.match(pattern);
        if (m) {
          clearInterval(timer);
          clearTimeout(deadline);
          resolve(m);
        }
      }, 50);
    });
  }

  // `qrscene sim` (with `seed`) and `qrscene serve` for its demo account, the admin token
  // configured, the account's pushes going to the service. Resolves with both URLs.
  async simAndService({ seed, adminToken }) {
    const secret = DEMO.secret;
    const env = { DEMO_SECRET: secret };
    const sim = await this.start(['sim', '--port', '0', '--seed', String(seed)], 'sim.log', env);
    const config = join(this.work, 'qrscene.toml');
    writeFileSync(config, `
[wechat]
api_base = "${sim}"
mp_base = "${sim}"
[server]
port = 0
[store]
path = "${join(this.work, 'qrscene.db')}"
durable = false
[admin]
token_sha256 = "${createHash('sha256').update(adminToken).digest('hex')}"
[[accounts]]
appid = "${DEMO.appid}"
name = "示例公众号"
secret = "env:DEMO_SECRET"
token = "${DEMO.token}"
`);
    const service = await this.start(['serve', '--config', config], 'serve.log', env);
    await json(`${sim}/sim/accounts`, {
      appid: DEMO.appid, secret, token: DEMO.token, mode: 'plain', callback_url: `${service}/wechat/${DEMO.appid}`,
    });
    return { sim, service };
  }

  async launch() {
    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    return this.browser;
  }

  async close() {
    if (this.browser) await this.browser.close();
    // Each child is stopped and has written its log before the directory goes (SIGKILL after 10 s).
    await Promise.all(this.children.map((c) => new Promise((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const hard = setTimeout(() => c.kill('SIGKILL'), 10000);
      c.once('exit', () => { clearTimeout(hard); setImmediate(resolve); });
      c.kill('SIGTERM');
    })));
    // A failed test shows what the servers said (their logs go with the directory).
    if (process.exitCode) {
      for (const name of readdirSync(this.work).filter((f) => f.endsWith('.log'))) {
        const lines = readFileSync(join(this.work, name), 'utf8').trimEnd().split('\n');
        console.error(`--- the last lines of ${name} ---\n${lines.slice(-40).join('\n')}`);
      }
    }
    rmSync(this.work, { recursive: true, force: true });
  }
}

// GET (no body) or POST a JSON body; the answer must be 2xx and JSON.
export async function json(url, body, headers = {}) {
  const res = await fetch(url, body === undefined ? { headers } : {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

// Picks `text` in the Element Plus select whose input has id `id` (its dropdown is teleported to
// the body; the option's text must match exactly).
export async function choose(page, id, text) {
  await page.locator('.el-select').filter({ has: page.locator(`#${id}`) }).click();
  const exact = new RegExp('^\\s*' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\s*$');
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: exact }).first().click();
}

// What every page must hold to, at any width and in either language: no "null", "undefined" or
// "NaN" text; nothing wider than the viewport unless it scrolls inside a box of its own; chart labels
// inside their chart; no chart bucket after now. Returns the problems found (empty: none).
export async function pageProblems(page) {
  return page.evaluate(() => {
    const out = [];
    const text = document.body.innerText;
    for (const bad of ['null', 'undefined', 'NaN']) {
      const m = text.match(new RegExp(`(^|[^A-Za-z])${bad}([^A-Za-z]|$)`));
      if (m) out.push(`the text "${bad}" is shown: …${text.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' ')}…`);
    }
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width + 1) out.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px viewport`);
    const clipped = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)) return true;
      }
      return false;
    };
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.right > width + 1 && !clipped(el) && getComputedStyle(el).position !== 'fixed') {
        out.push(`<${el.tagName.toLowerCase()} class="${el.className && el.className.baseVal === undefined ? el.className : ''}"> reaches ${Math.round(r.right)}px in a ${width}px viewport`);
        if (out.length > 8) break;
      }
    }
    for (const chart of document.querySelectorAll('.chart')) {
      const box = chart.getBoundingClientRect();
      for (const label of chart.querySelectorAll('svg text')) {
        const r = label.getBoundingClientRect();
        if (r.width === 0 || !label.textContent.trim()) continue;
        if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
          out.push(`the label "${label.textContent}" of ${chart.id || 'a chart'} is cut at its edge`);
        }
      }
      const starts = (chart.dataset.starts || '').split(',').filter(Boolean).map(Number);
      const now = Date.now() / 1000;
      if (starts.some((s) => s > now)) out.push(`${chart.id} plots a bucket after now`);
    }
    return out;
  });
}
