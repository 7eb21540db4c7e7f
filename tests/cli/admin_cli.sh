#!/usr/bin/env bash
# The operators' CLI against a running service fed by the simulator: admin-token, channel
# create/list/show/pause/resume/retire/import (bad rows reported, good rows kept), qr render offline
# and for a channel (decoded with zbarimg), a campaign poster offline, stats as a table and as JSON,
# export to CSV and XLSX (read back with xlsx2csv), followers one by one, conversions recorded,
# imported and reported.
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
openids=()
for i in 1 2 3; do
  openid=$(curl -sf -X POST "$sim/sim/accounts/$appid/users" -H 'Content-Type: application/json' -d '{"count":1}' |
    grep -o '"openid":"[^"]*"' | head -1 | cut -d'"' -f4)
  curl -sf -X POST "$sim/sim/accounts/$appid/users/$openid/scan" -H 'Content-Type: application/json' \
    -d "{\"ticket\":\"$ticket\"}" | grep "欢迎 地铁海报" >/dev/null || fail "follower $i did not see the reply"
  openids+=("$openid")
done
curl -sf -X POST "$sim/sim/accounts/$appid/users/$openid/scan" -H 'Content-Type: application/json' \
  -d "{\"ticket\":\"$ticket\"}" >/dev/null

"$qrscene" channel list >"$work/list.out"
grep -q "地铁海报 *线下 *小李 *permanent *1 *active *3 *0 *3" "$work/list.out" || fail "list: $(cat "$work/list.out")"
"$qrscene" channel pause "$id" | grep paused >/dev/null || fail "pause"
"$qrscene" channel resume "$id" | grep active >/dev/null || fail "resume"
"$qrscene" channel show "$id" | grep "欢迎 {channel}" >/dev/null || fail "show"
# The permanent quota, with codes made outside qrscene entered.
"$qrscene" channel quota --external 40 | grep -q "permanent codes: 41 used of 100000 (1 by qrscene, 40 made elsewhere), 99959 left" \
  || fail "channel quota --external: $("$qrscene" channel quota)"
set +e; "$qrscene" channel quota --external -1 >/dev/null 2>&1; code=$?; set -e
[ "$code" = 2 ] || fail "channel quota --external -1: exit $code"

# Import: good rows kept, the bad one reported by its line, exit 1.
printf 'name,group,owner,kind\n门店A,门店,小王,temporary\n,门店,小王,temporary\n门店B,门店,小张,permanent\n' >"$work/import.csv"
set +e; "$qrscene" channel import "$work/import.csv" --chunk 2 >"$work/import.out" 2>"$work/import.err"; code=$?; set -e
[ "$code" = 1 ] || fail "import with a bad row exited $code"
grep -q "2 created, 1 failed" "$work/import.out" || fail "import: $(cat "$work/import.out")"
grep -q "line 3: name" "$work/import.out" || fail "import did not name line 3: $(cat "$work/import.out")"
grep -q "importing: 3/3" "$work/import.err" || fail "no progress: $(cat "$work/import.err")"
# An unclosed quote (line 3) costs its row, not the rest of the file; errors name the file's lines,
# also from the second part (--chunk 1), where the quote is on the part's line 2.
printf 'name,group,owner,kind\n门店C,门店,小王,temporary\n门店D,门店,"小王,temporary\n门店E,门店,小张,permanent\n门店G,门店,小张,temporary\n' \
  >"$work/quote.csv"
set +e; "$qrscene" channel import "$work/quote.csv" --chunk 1 >"$work/quote.out" 2>"$work/quote.err"; code=$?; set -e
[ "$code" = 1 ] || fail "import with an unclosed quote exited $code: $(cat "$work/quote.out")"
grep -q "line 3: a quote opened on this line is never closed" "$work/quote.out" || fail "the quote's line: $(cat "$work/quote.out")"
"$qrscene" channel list >"$work/list2.out"
for n in 门店C 门店E 门店G; do grep -q "$n" "$work/list2.out" || fail "$n was not kept: $(cat "$work/quote.out")"; done

# QR codes: offline from a url, and the channel's from the service; zbarimg reads both.
"$qrscene" qr render --url "$url" --out "$work/offline.png" --dark '#1a7f37' >/dev/null
[ "$(zbarimg -q --raw "$work/offline.png")" = "$url" ] || fail "offline PNG does not decode to $url"
"$qrscene" qr render --channel "$id" --out "$work/channel.svg" >/dev/null
grep -q "<svg" "$work/channel.svg" || fail "SVG"
set +e; "$qrscene" qr render --url "$url" --out "$work/x.png" --dark '#777777' --light '#888888' 2>"$work/low.err"; code=$?; set -e
[ "$code" = 2 ] && grep -q "too close" "$work/low.err" || fail "low contrast: exit $code"
# A campaign poster offline: the code and two lines on a plain canvas; zbarimg reads the code.
"$qrscene" qr poster --width 600 --height 900 --background-color '#fdf2e0' --content "$url" \
  --qr-x 150 --qr-y 450 --qr-size 300 --text '300,200,40,#c00000,bold,center:扫码关注，助我领取奖品' \
  --text '300,820,28,#333333,center:有效期至 2026-12-31' --out "$work/poster.jpg" >/dev/null
[ "$(zbarimg -q --raw "$work/poster.jpg")" = "$url" ] || fail "the poster's code does not decode to $url"
set +e; "$qrscene" qr poster --width 600 --height 900 --content "$url" --qr-x 400 --qr-y 0 --qr-size 300 \
  --out "$work/x.png" 2>"$work/poster.err"; code=$?; set -e
[ "$code" = 2 ] && grep -q "^qr.x: " "$work/poster.err" || fail "a poster's code outside: exit $code"

# Stats: a table, JSON, the owners; export to a file.
"$qrscene" stats >"$work/stats.out"
grep -q "^total *4 *3 *1 *0 *3" "$work/stats.out" || fail "stats: $(cat "$work/stats.out")"
"$qrscene" stats --channel "$id" --json | grep '"new_follows": 3' >/dev/null || fail "stats --json"
"$qrscene" stats --by owner | grep "小李 *1 *4 *3 *0 *0 *3" >/dev/null || fail "stats --by owner"
# Every active channel's code as one ZIP.
"$qrscene" qr bundle --out "$work/codes.zip" --size 200 2>"$work/bundle.err" || fail "qr bundle: $(cat "$work/bundle.err")"
[ "$(head -c 2 "$work/codes.zip")" = "PK" ] || fail "qr bundle: not a ZIP"
grep -q "wrote $work/codes.zip" "$work/bundle.err" || fail "qr bundle: $(cat "$work/bundle.err")"
set +e; "$qrscene" qr bundle --out "$work/codes.txt" 2>/dev/null; code=$?; set -e
[ "$code" = 2 ] || fail "qr bundle --out codes.txt: exit $code"
# Beside WeChat's datacube: the last 7 days up to yesterday, one row each.
"$qrscene" stats --reconcile >"$work/reconcile.out" || fail "stats --reconcile"
grep -q "^day *ours *other codes *WeChat *difference" "$work/reconcile.out" || fail "reconcile: $(cat "$work/reconcile.out")"
[ "$(grep -c '^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] ' "$work/reconcile.out")" = 7 ] || fail "reconcile: $(cat "$work/reconcile.out")"
"$qrscene" export --out "$work/figures.csv" 2>/dev/null
grep -q "地铁海报,$id,1,4,3,3,0,1,0,3," "$work/figures.csv" || fail "export: $(cat "$work/figures.csv")"
set +e; "$qrscene" export --format xlsx >/dev/null 2>&1; code=$?; set -e
[ "$code" = 2 ] || fail "xlsx exited $code"
"$qrscene" export --format xlsx --out "$work/figures.xlsx" 2>/dev/null
xlsx2csv "$work/figures.xlsx" | grep "^地铁海报,$id,1,4,3,3,0,1,0,3," >/dev/null || fail "xlsx: $(xlsx2csv "$work/figures.xlsx")"

# Conversions: one recorded (again: nothing changes; changed: refused), an import with a bad row
# (again: all there already).
now=$(date +%s)
"$qrscene" conversions record --external-id o-1 --openid "${openids[0]}" --kind order --value 99.5 --at "$now" \
  >"$work/conv.out"
grep -q "^recorded o-1: first touch channel $id, last touch channel $id" "$work/conv.out" || fail "record: $(cat "$work/conv.out")"
"$qrscene" conversions record --external-id o-1 --openid "${openids[0]}" --kind order --value 99.5 --at "$now" |
  grep -q "^already recorded o-1" || fail "a re-sent conversion"
set +e; "$qrscene" conversions record --external-id o-1 --openid "${openids[0]}" --kind order --value 98 --at "$now" \
  >/dev/null 2>"$work/conflict.err"; code=$?; set -e
[ "$code" = 1 ] && grep -q "409.*other values" "$work/conflict.err" || fail "a changed re-send: exit $code, $(cat "$work/conflict.err")"
set +e; "$qrscene" conversions record --external-id o-9 --openid "${openids[0]}" --kind order --value 1 --at yesterday \
  >/dev/null 2>"$work/badat.err"; code=$?; set -e
[ "$code" = 1 ] && grep -q "occurred_at" "$work/badat.err" || fail "a bad --at: exit $code, $(cat "$work/badat.err")"
printf 'external_id,openid,kind,value_cents,occurred_at\no-2,%s,order,1000,%s\no-3,%s,Bad,1,%s\n' \
  "${openids[1]}" "$now" "${openids[1]}" "$now" >"$work/conv.csv"
for round in 1 2; do
  set +e; "$qrscene" conversions import "$work/conv.csv" >"$work/cimport.out" 2>"$work/cimport.err"; code=$?; set -e
  [ "$code" = 1 ] || fail "conversions import round $round exited $code"
  want=$([ "$round" = 1 ] && echo "1 recorded, 0 already there, 1 failed" || echo "0 recorded, 1 already there, 1 failed")
  grep -q "$want" "$work/cimport.out" || fail "conversions import round $round: $(cat "$work/cimport.out")"
  grep -q "line 3: kind" "$work/cimport.out" || fail "the bad row: $(cat "$work/cimport.out")"
  grep -q "importing: 2/2" "$work/cimport.err" || fail "no progress: $(cat "$work/cimport.err")"
done
"$qrscene" conversions report >"$work/report.out"
grep -q "地铁海报 *3 *2 *2 *109.50 *36.50" "$work/report.out" || fail "report: $(cat "$work/report.out")"
"$qrscene" conversions report --by owner --touch last | grep "小李 *3 *2 *2 *109.50" >/dev/null || fail "report by owner"

# Followers one by one: one leaves and stays as a pseudonymous row; exports as CSV and XLSX.
curl -sf -X POST "$sim/sim/accounts/$appid/users/${openids[2]}/unfollow" >/dev/null
"$qrscene" followers --channel "$id" >"$work/followers.out"
[ "$(grep -c "地铁海报 *小李 .* yes " "$work/followers.out")" = 2 ] || fail "followers: $(cat "$work/followers.out")"
grep -q "地铁海报 *小李 .* no .*…" "$work/followers.out" || fail "the leaver's row: $(cat "$work/followers.out")"
grep -q "${openids[0]} .* 1 *99.50" "$work/followers.out" || fail "the buyer's row: $(cat "$work/followers.out")"
"$qrscene" followers --status left --json | grep '"openid": null' >/dev/null || fail "followers --status left --json"
"$qrscene" followers --owner 小李 --out "$work/followers.xlsx" --format xlsx 2>/dev/null
[ "$(xlsx2csv "$work/followers.xlsx" | grep -c ",地铁海报,线下,小李,")" = 3 ] || fail "followers xlsx: $(xlsx2csv "$work/followers.xlsx")"
"$qrscene" followers --out "$work/followers.csv" 2>/dev/null
grep -q "${openids[1]}" "$work/followers.csv" || fail "followers csv: $(cat "$work/followers.csv")"
# A fission campaign: made from a JSON file, listed, shown; a user joins by the keyword and gets
# the poster (the service's jobs run in the background), a friend follows through its code.
now=$(date +%s)
cat >"$work/campaign.json" <<JSON
{"name": "元旦助力", "starts_at": $((now - 60)), "ends_at": $((now + 14 * 86400)),
 "triggers": {"keywords": ["助力"]},
 "tiers": [{"invites": 1, "reward_text": "红包", "reward_code": "RED1"}],
 "poster": {"width": 600, "height": 900, "qr": {"x": 150, "y": 400, "size": 300},
            "lines": [{"text": "有效期至 {expires}", "x": 300, "y": 850, "size": 28, "align": "center"}]}}
JSON
"$qrscene" campaign create "$work/campaign.json" >"$work/cmade.out" || fail "campaign create"
grep -q "campaign 1 元旦助力 (active)" "$work/cmade.out" || fail "campaign create: $(cat "$work/cmade.out")"
grep -q "1 invites → 红包 (RED1)" "$work/cmade.out" || fail "campaign create: $(cat "$work/cmade.out")"
# A bad file: the field named, exit 1.
sed 's/"invites": 1/"invites": 0/' "$work/campaign.json" >"$work/bad-campaign.json"
set +e; "$qrscene" campaign create "$work/bad-campaign.json" >/dev/null 2>"$work/cbad.err"; code=$?; set -e
[ "$code" = 1 ] && grep -q "tiers\[0\].invites" "$work/cbad.err" || fail "a bad campaign: exit $code, $(cat "$work/cbad.err")"
inviter=$(curl -sf -X POST "$sim/sim/accounts/$appid/users" -H 'Content-Type: application/json' -d '{"count":1}' |
  grep -o '"openid":"[^"]*"' | head -1 | cut -d'"' -f4)
curl -sf -X POST "$sim/sim/accounts/$appid/users/$inviter/follow" -d '{}' >/dev/null
curl -sf -X POST "$sim/sim/accounts/$appid/users/$inviter/text" -H 'Content-Type: application/json' \
  -d '{"content":"助力"}' | grep -q "你的专属海报正在生成" || fail "the keyword's answer"
for _ in $(seq 100); do
  "$qrscene" campaign stats 1 --json >"$work/cstats.json"
  grep -q '"code_url": "http' "$work/cstats.json" && break
  sleep 0.2
done
url=$(grep -o '"code_url": "[^"]*"' "$work/cstats.json" | head -1 | cut -d'"' -f4)
[ -n "$url" ] || fail "no participant's code: $(cat "$work/cstats.json")"
friend=$(curl -sf -X POST "$sim/sim/accounts/$appid/users" -H 'Content-Type: application/json' -d '{"count":1}' |
  grep -o '"openid":"[^"]*"' | head -1 | cut -d'"' -f4)
curl -sf -X POST "$sim/sim/accounts/$appid/users/$friend/scan" -H 'Content-Type: application/json' \
  -d "{\"url\":\"$url\",\"follow\":true}" >/dev/null || fail "the friend's scan"
for _ in $(seq 100); do
  "$qrscene" campaign stats 1 >"$work/cstats.out"
  grep -q "reward at 1 *1 granted, 1 delivered" "$work/cstats.out" && break
  sleep 0.2
done
grep -q "invites counted *1" "$work/cstats.out" || fail "campaign stats: $(cat "$work/cstats.out")"
grep -q "reward at 1 *1 granted, 1 delivered, 0 failed" "$work/cstats.out" || fail "campaign stats: $(cat "$work/cstats.out")"
grep -q "1 *[0-9]* *$inviter *1 *1 *0 *1" "$work/cstats.out" || fail "the leaderboard: $(cat "$work/cstats.out")"
"$qrscene" campaign list | grep -q "元旦助力 *active .* 2 *1 *0" || fail "campaign list: $("$qrscene" campaign list)"
"$qrscene" campaign export 1 --table rewards --out "$work/rewards.csv" 2>/dev/null
grep -q "reward_id,participant_id,openid" "$work/rewards.csv" && grep -q ",$inviter,.*,RED1,红包," "$work/rewards.csv" ||
  fail "rewards export: $(cat "$work/rewards.csv")"
"$qrscene" campaign end 1 | grep -q "campaign 1 ended" || fail "campaign end"
"$qrscene" campaign show 1 | grep -q "元旦助力 (ended)" || fail "campaign show after the end"

"$qrscene" channel retire "$id" | grep retired >/dev/null || fail "retire"
echo "all checks passed"
