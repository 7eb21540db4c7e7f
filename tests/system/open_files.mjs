// The open-files limit, end to end: `qrscene serve` runs with 128 descriptors (prlimit), and 300
// clients open connections and send nothing. Before the cap, accept() then failed at once, every
// time (26,919 failures in 3 s, 65% of a core) while a signed push waited 15 s. Now: the server holds
// its connections below the limit, closes idle ones to make room, and a signed push is answered
// within WeChat's 5 s; the metrics say what happened; serve stops cleanly.
//   node open_files.mjs QRSCENE
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { call, children, sleep, start as startIn, writeConfig } from './lib.mjs';

const [qrscene] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'qrscene-files-'));
const start = (...args) => startIn(work, ...args);
const APP = { appid: 'wxopenfiles000001', secret: 'open-files-secret-0123456789abcdef', token: 'openfilestoken' };
const ADMIN = 'open-files-admin-token';

const sockets = [];
try {
  const { url: sim } = await start(qrscene, ['sim', '--port', '0', '--seed', '5'], 'sim.log');
  const config = join(work, 'qrscene.toml');
  writeConfig(config, { sim, app: APP, admin: ADMIN, sections: `
[store]
path = "${join(work, 'qrscene.db')}"
` });
  const server = await start('prlimit', ['--nofile=128:128', qrscene, 'serve', '--config', config, '--port', '0'],
    'serve.log');
  const port = Number(new URL(server.url).port);
  // Each read of /metrics on a connection of its own, closed after it (an idle pooled connection
  // is what the server closes first when it needs room).
  const metrics = () => new Promise((resolve, reject) => {
    get(`${server.url}/metrics`, { agent: false, headers: { Connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  const metric = async (name) => {
    const m = (await metrics()).match(new RegExp(`^${name} (\\d+)`, 'm'));
    return Number(m ? m[1] : -1);
  };
  const limit = await metric('qrscene_http_connection_limit');
  assert.ok(limit > 0 && limit < 128, `connections capped below the 128 descriptors: ${limit}`);

  // 300 connections that say nothing.
  let closedByServer = 0;
  for (let i = 0; i < 300; ++i) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => { ++closedByServer; });
    sockets.push(s);
    if (i % 50 === 49) await sleep(50);
  }
  // The server takes them from its backlog, each time closing the one idle the longest.
  for (let i = 0; i < 300 && closedByServer < 300 - limit; ++i) await sleep(100);
  assert.ok(closedByServer >= 300 - limit, `the clients saw ${closedByServer} of their connections closed`);

  // A signed push still gets its answer within WeChat's 5 s.
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = 'files1';
  const signature = createHash('sha1').update([APP.token, ts, nonce].sort().join('')).digest('hex');
  const xml = '<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oOpenFiles01]]></FromUserName>'
    + `<CreateTime>${ts}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>`
    + '<EventKey><![CDATA[]]></EventKey></xml>';
  const pushed = await fetch(`${server.url}/wechat/${APP.appid}?signature=${signature}&timestamp=${ts}&nonce=${nonce}`, {
    method: 'POST', body: xml, headers: { 'Content-Type': 'text/xml', Connection: 'close' },
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(pushed.status, 200, await pushed.text());
  const open = await metric('qrscene_http_connections');
  assert.ok(open <= limit + 1, `${open} connections open, the limit is ${limit}`);
  const madeRoom = await metric('qrscene_http_connections_closed_total\\{reason="idle_for_room"\\}');
  assert.ok(madeRoom >= 300 - limit, `idle connections closed to make room: ${madeRoom}`);
  const accounts = await call(`${server.url}/api/v1/accounts`, undefined, { Authorization: `Bearer ${ADMIN}` });
  assert.ok(Array.isArray(accounts.accounts ?? accounts), 'the admin API answers too');

  for (const s of sockets) s.destroy();
  server.child.kill('SIGTERM');
  const exited = await server.child.exited;
  assert.equal(exited.code, 0, `serve stopped cleanly: ${JSON.stringify(exited)}`);
  console.log(`open files: limit ${limit}, ${madeRoom} idle connections closed to make room; all checks passed`);
} catch (e) {
  for (const c of children) console.error(`--- ${c.spawnargs.slice(0, 3).join(' ')}:\n${c.log.slice(-3000)}`);
  throw e;
} finally {
  for (const s of sockets) s.destroy();
  for (const c of children) c.kill('SIGKILL');
  await sleep(300);
  rmSync(work, { recursive: true, force: true });
}
