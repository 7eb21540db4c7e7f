// Crash safety, end to end: `qrscene serve` on durable SQLite, or on PostgreSQL, takes a load of
// pushes from the simulator (WeChat's retries on, a second between tries). A third of the way in
// it is killed with SIGKILL and started again; two thirds in it is stopped with SIGTERM (it must
// stop accepting, finish what is in flight, commit and exit 0) and started again. When the
// simulator's retries are done and the projector has reached the log's head: every push was
// answered in the end, each acknowledged event is in the log exactly once and applied exactly once
// (the stored events equal the acknowledged ones, no more, no fewer), and the projections —
// rollups, the subscription ledger, followers, jobs — equal a recount from the log.
//   node crash.mjs QRSCENE [sqlite|postgres SOURCE_DIR]   (QRSCENE_CRASH_PUSHES=N for another size)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
  call, children, freePort, projectionDrained, projectionsEqualARecount, sleep, start as startIn, storedAreTheAcknowledged, writeConfig,
} from './lib.mjs';

const [qrscene, backend = 'sqlite', root] = process.argv.slice(2);
const PUSHES = Number(process.env.QRSCENE_CRASH_PUSHES || (backend === 'postgres' ? 30000 : 100000));
const work = mkdtempSync(join(tmpdir(), 'qrscene-crash-'));
chmodSync(work, 0o755);  // PostgreSQL runs as its own user when the tests run as root
const start = (...args) => startIn(work, ...args);
const APP = { appid: 'wxcrash000000001', secret: 'crash-test-secret-0123456789abcdef', token: 'crashtoken' };
const ADMIN = 'crash-test-admin-token';
const database = join(work, 'qrscene.db');
let pg;
let query;  // runs SQL on the store, returns its text output (rows by line, columns by '|')
let storeSection;
if (backend === 'postgres') {
  pg = execFileSync('bash', [join(root, 'tests/support/postgres'), 'start', join(work, 'pg')]).toString().trim();
  execFileSync('psql', ['-X', '-q', '-d', pg, '-c', 'CREATE DATABASE qrscene']);
  const db = `${pg} dbname=qrscene`;
  query = (sql) => execFileSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql],
    { maxBuffer: 1 << 30 }).toString().trim();
  storeSection = `backend = "postgres"\nurl = "${db}"\nwriters = 4`;
} else {
  // The event log has a file of its own beside the database (docs/deployment.md).
  const log = database.replace(/\.db$/, '-log.db');
  query = (sql) => execFileSync('sqlite3', ['-batch', '-cmd', `ATTACH '${log}' AS log`, database, sql],
    { maxBuffer: 1 << 30 }).toString().trim();
  storeSection = `path = "${database}"`;
}

try {
  const { url: sim } = await start(qrscene, ['sim', '--port', '0', '--seed', '11', '--push-attempts', '10',
    '--push-timeout-ms', '5000', '--push-retry-delay-ms', '1000', '--push-log', String(PUSHES * 2)], 'sim.log');
  const port = await freePort();
  const config = join(work, 'qrscene.toml');
  writeConfig(config, { sim, app: APP, admin: ADMIN, sections: `
[server]
port = ${port}
threads = 2
[store]
${storeSection}
` });
  const serve = () => start(qrscene, ['serve', '--config', config], `serve${Date.now()}.log`);
  let server = await serve();
  await call(`${sim}/sim/accounts`, { ...APP, mode: 'plain', callback_url: `${server.url}/wechat/${APP.appid}` });
  const auth = { Authorization: `Bearer ${ADMIN}` };
  for (let i = 1; i <= 8; ++i) {
    await call(`${server.url}/api/v1/channels`, {
      appid: APP.appid, name: `渠道 ${i}`, kind: i % 4 === 0 ? 'temporary' : 'permanent', on_subscribe: '欢迎',
    }, auth);
  }

  // Events stored so far, across restarts: this process's counter plus those before it.
  let before = 0;
  const stored = async () => {
    try {
      const m = (await (await fetch(`${server.url}/metrics`)).text()).match(/^qrscene_callback_events_total (\d+)/m);
      return before + Number(m ? m[1] : 0);
    } catch { return before; }
  };
  const waitFor = async (n) => { while (await stored() < n) await sleep(100); };

  const started = Date.now();
  const load = call(`${sim}/sim/accounts/${APP.appid}/load`, {
    users: 20000, actions: Math.ceil(PUSHES * 1.12), rate: 0, threads: 16, follow_probability: 0.9,
    unfollow_probability: 0.1, max_seconds: 1500,
  });

  await waitFor(PUSHES / 3);
  before = await stored();
  server.child.kill('SIGKILL');
  const killed = await server.child.exited;
  assert.equal(killed.signal, 'SIGKILL');
  console.log(`SIGKILL after ${before} events (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  server = await serve();

  await waitFor((PUSHES * 2) / 3);
  before = await stored();
  server.child.kill('SIGTERM');
  const stopped = await server.child.exited;
  assert.equal(stopped.code, 0, `serve exits 0 on SIGTERM: ${server.child.log.slice(-2000)}`);
  assert.match(server.child.log, /SIGTERM received, stopping/);
  console.log(`SIGTERM after about ${before} events`);
  server = await serve();

  const report = await load;
  console.log('load:', JSON.stringify(report), `${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.ok(report.pushes_sent >= PUSHES, `at least ${PUSHES} pushes (${report.pushes_sent})`);
  assert.ok(report.retried > 0, 'the kill and the stop cost some pushes a retry');
  assert.equal(report.failed, 0, 'every push was answered in the end');
  // The projector reaches the log's head behind the answers (the lag is on /healthz).
  console.log('projection:', JSON.stringify(await projectionDrained(server.url)));
  server.child.kill('SIGTERM');
  assert.equal((await server.child.exited).code, 0);

  // The stored events are the acknowledged ones: each once, none lost, none extra.
  const log = (await call(`${sim}/sim/accounts/${APP.appid}/pushes?since=0`)).pushes;
  const unanswered = log.filter((p) => p.delivery && ['no_answer', 'bad_reply'].includes(p.delivery.outcome));
  assert.deepEqual(unanswered, [], 'no push went unanswered');
  const acknowledged = storedAreTheAcknowledged(log, query);
  projectionsEqualARecount(query);
  if (backend === 'sqlite') assert.equal(query('PRAGMA integrity_check'), 'ok');
  // No secret in any serve log: the AppSecret, the callback token, the admin token, access tokens.
  for (const c of children.filter((c) => c.spawnargs.includes('serve'))) {
    for (const secret of [APP.secret, APP.token, ADMIN]) {
      assert.ok(!c.log.includes(secret), `a serve log holds a secret (${secret.slice(0, 4)}…)`);
    }
    assert.ok(!/access_token=(?!\*\*\*)[A-Za-z0-9_-]{8,}/.test(c.log), 'a serve log holds an access token');
  }
  console.log('crash safety: all checks passed');
} finally {
  for (const c of children) c.kill('SIGKILL');
  if (pg) execFileSync('bash', [join(root, 'tests/support/postgres'), 'stop', join(work, 'pg')]);
  if (!process.env.KEEP_WORK) rmSync(work, { recursive: true, force: true });
}
