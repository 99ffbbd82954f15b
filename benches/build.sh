#!/usr/bin/env bash
# Cold release build time, as a new user meets it: `cargo build --release` (default features)
# from an empty target dir, for one or more git revisions, with `--timings` (the HTML report of
# the slowest crates is kept next to the figures). Prints wall time, CPU time, the binary's
# size, and the machine (nproc, load), one line per revision.
#
# Usage: benches/build.sh [REV...]       (default: HEAD)
#   e.g. benches/build.sh 3f93872 HEAD   before and after a change
# Each revision is checked out into a temporary worktree and built with its own empty target
# dir (the crate sources come from cargo's local registry cache: no download when warm).
# Reports go to ./bench-data/build/<rev>/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
REVS=("$@")
[ ${#REVS[@]} -eq 0 ] && REVS=(HEAD)
OUT=./bench-data/build
mkdir -p "$OUT"
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null

printf '%-12s %9s %9s %10s  %s\n' rev "wall min" "cpu min" "binary MB" "machine"
for rev in "${REVS[@]}"; do
    sha=$(git rev-parse --short "$rev")
    work=$(mktemp -d)
    target=$(mktemp -d)
    git worktree add --detach -q "$work" "$sha"
    (
        cd "$work"
        CARGO_TARGET_DIR="$target" /usr/bin/time -f '%e %U %S' -o "$target/time" \
            cargo build --release --timings --quiet >"$target/log" 2>&1 || {
            echo "build of $sha failed: see $target/log" >&2
            exit 1
        }
    )
    read -r wall user sys <"$target/time"
    size=$(stat -c %s "$target/release/exauth" 2>/dev/null || echo 0)
    mkdir -p "$OUT/$sha"
    cp "$target"/cargo-timings/cargo-timing.html "$OUT/$sha/" 2>/dev/null || true
    printf '%-12s %9.1f %9.1f %10.1f  %s cores, load %s, %s\n' "$sha" \
        "$(echo "$wall / 60" | bc -l)" "$(echo "($user + $sys) / 60" | bc -l)" \
        "$(echo "$size / 1000000" | bc -l)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
        "$(date -u +%F)"
    git worktree remove --force "$work"
    rm -rf "$target"
done
