#!/usr/bin/env bash
# Throughput of the SMTP protocol-log parser (full parse + session reassembly) next to
# `rg -c '454 4\.7\.0'` (memory-mapped, and with --no-mmap: the parser reads through read(2), as
# `#![forbid(unsafe_code)]` leaves it no mmap) and `cat > /dev/null` over the same generated log set.
# Ends with the parser's throughput as a share of one-thread ripgrep's.
#
# Usage: benches/smtp_log_vs_ripgrep.sh [size-mb=1024]
# Data goes to ./bench-data/smtp_log (gitignored) and is reused while its size matches.
set -euo pipefail
SIZE_MB="${1:-1024}"
cd "$(dirname "$0")/.."
DATA=./bench-data/smtp_log

if ! command -v rg >/dev/null; then
    apt-get install -y ripgrep >/dev/null || { echo "ripgrep missing (apt-get install ripgrep)"; exit 1; }
fi
cargo build --profile profiling -q -p exauth-parsers --example smtp_log_gen --example smtp_log_parse
GEN=target/profiling/examples/smtp_log_gen
PARSE=target/profiling/examples/smtp_log_parse

if [ ! -f "$DATA/.size-$SIZE_MB" ]; then
    rm -rf "$DATA"
    "$GEN" "$DATA" "$SIZE_MB"
    touch "$DATA/.size-$SIZE_MB"
fi
BYTES=$(find "$DATA" -name '*.LOG' -printf '%s\n' | awk '{s+=$1} END {printf "%d\n", s}')
FILES=$(find "$DATA" -name '*.LOG' | wc -l)
echo "data: $FILES files, $((BYTES / 1000000)) MB in $DATA; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm the page cache so every tool reads from memory.
find "$DATA" -name '*.LOG' -print0 | xargs -0 cat > /dev/null

# measure <key> <label> <command...>: wall time (best of 3), MB/s and peak RSS; best time in BEST_<key>.
measure() {
    local key="$1"; shift
    local label="$1"; shift
    local best="" rss=0
    for _ in 1 2 3; do
        local t0 t1 secs
        t0=$(date +%s.%N)
        /usr/bin/time -v -o /tmp/smtp_log_bench.time "$@" > /tmp/smtp_log_bench.out
        t1=$(date +%s.%N)
        secs=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc -l)" = 1 ]; then best=$secs; fi
        local r
        r=$(awk -F': ' '/Maximum resident set size/ {print $2}' /tmp/smtp_log_bench.time)
        [ "$r" -gt "$rss" ] && rss=$r
    done
    printf '%-40s %8.3f s %9.1f MB/s  peak RSS %7.1f MB\n' "$label" "$best" \
        "$(echo "$BYTES / 1000000 / $best" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
    printf -v "BEST_$key" '%s' "$best"
}

measure cat "cat > /dev/null" sh -c "find '$DATA' -name '*.LOG' -print0 | xargs -0 cat > /dev/null"
measure rg1 "rg -j1 -c '454 4\\.7\\.0'" rg -j1 -c '454 4\.7\.0' "$DATA"
measure rg1nommap "rg --no-mmap -j1 -c '454 4\\.7\\.0'" rg --no-mmap -j1 -c '454 4\.7\.0' "$DATA"
measure rgall "rg -c '454 4\\.7\\.0' (all threads)" rg -c '454 4\.7\.0' "$DATA"
measure parse1 "smtp_log parse+reassembly, 1 thread" "$PARSE" --threads 1 "$DATA"
echo "  $(cat /tmp/smtp_log_bench.out)"
measure parse2 "smtp_log parse+reassembly, 2 threads" "$PARSE" --threads 2 "$DATA"
echo "  $(cat /tmp/smtp_log_bench.out)"
# share <parse-time> <rg-time>: the parser's throughput as a percentage of ripgrep's.
share() { echo "$2 / $1 * 100" | bc -l | xargs printf '%.1f%%'; }
echo "parser 1 thread:  $(share "$BEST_parse1" "$BEST_rg1") of rg -j1 (mmap), $(share "$BEST_parse1" "$BEST_rg1nommap") of rg -j1 --no-mmap"
echo "parser 2 threads: $(share "$BEST_parse2" "$BEST_rg1") of rg -j1 (mmap), $(share "$BEST_parse2" "$BEST_rg1nommap") of rg -j1 --no-mmap"
