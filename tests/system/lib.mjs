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

// The stored events are the acknowledged pushes: each once in the log, each applied once, none
// lost, none extra. `query` runs SQL on the store (SQLite or PostgreSQL) and returns its text
// output. Returns how many events were acknowledged.
export function storedAreTheAcknowledged(log, query) {
  const kinds = { subscribe: 'subscribe', SCAN: 'scan', unsubscribe: 'unsubscribe' };
  const count = (keys) => keys.reduce((m, k) => m.set(k, (m.get(k) || 0) + 1), new Map());
  const acked = count(distinctPushes(log, true).map((p) => `${p.create_time}|${kinds[p.event]}|${p.ticket || ''}`));
  const logged = count(query('SELECT create_time, kind, ticket FROM event_log').split('\n').filter((l) => l));
  const events = count(query('SELECT create_time, kind, ticket FROM events').split('\n').filter((l) => l));
  let acknowledged = 0;
  for (const [key, n] of acked) {
    acknowledged += n;
    assert.equal(logged.get(key) || 0, n, `events logged for ${key}`);
    assert.equal(events.get(key) || 0, n, `events applied for ${key}`);
  }
  assert.equal(Number(query('SELECT count(*) FROM event_log')), acknowledged, 'no event logged that was not acknowledged, none twice');
  const total = Number(query('SELECT count(*) FROM events'));
  assert.equal(total, acknowledged, 'no event applied that was not acknowledged, none twice');
  console.log(`acknowledged ${acknowledged} events, logged and applied ${total}`);
  return acknowledged;
}

// The projections equal a recount from the event log: the rollups channel by channel and for the
// account, the subscription ledger, the followers and their jobs; and the log keeps no openid once
// applied. SQL both SQLite (3.39+) and PostgreSQL run.
// (A user's unfollow and follow again within one second are merged by WeChat's event identity, as
// by qrscene's, so the ledger is not compared with the unfollow events; the log is.)
export function projectionsEqualARecount(query) {
  const n = (kind) => `SUM(CASE WHEN kind = '${kind}' THEN 1 ELSE 0 END)`;
  const channels = query(`
    WITH e AS (SELECT channel_id, ${n('subscribe')} AS follows, ${n('scan')} AS scans, ${n('unsubscribe')} AS unfollows
               FROM events WHERE channel_id IS NOT NULL GROUP BY channel_id),
         d AS (SELECT channel_id, SUM(new_follows) AS follows, SUM(existing_scans) AS scans, SUM(unfollows) AS unfollows,
                      SUM(scans) AS all_scans, SUM(first_follows + re_follows) AS split
               FROM channel_daily GROUP BY channel_id)
    SELECT COUNT(*) FROM e FULL JOIN d USING (channel_id)
    WHERE e.follows IS DISTINCT FROM d.follows OR e.scans IS DISTINCT FROM d.scans
       OR e.unfollows IS DISTINCT FROM d.unfollows OR d.all_scans IS DISTINCT FROM d.follows + d.scans
       OR d.split IS DISTINCT FROM d.follows`);
  assert.equal(channels, '0', 'each channel\'s rollup equals its events');
  const same = (a, b) => `CASE WHEN (${a}) = (${b}) THEN 1 ELSE 0 END`;
  const events = (where) => `SELECT COUNT(*) FROM events WHERE ${where}`;
  const account = query(`SELECT
      ${same('SELECT COALESCE(SUM(new_follows), 0) FROM account_daily', events("kind = 'subscribe' AND channel_id IS NOT NULL"))},
      ${same('SELECT COALESCE(SUM(organic_follows), 0) FROM account_daily', events("kind = 'subscribe' AND channel_id IS NULL"))},
      ${same('SELECT COALESCE(SUM(unfollows), 0) FROM account_daily', events("kind = 'unsubscribe' AND channel_id IS NOT NULL"))},
      ${same('SELECT COALESCE(SUM(existing_scans), 0) FROM account_daily', events("kind = 'scan' AND channel_id IS NOT NULL"))}`);
  assert.equal(account, '1|1|1|1', 'the account\'s rollups equal the event log');
  // Groups' and owners' rollups: their channels' rows summed (all ten columns), both ways round.
  const columns = ['scans', 'new_follows', 'first_follows', 're_follows', 'existing_scans', 'unfollows', 'left_5m',
    'left_24h', 'left_7d', 'left_30d'];
  const summed = (axis, column) => `SELECT c.appid, '${axis}' AS axis, c.${column} AS segment, d.day,
      ${columns.map((c) => `SUM(d.${c}) AS ${c}`).join(', ')}
    FROM channel_daily d JOIN channels c ON c.id = d.channel_id GROUP BY c.appid, c.${column}, d.day`;
  const nonzero = `(${columns.join(' <> 0 OR ')} <> 0)`;
  const channelsSummed = `SELECT * FROM (${summed('group', 'grp')} UNION ALL ${summed('owner', 'owner')}) s
    WHERE ${nonzero}`;
  const segments = `SELECT appid, axis, segment, day, ${columns.join(', ')} FROM segment_daily WHERE ${nonzero}`;
  const differ = query(`SELECT (SELECT COUNT(*) FROM (${channelsSummed} EXCEPT ${segments}) a)
    + (SELECT COUNT(*) FROM (${segments} EXCEPT ${channelsSummed}) b)`);
  assert.equal(differ, '0', 'each group\'s and owner\'s rollup equals its channels\' rows summed');
  const ledger = query(`SELECT
      ${same('SELECT COUNT(*) FROM subscriptions', events("kind = 'subscribe'"))},
      ${same('SELECT COUNT(*) FROM followers', 'SELECT COUNT(*) FROM subscriptions WHERE ended_at IS NULL')},
      ${same(`SELECT COUNT(*) FROM (SELECT appid, openid_hash FROM subscriptions WHERE ended_at IS NULL
                GROUP BY appid, openid_hash HAVING COUNT(*) > 1) twice`, '0')},
      ${same(`SELECT COUNT(*) FROM followers f WHERE NOT EXISTS
                (SELECT 1 FROM jobs j WHERE j.kind = 'profile' AND j.subject = f.openid_hash)`, '0')},
      ${same(`SELECT COUNT(*) FROM jobs j WHERE j.state = 'pending' AND j.attempts = 0 AND j.subject <> ''
                AND NOT EXISTS (SELECT 1 FROM followers f WHERE f.openid_hash = j.subject)`, '0')},
      ${same("SELECT COUNT(*) FROM event_log WHERE openid <> ''", '0')}`);
  assert.equal(ledger, '1|1|1|1|1|1', 'one subscription per follow, one follower per open subscription, a profile '
    + 'job per follower, no untried job for one who left (one running when they left may be retried), no openid '
    + 'left in the log');
}

// Waits (at most two minutes) until the instance's projector has applied every logged event, as
// its /healthz says; returns what it said last.
export async function projectionDrained(url) {
  let projection;
  for (let i = 0; i < 1200; ++i) {
    projection = (await (await fetch(`${url}/healthz`)).json()).projection;
    if (projection.lag_events === 0) return projection;
    await sleep(100);
  }
  assert.fail(`the projection did not drain: ${JSON.stringify(projection)}`);
}
