#!/usr/bin/env bash
# Short cargo-fuzz run of every parser target (see fuzz/README.md); fails on the first crash.
#   scripts/fuzz-smoke.sh                 # 20,000 runs per target
#   RUNS=200000 scripts/fuzz-smoke.sh csv_import
#   SANITIZER=none scripts/fuzz-smoke.sh  # CI: no AddressSanitizer (the parsers are safe Rust;
#                                         # a panic is still a crash), a build minutes shorter
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); a stable toolchain works through
# RUSTC_BOOTSTRAP=1 (the sanitizer flags are nightly-only).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
RUNS="${RUNS:-20000}"
MAX_LEN="${MAX_LEN:-4096}"
SANITIZER="${SANITIZER:-address}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 1
fi
targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build --sanitizer "$SANITIZER"
for t in "${targets[@]}"; do
    corpus=$(mktemp -d)
    echo "== fuzz $t ($RUNS runs)"
    # A scratch corpus: the smoke run must not grow the committed seeds.
    if ! cargo fuzz run --sanitizer "$SANITIZER" "$t" "$corpus" "seeds/$t" -- -runs="$RUNS" -max_len="$MAX_LEN" 2>"$corpus.log"; then
        tail -40 "$corpus.log" >&2
        echo "fuzz $t: crash; the input is in fuzz/artifacts/$t/" >&2
        rm -rf "$corpus" "$corpus.log"
        exit 1
    fi
    grep -E '^Done ' "$corpus.log" || true
    rm -rf "$corpus" "$corpus.log"
done
