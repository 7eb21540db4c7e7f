#!/usr/bin/env bash
# The operators' CLI against a running service fed by the simulator: admin-token, channel
# create/list/show/pause/resume/retire/import (bad rows reported, good rows kept), qr render offline
# and for a channel (decoded with zbarimg), stats as a table and as JSON, export to a CSV file.
# Usage: admin_cli.sh /path/to/qrscene
set -euo pipefail
qrscene=$1
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/common.sh"
appid=wx0a1b2c3d4e5f6789
export DEMO_SECRET=qrscene-demo-secret-0123456789ab

"$qrscene" admin-token >"$work/token.out" 2>/dev/null
token=$(sed -n 's/^token: //p' "$work/token.out")
hash=$(sed -n 's/^token_sha256 = "\(.*\)"$/\1/p' "$work/token.out")
[ "$(printf %s "$token" | sha256sum | cut -d' ' -f1)" = "$hash" ] || fail "admin-token: the hash is not the token's"

start_sim "$qrscene" 5 "$work"
cat >"$work/qrscene.toml" <<TOML
[wechat]
api_base = "$sim"
mp_base = "$sim"
[server]
port = 0
[store]
path = "$work/qrscene.db"
durable = false
[admin]
token_sha256 = "$hash"
[[accounts]]
appid = "$appid"
secret = "env:DEMO_SECRET"
token = "qrscenedemo"
TOML
"$qrscene" serve --config "$work/qrscene.toml" >"$work/serve.out" 2>&1 &
pids+=($!)
wait_for "$work/serve.out" "listening on http://"
export QRSCENE_SERVER=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1)
curl -sf -X POST "$sim/sim/accounts" -H 'Content-Type: application/json' -d "{\"appid\":\"$appid\",
  \"secret\":\"$DEMO_SECRET\",\"token\":\"qrscenedemo\",\"callback_url\":\"$QRSCENE_SERVER/wechat/$appid\"}" >/dev/null

# Without a token: a clear message and exit 2.
set +e; "$qrscene" channel list >/dev/null 2>"$work/notoken.err"; code=$?; set -e
[ "$code" = 2 ] || fail "no token: exit $code"
grep -q "QRSCENE_ADMIN_TOKEN" "$work/notoken.err" || fail "no token: $(cat "$work/notoken.err")"
export QRSCENE_ADMIN_TOKEN=wrong
set +e; "$qrscene" channel list >/dev/null 2>"$work/wrong.err"; code=$?; set -e
[ "$code" = 1 ] && grep -q "401" "$work/wrong.err" || fail "wrong token: exit $code, $(cat "$work/wrong.err")"
export QRSCENE_ADMIN_TOKEN=$token

"$qrscene" channel create --name 地铁海报 --group 线下 --owner 小李 --kind permanent --reply '欢迎 {channel}' \
  --json >"$work/made.json" || fail "channel create"
id=$(grep -o '"id": [0-9]*' "$work/made.json" | head -1 | grep -o '[0-9]*')
ticket=$(grep -o '"ticket": "[^"]*"' "$work/made.json" | cut -d'"' -f4)
url=$(grep -o '"url": "[^"]*"' "$work/made.json" | cut -d'"' -f4)
[ -n "$id" ] && [ -n "$ticket" ] || fail "create printed $(cat "$work/made.json")"
set +e; "$qrscene" channel create --name x --kind forever >/dev/null 2>&1; code=$?; set -e
[ "$code" = 2 ] || fail "a bad --kind exited $code"

# Three followers and one follower's scan through the simulator.
for i in 1 2 3; do
  openid=$(curl -sf -X POST "$sim/sim/accounts/$appid/users" -H 'Content-Type: application/json' -d '{"count":1}' |
    grep -o '"openid":"[^"]*"' | head -1 | cut -d'"' -f4)
  curl -sf -X POST "$sim/sim/accounts/$appid/users/$openid/scan" -H 'Content-Type: application/json' \
    -d "{\"ticket\":\"$ticket\"}" | grep -q "欢迎 地铁海报" || fail "follower $i did not see the reply"
done
curl -sf -X POST "$sim/sim/accounts/$appid/users/$openid/scan" -H 'Content-Type: application/json' \
  -d "{\"ticket\":\"$ticket\"}" >/dev/null

"$qrscene" channel list >"$work/list.out"
grep -q "地铁海报 *线下 *小李 *permanent *1 *active *3 *0 *3" "$work/list.out" || fail "list: $(cat "$work/list.out")"
"$qrscene" channel pause "$id" | grep -q paused || fail "pause"
"$qrscene" channel resume "$id" | grep -q active || fail "resume"
"$qrscene" channel show "$id" | grep -q "欢迎 {channel}" || fail "show"

# Import: good rows kept, the bad one reported by its line, exit 1.
printf 'name,group,owner,kind\n门店A,门店,小王,temporary\n,门店,小王,temporary\n门店B,门店,小张,permanent\n' >"$work/import.csv"
set +e; "$qrscene" channel import "$work/import.csv" --chunk 2 >"$work/import.out" 2>"$work/import.err"; code=$?; set -e
[ "$code" = 1 ] || fail "import with a bad row exited $code"
grep -q "2 created, 1 failed" "$work/import.out" || fail "import: $(cat "$work/import.out")"
grep -q "row 3: name" "$work/import.out" || fail "import did not name row 3: $(cat "$work/import.out")"
grep -q "importing: 3/3" "$work/import.err" || fail "no progress: $(cat "$work/import.err")"

# QR codes: offline from a url, and the channel's from the service; zbarimg reads both.
"$qrscene" qr render --url "$url" --out "$work/offline.png" --dark '#1a7f37' >/dev/null
[ "$(zbarimg -q --raw "$work/offline.png")" = "$url" ] || fail "offline PNG does not decode to $url"
"$qrscene" qr render --channel "$id" --out "$work/channel.svg" >/dev/null
grep -q "<svg" "$work/channel.svg" || fail "SVG"
set +e; "$qrscene" qr render --url "$url" --out "$work/x.png" --dark '#777777' --light '#888888' 2>"$work/low.err"; code=$?; set -e
[ "$code" = 2 ] && grep -q "too close" "$work/low.err" || fail "low contrast: exit $code"

# Stats: a table, JSON, the owners; export to a file.
"$qrscene" stats >"$work/stats.out"
grep -q "^total *4 *3 *1 *0 *3" "$work/stats.out" || fail "stats: $(cat "$work/stats.out")"
"$qrscene" stats --channel "$id" --json | grep -q '"new_follows": 3' || fail "stats --json"
"$qrscene" stats --by owner | grep -q "小李 *1 *4 *3 *0 *3" || fail "stats --by owner"
"$qrscene" export --out "$work/figures.csv" 2>/dev/null
grep -q "地铁海报,$id,1,4,3,3,0,1,0,3," "$work/figures.csv" || fail "export: $(cat "$work/figures.csv")"
set +e; "$qrscene" export --format xlsx >/dev/null 2>&1; code=$?; set -e
[ "$code" = 2 ] || fail "xlsx exited $code"
"$qrscene" channel retire "$id" | grep -q retired || fail "retire"
echo "all checks passed"
