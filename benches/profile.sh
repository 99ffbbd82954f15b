#!/usr/bin/env bash
# Where a one-thread `exauth scan` spends its time, by sampling (perf), as each pass of issue 14
# profiled by hand: the functions with the most samples of their own, the share of the samples
# under each function named (inclusive), and what each of those calls directly.
#
#   benches/profile.sh DIR [FUNCTION...]
#
# DIR: a collection (e.g. ./bench-data/collection/clock-skew-100servers-10G-flat, built by
# benches/collection.sh). FUNCTION: substrings of symbol names (default: the protocol-log row
# loop, the closing of sessions and what a scan does with them). The profiling build (release
# with line tables) is sampled at FREQ (999) Hz in user space with DWARF call stacks
# (`perf record -e cpu-clock:u --call-graph dwarf`); machines without hardware counters still
# have this clock. Samples are time, not instructions: for a figure that does not move with
# the machine's load, count instructions with benches/instructions.sh.
# Needs: perf (apt-get install linux-perf), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:?usage: benches/profile.sh DIR [FUNCTION...]}
shift
[ $# -eq 0 ] && set -- "Reassembler::feed_into" "OpenSession::close" "OpenSession::glance" \
    "SessionSink>::wants_summary" "SessionFacts::flush" "SessionFacts::declined_facts" \
    "PipelineVisitor::keep_facts" "PipelineVisitor::offer_sessions" "correlate::case::build"
command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null ||
    { echo "perf missing (apt-get install linux-perf)" >&2; exit 1; }
cargo build --profile profiling --quiet
EXAUTH=target/profiling/exauth
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The page cache warm: the profile is of exauth, not of the disk.
find "$DIR" -type f -print0 | xargs -0 cat > /dev/null
perf record -q -e cpu-clock:u -F "${FREQ:-999}" --call-graph dwarf,16384 -o "$out/perf.data" \
    "$EXAUTH" -q --threads 1 scan --format json "$DIR" > /dev/null 2> "$out/stderr" || true
perf script -i "$out/perf.data" -F ip,sym --no-inline 2> /dev/null > "$out/stacks.txt"
python3 - "$out/stacks.txt" "$@" <<'EOF'
import collections, sys

path, names = sys.argv[1], sys.argv[2:]
samples, stack = [], []
for line in open(path, errors="replace"):
    line = line.strip()
    if not line:
        if stack:
            samples.append(stack)
        stack = []
        continue
    parts = line.split(" ", 1)
    stack.append(parts[1] if len(parts) > 1 else "?")
if stack:
    samples.append(stack)
total = len(samples) or 1
print(f"{len(samples)} samples")
print("\nown samples (top 25):")
for sym, n in collections.Counter(s[0] for s in samples).most_common(25):
    print(f"  {100 * n / total:6.2f} %  {sym[:110]}")
for name in names:
    under = [s for s in samples if any(name in f for f in s)]
    print(f"\n{100 * len(under) / total:6.2f} %  under {name}; what it calls:")
    callees = collections.Counter()
    for s in under:
        i = max(i for i, f in enumerate(s) if name in f)  # its outermost frame
        callees[s[i - 1] if i > 0 else "(itself)"] += 1
    for sym, n in callees.most_common(12):
        print(f"  {100 * n / total:6.2f} %  {sym[:110]}")
EOF
