#!/usr/bin/env bash
# HTTP load test with wrk (Debian package `wrk`) against a release `rapport serve` on the seeded
# demo database (SQLite): the public survey page, the submission API and the manager's
# dashboards (insights overview and a journey map). Prints a Markdown table of requests/s,
# p50 and p99 per endpoint, and the server's resident memory (VmRSS now, VmHWM peak).
#
#   scripts/load-test.sh                                  # 20 s per endpoint, 32 connections
#   DURATION=60 CONNS=64 RESPONSES=20000 scripts/load-test.sh
#   DATABASE_URL=sqlite:///path/kept.db EMAIL=… PASSWORD=… scripts/load-test.sh   # an existing database
#
# wrk and the server share the machine; figures are for both on it (see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-20}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
RESPONSES="${RESPONSES:-20000}"
target="${CARGO_TARGET_DIR:-target}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

cargo build -q --release -p rapport-cli --bin rapport
bin="$target/release/rapport"

work=$(mktemp -d -t rapport-load-XXXXXX)
server_pid=""
cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${DATABASE_URL:-}" ]]; then
    echo "== seeding the demo ($RESPONSES responses)" >&2
    "$bin" demo --seed-only --data-dir "$work" --responses "$RESPONSES" >"$work/seed.log" 2>&1 ||
        { cat "$work/seed.log" >&2; exit 1; }
    DATABASE_URL="sqlite://$work/rapport.db"
    EMAIL=manager@demo.test
    PASSWORD=rapport-demo
    TOKEN_EMAIL=admin@demo.test
fi
TOKEN_EMAIL="${TOKEN_EMAIL:-$EMAIL}"
token=$("$bin" token create --database-url "$DATABASE_URL" --email "$TOKEN_EMAIL" --name load-test |
    grep -o 'rpt_[A-Za-z0-9_]*' | head -n1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# One client address sends everything: the per-IP limit on public pages would measure itself.
RAPPORT_PUBLIC_RATE_LIMIT=0 RAPPORT_LOG=warn "$bin" serve --database-url "$DATABASE_URL" \
    --addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done

# A published survey, its public link and a valid answer set for the submission API.
curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/surveys" >"$work/surveys.json"
python3 - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
doc = json.load(open(f"{work}/surveys.json"))
items = doc["items"] if isinstance(doc, dict) else doc
survey = next(s for s in items if s.get("status") == "published")
answers = {}
for q in survey["definition"]["questions"]:
    kind, key = q["type"], q["key"]
    if kind == "nps":
        answers[key] = 9
    elif kind in ("csat", "ces"):
        answers[key] = 4
    elif kind == "rating":
        answers[key] = q["max"]
    elif kind == "single_choice":
        answers[key] = q["options"][0]["key"]
    elif kind == "multiple_choice":
        answers[key] = [q["options"][0]["key"]]
    elif kind == "expectation_pair":
        answers[key] = {"expectation": 5, "experience": 6}
    elif kind == "free_text":
        answers[key] = "The agent listened and fixed it on the first call, thank you."
body = json.dumps({"answers": answers, "locale": "en"})
open(f"{work}/survey", "w").write(f"{survey['id']} {survey['public_id']}\n")
open(f"{work}/submit.lua", "w").write(
    'wrk.method = "POST"\n'
    f"wrk.body = {json.dumps(body)}\n"
    'wrk.headers["Content-Type"] = "application/json"\n'
)
EOF
read -r survey_id public_id <"$work/survey"

# A signed-in manager's session cookie, through the real login form.
curl -fsS -c "$work/jar" "$base/login" >"$work/login.html"
csrf=$(grep -o 'name="csrf" value="[^"]*"' "$work/login.html" | head -n1 | sed 's/.*value="//; s/"$//')
curl -fsS -b "$work/jar" -c "$work/jar" -o /dev/null \
    --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "csrf=$csrf" "$base/login"
session=$(awk '$6 == "rapport_session" { print $7 }' "$work/jar")
[[ -n "$session" ]] || { echo "login failed" >&2; exit 1; }
journey=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/journeys" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); d=d["items"] if isinstance(d,dict) else d; print(d[0]["id"])')

rss() { awk '/^VmRSS|^VmHWM/ { printf "%s %d MB  ", $1, $2/1024 }' "/proc/$server_pid/status"; }

run() {
    local name=$1
    shift
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 30s --latency "$@" >"$work/wrk.out" 2>&1
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/wrk.out")
    p50=$(awk '$1 == "50%" { print $2 }' "$work/wrk.out")
    p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk.out")
    errors=$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$work/wrk.out")
    local timeouts
    timeouts=$(grep -o 'timeout [0-9]*' "$work/wrk.out" | awk '{ print $2 }' || true)
    [[ -n "$timeouts" && "$timeouts" != 0 ]] && errors="${errors:-0} (+$timeouts timed out)"
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}" "$(rss)"
}

echo "== wrk: ${DURATION}s per endpoint, $CONNS connections, $THREADS threads; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "| endpoint | requests/s | p50 | p99 | non-2xx | server memory after |"
echo "|---|---|---|---|---|---|"
echo "| (idle, before) | | | | | $(rss) |"
run "GET /s/{public_id} (survey page)" "$base/s/$public_id"
run "POST /api/v1/surveys/{id}/responses" -s "$work/submit.lua" \
    -H "Authorization: Bearer $token" "$base/api/v1/surveys/$survey_id/responses"
run "GET /insights (dashboard)" -H "Cookie: rapport_session=$session" "$base/insights"
run "GET /insights/journeys/{id} (journey map)" -H "Cookie: rapport_session=$session" \
    "$base/insights/journeys/$journey"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
