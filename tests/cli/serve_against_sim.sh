#!/usr/bin/env bash
# `qrscene check-config` and `qrscene serve --config` with a real file, pushes from `qrscene sim`
# in safe mode over HTTP, /healthz and /metrics, and a graceful stop on SIGTERM.
# Usage: serve_against_sim.sh /path/to/qrscene
set -euo pipefail
qrscene=$1
work=$(mktemp -d)
pids=()
serve_pid=""
cleanup() {
  for p in $serve_pid "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/common.sh"
appid=wx0a1b2c3d4e5f6789
key=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG

start_sim "$qrscene" 3 "$work"

cat >"$work/qrscene.toml" <<TOML
[wechat]
api_base = "$sim"
mp_base = "$sim"
[server]
port = 0
[store]
path = "$work/qrscene.db"
[replies]
organic_subscribe = "感谢关注 serve"
[[accounts]]
appid = "$appid"
secret = "env:DEMO_SECRET"
token = "qrscenedemo"
encoding_aes_key = "$key"
mode = "safe"
TOML
export DEMO_SECRET=qrscene-demo-secret-0123456789ab

# check-config: a good file passes; a bad one names every problem and exits 2.
"$qrscene" check-config --config "$work/qrscene.toml" >"$work/check.out" || fail "check-config refused a good file"
grep -q "safe mode, secret set" "$work/check.out" || fail "check-config summary: $(cat "$work/check.out")"
grep -q "qrscene-demo-secret" "$work/check.out" && fail "check-config printed the secret"
printf '[server]\nport = "x"\n[privacy]\non_unfollow = "keep"\n' >"$work/bad.toml"
set +e; "$qrscene" check-config --config "$work/bad.toml" >/dev/null 2>"$work/bad.err"; code=$?; set -e
[ "$code" = 2 ] || fail "check-config on a bad file exited $code"
grep -q "server.port: must be an integer" "$work/bad.err" || fail "bad.err: $(cat "$work/bad.err")"
grep -q "privacy.on_unfollow" "$work/bad.err" || fail "bad.err: $(cat "$work/bad.err")"

"$qrscene" serve --config "$work/qrscene.toml" >"$work/serve.out" 2>&1 &
serve_pid=$!
wait_for "$work/serve.out" "listening on http://"
service=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1)
curl -s "$service/healthz" | grep '"status":"ok"' >/dev/null || fail "healthz"

# Point the simulator's account at the service (safe mode), check the URL, follow.
curl -sf -X POST "$sim/sim/accounts" -H 'Content-Type: application/json' -d "{\"appid\":\"$appid\",
  \"secret\":\"$DEMO_SECRET\",\"token\":\"qrscenedemo\",\"encoding_aes_key\":\"$key\",\"mode\":\"safe\",
  \"callback_url\":\"$service/wechat/$appid\"}" >/dev/null || fail "could not point the simulator at the service"
curl -sf -X POST "$sim/sim/accounts/$appid/verify-url" | grep '"verified":true' >/dev/null || fail "URL check failed"
openid=$(curl -sf -X POST "$sim/sim/accounts/$appid/users" -H 'Content-Type: application/json' -d '{"count":1}' |
  grep -o '"openid":"[^"]*"' | head -1 | cut -d'"' -f4)
[ -n "$openid" ] || fail "no user"
curl -sf -X POST "$sim/sim/accounts/$appid/users/$openid/follow" -H 'Content-Type: application/json' -d '{}' \
  >"$work/push.json" || fail "follow failed"
grep -q "感谢关注 serve" "$work/push.json" || fail "the user did not see the reply: $(cat "$work/push.json")"
curl -s "$service/metrics" | grep "^qrscene_callback_events_total 1$" >/dev/null || fail "metrics: $(curl -s "$service/metrics")"

kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve exited $? on SIGTERM"
serve_pid=""
grep -q "SIGTERM received, stopping" "$work/serve.out" || fail "no graceful stop: $(cat "$work/serve.out")"
echo "all checks passed"
