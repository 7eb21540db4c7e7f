// The nginx front of docs/deployment.md, as documented: the snippet between its markers is run by a
// real nginx (its ports, a self-signed certificate and the log directory replaced; nothing else),
// in front of `qrscene serve` configured with the documented `trusted_proxies`. Then, from two
// client addresses on loopback (127.0.0.1 and 127.0.0.2):
//   - a client's forged X-Forwarded-For and X-Real-IP change nothing: wrong admin tokens lock out that
//     client only, and the other signs in with the right token;
//   - the login limit counts each client on its own, whatever it claims;
//   - /metrics answers only from this machine's address (127.0.0.1), 403 from another;
//   - a signed push goes through, and the access log holds no query string (no openid, no secret);
//   - a login session's event stream is not buffered (its first event arrives before the stream ends).
//   node nginx_front.mjs QRSCENE SOURCE_DIR
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { call, children, freePort, sleep, start as startIn, writeConfig } from './lib.mjs';

const [qrscene, root] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'qrscene-nginx-'));
const start = (...args) => startIn(work, ...args);
const APP = { appid: 'wxnginxfront00001', secret: 'nginx-front-secret-0123456789abcd', token: 'nginxfronttoken' };
const ADMIN = 'nginx-front-admin-token';

// The snippet, exactly as docs/deployment.md shows it.
function documentedSnippet() {
  const doc = readFileSync(join(root, 'docs/deployment.md'), 'utf8');
  const m = doc.match(/<!-- nginx-snippet:begin -->\s*```nginx\n([\s\S]*?)```\s*<!-- nginx-snippet:end -->/);
  assert.ok(m, 'docs/deployment.md has the nginx snippet between its markers');
  return m[1];
}

// One HTTPS request to nginx from a chosen loopback address (certificate not checked: self-signed).
function fromAddress(local, port, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, method, path, localAddress: local, rejectUnauthorized: false, servername: 'qr.example.com',
      agent: false,  // no keep-alive: the test ends when its work does
      headers: { Host: 'qr.example.com', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error(`${method} ${path}: no answer`)));
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

try {
  const { url: sim } = await start(qrscene, ['sim', '--port', '0', '--seed', '21'], 'sim.log');
  const config = join(work, 'qrscene.toml');
  writeConfig(config, { sim, app: APP, admin: ADMIN, sections: `
[server]
trusted_proxies = "127.0.0.1, ::1"
[store]
path = "${join(work, 'qrscene.db')}"
[login]
public = true
` });
  const server = await start(qrscene, ['serve', '--config', config, '--port', '0'], 'serve.log');
  const upstream = new URL(server.url).port;
  await call(`${sim}/sim/accounts`, { ...APP, mode: 'plain', callback_url: `${server.url}/wechat/${APP.appid}` });

  // The documented snippet with this test's ports, certificate and log directory.
  const [http, https] = [await freePort(), await freePort()];
  const dir = join(work, 'nginx');
  mkdirSync(dir, { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=qr.example.com',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
  const replaced = (text, from, to) => {
    assert.ok(text.includes(from), `the snippet has ${from}`);
    return text.split(from).join(to);
  };
  let site = documentedSnippet();
  site = replaced(site, 'listen 80;', `listen 127.0.0.1:${http};`);
  site = replaced(site, 'listen 443 ssl http2;', `listen 127.0.0.1:${https} ssl http2;`);
  site = replaced(site, '/etc/letsencrypt/live/qr.example.com/fullchain.pem', join(dir, 'cert.pem'));
  site = replaced(site, '/etc/letsencrypt/live/qr.example.com/privkey.pem', join(dir, 'key.pem'));
  site = replaced(site, 'server 127.0.0.1:8080;', `server 127.0.0.1:${upstream};`);
  site = replaced(site, '/var/log/nginx/', `${dir}/`);
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  include ${dir}/site.conf;
}
`);
  await start('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], 'nginx.log', /()/);
  const A = '127.0.0.1';
  const B = '127.0.0.2';
  const to = (from, method, path, options) => fromAddress(from, https, method, path, options);
  for (let i = 0; i < 50; ++i) {  // nginx is up when it answers
    try { if ((await to(A, 'GET', '/healthz')).status === 200) break; } catch { /* not yet */ }
    await sleep(100);
  }
  assert.equal((await to(A, 'GET', '/healthz')).status, 200);

  // Forged headers change nothing: B's wrong tokens, each claiming another address, lock out B
  // (ten a minute are allowed, the eleventh is refused).
  const auth = (token) => ({ Authorization: `Bearer ${token}` });
  for (let i = 0; i < 11; ++i) {
    const r = await to(B, 'GET', '/api/v1/accounts', {
      headers: { ...auth('guess'), 'X-Forwarded-For': `198.51.100.${i}`, 'X-Real-IP': `203.0.113.${i}` },
    });
    assert.equal(r.status, i < 10 ? 401 : 429, `wrong token ${i + 1}: ${r.status} ${r.text}`);
  }
  const lockedOut = await to(B, 'GET', '/api/v1/accounts', { headers: { ...auth(ADMIN), 'X-Forwarded-For': '198.51.100.77' } });
  assert.equal(lockedOut.status, 429, 'B stays locked out, whatever it claims');
  const operator = await to(A, 'GET', '/api/v1/accounts', { headers: auth(ADMIN) });
  assert.equal(operator.status, 200, `A is not locked out by B: ${operator.text}`);

  // The login limit counts each client on its own.
  const session = (from, claim) => to(from, 'POST', '/api/v1/login-sessions', {
    headers: { 'X-Forwarded-For': claim, 'X-Real-IP': claim }, body: { purpose: 'login', appid: APP.appid },
  });
  for (let i = 0; i < 10; ++i) {
    const r = await session(B, `203.0.113.${i}`);
    assert.equal(r.status, 201, r.text);
  }
  assert.equal((await session(B, '203.0.113.99')).status, 429, 'B is limited, whatever it claims');
  const a = await session(A, '203.0.113.50');
  assert.equal(a.status, 201, `A has its own allowance: ${a.text}`);

  // /metrics: this machine only.
  assert.equal((await to(A, 'GET', '/metrics')).status, 200);
  assert.equal((await to(B, 'GET', '/metrics')).status, 403);

  // A signed push through nginx: answered, and the access log keeps the path only.
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = 'n123';
  const signature = createHash('sha1').update([APP.token, ts, nonce].sort().join('')).digest('hex');
  const openid = 'oNginxFrontOpenid000000001';
  const xml = `<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName>`
    + `<CreateTime>${ts}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>`
    + '<EventKey><![CDATA[]]></EventKey></xml>';
  const pushed = await to(B, 'POST', `/wechat/${APP.appid}?signature=${signature}&timestamp=${ts}&nonce=${nonce}`
    + `&openid=${openid}`, { headers: { 'Content-Type': 'text/xml' }, body: xml });
  assert.equal(pushed.status, 200, pushed.text);

  // An event stream passes unbuffered: its first event arrives while the stream is still open.
  const made = await to(A, 'POST', '/api/v1/login-sessions', {
    body: { purpose: 'login', appid: APP.appid, secret_in_body: true },
  });
  assert.equal(made.status, 201, made.text);
  const { id, secret } = JSON.parse(made.text);
  const firstEvent = await new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: https, method: 'GET', path: `/api/v1/login-sessions/${id}/events`, rejectUnauthorized: false,
      agent: false,
      headers: { Host: 'qr.example.com', 'X-Login-Secret': secret },
    }, (res) => {
      res.setEncoding('utf8');
      let text = '';  // "retry: 2000" may come as a chunk of its own; the first event follows
      res.on('data', (d) => {
        text += d;
        if (/^event: /m.test(text)) { resolve(text); req.destroy(); }
      });
    });
    req.on('error', reject);  // after the event: a no-op (the stream is destroyed on purpose)
    req.setTimeout(10000, () => req.destroy(new Error('no event through nginx within 10 s')));
    req.end();
  });
  assert.match(firstEvent, /^event: state/m);

  await sleep(300);  // nginx writes its access log line as the request ends
  const access = readFileSync(join(dir, 'qrscene.access.log'), 'utf8');
  assert.match(access, new RegExp(`POST /wechat/${APP.appid} HTTP/1.1" 200`));
  assert.doesNotMatch(access, /openid=|signature=|secret=|\?/, 'no query string in the access log');

  server.child.kill('SIGTERM');
  assert.equal((await server.child.exited).code, 0);
  console.log('nginx front: all checks passed');
} finally {
  // SIGTERM: nginx's master stops its worker too (a SIGKILLed master leaves the worker running).
  for (const c of children) c.kill('SIGTERM');
  await sleep(500);
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
