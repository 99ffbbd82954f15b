#!/usr/bin/env bash
# Instructions a one-thread `exauth scan` executes on one server's logs, counted by valgrind's
# cachegrind: a figure that does not move with the machine's load (wall times on a shared
# 2-core machine do), for comparing two builds of the hot loops. Prints the instruction count,
# branches and mispredicted branches (cachegrind's model of a predictor, not the processor's).
#
#   benches/instructions.sh [DIR] [REV...]
#
# DIR (default: EX05 of the 20-server collection of benches/collection.sh, 159 MB of protocol
# logs, built with the same `exauth synth` command when absent). With SERVERS="EX01 EX13 ...",
# DIR is a collection and only those server folders of it are scanned (linked into a temporary
# folder, its DC01 with them when present): one server alone never fills the pairing shares,
# so the sessions a scan declines from a glance only show over several. With REVs, each git revision is
# built in a temporary worktree (profiling profile, --no-default-features) and counted in turn;
# without, the working tree's build. Needs valgrind (apt-get install valgrind). Under
# cachegrind a scan runs ~50x slower: about 15 s for the default folder.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null ||
    { echo "valgrind missing (apt-get install valgrind)" >&2; exit 1; }
COLLECTION=./bench-data/collection/clock-skew-20servers-3G-flat
DIR=${1:-$COLLECTION/EX05}
shift || true

build() { # build <worktree> <target-dir>: prints the binary's path
    (cd "$1" && CARGO_TARGET_DIR="$2" cargo build --profile profiling --quiet --no-default-features)
    echo "$2/profiling/exauth"
}

TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ ! -d "$DIR" ] && [ "$DIR" = "$COLLECTION/EX05" ]; then
    exauth=$(build . "$TARGET")
    mkdir -p ./bench-data/collection
    "$exauth" -q synth --scenario clock-skew --servers 20 --size 3G --layout flat --out "$COLLECTION"
fi
[ -d "$DIR" ] || { echo "no folder $DIR" >&2; exit 2; }
if [ -n "${SERVERS:-}" ]; then
    subset=$(mktemp -d)
    trap 'rm -rf "$subset"' EXIT
    for server in $SERVERS ${DC:-DC01}; do
        if [ -d "$DIR/$server" ]; then
            ln -s "$(realpath "$DIR/$server")" "$subset/$server"
        elif [ "$server" != "${DC:-DC01}" ]; then
            echo "no folder $DIR/$server" >&2
            exit 2
        fi
    done
    DIR=$subset
fi

count() { # count <label> <binary>
    local out
    out=$(mktemp)
    valgrind --tool=cachegrind --cache-sim=no --branch-sim=yes --cachegrind-out-file=/dev/null \
        "$2" -q --threads 1 scan --format json "$DIR" 2>"$out" >/dev/null || true
    printf '%-12s %s\n' "$1" "$(grep -E 'I +refs' "$out" | sed 's/.*refs: *//') instructions, \
$(grep -E 'Branches:' "$out" | awk '{print $3}') branches, $(grep -E 'Mispredicts:' "$out" | awk '{print $3}') mispredicted"
    rm -f "$out"
}

echo "one-thread scan of $DIR ($(du -shL "$DIR" | cut -f1))"
if [ $# -eq 0 ]; then
    count "$(git rev-parse --short HEAD)+" "$(build . "$TARGET")"
else
    for rev in "$@"; do
        tree=$(mktemp -d)
        git worktree add --quiet --detach "$tree" "$rev"
        count "$rev" "$(build "$tree" "$TARGET/instructions")"
        git worktree remove --force "$tree"
    done
fi
