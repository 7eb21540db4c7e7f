// What the system tests share: starting and stopping processes, free ports, JSON calls, the
// simulator's push log and what a recount from the event log must equal.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// Processes started here; each test kills what is left in its `finally`.
export const children = [];

// Starts a process; resolves with the URL it says it listens on (or, with `ready`, when it
// matches). Its output is kept in child.log and written to work/logName when it exits.
export function start(work, cmd, args, logName, ready = /(?:on|listening on) (http:\/\/127\.0\.0\.1:\d+)/) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.log = '';
  child.stdout.on('data', (d) => { child.log += d; });
  child.stderr.on('data', (d) => { child.log += d; });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    try { writeFileSync(join(work, logName), child.log); } catch { /* the test's directory is gone */ }
    resolve({ code, signal });
  }));
  children.push(child);
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`${cmd} ${args[0]} did not start: ${child.log}`)), 20000);
    const timer = setInterval(() => {
      const m = child.log.match(ready);
      if (m) { clearInterval(timer); clearTimeout(deadline); resolve({ child, url: m[1] }); }
    }, 50);
  });
}

// Writes a qrscene.toml for a test: the simulator as WeChat, one account in plain mode, an admin
// token (only its SHA-256 is written), and `sections` ([server], [store], [redis] …) as TOML text.
export function writeConfig(path, { sim, app, admin, sections }) {
  writeFileSync(path, `
[wechat]
api_base = "${sim}"
mp_base = "${sim}"
${sections.trim()}
[admin]
token_sha256 = "${createHash('sha256').update(admin).digest('hex')}"
[[accounts]]
appid = "${app.appid}"
secret = "${app.secret}"
token = "${app.token}"
`);
}

export async function call(url, body, headers = {}) {
  const res = await fetch(url, body === undefined ? { headers } : {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

// The pushes WeChat (the simulator) saw acknowledged, one per event. WeChat tells events apart by
// sender, CreateTime, event and key — a user's two scans of one code in the same second are one
// event to it, and to qrscene — so the acknowledged events are the distinct acknowledged pushes.
export function distinctPushes(pushes, acknowledged) {
  const seen = new Set();
  return pushes
    .filter((p) => p.delivery && (['replied', 'nothing'].includes(p.delivery.outcome) === acknowledged))
    .filter((p) => {
      const key = `${p.openid}|${p.create_time}|${p.event}|${p.ticket || ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

// The stored events are the acknowledged pushes: each once, none lost, none extra. `sqlite` runs
// a query on the store and returns its text output. Returns how many events were acknowledged.
export function storedAreTheAcknowledged(log, sqlite) {
  const kinds = { subscribe: 'subscribe', SCAN: 'scan', unsubscribe: 'unsubscribe' };
  const count = (keys) => keys.reduce((m, k) => m.set(k, (m.get(k) || 0) + 1), new Map());
  const acked = count(distinctPushes(log, true).map((p) => `${p.create_time}|${kinds[p.event]}|${p.ticket || ''}`));
  const events = count(sqlite('SELECT create_time, kind, ticket FROM events').split('\n').filter((l) => l));
  let acknowledged = 0;
  for (const [key, n] of acked) {
    acknowledged += n;
    assert.equal(events.get(key) || 0, n, `events stored for ${key}`);
  }
  const total = Number(sqlite('SELECT count(*) FROM events'));
  assert.equal(total, acknowledged, 'no event stored that was not acknowledged, none twice');
  console.log(`acknowledged ${acknowledged} events, stored ${total}`);
  return acknowledged;
}

// The rollups equal a recount from the event log, channel by channel and for the account.
// (A user's unfollow and follow again within one second are merged by WeChat's event identity, as
// by qrscene's, so the ledger is not compared with the unfollow events; the log is.)
export function rollupsEqualARecount(sqlite) {
  const channels = sqlite(`
    WITH e AS (SELECT channel_id,
                      SUM(kind = 'subscribe') AS follows, SUM(kind = 'scan') AS scans, SUM(kind = 'unsubscribe') AS unfollows
               FROM events WHERE channel_id IS NOT NULL GROUP BY channel_id),
         d AS (SELECT channel_id, SUM(new_follows) AS follows, SUM(existing_scans) AS scans, SUM(unfollows) AS unfollows,
                      SUM(scans) AS all_scans, SUM(first_follows + re_follows) AS split
               FROM channel_daily GROUP BY channel_id)
    SELECT COUNT(*) FROM e FULL JOIN d USING (channel_id)
    WHERE e.follows IS NOT d.follows OR e.scans IS NOT d.scans OR e.unfollows IS NOT d.unfollows
       OR d.all_scans IS NOT d.follows + d.scans OR d.split IS NOT d.follows`);
  assert.equal(channels, '0', 'each channel\'s rollup equals its events');
  const account = sqlite(`SELECT
      (SELECT TOTAL(new_follows) FROM account_daily) = (SELECT COUNT(*) FROM events WHERE kind = 'subscribe' AND channel_id IS NOT NULL),
      (SELECT TOTAL(organic_follows) FROM account_daily) = (SELECT COUNT(*) FROM events WHERE kind = 'subscribe' AND channel_id IS NULL),
      (SELECT TOTAL(unfollows) FROM account_daily) = (SELECT COUNT(*) FROM events WHERE kind = 'unsubscribe' AND channel_id IS NOT NULL),
      (SELECT TOTAL(existing_scans) FROM account_daily) = (SELECT COUNT(*) FROM events WHERE kind = 'scan' AND channel_id IS NOT NULL),
      (SELECT COUNT(*) FROM followers) = (SELECT COUNT(*) FROM subscriptions WHERE ended_at IS NULL)`);
  assert.equal(account, '1|1|1|1|1', 'the account\'s rollups equal the event log');
}
