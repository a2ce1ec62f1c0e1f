#!/usr/bin/env bash
# API schema against the implementation: schemathesis (PyPI) generates requests from
# /api/openapi.json — valid ones and deliberately broken ones — and fails the run on any 5xx.
# The server runs on a small seeded demo database (SQLite), with an admin's API token, so
# generated ids often hit real rows and the handlers behind them are exercised too.
#
#   scripts/schemathesis.sh                      # debug build, 25 examples per operation
#   MAX_EXAMPLES=200 PROFILE=release scripts/schemathesis.sh
#
# Needs python3 with pip; installs schemathesis into a virtualenv under the target dir.
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES="${MAX_EXAMPLES:-25}"
PROFILE="${PROFILE:-debug}"
SEED="${SEED:-20261126}"
SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
target="${CARGO_TARGET_DIR:-target}"
flags=()
[[ "$PROFILE" == release ]] && flags+=(--release)

venv="$target/schemathesis-venv"
if [[ ! -x "$venv/bin/schemathesis" ]]; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build -q "${flags[@]}" -p rapport-cli --bin rapport
bin="$target/$PROFILE/rapport"

work=$(mktemp -d -t rapport-schemathesis-XXXXXX)
server_pid=""
cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "== seeding a small demo database" >&2
"$bin" demo --seed-only --data-dir "$work" --customers 60 --responses 400 >"$work/seed.log" 2>&1 ||
    { cat "$work/seed.log" >&2; exit 1; }
db="sqlite://$work/rapport.db"
token=$("$bin" token create --database-url "$db" --email admin@demo.test --name schemathesis |
    grep -o 'rpt_[A-Za-z0-9_]*' | head -n1)
[[ -n "$token" ]] || { echo "could not create an API token" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RAPPORT_LOG=warn "$bin" serve --database-url "$db" --addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done

echo "== schemathesis: $MAX_EXAMPLES examples per operation, seed $SEED" >&2
status=0
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 2 \
    --request-timeout 30 \
    --suppress-health-check all \
    --no-shrink \
    --report junit --report-dir "$work/report" || status=$?

if ((status != 0)); then
    echo "-- server errors logged during the run:" >&2
    grep -iE 'error|panic' "$work/server.log" | tail -n 40 >&2 || true
fi
exit "$status"
