#!/usr/bin/env bash
# Peak memory of `exauth scan` (profiling build: release with line tables) on generated collections of
# growing size: it must stay under 500 MB and not grow with the input.
#
#   benches/memory.sh [SIZE...]          (default: 1G 4G; suffixes M, G)
#
# Each collection is `exauth synth --scenario clock-skew --servers 4 --size SIZE`
# in ./bench-data/memory/SIZE (gitignored; reused while it exists). Prints per
# size: bytes on disk, wall time, MB/s, peak RSS (`/usr/bin/time -v`), verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(1G 4G)
THREADS=${THREADS:-$(nproc)}
DATA=./bench-data/memory

[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
cargo build --profile profiling --quiet --no-default-features
EXAUTH=target/profiling/exauth

printf '%-6s %10s %9s %8s %12s  %s\n' size bytes seconds MB/s "peak RSS MB" verdict
for size in "${SIZES[@]}"; do
    dir="$DATA/$size"
    if [ ! -f "$dir/expected.json" ]; then
        rm -rf "$dir"
        "$EXAUTH" -q synth --scenario clock-skew --servers 4 --size "$size" --out "$dir"
    fi
    bytes=$(du -sb "$dir" | cut -f1)
    # Warm the page cache: measure exauth, not the disk.
    find "$dir" -type f -print0 | xargs -0 cat > /dev/null
    /usr/bin/time -v -o /tmp/exauth_memory.time \
        "$EXAUTH" -q --threads "$THREADS" scan --format json "$dir" > /tmp/exauth_memory.json || true
    secs=$(grep 'Elapsed (wall clock)' /tmp/exauth_memory.time | awk '{print $NF}' |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss_kb=$(grep 'Maximum resident set size' /tmp/exauth_memory.time | awk '{print $NF}')
    verdict=$(grep -o '"primary_cause": *"[a-z-]*"' /tmp/exauth_memory.json | head -1 | cut -d'"' -f4)
    printf '%-6s %10s %9.1f %8.0f %12.1f  %s\n' "$size" "$bytes" "$secs" \
        "$(echo "$bytes / 1000000 / $secs" | bc -l)" "$(echo "$rss_kb / 1024" | bc -l)" "$verdict"
done
echo "($(nproc) cores, $THREADS threads, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F))"
