#!/usr/bin/env bash
# qrscene migrate against a new SQLite file and a new PostgreSQL database: the first run creates
# the schema and lists each migration, a second changes nothing, --check tells current from behind,
# serve with auto_migrate = false refuses a schema that is behind, and a database newer than the
# binary is refused.
#   migrate.sh QRSCENE POSTGRES_URL_FILE
set -euo pipefail
qrscene=$1
pg_admin=$(cat "$2")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
work=$(mktemp -d)
db=qrscene_migrate_$$
psql_() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$pg_admin" "$@"; }
cleanup() { psql_ -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
psql_ -c "CREATE DATABASE $db" >/dev/null

newest=$(grep -o '{[0-9]*, "' "$here/../../src/store/migrations.cpp" | tr -dc '0-9\n' | sort -n | tail -1)
[[ -n "$newest" ]] || fail "cannot read the newest migration from src/store/migrations.cpp"

account='[[accounts]]
appid = "wxmigrate0000001"
token = "migratetoken"'
printf '[store]\npath = "%s/q.db"\n\n%s\n' "$work" "$account" >"$work/sqlite.toml"
printf '[store]\nbackend = "postgres"\nurl = "%s dbname=%s"\n\n%s\n' "$pg_admin" "$db" "$account" >"$work/pg.toml"

for kind in sqlite pg; do
  cfg=$work/$kind.toml
  "$qrscene" migrate --config "$cfg" --check >"$work/out" 2>&1 && fail "$kind: --check passed on an empty store"
  grep -q "run 'qrscene migrate' first" "$work/out" || fail "$kind: --check did not say what to do: $(cat "$work/out")"
  "$qrscene" migrate --config "$cfg" >"$work/out" 2>&1 || fail "$kind: migrate failed: $(cat "$work/out")"
  grep -q "schema version 0 → $newest" "$work/out" || fail "$kind: migrate did not report 0 → $newest: $(cat "$work/out")"
  grep -q "dedup keys in time order" "$work/out" || fail "$kind: migrate did not list the migrations: $(cat "$work/out")"
  "$qrscene" migrate --config "$cfg" >"$work/out" 2>&1 || fail "$kind: second migrate failed"
  grep -q "schema version $newest, already current" "$work/out" || fail "$kind: second run: $(cat "$work/out")"
  "$qrscene" migrate --config "$cfg" --check >"$work/out" 2>&1 || fail "$kind: --check failed after migrating"
done
# The PostgreSQL schema really is there: the tables the store writes.
tables=$(psql_ -d "$pg_admin dbname=$db" -c "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
(( tables >= 13 )) || fail "postgres: $tables tables after migrating"
echo "postgres: $tables tables"

# Behind: serve with auto_migrate = false refuses to start and says what to run.
psql_ -d "$pg_admin dbname=$db" -c "DELETE FROM schema_migrations WHERE version = $newest" >/dev/null
sed -i 's/^backend = "postgres"/backend = "postgres"\nauto_migrate = false/' "$work/pg.toml"
if "$qrscene" serve --config "$work/pg.toml" --port 0 >"$work/out" 2>&1; then fail "serve started on a schema behind"; fi
grep -q "run 'qrscene migrate' first" "$work/out" || fail "serve did not say what to do: $(cat "$work/out")"
grep -q "password" "$work/out" && fail "a connection string detail leaked: $(cat "$work/out")"

# Newer than this binary: refused, with the advice to upgrade.
psql_ -d "$pg_admin dbname=$db" -c "INSERT INTO schema_migrations VALUES ($newest, 'x', 0), (999, 'future', 0)" >/dev/null
if "$qrscene" migrate --config "$work/pg.toml" >"$work/out" 2>&1; then fail "migrate accepted a newer schema"; fi
grep -q "newer than this qrscene knows" "$work/out" || fail "newer schema: $(cat "$work/out")"

# A server that is not there: a clear error, exit 2.
printf '[store]\nbackend = "postgres"\nurl = "host=127.0.0.1 port=1 user=nobody dbname=none connect_timeout=2"\n\n%s\n' \
  "$account" >"$work/down.toml"
set +e; "$qrscene" migrate --config "$work/down.toml" >"$work/out" 2>&1; rc=$?; set -e
[[ $rc == 2 ]] || fail "unreachable server: exit $rc"
grep -q "is the server running" "$work/out" || fail "unreachable server: $(cat "$work/out")"
echo "migrate: all checks passed"
