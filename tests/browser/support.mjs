// What the browser tests share: qrscene processes started and stopped by the test, JSON calls, and
// Debian's Chromium launched headless through playwright-core.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  start(args, logName, env = {}) {
    const log = join(this.work, logName);
    const child = spawn(this.qrscene, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.children.push(child);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', () => writeFileSync(log, out));
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`${args[0]} did not start: ${out}`)), 15000);
      const timer = setInterval(() => {
        const m = out.match(/(?:on|listening on) (http:\/\/127\.0\.0\.1:\d+)/);
        if (m) {
          clearInterval(timer);
          clearTimeout(deadline);
          resolve(m[1]);
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
    for (const c of this.children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
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
