#!/usr/bin/env bash
# Peak memory and wall time of the sinks (issue 12), before and after:
#   * `exauth extract --format jsonl` of a generated ~1 GB domain controller Security log
#     (`.evtx` on disk);
#   * `exauth scan --format json` of the same log, and of a generated 200 MB `.evtx`
#     inside a zip;
#   * `exauth extract --format jsonl` of a generated collection of protocol logs, event
#     logs and command outputs (`exauth synth --scenario clock-skew --servers 4 --size
#     COLLECTION`, default 1G).
# Both binaries are release builds of this tree and of BEFORE_REV; their outputs must be
# byte-identical (checked with cmp).
#
#   benches/extract_memory.sh [EVTX_MB=1024] [ZIP_MB=200]
#
# Environment:
#   BEFORE_REV  the revision to compare with (default: the merge base of HEAD and main)
#   REPEAT      runs per measurement (default 3): the median wall time and the largest
#               peak RSS are shown
#   THREADS     --threads (default: all cores)
#   TABLES=1    also `extract --format csv` (builds polars both times: slow)
#   COLLECTION  size of the generated collection (suffix M or G; default 1G)
#
# Files go to ./bench-data/extract-memory (gitignored) and are reused while they exist,
# the before binary too (bench-data/extract-memory/exauth-<rev>). The logs are written by
# parsers/examples/evtx_gen.rs (4624/4634/4672/4769 noise, successful computer-account
# 4769s kept as events, a catalogued failure in 1,500 records). Peak RSS is
# `/usr/bin/time`'s maximum resident set size; the page cache is warmed first, so the
# figures are exauth's, not the disk's.
set -euo pipefail
cd "$(dirname "$0")/.."
EVTX_MB=${1:-1024}
ZIP_MB=${2:-200}
REPEAT=${REPEAT:-3}
THREADS=${THREADS:-$(nproc)}
DATA=bench-data/extract-memory
mkdir -p "$DATA"

[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
FEATURES=(--no-default-features)
SUFFIX=
if [ "${TABLES:-}" = 1 ]; then
    FEATURES=()
    SUFFIX=-tables
fi
TARGET=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
export CARGO_TARGET_DIR=$TARGET

# The before binary: BEFORE_REV exported with git archive, built in the same target
# directory (dependencies are shared), kept.
REV=${BEFORE_REV:-$(git merge-base HEAD main)}
REV=$(git rev-parse --short=12 "$REV")
BEFORE=$DATA/exauth-$REV$SUFFIX
if [ ! -x "$BEFORE" ]; then
    src=$DATA/src-$REV
    rm -rf "$src"
    mkdir -p "$src"
    git archive "$REV" | tar -x -C "$src"
    cargo build --release --quiet "${FEATURES[@]}" --manifest-path "$src/Cargo.toml"
    cp "$TARGET/release/exauth" "$BEFORE"
    rm -rf "$src"
fi
cargo build --release --quiet "${FEATURES[@]}"
AFTER=$DATA/exauth-after$SUFFIX
cp "$TARGET/release/exauth" "$AFTER"
cargo build --release --quiet -p exauth-parsers --example evtx_gen

EVTX=$DATA/dc_security_${EVTX_MB}MB.evtx
[ -s "$EVTX" ] || "$TARGET/release/examples/evtx_gen" "$EVTX" "$EVTX_MB"
ZIP=$DATA/DC01-1126-${ZIP_MB}MB.zip
if [ ! -s "$ZIP" ]; then
    inner=$DATA/zip-$ZIP_MB
    mkdir -p "$inner"
    "$TARGET/release/examples/evtx_gen" "$inner/Security.evtx" "$ZIP_MB"
    python3 - "$ZIP" "$inner/Security.evtx" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[2], "Security.evtx")
EOF
    rm -rf "$inner"
fi
COLLECTION=${COLLECTION:-1G}
SYNTH=$DATA/synth-$COLLECTION
if [ ! -f "$SYNTH/expected.json" ]; then
    rm -rf "$SYNTH"
    "$AFTER" -q synth --scenario clock-skew --servers 4 --size "$COLLECTION" --out "$SYNTH"
fi
cat "$EVTX" "$ZIP" >/dev/null
find "$SYNTH" -type f -print0 | xargs -0 cat >/dev/null

# measure LABEL OUT BINARY ARGS...: REPEAT runs; prints the median wall time and the
# largest peak RSS; the output of the last run is left in OUT.
measure() {
    local label=$1 out=$2 bin=$3
    shift 3
    local times=() rss=0
    for ((i = 0; i < REPEAT; i++)); do
        /usr/bin/time -f '%e %M' -o "$DATA/time" "$bin" -q --threads "$THREADS" "$@" >"$out" || true
        read -r t m < <(tail -n 1 "$DATA/time")
        times+=("$t")
        ((m > rss)) && rss=$m
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    printf '%-44s %-20s %9s %12.1f\n' "$label" "$(basename "$bin" | cut -c8-)" "$median" \
        "$(echo "$rss / 1024" | bc -l)"
}

same() {
    if cmp -s "$1" "$2"; then echo "  outputs identical ($(stat -c %s "$1") bytes)"; else echo "  OUTPUTS DIFFER: $1 $2"; fi
}

printf '%-44s %-20s %9s %12s\n' what binary "wall s" "peak RSS MB"
for bin in "$BEFORE" "$AFTER"; do
    measure "extract --format jsonl, $EVTX_MB MB .evtx" "$DATA/$(basename "$bin").jsonl" \
        "$bin" extract --format jsonl "$EVTX"
done
same "$DATA/$(basename "$BEFORE").jsonl" "$DATA/$(basename "$AFTER").jsonl"
for bin in "$BEFORE" "$AFTER"; do
    measure "scan --format json, $EVTX_MB MB .evtx" "$DATA/$(basename "$bin").scan.json" \
        "$bin" scan --format json --generated-at 2026-01-01T00:00:00Z "$EVTX"
done
same "$DATA/$(basename "$BEFORE").scan.json" "$DATA/$(basename "$AFTER").scan.json"
for bin in "$BEFORE" "$AFTER"; do
    measure "scan --format json, $ZIP_MB MB .evtx in a zip" "$DATA/$(basename "$bin").scan.json" \
        "$bin" scan --format json --generated-at 2026-01-01T00:00:00Z "$ZIP"
done
same "$DATA/$(basename "$BEFORE").scan.json" "$DATA/$(basename "$AFTER").scan.json"
for bin in "$BEFORE" "$AFTER"; do
    measure "extract --format jsonl, $(du -sm "$SYNTH" | cut -f1) MB synth collection" \
        "$DATA/$(basename "$bin").jsonl" "$bin" extract --format jsonl "$SYNTH"
done
same "$DATA/$(basename "$BEFORE").jsonl" "$DATA/$(basename "$AFTER").jsonl"
if [ "${TABLES:-}" = 1 ]; then
    for bin in "$BEFORE" "$AFTER"; do
        rm -rf "$DATA/csv-$(basename "$bin")"
        measure "extract --format csv, $EVTX_MB MB .evtx" /dev/null \
            "$bin" -o "$DATA/csv-$(basename "$bin")" extract --format csv "$EVTX"
    done
    for table in "$DATA/csv-$(basename "$BEFORE")"/*; do
        same "$table" "$DATA/csv-$(basename "$AFTER")/$(basename "$table")"
    done
fi
rm -f "$DATA"/*.jsonl "$DATA"/*.scan.json "$DATA/time"
echo "($(nproc) cores, $THREADS threads, $REPEAT runs each, before = $REV, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F))"
