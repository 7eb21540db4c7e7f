// What the system tests share: starting and stopping processes, free ports, JSON calls, the
// simulator's push log and what a recount from the event log must equal.
import { spawn } from 'node:child_process';
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
