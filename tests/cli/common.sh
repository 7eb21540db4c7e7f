# Helpers the CLI tests source: fail, wait_for, and start_sim (sets $sim and adds its pid to $pids).
# With pipefail, `cmd | grep -q x` fails when grep exits at its first match and cmd is then
# killed by SIGPIPE (seen with xlsx2csv): the scripts write `cmd | grep x >/dev/null` instead.
fail() { echo "FAIL: $*" >&2; exit 1; }
wait_for() {  # wait_for FILE PATTERN
  for _ in $(seq 100); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  fail "$1 never said '$2': $(cat "$1")"
}
start_sim() {  # start_sim QRSCENE SEED WORKDIR
  "$1" sim --port 0 --seed "$2" >"$3/sim.out" 2>&1 &
  pids+=($!)
  wait_for "$3/sim.out" "on http://"
  sim=$(grep -o 'http://127.0.0.1:[0-9]*' "$3/sim.out" | head -1)
}
