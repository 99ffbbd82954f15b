#!/usr/bin/env bash
# Compare exauth's .evtx evidence reader with the evtx crate's own `evtx_dump -o jsonl`
# on the same files and thread counts. Both write to /dev/null; one process per file
# for both, repeated REPEAT times. Prints MB/s and records/s of each over wall-clock
# time, the CPU seconds (user + system) they used, and both ratios: on a shared machine
# the CPU ratio is the one to trust.
#
# Usage: benches/evtx_vs_evtx_dump.sh [--generate[=MB]] [THREADS] [REPEAT]
#   THREADS  a count or a comma list (default 1; with --generate 1,2)
#   REPEAT   runs over the files per measurement (default 5; with --generate 3)
# Files: every *.evtx in $EXAUTH_CORPUS; with --generate instead a domain controller
# Security log of MB megabytes (default 200: 4624/4634/4672/4769 noise, a few catalogued
# failures) written once by examples/evtx_gen.rs to bench-data/ (gitignored) and reused.
# evtx_dump: `cargo install evtx --locked` (puts it in ~/.cargo/bin); skipped if absent.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
generate=
case "${1:-}" in
    --generate) generate=200; shift ;;
    --generate=*) generate=${1#--generate=}; shift ;;
esac
if [[ -n "$generate" ]]; then
    threads_list=${1:-1,2}
    repeat=${2:-3}
else
    threads_list=${1:-1}
    repeat=${2:-5}
fi

cargo build --quiet --profile profiling -p exauth-parsers --example evtx_extract --example evtx_gen \
    --manifest-path "$root/Cargo.toml"
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
ours="$target_dir/profiling/examples/evtx_extract"

shopt -s nullglob
if [[ -n "$generate" ]]; then
    mkdir -p "$root/bench-data"
    generated="$root/bench-data/dc_security_${generate}MB.evtx"
    if [[ ! -s "$generated" ]]; then
        "$target_dir/profiling/examples/evtx_gen" "$generated" "$generate"
    fi
    files=("$generated")
else
    corpus=${EXAUTH_CORPUS:-}
    if [[ -z "$corpus" || ! -d "$corpus" ]]; then
        echo "skipped: set EXAUTH_CORPUS to a folder of .evtx files, or pass --generate" >&2
        exit 0
    fi
    files=("$corpus"/*.evtx)
    if [[ ${#files[@]} -eq 0 ]]; then
        echo "skipped: no .evtx files in $corpus" >&2
        exit 0
    fi
fi

bytes=0
for f in "${files[@]}"; do bytes=$((bytes + $(stat -c %s "$f"))); done
# Records (all of them, as evtx_dump prints them) from the reader's own summary line.
records=$("$ours" "${files[@]}" 2>&1 >/dev/null \
    | sed -n 's/^.*: \([0-9]*\) records, .*$/\1/p' | awk '{ n += $1 } END { print n + 0 }')

# run_timed CMD...: run CMD on every file REPEAT times; print "wall cpu" seconds (cpu =
# user + system time of the runs).
run_timed() {
    local TIMEFORMAT='%R %U %S'
    local timing
    timing=$( { time (
        for ((i = 0; i < repeat; i++)); do
            for f in "${files[@]}"; do
                "$@" "$f" >/dev/null 2>&1 || true
            done
        done
    ); } 2>&1 )
    awk '{ printf "%.4f %.4f", $1, $2 + $3 }' <<<"$timing"
}

rates() {
    awk -v b="$bytes" -v n="$records" -v r="$repeat" -v t="$1" -v c="$2" \
        'BEGIN { printf "%7.1f MB/s %10.0f records/s (%.2f s wall, %.2f s CPU: %.1f MB per CPU second)", b * r / t / 1e6, n * r / t, t, c, b * r / c / 1e6 }'
}

dump=$(command -v evtx_dump || true)
if [[ -z "$dump" && -x "$HOME/.cargo/bin/evtx_dump" ]]; then dump="$HOME/.cargo/bin/evtx_dump"; fi

echo "files: ${#files[@]} ($bytes bytes, $records records) x $repeat runs"
IFS=, read -r -a thread_counts <<<"$threads_list"
for threads in "${thread_counts[@]}"; do
    read -r t_ours c_ours <<<"$(run_timed "$ours" -t "$threads")"
    echo "threads $threads  exauth evtx_extract: $(rates "$t_ours" "$c_ours")"
    if [[ -z "$dump" ]]; then
        echo "threads $threads  evtx_dump: not found, skipped (install it with: cargo install evtx --locked)"
        continue
    fi
    read -r t_dump c_dump <<<"$(run_timed "$dump" -t "$threads" -o jsonl)"
    echo "threads $threads  evtx_dump -o jsonl:  $(rates "$t_dump" "$c_dump")"
    awk -v a="$t_dump" -v b="$t_ours" -v ca="$c_dump" -v cb="$c_ours" -v t="$threads" \
        'BEGIN { printf "threads %s  ratio (exauth / evtx_dump): %.2fx wall-clock throughput, %.2fx per CPU second\n", t, a / b, ca / cb }'
done
