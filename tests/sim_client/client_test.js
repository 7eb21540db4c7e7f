// An outside WeChat API client from npm (co-wechat-api, by the node-webot authors) against
// `qrscene sim`, with only its base URLs changed: token, QR codes of every kind, image download,
// user info, tags and menus. Usage: node client_test.js <path to the qrscene binary>
'use strict';
const assert = require('assert');
const http = require('http');
const { spawn } = require('child_process');
const WechatAPI = require('co-wechat-api');

const APPID = 'wxnpmclient000001';
const SECRET = 'npm-client-secret';

function startSim(binary) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['sim', '--port', '0', '--seed', '11', '--appid', APPID, '--secret', SECRET],
                        { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('qrscene sim did not start in 10 s:\n' + out)), 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error('qrscene sim exited with ' + code + ':\n' + out)));
  });
}

function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

function client(port, secret) {
  const api = new WechatAPI(APPID, secret);
  const base = `http://127.0.0.1:${port}`;
  api.prefix = `${base}/cgi-bin/`;     // the only change: where the API and image hosts are
  api.mpPrefix = `${base}/cgi-bin/`;
  return api;
}

async function main() {
  const { child, port } = await startSim(process.argv[2]);
  try {
    const api = client(port, SECRET);

    // Token (fetched by the client on its first call) and QR codes of all four kinds.
    const tmpInt = await api.createTmpQRCode(123, 600);
    assert.strictEqual(tmpInt.expire_seconds, 600);
    assert.match(tmpInt.url, /^http:\/\/weixin\.qq\.com\/q\/02[A-Za-z0-9]{20}$/);
    const tmpStr = await api.createTmpQRCode('login-abc', 300);
    assert.strictEqual(tmpStr.expire_seconds, 300);
    const limInt = await api.createLimitQRCode(5);
    assert.ok(limInt.ticket && !('expire_seconds' in limInt));
    const limStr = await api.createLimitQRCode('poster-A');
    assert.ok(limStr.ticket);
    assert.strictEqual((await api.createLimitQRCode('poster-A')).ticket, limStr.ticket);  // same scene, same ticket

    // Image download through the client's own URL builder (it does not encode the ticket: we do).
    for (const t of [tmpInt, tmpStr, limInt, limStr]) {
      const url = new URL(api.showQRCodeURL(encodeURIComponent(t.ticket)));
      const img = await request(port, 'GET', url.pathname + url.search);
      assert.strictEqual(img.status, 200);
      assert.strictEqual(img.headers['content-type'], 'image/jpg');
      assert.strictEqual(img.body[0], 0xff);
      assert.strictEqual(img.body[1], 0xd8);
    }

    // Users: two virtual users follow through the codes (control API), then the client reads them.
    const made = JSON.parse((await request(port, 'POST', `/sim/accounts/${APPID}/users`, { count: 2 })).body);
    const [u1, u2] = made.users.map((u) => u.openid);
    for (const [u, t] of [[u1, limStr], [u2, tmpInt]]) {
      const r = JSON.parse((await request(port, 'POST', `/sim/accounts/${APPID}/users/${u}/scan`, { ticket: t.ticket })).body);
      assert.strictEqual(r.event, 'subscribe');
    }
    const info = await api.getUser({ openid: u1, lang: 'zh_CN' });
    assert.strictEqual(info.subscribe, 1);
    assert.strictEqual(info.subscribe_scene, 'ADD_SCENE_QR_CODE');
    assert.strictEqual(info.qr_scene_str, 'poster-A');
    const batch = await api.batchGetUsers([u1, u2]);
    assert.strictEqual(batch.user_info_list.length, 2);
    assert.strictEqual(batch.user_info_list[1].qr_scene, 123);
    const followers = await api.getFollowers();
    assert.strictEqual(followers.total, 2);

    // Tags.
    const tag = await api.createTags('渠道A');
    assert.ok(tag.tag.id >= 100);
    await api.batchTagging([u1, u2], tag.tag.id);
    assert.deepStrictEqual((await api.getIdList(u1)).tagid_list, [tag.tag.id]);
    const members = await api.getUsersFromTag(tag.tag.id, '');
    assert.strictEqual(members.count, 2);
    const tags = await api.getTags();
    assert.strictEqual(tags.tags.find((x) => x.id === tag.tag.id).count, 2);
    await api.updateTag(tag.tag.id, '渠道B');
    await api.batchUnTagging([u2], tag.tag.id);
    assert.strictEqual((await api.getUsersFromTag(tag.tag.id, '')).count, 1);
    await assert.rejects(api.createTags('渠道B'), (e) => e.code === 45157);  // duplicate name
    await api.deleteTag(tag.tag.id);

    // Menus.
    const menu = { button: [{ type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC' },
                            { name: '菜单', sub_button: [{ type: 'view', name: '搜索', url: 'https://www.soso.com/' }] }] };
    await api.createMenu(menu);
    const got = await api.getMenu();
    assert.strictEqual(got.menu.button[0].key, 'V1001_TODAY_MUSIC');
    const live = await api.getMenuConfig();
    assert.strictEqual(live.is_menu_open, 1);
    await api.removeMenu();
    await assert.rejects(api.getMenu(), (e) => e.code === 46003);
    await assert.rejects(api.createMenu({ button: [] }), (e) => e.code === 40016);

    // A wrong secret is the client's WeChatAPIError with WeChat's errcode.
    await assert.rejects(client(port, 'wrong').getTags(), (e) => e.name === 'WeChatAPIError' && e.code === 40125);
    console.log('co-wechat-api against qrscene sim: all checks passed');
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
