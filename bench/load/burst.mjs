// A template send's burst beside the scans, as WeChat makes it (docs/benchmarks.md "Burst"):
// `qrscene sim` pushes TEMPLATESENDJOBFINISH at RATE a second for SECONDS while its users scan,
// follow and unfollow through 20 channels, with MarkFail on (30 failed tries in 5 minutes block
// the URL for a minute — the alarm guide's threshold; WeChat's own is not documented). qrscene
// serve (the release build) answers on SQLite (durable) or PostgreSQL (a local server).
// Reported: the pushes answered, the slowest answer, tries slower than 5 s, pushes lost to
// MarkFail, the projector's lag and drain. Checked: every acknowledged scan, follow and unfollow
// is in the log once and attributed to its channel.
//   node bench/load/burst.mjs QRSCENE [sqlite|postgres] [RATE] [SECONDS]
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import {
  call, children, distinctPushes, projectionDrained, sleep, start as startIn, writeConfig,
} from '../../tests/system/lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const [qrscene, backend = 'sqlite', rateArg = '7000', secondsArg = '30'] = process.argv.slice(2);
const RATE = Number(rateArg);
const SECONDS = Number(secondsArg);
const work = mkdtempSync(join(tmpdir(), 'qrscene-burst-'));
chmodSync(work, 0o755);
const start = (...args) => startIn(work, ...args);
const APP = { appid: 'wxburst000000001', secret: 'burst-bench-secret-0123456789abcd', token: 'bursttoken' };
const ADMIN = 'burst-bench-admin-token';
let pg;
let query;
let storeSection;
if (backend === 'postgres') {
  pg = execFileSync('bash', [join(root, 'tests/support/postgres'), 'start', join(work, 'pg')]).toString().trim();
  execFileSync('psql', ['-X', '-q', '-d', pg, '-c', 'CREATE DATABASE qrscene']);
  const db = `${pg} dbname=qrscene`;
  query = (sql) => execFileSync('psql', ['-X', '-q', '-t', '-A', '-d', db, '-c', sql], { maxBuffer: 1 << 30 })
    .toString().trim();
  storeSection = `backend = "postgres"\nurl = "${db}"\nwriters = 8`;
} else {
  const database = join(work, 'qrscene.db');
  // The event log has a file of its own beside the database (docs/deployment.md).
  const log = database.replace(/\.db$/, '-log.db');
  query = (sql) => execFileSync('sqlite3', ['-batch', '-cmd', `ATTACH '${log}' AS log`, database, sql],
    { maxBuffer: 1 << 30 }).toString().trim();
  storeSection = `path = "${database}"\ndurable = true`;
}

try {
  const { url: sim } = await start(qrscene, ['sim', '--port', '0', '--seed', '21', '--threads', '2',
    '--markfail-failures', '30', '--markfail-window-seconds', '300', '--push-log', '2000000'], 'sim.log');
  const config = join(work, 'qrscene.toml');
  writeConfig(config, { sim, app: APP, admin: ADMIN, sections: `
[server]
port = 0
threads = 2
[store]
${storeSection}
` });
  const server = await start(qrscene, ['serve', '--config', config], 'serve.log');
  await call(`${sim}/sim/accounts`, { ...APP, mode: 'plain', callback_url: `${server.url}/wechat/${APP.appid}` });
  const auth = { Authorization: `Bearer ${ADMIN}` };
  const channels = [];
  for (let i = 1; i <= 20; ++i) {
    channels.push(await call(`${server.url}/api/v1/channels`,
      { appid: APP.appid, name: `渠道 ${i}`, kind: 'permanent', on_subscribe: '欢迎' }, auth));
  }
  const t0 = Date.now();
  const report = await call(`${sim}/sim/accounts/${APP.appid}/load`, {
    users: 5000, actions: 200 * SECONDS, rate: 200, threads: 4, follow_probability: 0.8,
    unfollow_probability: 0.05, max_seconds: SECONDS * 3,
    template_pushes: RATE * SECONDS, template_rate: RATE, template_threads: 16, template_followers: 30000,
  });
  const seconds = (Date.now() - t0) / 1000;
  const lagAtEnd = (await (await fetch(`${server.url}/healthz`)).json()).projection.lag_events;
  const d0 = Date.now();
  await projectionDrained(server.url);
  const drain = (Date.now() - d0) / 1000;
  const templates = report.template_pushes;
  console.log('load:', JSON.stringify(report));
  console.log(`burst on ${backend}: ${templates} template reports pushed in ${seconds.toFixed(1)} s `
    + `(${Math.round(templates / seconds)}/s asked ${RATE}/s), ${report.pushes_sent - templates} scans, follows and `
    + `unfollows beside them; answered ${report.answered} of ${report.pushes_sent}; slowest try ${report.slowest_ms} ms; `
    + `tries over 5 s: ${report.over_5s}; lost to MarkFail: ${report.markfailed}; projector: ${lagAtEnd} events behind `
    + `when the load stopped, drained in ${drain.toFixed(1)} s`);

  // Every acknowledged scan, follow and unfollow is logged once and attributed to its channel.
  const log = (await call(`${sim}/sim/accounts/${APP.appid}/pushes?since=0`)).pushes;
  const acked = distinctPushes(log, true).filter((p) => ['subscribe', 'SCAN', 'unsubscribe'].includes(p.event));
  const logged = Number(query("SELECT count(*) FROM event_log WHERE kind IN ('subscribe', 'scan', 'unsubscribe')"));
  const attributed = Number(query("SELECT count(*) FROM events WHERE kind IN ('subscribe', 'scan') AND channel_id IS NOT NULL"));
  const scans = acked.filter((p) => p.event !== 'unsubscribe').length;
  console.log(`acknowledged ${acked.length} scans, follows and unfollows; logged ${logged}; ${attributed} of ${scans} `
    + 'scans and follows attributed');
  assert.equal(logged, acked.length, 'every acknowledged scan, follow and unfollow logged once');
  assert.equal(attributed, scans, 'every acknowledged scan and follow attributed to its channel');
  assert.equal(Number(query("SELECT count(*) FROM event_log WHERE name = 'TEMPLATESENDJOBFINISH'")), 0,
    'template reports are answered, not stored');
  console.log('burst: all checks passed');
} finally {
  for (const c of children) c.kill('SIGTERM');
  await sleep(500);
  if (pg) execFileSync('bash', [join(root, 'tests/support/postgres'), 'stop', join(work, 'pg')]);
  rmSync(work, { recursive: true, force: true });
}
