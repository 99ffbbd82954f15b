#!/usr/bin/env bash
# Compare exauth's .evtx evidence reader with the evtx crate's own `evtx_dump -o jsonl`
# on the same files and thread count. Both write to /dev/null; one process per file
# for both, repeated REPEAT times. Prints MB/s of each and the ratio.
#
# Usage: benches/evtx_vs_evtx_dump.sh [THREADS] [REPEAT]   (defaults: 1, 5)
# Files: every *.evtx in $EXAUTH_CORPUS.
# evtx_dump: `cargo install evtx --locked` (puts it in ~/.cargo/bin); skipped if absent.
set -euo pipefail

threads=${1:-1}
repeat=${2:-5}
corpus=${EXAUTH_CORPUS:-}
if [[ -z "$corpus" || ! -d "$corpus" ]]; then
    echo "skipped: set EXAUTH_CORPUS to a folder of .evtx files" >&2
    exit 0
fi
shopt -s nullglob
files=("$corpus"/*.evtx)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "skipped: no .evtx files in $corpus" >&2
    exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --quiet --release -p exauth-parsers --example evtx_extract --manifest-path "$root/Cargo.toml"
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
ours="$target_dir/release/examples/evtx_extract"

bytes=0
for f in "${files[@]}"; do bytes=$((bytes + $(stat -c %s "$f"))); done

# run_timed NAME CMD...: run CMD on every file REPEAT times; print seconds.
run_timed() {
    local start end
    shift
    start=$(date +%s.%N)
    for ((i = 0; i < repeat; i++)); do
        for f in "${files[@]}"; do
            "$@" "$f" >/dev/null 2>&1 || true
        done
    done
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }'
}

mbps() { awk -v b="$bytes" -v r="$repeat" -v t="$1" 'BEGIN { printf "%.1f", b * r / t / 1e6 }'; }

echo "files: ${#files[@]} ($bytes bytes) x $repeat runs, threads: $threads"
t_ours=$(run_timed ours "$ours" -t "$threads")
echo "exauth evtx_extract: $(mbps "$t_ours") MB/s (${t_ours} s)"

dump=$(command -v evtx_dump || true)
if [[ -z "$dump" && -x "$HOME/.cargo/bin/evtx_dump" ]]; then dump="$HOME/.cargo/bin/evtx_dump"; fi
if [[ -z "$dump" ]]; then
    echo "evtx_dump: not found, skipped (install it with: cargo install evtx --locked)"
    exit 0
fi
t_dump=$(run_timed dump "$dump" -t "$threads" -o jsonl)
echo "evtx_dump -o jsonl:  $(mbps "$t_dump") MB/s (${t_dump} s)"
awk -v a="$t_dump" -v b="$t_ours" 'BEGIN { printf "ratio (exauth / evtx_dump throughput): %.2fx\n", a / b }'
