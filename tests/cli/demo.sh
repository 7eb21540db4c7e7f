#!/usr/bin/env bash
# qrscene demo as the README runs it: the table matches what the simulator's users did, the PNG
# files are there and are PNGs, the same seed gives the same table, and a bad option is refused.
set -euo pipefail
qrscene=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$qrscene" demo --users 400 --seed 7 >run1.txt 2>err1.txt || { cat run1.txt err1.txt; echo "demo failed"; exit 1; }
grep -q "counts match what the simulator's users did: yes" run1.txt || { cat run1.txt; echo "counts differ"; exit 1; }
for f in store-shanghai store-beijing poster-metro promoter-wangfang ad-double11; do
  [ "$(head -c 4 "qrscene-demo/$f.png" | od -An -tx1 | tr -d ' \n')" = "89504e47" ] || { echo "$f.png is not a PNG"; exit 1; }
done
[ -s qrscene-demo/qrscene.db ] || { echo "no database"; exit 1; }
grep -q "done (tagging, follower profiles), 0 pending, 0 failed" run1.txt || { cat run1.txt err1.txt; echo "no job report"; exit 1; }
grep -q "^conversions: [1-9][0-9]* orders worth" run1.txt || { echo "no conversions"; exit 1; }

"$qrscene" demo --users 400 --seed 7 --dir again >run2.txt 2>/dev/null
diff <(grep -E "permanent|temporary" run1.txt) <(grep -E "permanent|temporary" run2.txt) || { echo "same seed, other table"; exit 1; }

if "$qrscene" demo --users 0 >bad.txt 2>&1; then echo "--users 0 was accepted"; exit 1; fi
echo "all checks passed"
