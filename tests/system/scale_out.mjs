// Scale-out, end to end: a real PostgreSQL and redis-server (tests/support), three `qrscene serve`
// instances behind nginx (round robin), the simulator pushing a load with WeChat's retries to the
// balancer, the instance running the projector killed (SIGKILL) mid-run. Then: another instance
// takes the projector over and drains the log, every push the simulator saw acknowledged is
// logged and applied exactly once, the channels' figures equal the simulator's own record of what it
// pushed, all three instances together asked WeChat for one access_token, and with Redis gone an
// instance falls back to a stable_token of its own and says so in its log and its metrics.
//   node scale_out.mjs QRSCENE SOURCE_DIR
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { call, children, distinctPushes, freePort, sleep, start as startIn, writeConfig } from './lib.mjs';

const [qrscene, root] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'qrscene-scale-'));
chmodSync(work, 0o755);  // PostgreSQL runs as its own user when the tests run as root
const APP = { appid: 'wxscale0ut0000001', secret: 'scale-out-secret-0123456789abcdef', token: 'scaleouttoken' };
const ADMIN = 'scale-out-admin-token';
const support = (name, ...args) => execFileSync('bash', [join(root, 'tests/support', name), ...args]).toString().trim();
const start = (...args) => startIn(work, ...args);

const psql = (db, sql) => execFileSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql])
  .toString().trim();

let pg; let redis;
try {
  pg = support('postgres', 'start', join(work, 'pg'));
  redis = support('redis', 'start', join(work, 'redis'));
  psql(pg, 'CREATE DATABASE qrscene');
  const db = `${pg} dbname=qrscene`;
  const { url: sim } = await start(qrscene, ['sim', '--port', '0', '--seed', '8', '--push-attempts', '4',
    '--push-timeout-ms', '3000'], 'sim.log');

  const config = join(work, 'qrscene.toml');
  writeConfig(config, { sim, app: APP, admin: ADMIN, sections: `
[server]
threads = 2
[store]
backend = "postgres"
url = "${db}"
writers = 2
readers = 2
auto_migrate = false
[redis]
url = "${redis}"
` });
  // The schema once, before any instance starts (they are told not to migrate).
  const migrated = execFileSync(qrscene, ['migrate', '--config', config]).toString();
  assert.match(migrated, /schema version 0 → \d+/);

  const instances = [];
  for (let i = 0; i < 3; ++i) instances.push(await start(qrscene, ['serve', '--config', config, '--port', '0'], `serve${i}.log`));
  const ports = instances.map((s) => new URL(s.url).port);

  // nginx in front: round robin; a refused connection goes to the next instance.
  const lb = await freePort();
  mkdirSync(join(work, 'nginx'), { recursive: true });
  writeFileSync(join(work, 'nginx/nginx.conf'), `
worker_processes 1;
error_log ${work}/nginx/error.log warn;
pid ${work}/nginx/nginx.pid;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${work}/nginx/body;
  proxy_temp_path ${work}/nginx/proxy;
  upstream qrscene {
${ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=30s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${lb};
    location / {
      proxy_pass http://qrscene;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout;
      proxy_connect_timeout 1s;
    }
  }
}
`);
  await start('nginx', ['-p', join(work, 'nginx'), '-c', join(work, 'nginx/nginx.conf'), '-g', 'daemon off;'],
    'nginx.log', /()/);
  const balancer = `http://127.0.0.1:${lb}`;
  for (let i = 0; i < 50; ++i) {  // nginx is up when it answers
    try { if ((await fetch(`${balancer}/healthz`)).ok) break; } catch { /* not yet */ }
    await sleep(100);
  }

  await call(`${sim}/sim/accounts`, { ...APP, mode: 'plain', callback_url: `${balancer}/wechat/${APP.appid}` });
  const auth = { Authorization: `Bearer ${ADMIN}` };
  // Channels made through the balancer: each call may land on another instance, each needs a token.
  const channels = [];
  for (let i = 1; i <= 12; ++i) {
    const c = await call(`${balancer}/api/v1/channels`, {
      appid: APP.appid, name: `渠道 ${i}`, kind: i % 3 === 0 ? 'temporary' : 'permanent',
      on_subscribe: '欢迎来自{channel}', group: i % 2 ? '线下' : '线上',
    }, auth);
    channels.push(c);
  }
  assert.equal(new Set(channels.map((c) => c.ticket)).size, 12);
  // Every instance learns of new channels within its directory poll (0.5 s) plus an idle projector
  // wait (0.25 s); a scan before that, at an instance that has not heard yet, would be organic. A
  // CI run saw it once (a channel one follow short), so the load starts once that bound is past.
  await sleep(1500);

  // The load, with one instance killed in the middle of it.
  const load = call(`${sim}/sim/accounts/${APP.appid}/load`, {
    users: 400, actions: 3000, rate: 500, threads: 4, follow_probability: 0.7, unfollow_probability: 0.1,
  });
  await sleep(2500);
  // The instance that runs the projector (one among all, elected in PostgreSQL) is the one killed:
  // another must take over and apply what it left.
  const health = async (i) => (await (await fetch(`${instances[i].url}/healthz`)).json()).projection;
  const leaders = [];
  for (let i = 0; i < 3; ++i) if ((await health(i)).leader) leaders.push(i);
  assert.equal(leaders.length, 1, `one projector among the instances (leaders: ${leaders})`);
  const killed = leaders[0];
  instances[killed].child.kill('SIGKILL');
  const survivors = [0, 1, 2].filter((i) => i !== killed);
  const report = await load;
  console.log('load:', JSON.stringify(report));
  assert.equal(report.failed, 0, 'every push was answered in the end (retries through the balancer)');
  assert.ok(report.retried > 0 || report.answered === report.pushes_sent, 'the kill cost some pushes a retry');

  // The log drained behind the answers by a survivor that took the projector over.
  const lag = () => Number(psql(db, `SELECT (SELECT COALESCE(MAX(id), 0) FROM event_log) -
    (SELECT position FROM projections WHERE name = 'ingest')`));
  for (let i = 0; i < 600 && lag() > 0; ++i) await sleep(100);
  assert.equal(lag(), 0, 'the projection reached the log\'s head');
  const newLeaders = [];
  for (const i of survivors) if ((await health(i)).leader) newLeaders.push(i);
  assert.equal(newLeaders.length, 1, `a survivor took the projector over (leaders: ${newLeaders})`);
  console.log(`projector: instance ${killed} killed, instance ${newLeaders[0]} took over`);

  // Every acknowledged push stored exactly once: in the log, and applied once.
  const logged = Number(psql(db, `SELECT count(*) FROM event_log WHERE appid = '${APP.appid}'`));
  const pushes = distinctPushes((await call(`${sim}/sim/accounts/${APP.appid}/pushes?since=0`)).pushes, true);
  const acked = pushes.length;
  const stored = Number(psql(db, `SELECT count(*) FROM events WHERE appid = '${APP.appid}'`));
  console.log(`acknowledged ${acked}, stored ${stored}, retried ${report.retried}`);
  assert.ok(acked >= 3000 * 0.5, `the load pushed (${acked} acknowledged)`);
  assert.ok(report.answered >= acked);
  assert.equal(logged, acked, 'each acknowledged push is one logged event: none lost, none twice');
  assert.equal(stored, acked, 'each logged event applied once');

  // The figures equal the simulator's record, channel by channel.
  const byTicket = new Map(channels.map((c) => [c.ticket, { follows: 0, scans: 0 }]));
  let unfollows = 0;
  for (const p of pushes) {
    if (p.event === 'unsubscribe') { unfollows += 1; continue; }
    const t = byTicket.get(p.ticket);
    if (!t) continue;
    if (p.event === 'subscribe') t.follows += 1;
    if (p.event === 'SCAN') t.scans += 1;
  }
  const rows = psql(db, `SELECT c.ticket, COALESCE(SUM(d.new_follows), 0), COALESCE(SUM(d.existing_scans), 0)
    FROM channels c LEFT JOIN channel_daily d ON d.channel_id = c.id GROUP BY c.ticket`).split('\n');
  for (const row of rows) {
    const [ticket, follows, scans] = row.split('|');
    const want = byTicket.get(ticket);
    assert.ok(want, `channel with ticket ${ticket} is one the test made`);
    assert.deepEqual({ follows: Number(follows), scans: Number(scans) }, want, `channel ${ticket}`);
  }
  const accountUnfollows = Number(psql(db, `SELECT COALESCE(SUM(unfollows + organic_unfollows), 0) FROM account_daily`));
  assert.equal(accountUnfollows, unfollows, 'unfollows');
  console.log(`figures equal the simulator's record: ${rows.length} channels, ${unfollows} unfollows`);

  // One token for everyone: three instances, twelve channels, tagging and profile jobs.
  await sleep(2500);  // the jobs' loop runs every second
  const tokens = await call(`${sim}/sim/accounts/${APP.appid}/token-requests`);
  console.log('token requests:', JSON.stringify(tokens));
  assert.equal(tokens.requests, 1, 'one token request across all instances in this expiry window');

  // Redis gone: an instance still makes channels, with a stable_token of its own, and says so.
  support('redis', 'stop', join(work, 'redis'));
  const survivor = instances[survivors[0]];
  await call(`${survivor.url}/api/v1/channels`, { appid: APP.appid, name: '无 Redis', kind: 'permanent' }, auth);
  const metrics = await (await fetch(`${survivor.url}/metrics`)).text();
  const fallbacks = Number((metrics.match(/^qrscene_token_store_fallbacks_total (\d+)/m) || [])[1]);
  assert.ok(fallbacks >= 1, `qrscene_token_store_fallbacks_total: ${fallbacks}`);
  assert.match(survivor.child.log, /token store_unavailable/);
  const after = await call(`${sim}/sim/accounts/${APP.appid}/token-requests`);
  assert.equal(after.requests, 2, 'the fallback asked WeChat once, through stable_token');
  // And pushes are still answered (the database decides duplicates without Redis).
  const user = (await call(`${sim}/sim/accounts/${APP.appid}/users`, { count: 1 })).users[0];
  const scan = await call(`${sim}/sim/accounts/${APP.appid}/users/${user.openid}/scan`, { ticket: channels[0].ticket });
  assert.equal(scan.delivery.outcome, 'replied', JSON.stringify(scan.delivery));
  console.log('scale-out: all checks passed');
} finally {
  for (const c of children) c.kill('SIGTERM');
  await sleep(500);
  if (redis) support('redis', 'stop', join(work, 'redis'));
  if (pg) support('postgres', 'stop', join(work, 'pg'));
  if (!process.env.KEEP_WORK) rmSync(work, { recursive: true, force: true });
}
