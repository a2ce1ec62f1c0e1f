#!/usr/bin/env bash
# Crash test: N survey responses over HTTP while `rapport serve` is killed with SIGKILL
# KILLS times and restarted; every acknowledged response must be stored exactly once.
# Runs on SQLite (a fresh data dir), and on PostgreSQL too when RAPPORT_TEST_DATABASE_URL names
# a server (in a database created for the run and dropped after it).
#
#   scripts/crash-test.sh                    # N=3000 KILLS=5, debug build
#   N=50000 PROFILE=release scripts/crash-test.sh
#
# Prints one JSON summary line per backend (figures in docs/benchmarks.md, "Durability").
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-3000}"
KILLS="${KILLS:-5}"
PROFILE="${PROFILE:-debug}"
CONCURRENCY="${CONCURRENCY:-16}"
target="${CARGO_TARGET_DIR:-target}"
flags=()
[[ "$PROFILE" == release ]] && flags+=(--release)

cargo build -q "${flags[@]}" -p rapport-cli --bin rapport --example crash_load
bin="$target/$PROFILE"

work=$(mktemp -d -t rapport-crash-XXXXXX)
trap 'rm -rf "$work"' EXIT

run() {
    local backend=$1
    shift
    echo "== crash test on $backend: N=$N, KILLS=$KILLS ($PROFILE build)" >&2
    if ! "$bin/examples/crash_load" --rapport "$bin/rapport" --n "$N" --kills "$KILLS" \
        --concurrency "$CONCURRENCY" --log "$work/$backend.log" "$@"; then
        echo "-- last server log lines ($backend):" >&2
        tail -n 40 "$work/$backend.log" >&2 || true
        return 1
    fi
}

run sqlite --database-url "sqlite://$work/rapport.db"
if [[ -n "${RAPPORT_TEST_DATABASE_URL:-}" ]]; then
    run postgres --database-url "$RAPPORT_TEST_DATABASE_URL" --fresh-postgres
else
    echo "skipping PostgreSQL: RAPPORT_TEST_DATABASE_URL is not set" >&2
fi
