#!/usr/bin/env bash
# Run every fuzz target for a bounded time: ./run.sh [seconds per target, default 20].
#
# Builds the targets once (`cargo +nightly fuzz build`, installing cargo-fuzz if missing),
# replays the kept crash inputs of regressions/<target>/, then fuzzes each target for the
# given time from its seed corpus (corpus/<target>/, never written to: new inputs go to a
# scratch copy). Exits non-zero when any target crashes; crash inputs are left in
# artifacts/<target>/ (keep each as a regression: regressions/<target>/ and
# tests/tests/fuzz_regressions.rs).
set -euo pipefail

secs="${1:-20}"
cd "$(dirname "$0")"

# cargo-fuzz needs nightly compiler flags. Use the nightly toolchain when this machine has one;
# otherwise let the installed stable compiler accept them (RUSTC_BOOTSTRAP), since no other
# toolchain can be downloaded here.
if cargo +nightly --version >/dev/null 2>&1; then
    fuzz() { cargo +nightly fuzz "$@"; }
else
    echo "fuzz: no nightly toolchain; using the stable one with RUSTC_BOOTSTRAP=1" >&2
    fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

targets=$(fuzz list)
start=$(date +%s)
fuzz build
echo "fuzz: built in $(( $(date +%s) - start )) s" >&2

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=()
for t in $targets; do
    # Crash inputs kept from earlier runs must stay fixed.
    if [ -d "regressions/$t" ] && [ -n "$(ls -A "regressions/$t")" ]; then
        if ! fuzz run "$t" regressions/"$t"/* -- -runs=1 >"$work/$t.regress.log" 2>&1; then
            tail -n 40 "$work/$t.regress.log" >&2
            failed+=("$t (regression)")
            continue
        fi
    fi
    mkdir -p "$work/$t" "artifacts/$t"
    echo "fuzz: $t for ${secs} s" >&2
    if ! fuzz run "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$work/$t.log" 2>&1; then
        tail -n 60 "$work/$t.log" >&2
        failed+=("$t")
    else
        grep -E '^(stat::number_of_executed_units|Done )' "$work/$t.log" >&2 || true
    fi
done

echo "fuzz: finished in $(( $(date +%s) - start )) s" >&2
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: crashed: ${failed[*]} (inputs in $(pwd)/artifacts/)" >&2
    exit 1
fi
echo "fuzz: no crash" >&2
