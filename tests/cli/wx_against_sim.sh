#!/usr/bin/env bash
# `qrscene wx` against `qrscene sim`, as docs/wechat-client.md shows it: every command group, the
# exit codes (0 ok, 1 a failed call, 2 bad arguments), JSON on stdout, errors on stderr, and the
# QR image read back by an independent decoder (zbarimg).
# It also runs docs/wechat-client.md's C++ example.
# Usage: wx_against_sim.sh /path/to/qrscene /path/to/wechat_client_example
set -euo pipefail
qrscene=$1
example=$2
work=$(mktemp -d)
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$qrscene" sim --port 0 --seed 3 >"$work/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "on http://" "$work/sim.out" && break
  sleep 0.1
done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/sim.out" | head -1)
[ -n "$base" ] || fail "the simulator did not start: $(cat "$work/sim.out")"

# Credentials from the environment, hosts from a config file: both paths are exercised.
cat >"$work/qrscene.toml" <<TOML
[wechat]
api_base = "$base"
mp_base = "$base"
TOML
export QRSCENE_APPID=wx0a1b2c3d4e5f6789 QRSCENE_SECRET=env:DEMO_SECRET DEMO_SECRET=qrscene-demo-secret-0123456789ab
wx() { "$qrscene" wx --config "$work/qrscene.toml" "$@"; }
expect_exit() {  # expect_exit CODE PATTERN-ON-STDERR ARGS...
  local want=$1 pattern=$2; shift 2
  set +e; wx "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || fail "wx $* exited $got, expected $want: $(cat "$work/err")"
  grep -q -- "$pattern" "$work/err" || fail "wx $*: stderr lacks '$pattern': $(cat "$work/err")"
  [ ! -s "$work/out" ] || fail "wx $*: printed to stdout on failure"
}

wx token >"$work/token.json"
grep -q '"access_token": "' "$work/token.json" || fail "no token: $(cat "$work/token.json")"

wx qrcode create --temporary --scene-str 'store+01/A' --expire 600 -o "$work/code.jpg" >"$work/qr.json"
url=$(grep -o '"url": "[^"]*"' "$work/qr.json" | cut -d'"' -f4)
[ -n "$url" ] || fail "no url: $(cat "$work/qr.json")"
[ "$(zbarimg -q --raw "$work/code.jpg")" = "$url" ] || fail "the image does not decode to $url"
ticket=$(grep -o '"ticket": "[^"]*"' "$work/qr.json" | cut -d'"' -f4)
wx qrcode image "$ticket" -o "$work/again.jpg" | grep '"content_type": "image/jpg"' >/dev/null || fail "qrcode image"
cmp -s "$work/code.jpg" "$work/again.jpg" || fail "the same ticket gave another image"
wx qrcode url "$ticket" | grep "showqrcode?ticket=" >/dev/null || fail "qrcode url"

wx qrcode create --permanent --scene-id 100000 | grep '"expires_at": 0' >/dev/null || fail "permanent code"
expect_exit 2 "1..100000" qrcode create --permanent --scene-id 100001
expect_exit 2 "temporary codes only" qrcode create --permanent --scene-id 5 --expire 60
expect_exit 2 "say --temporary or --permanent" qrcode create --scene-id 5
wx qrcode create --temporary --scene-id 3000000000 2>"$work/warn" >/dev/null
grep -q "warning: scene_id 3000000000 is above 2^31-1" "$work/warn" || fail "no warning above 2^31-1"
expect_exit 1 "not_found" qrcode image no-such-ticket -o "$work/none.jpg"

wx tags create 门店 | grep '"name": "门店"' >/dev/null || fail "tags create"
wx tags list | grep '"name": "门店"' >/dev/null || fail "tags list"
expect_exit 1 "(45157)" tags create 门店
echo '{"button":[{"type":"click","name":"今日","key":"TODAY"}]}' >"$work/menu.json"
wx menu create "$work/menu.json" | grep '"ok": true' >/dev/null || fail "menu create"
wx menu get | grep TODAY >/dev/null || fail "menu get"
wx menu delete >/dev/null
expect_exit 1 "(46003)" menu get
expect_exit 1 "(40003)" user info o_nobody
wx user list | grep '"count": 0' >/dev/null || fail "user list"

# Bad configuration: exit 2, every problem named.
printf '[wechat]\napi_base = "ftp://x"\nspeed = 1\n' >"$work/bad.toml"
set +e; "$qrscene" wx --config "$work/bad.toml" token >/dev/null 2>"$work/err"; got=$?; set -e
[ "$got" = 2 ] || fail "a bad config file exited $got"
grep -q "wechat.api_base: must start with https://" "$work/err" && grep -q "wechat.speed: unknown key" "$work/err" ||
  fail "bad config: $(cat "$work/err")"
set +e; QRSCENE_SECRET=wrong-secret "$qrscene" wx --config "$work/qrscene.toml" token >/dev/null 2>"$work/err"; got=$?; set -e
[ "$got" = 1 ] && grep -q "check the account's appid and secret" "$work/err" || fail "wrong secret: $got $(cat "$work/err")"

# The C++ example of docs/wechat-client.md.
(cd "$work" && "$example" "$base" "$base" "$QRSCENE_APPID" "$DEMO_SECRET" >example.out) || fail "the example failed"
grep -q "^encodes http://weixin.qq.com/q/" "$work/example.out" || fail "example: $(cat "$work/example.out")"
[ "$(zbarimg -q --raw "$work/poster.jpg")" = "$(sed -n 's/^encodes //p' "$work/example.out")" ] ||
  fail "the example's poster.jpg does not decode to its url"

echo "qrscene wx against qrscene sim: all checks passed"
