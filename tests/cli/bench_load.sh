#!/usr/bin/env bash
# bench/load's own checks, briefly (it times nothing here): qrscene in plaintext and safe mode under
# wrk with every reply checked against its channel and every acknowledged push found in the
# database; pushes nothing consumes answered "success" and kept out of the log; and a run whose
# channels answer the wrong text must fail.
# Usage: bench_load.sh /path/to/qrscene
set -euo pipefail
qrscene=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/common.sh"

"$root/bench/load/run" --only plain,unlogged,safe --duration 1s --connections 16 --channels 40 --qrscene "$qrscene" \
  --out "$work/table.md" >"$work/good.out" 2>&1 || fail "bench/load/run: $(tail -20 "$work/good.out")"
for mode in plain safe; do
  grep -q "$mode reply check: [1-9][0-9]* checked, 0 wrong" "$work/good.out" || fail "$mode: $(cat "$work/good.out")"
  grep -q "$mode: [0-9]* pushes acknowledged, [0-9]* stored, [0-9]* attributed" "$work/good.out" ||
    fail "$mode: no durability check in $(cat "$work/good.out")"
done
grep -q "unlogged reply check: [1-9][0-9]* checked, 0 wrong" "$work/good.out" || fail "unlogged: $(cat "$work/good.out")"
grep -q '^| \*\*qrscene\*\*, plaintext, a push nothing consumes (no store) | [0-9]' "$work/table.md" ||
  fail "table: $(cat "$work/table.md")"
grep -q '^| \*\*qrscene\*\*, plaintext, SQLite durable | [0-9]' "$work/table.md" || fail "table: $(cat "$work/table.md")"
grep -q '^| \*\*qrscene\*\*, safe mode, SQLite durable | [0-9]' "$work/table.md" || fail "table: $(cat "$work/table.md")"
grep -q '^- safe/plaintext: [0-9.]*×' "$work/table.md" || fail "no ratio: $(cat "$work/table.md")"
# The timed runs send requests built before the clock (push.lua's WX_PREBUILD): every one of them
# answered 2xx (the durability check above found them stored and attributed).
! grep -q 'non-2xx\|Socket errors' "$work/table.md" || fail "timed runs had failures: $(cat "$work/table.md")"
for mode in plain safe; do
  grep -q "^  $mode: [0-9]* req/s.*, requests prebuilt (0 built during the run)" "$work/good.out" ||
    fail "$mode: the timed run did not send prebuilt requests: $(cat "$work/good.out")"
done
grep -q 'projector: lag at most [0-9]* events, [0-9]* left when the load stopped, drained in [0-9.]* s' "$work/table.md" ||
  fail "no projector figures: $(cat "$work/table.md")"
grep -q 'bytes written per push: answer path [0-9]*, projector [0-9]*' "$work/table.md" ||
  fail "no bytes per push: $(cat "$work/table.md")"
# The CPU budget of each timed run: wrk's share and the server's threads by name, over the run.
for mode in plain safe; do
  line=$(grep "^  $mode: CPU µs per request: wrk [0-9.]*, .*; idle [0-9]*%$" "$work/good.out") ||
    fail "$mode: no CPU budget: $(cat "$work/good.out")"
  for thread in qrs-io qrs-writer; do
    [[ "$line" == *", $thread "[0-9]* ]] || fail "$mode: no $thread in the CPU budget: $line"
  done
  grep -q "^  $mode, answer path alone: CPU µs per request: wrk [0-9.]*, .*qrs-writer [0-9.]*" "$work/good.out" ||
    fail "$mode: no CPU budget for the answer path alone: $(cat "$work/good.out")"
done
grep -q "^  unlogged: CPU µs per request: wrk [0-9.]*, qrs-io [0-9.]*" "$work/good.out" ||
  fail "unlogged: no CPU budget: $(cat "$work/good.out")"
! grep -q "qrs-writer" <(grep "^  unlogged: CPU" "$work/good.out") ||
  fail "unlogged: the writer worked for pushes nothing consumes: $(grep '^  unlogged: CPU' "$work/good.out")"

# Replies without the channel's name: the check must catch it and the run must fail.
set +e
QRSCENE_BENCH_REPLY="welcome, scene {scene}" "$root/bench/load/run" --only plain --duration 1s --connections 8 \
  --channels 10 --qrscene "$qrscene" --out "$work/bad-table.md" >"$work/bad.out" 2>&1
code=$?
set -e
[ "$code" = 1 ] || fail "a run with wrong replies exited $code: $(tail -5 "$work/bad.out")"
grep -q 'wrong replies: reply check: [0-9]* checked, [1-9][0-9]* wrong (first: to oBnch' "$work/bad.out" ||
  fail "the wrong replies were not named: $(tail -5 "$work/bad.out")"
# A failed run leaves nothing running behind it (its lag sampler once looped forever).
sleep 1.5
if pgrep -f -- "--out $work/bad-table.md" >/dev/null; then
  fail "the failed run left processes behind: $(pgrep -af -- "--out $work/bad-table.md")"
fi
echo "bench/load checks passed"
