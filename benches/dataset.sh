#!/usr/bin/env bash
# Issue 15's figure: the evidence dataset of a many-server collection, written one server at a
# time as a fleet would (one `extract --format parquet` job per server folder, JOBS at once, all
# into one ROOT), then `scan --evidence ROOT` and, beside it, `scan` of the raw collection:
# peak RSS and wall time of each, the dataset's size and file count, and whether the two scans
# give the same verdict and the same failing pairs.
#
#   benches/dataset.sh [COLLECTION]
#
# COLLECTION: a flat collection, one folder per server (default: the 100-server one of
# benches/collection.sh, ./bench-data/collection/clock-skew-100servers-10G-flat, generated with
# `exauth synth --scenario clock-skew --servers 100 --size 10G --layout flat` when absent).
# Environment: JOBS (2) concurrent extract jobs. The dataset goes to ./bench-data/dataset/ROOT
# (gitignored), replaced on every run. Builds the `profiling` profile with default features
# (polars: the dataset needs it).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
COLLECTION=${1:-./bench-data/collection/clock-skew-100servers-10G-flat}
OUT=./bench-data/dataset
ROOT=$OUT/ROOT
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null

cargo build --profile profiling --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
EXAUTH=$target_dir/profiling/exauth
if [ ! -d "$COLLECTION" ]; then
    echo "generating $COLLECTION" >&2
    "$EXAUTH" synth --scenario clock-skew --servers 100 --size 10G --layout flat -o "$COLLECTION" >/dev/null
fi
rm -rf "$ROOT" && mkdir -p "$OUT"
find "$COLLECTION" -type f -print0 | xargs -0 cat >/dev/null # page cache warm

servers=$(find "$COLLECTION" -mindepth 1 -maxdepth 1 -type d | wc -l)
start=$(date +%s.%N)
find "$COLLECTION" -mindepth 1 -maxdepth 1 -type d -print0 |
    xargs -0 -P "$JOBS" -I{} /usr/bin/time -f '%M' -a -o "$OUT/extract-rss" \
        "$EXAUTH" extract -q --format parquet -o "$ROOT" {}
extract_s=$(echo "$(date +%s.%N) - $start" | bc -l)
extract_rss=$(sort -n "$OUT/extract-rss" | tail -1)
rm -f "$OUT/extract-rss"
files=$(find "$ROOT" -name '*.parquet' | wc -l)
size=$(du -sm "$ROOT" | cut -f1)

measure() { # label, args...: wall s and peak KB into $OUT/<label>.time, JSON into <label>.json
    local label=$1
    shift
    /usr/bin/time -f '%e %M' -o "$OUT/$label.time" "$EXAUTH" scan -q --format json "$@" \
        >"$OUT/$label.json" || true # exit 1: failure evidence found
}
measure evidence --evidence "$ROOT"
measure raw "$COLLECTION"
# The last line: `time` writes "Command exited with non-zero status 1" first when scan exits 1.
read -r ev_s ev_kb < <(tail -1 "$OUT/evidence.time")
read -r raw_s raw_kb < <(tail -1 "$OUT/raw.time")
same=$(python3 - "$OUT/evidence.json" "$OUT/raw.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda r: (r["verdict"]["primary_cause"],
                 sorted((p["sender"], p["receiver"], p.get("failures")) for p in r["pairs"]))
print("same verdict and pairs" if key(a) == key(b) else "DIFFERENT verdict or pairs",
      f'({a["verdict"]["primary_cause"]}, {len(a["pairs"])} pairs)')
EOF
)
printf '%s: %d server folders, %d extract jobs at a time\n' "$COLLECTION" "$servers" "$JOBS"
printf '  extract --format parquet   %8.1f s in all, each job <= %d MB peak RSS; dataset %d MB in %d files\n' \
    "$extract_s" $((extract_rss / 1024)) "$size" "$files"
printf '  scan --evidence ROOT       %8.2f s   %6d MB peak RSS (target <= 256 MB)\n' "$ev_s" $((ev_kb / 1024))
printf '  scan (raw collection)      %8.2f s   %6d MB peak RSS\n' "$raw_s" $((raw_kb / 1024))
printf '  %s\n' "$same"
printf 'machine: %s cores, load %s, %s, exauth %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(date -u '+%F %H:%M UTC')" "$(git rev-parse --short HEAD)"
