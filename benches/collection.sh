#!/usr/bin/env bash
# Issue 14's benchmark of record: exauth end to end on collections (4, 20 and 100 servers, flat
# folders and ExchangeLogCollector zips), on a Security log built from real chunks, and on one
# server's Send protocol log of many short sessions, side by side with the tools that only read
# the bytes: `cat > /dev/null`, `rg -j1 -c '454 4\.7\.0'`, `evtx_dump -o jsonl` (the evtx crate's
# own tool) and, for ELC zips, inflating every member. Prints per input the bytes, the best-of-N
# wall time, MB/s, the CPU seconds and peak RSS (`/usr/bin/time -v`) of each, then the issue's
# targets as ratios with PASS/FAIL, and the machine (cores, load, date).
#
#   benches/collection.sh [INPUT...]
#
# INPUT (default: all of them; a full run takes long):
#   small-flat small-elc   SMALL_SERVERS (4) servers, SMALL_SIZE (2G)
#   mid-flat   mid-elc     MID_SERVERS (20) servers, MID_SIZE (3G)
#   large-flat large-elc   LARGE_SERVERS (100) servers, LARGE_SIZE (10G)
#   evtx                   a Security log of EVTX_MB (1000) MB from the real chunks of
#                          $EXAUTH_CORPUS (else ../shared/corpus), security_*.evtx and krb_*.evtx
#   send                   one server's Send protocol log of SEND_SESSIONS (100000) short sessions,
#                          SEND_FAIL_PERCENT (60) of them failing with 454 4.7.0 (TimeSkew)
#   long-flat              LONG_SERVERS (20) servers, LONG_SIZE (1G) over LONG_HOURS (168) hours:
#                          a failure lasting a week, every minute of it (memory, not speed)
#   spray                  a DC's Security log of SPRAY_MB (3000) MB full of 4771s and 4768s:
#                          the real chunks of the corpus's krb_*4771*.evtx (brute force, spray,
#                          user enumeration) repeated (memory, not speed)
#   send-joined            the Send log of `send` joined into one file (a paste, logs put
#                          together): one file of SEND_SESSIONS sessions (memory, not speed)
#   event-text             events handed over as text, TEXT_MB (200) MB at one server: an Event
#                          Viewer copy of Kerberos skew errors (their message) and 1035s (their
#                          Event Xml) (60 %) and an Event Viewer "Save As" CSV of 1035s and
#                          W32Time 50s (40 %; memory, not speed)
#   event-xml              XML_MB (300) MB of event XML (`wevtutil qe /f:xml`'s shape): the real records
#                          of the corpus's krb_*4771*.evtx as `evtx_dump -o xml` writes them, in one
#                          <Events>, repeated with their record ids renumbered (memory, not speed)
#   queue-text             a `Get-Queue | fl` export of QUEUE_MB (200) MB: the hand-over sample's
#                          queues (one with the 454 LastError) again and again, each time other
#                          identities (memory, not speed)
#   queue-loop             `Get-Queue | fl` run in a loop at EX01, QUEUE_MB (200) MB: the hand-over
#                          sample's queues again and again with the same identities, RetryCount
#                          one more and LastRetryTime/NextRetryTime a minute later each run
#                          (memory, not speed)
#   queue-objects          `Get-Message` of a queue QUEUE_MB (200) MB deep at EX01, half as one
#                          `ConvertTo-Json -Compress` line, half `Export-Clixml`, every message with
#                          the 454 LastError, beside the hand-over sample's `Get-Queue | fl`
#                          (memory, not speed)
#   transcript             a Start-Transcript of EX01 of QUEUE_MB (200) MB: the hand-over sample's
#                          `Get-Queue | fl`, then a `Get-Message | fl` of a queue that deep, then
#                          `w32tm /query /status` (memory, not speed)
#   stripchart             a `w32tm /stripchart` EX02 left running against DC01, CMD_MB (50) MB
#                          (an offset every 2 s: 2 million, 46 days, at 50 MB; memory, not speed)
#   setspn-query           a `setspn -Q */*` of a domain, CMD_MB (50) MB at DC01 (181,291
#                          workstation accounts at 50 MB, 8 SPNs each; memory, not speed)
#   portqry-loop           `portqry -n DC01 -e 88 -p both` run in a loop at EX01, CMD_MB (50) MB
#                          (a run every few seconds, FILTERED now and then; memory, not speed)
#   netconnection-loop     `Test-NetConnection DC01 -Port 88` in a loop at EX01, CMD_MB (50) MB
#                          (a warning and a result a run; memory, not speed)
#   replsummary-loop       `repadmin /replsummary` run by a script into one file at DC01, CMD_MB
#                          (50) MB (the DCs' counts change from run to run, DC01's delta grows a
#                          minute a run; memory, not speed)
#   showrepl-loop          `repadmin /showrepl` run by a script into one file at DC01, CMD_MB (50)
#                          MB (a neighbour failing, its consecutive failures growing a run, but
#                          one run in 100; memory, not speed)
#   klist-loop             `klist -li 0x3e7` run every minute at EX01, CMD_MB (50) MB (its TGT and
#                          its SMTPSVC ticket for EX02, renewed each hour; memory, not speed)
#   nltest-loop            `nltest /dsgetdc:contoso.com` run every minute at EX01, CMD_MB (50) MB
#                          (DC01 found, failing now and then; memory, not speed)
#   and the groups small, mid, large (both layouts), flat, elc, synth (all six), all.
# Collections are `exauth synth --scenario clock-skew --servers N --size S --layout flat|elc`
# (--size counts what the zips hold: an ELC collection unpacks to S). RUNS (3) runs per tool, the
# best kept; `rg -j1` and the 1- and 2-thread scans of a flat collection or the Send log, whose
# ratios are targets, are run in turn, round by round. Inputs go to ./bench-data/collection (gitignored) and are reused while present.
# Needs: rg (apt-get install ripgrep), /usr/bin/time (apt-get install time), bc, python3 for the
# ELC inflate reference; evtx_dump is installed with `cargo install evtx --version 0.15.1` when
# absent (the evtx comparison is skipped if that fails).
set -euo pipefail
cd "$(dirname "$0")/.."

SMALL_SERVERS=${SMALL_SERVERS:-4} SMALL_SIZE=${SMALL_SIZE:-2G}
MID_SERVERS=${MID_SERVERS:-20} MID_SIZE=${MID_SIZE:-3G}
LARGE_SERVERS=${LARGE_SERVERS:-100} LARGE_SIZE=${LARGE_SIZE:-10G}
EVTX_MB=${EVTX_MB:-1000}
SEND_SESSIONS=${SEND_SESSIONS:-100000}
SEND_FAIL_PERCENT=${SEND_FAIL_PERCENT:-60}
LONG_SERVERS=${LONG_SERVERS:-20} LONG_SIZE=${LONG_SIZE:-1G} LONG_HOURS=${LONG_HOURS:-168}
SPRAY_MB=${SPRAY_MB:-3000}
TEXT_MB=${TEXT_MB:-200}
QUEUE_MB=${QUEUE_MB:-200}
CMD_MB=${CMD_MB:-50}
XML_MB=${XML_MB:-300}
RUNS=${RUNS:-3}
DATA=./bench-data/collection
mkdir -p "$DATA"

# --- what to run -------------------------------------------------------------------------------
ALL_INPUTS=(small-flat small-elc mid-flat mid-elc large-flat large-elc evtx send long-flat spray send-joined
    event-text event-xml queue-text queue-loop queue-objects transcript stripchart setspn-query portqry-loop
    netconnection-loop replsummary-loop showrepl-loop klist-loop nltest-loop)
selected=()
[ $# -eq 0 ] && set -- all
for arg in "$@"; do
    case "$arg" in
        all) selected+=("${ALL_INPUTS[@]}") ;;
        synth) selected+=(small-flat small-elc mid-flat mid-elc large-flat large-elc) ;;
        small | mid | large) selected+=("$arg-flat" "$arg-elc") ;;
        flat | elc) selected+=("small-$arg" "mid-$arg" "large-$arg") ;;
        small-flat | small-elc | mid-flat | mid-elc | large-flat | large-elc | evtx | send | long-flat | \
            spray | send-joined | event-text | event-xml | queue-text | queue-loop | queue-objects | \
            transcript | \
            stripchart | setspn-query | portqry-loop | netconnection-loop | replsummary-loop | \
            showrepl-loop | klist-loop | nltest-loop)
            selected+=("$arg") ;;
        *) echo "unknown input \`$arg\` (one of: ${ALL_INPUTS[*]}, small, mid, large, flat, elc, synth, all)" >&2
           exit 2 ;;
    esac
done

# --- tools -------------------------------------------------------------------------------------
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
command -v rg >/dev/null || apt-get install -y ripgrep >/dev/null ||
    { echo "ripgrep missing (apt-get install ripgrep)" >&2; exit 1; }
cargo build --profile profiling --quiet --no-default-features
cargo build --profile profiling --quiet -p exauth-parsers --example evtx_from_chunks
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
EXAUTH=$target_dir/profiling/exauth
FROM_CHUNKS=$target_dir/profiling/examples/evtx_from_chunks
COMMIT=$(git rev-parse --short HEAD)

find_evtx_dump() {
    command -v evtx_dump 2>/dev/null && return
    [ -x "$HOME/.cargo/bin/evtx_dump" ] && echo "$HOME/.cargo/bin/evtx_dump"
    return 0
}

# --- measuring ---------------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/exauth-collection.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
SUMMARY=()

# run_once <key> <ok-exit-codes> <command...>: one timed run. Keeps the best wall seconds so far
# in BEST_<key> (and that run's CPU seconds in CPU_<key>), the largest peak RSS (KB) in RSS_<key>.
# Standard output goes to $OUT when set, else to $TMP/<key>.out; the *.jsonl outputs of the
# previous run are removed first.
run_once() {
    local key=$1 ok=$2
    shift 2
    local best_var=BEST_$key cpu_var=CPU_$key rss_var=RSS_$key
    local best=${!best_var:-} cpu=${!cpu_var:-} rss=${!rss_var:-0}
    local t0 t1 secs r rc=0
    rm -f "$TMP"/*.jsonl
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$TMP/time" "$@" > "${OUT:-$TMP/$key.out}" 2> "$TMP/$key.err" || rc=$?
    t1=$(date +%s.%N)
    if [[ ",$ok," != *",$rc,"* ]]; then
        echo "  $key: exit $rc: $(head -c 300 "$TMP/$key.err")" >&2
    fi
    secs=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc -l)" = 1 ]; then
        best=$secs
        cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$TMP/time")
    fi
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time")
    [ "$r" -gt "$rss" ] && rss=$r
    printf -v "BEST_$key" '%s' "$best"
    printf -v "CPU_$key" '%s' "$cpu"
    printf -v "RSS_$key" '%s' "$rss"
}

# fresh <key...>: forgets what run_once kept for these keys.
fresh() {
    local key
    for key in "$@"; do
        unset "BEST_$key" "CPU_$key" "RSS_$key"
    done
}

# report <key> <label>: one row: best wall seconds, MB/s, that run's CPU seconds, peak RSS.
report() {
    local best_var=BEST_$1 cpu_var=CPU_$1 rss_var=RSS_$1
    printf '  %-44s %8.3f s %9.1f MB/s %8.2f s CPU %8.1f MB\n' "$2" "${!best_var}" \
        "$(echo "$BYTES / 1000000 / ${!best_var}" | bc -l)" "${!cpu_var}" \
        "$(echo "${!rss_var} / 1024" | bc -l)"
}

# measure <key> <label> <ok-exit-codes> <command...>: best of RUNS runs in a row, and its row.
measure() {
    local key=$1 label=$2 ok=$3 run
    shift 3
    fresh "$key"
    for ((run = 0; run < RUNS; run++)); do
        run_once "$key" "$ok" "$@"
    done
    report "$key" "$label"
}

# rg_and_scans <path>: `rg -j1` and the 1- and 2-thread scans taken in turn, RUNS rounds, each
# tool's best kept. The targets are ratios between them, and a shared machine's speed moves by
# ±20 % over minutes: runs of one tool in a row, then of the next, compared different machines.
rg_and_scans() {
    local path=$1 run
    fresh rg1 scan1 scan2
    for ((run = 0; run < RUNS; run++)); do
        run_once rg1 0,1 rg --no-ignore -j1 -c '454 4\.7\.0' "$path"
        run_once scan1 0,1 "$EXAUTH" -q --threads 1 scan --format json "$path"
        run_once scan2 0,1 "$EXAUTH" -q --threads 2 scan --format json "$path"
    done
    report rg1 "rg -j1 -c '454 4\\.7\\.0'"
    report scan1 "exauth scan --threads 1"
    report scan2 "exauth scan --threads 2"
}

# target <label> <value> <op> <limit> <unit>: one PASS/FAIL line, kept for the summary.
target() {
    local label=$1 value=$2 op=$3 limit=$4 unit=$5 verdict=FAIL
    [ "$(echo "$value $op $limit" | bc -l)" = 1 ] && verdict=PASS
    local line
    line=$(printf '%-58s %9.2f %-3s (%s %s %s)  %s' "$CURRENT: $label" "$value" "$unit" "$op" "$limit" "$unit" "$verdict")
    echo "  $line"
    SUMMARY+=("$line")
}

mb() { echo "$1 / 1024" | bc -l; }
# ratio <a> <b>: a / b
ratio() { echo "$1 / $2" | bc -l; }

warm() {
    find "$@" -type f -print0 | xargs -0 cat > /dev/null
    local avail
    avail=$(awk '/MemAvailable/ {printf "%.0f\n", $2 * 1024}' /proc/meminfo)
    if [ "$(echo "$BYTES > $avail * 0.8" | bc -l)" = 1 ]; then
        echo "  note: $BYTES bytes do not fit the page cache ($avail available): timings include disk reads"
    fi
}

header() {
    CURRENT=$1
    echo
    echo "== $1: $2"
}

verdict_line() {
    local got want
    got=$(grep -o '"primary_cause": *"[a-z-]*"' "$TMP/scan1.out" | head -1 | cut -d'"' -f4)
    want=$(grep -o '"primary_cause": *"[a-z-]*"' "$1/expected.json" | head -1 | cut -d'"' -f4)
    echo "  verdict: ${got:-none} (expected.json: $want)"
    # What the bounded samples kept of what they were offered (the scan's `inputs.sampled`).
    command -v python3 >/dev/null && python3 -c '
import json, sys
s = json.load(open(sys.argv[1])).get("inputs", {}).get("sampled", {})
print("  sampled, kept / offered: " + ", ".join(
    "%s %s / %s" % (k, v.get("kept"), v.get("read")) for k, v in s.items()))' "$TMP/scan1.out" 2>/dev/null || true
}

scan_and_extract() {
    local path=$1
    measure scan1 "exauth scan --threads 1" 0,1 "$EXAUTH" -q --threads 1 scan --format json "$path"
    measure scan2 "exauth scan --threads 2" 0,1 "$EXAUTH" -q --threads 2 scan --format json "$path"
    extract_only "$path"
}

extract_only() {
    measure extract "exauth extract --format jsonl --threads 2" 0 \
        "$EXAUTH" -q --threads 2 extract --format jsonl -o "$TMP/extract.jsonl" "$1"
    rm -f "$TMP/extract.jsonl"
}

rss_targets() {
    target "peak RSS scan (2 threads)" "$(mb "$RSS_scan2")" "<=" 256 MB
    target "peak RSS extract" "$(mb "$RSS_extract")" "<=" 256 MB
}

# An input whose target is memory: scan at 1 and 2 threads and extract, the counts of the fact
# kinds named from the scan report, peak RSS against 256 MB.
memory_input() { # <name> <description> <path> [fact kinds…]
    local name=$1 description=$2 path=$3 counts=() kind count
    shift 3
    header "$name" "$description"
    warm "$path"
    scan_and_extract "$path"
    for kind in "$@"; do
        count=$({ grep -o "\"$kind\": *[0-9]*" "$TMP/scan1.out" || true; } | head -1)
        [ -z "$count" ] || counts+=("$count")
    done
    [ ${#counts[@]} -eq 0 ] || echo "  evidence: $(printf '%s, ' "${counts[@]}" | sed 's/, $//')"
    target "peak RSS scan (1 thread)" "$(mb "$RSS_scan1")" "<=" 256 MB
    rss_targets
}

# --- inputs ------------------------------------------------------------------------------------
synth_dir() { # <servers> <size> <layout> [hours]
    local dir="$DATA/clock-skew-$1servers-$2-$3" hours=()
    if [ -n "${4:-}" ]; then
        dir="$dir-$4h"
        hours=(--hours "$4")
    fi
    if [ ! -f "$dir/expected.json" ]; then
        rm -rf "$dir"
        echo "  generating $dir" >&2
        "$EXAUTH" -q synth --scenario clock-skew --servers "$1" --size "$2" --layout "$3" \
            ${hours[@]+"${hours[@]}"} --out "$dir"
    fi
    echo "$dir"
}

# What every zip under <dir> holds (nested zips opened), plus the plain files:
# `python3 $UNPACK size DIR` prints the bytes, `python3 $UNPACK read DIR` inflates and reads them
# all (the ELC reference: what any reader of the collection has to do at least).
UNPACK=$TMP/unpack.py
cat > "$UNPACK" <<'EOF'
import io, os, sys, zipfile
mode, top = sys.argv[1], sys.argv[2]
total = 0
def drain(f):
    global total
    while True:
        b = f.read(1 << 20)
        if not b:
            return
        total += len(b)
def walk(z):
    global total
    with zipfile.ZipFile(z) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            if info.filename.lower().endswith(".zip"):
                walk(io.BytesIO(zf.read(info)))
            elif mode == "size":
                total += info.file_size
            else:
                with zf.open(info) as f:
                    drain(f)
for root, _, files in os.walk(top):
    for name in sorted(files):
        p = os.path.join(root, name)
        if name.lower().endswith(".zip"):
            walk(p)
        elif mode == "size":
            total += os.path.getsize(p)
        else:
            with open(p, "rb") as f:
                drain(f)
print(total)
EOF

run_flat() { # <tier> <servers> <size>
    local dir
    dir=$(synth_dir "$2" "$3" flat)
    BYTES=$(du -sb "$dir" | cut -f1)
    header "$1-flat" "$2 servers, --size $3, flat: $BYTES bytes, $(find "$dir" -type f | wc -l) files ($dir)"
    warm "$dir"
    OUT=/dev/null measure cat "cat > /dev/null" 0 sh -c "find '$dir' -type f -print0 | xargs -0 cat"
    rg_and_scans "$dir"
    extract_only "$dir"
    verdict_line "$dir"
    target "scan 1 thread, % of rg -j1 throughput" "$(ratio "$BEST_rg1 * 100" "$BEST_scan1")" ">=" 25 %
    target "scan 2 threads / 1 thread speed-up" "$(ratio "$BEST_scan1" "$BEST_scan2")" ">=" 1.8 x
    rss_targets
}

# A failure that lasts as long as the logs: memory must not grow with the minutes they span
# (evidence::aggregate widens its span). Peak RSS is the target; the times are for the record.
run_long() {
    local dir
    dir=$(synth_dir "$LONG_SERVERS" "$LONG_SIZE" flat "$LONG_HOURS")
    BYTES=$(du -sb "$dir" | cut -f1)
    header "long-flat" "$LONG_SERVERS servers, --size $LONG_SIZE, --hours $LONG_HOURS, flat: $BYTES bytes ($dir)"
    warm "$dir"
    scan_and_extract "$dir"
    verdict_line "$dir"
    target "peak RSS scan (1 thread)" "$(mb "$RSS_scan1")" "<=" 256 MB
    rss_targets
}

run_elc() { # <tier> <servers> <size>
    local dir on_disk
    dir=$(synth_dir "$2" "$3" elc)
    on_disk=$(du -sb "$dir" | cut -f1)
    if ! command -v python3 >/dev/null; then
        BYTES=$on_disk
        header "$1-elc" "$2 servers, --size $3, ELC zips: $on_disk bytes on disk ($dir)"
        echo "  python3 missing: no inflate reference; MB/s over the bytes on disk"
    else
        BYTES=$(python3 "$UNPACK" size "$dir")
        header "$1-elc" "$2 servers, --size $3, ELC zips: $on_disk bytes on disk, $BYTES unpacked ($dir); MB/s over the unpacked bytes"
    fi
    warm "$dir"
    if command -v python3 >/dev/null; then
        measure inflate "inflate every member (python3 zipfile)" 0 python3 "$UNPACK" read "$dir"
    fi
    scan_and_extract "$dir"
    verdict_line "$dir"
    if [ -n "${BEST_inflate:-}" ]; then
        target "scan 1 thread / inflate time" "$(ratio "$BEST_scan1" "$BEST_inflate")" "<=" 1.5 x
        target "scan 2 threads / inflate time" "$(ratio "$BEST_scan2" "$BEST_inflate")" "<=" 1.5 x
    fi
    target "scan 2 threads / 1 thread speed-up" "$(ratio "$BEST_scan1" "$BEST_scan2")" ">=" 1.8 x
    rss_targets
    unset BEST_inflate
}

corpus_dir() {
    local c
    for c in "${EXAUTH_CORPUS:-}" ../shared/corpus \
        "$(dirname "$(git rev-parse --path-format=absolute --git-common-dir)")/../shared/corpus"; do
        if [ -n "$c" ] && compgen -G "$c/security_*.evtx" >/dev/null; then
            echo "$c"
            return
        fi
    done
}

run_evtx() {
    local corpus file dump
    corpus=$(corpus_dir)
    if [ -z "$corpus" ]; then
        echo
        echo "== evtx: skipped (no security_*.evtx in \$EXAUTH_CORPUS or ../shared/corpus)"
        return
    fi
    file="$DATA/security-${EVTX_MB}MB-real-chunks.evtx"
    if [ ! -s "$file" ]; then
        "$FROM_CHUNKS" "$file.part" "$EVTX_MB" "$corpus"/security_*.evtx "$corpus"/krb_*.evtx 2> "$TMP/chunks.log" ||
            { cat "$TMP/chunks.log" >&2; exit 1; }
        mv "$file.part" "$file"
    fi
    BYTES=$(stat -c %s "$file")
    header evtx "Security log from the real chunks of $corpus (security_*, krb_*): $BYTES bytes ($file)"
    warm "$file"
    dump=$(find_evtx_dump)
    if [ -z "$dump" ]; then
        echo "  installing evtx_dump: cargo install evtx --version 0.15.1" >&2
        cargo install --quiet evtx --version 0.15.1 >&2 || true
        dump=$(find_evtx_dump)
    fi
    # (No rg here: the records are BinXml, not lines; a text search says nothing about reading them.)
    OUT=/dev/null measure cat "cat > /dev/null" 0 cat "$file"
    if [ -n "$dump" ]; then
        # Into a file of the same temp dir as extract's, for the same cost of writing.
        OUT=$TMP/dump.jsonl measure dump1 "evtx_dump -o jsonl -t 1 > file" 0 "$dump" -o jsonl -t 1 "$file"
        echo "    $(wc -l < "$TMP/dump.jsonl") records, $(grep -c . "$TMP/dump1.err" || true) lines on stderr"
        OUT=$TMP/dump.jsonl measure dump2 "evtx_dump -o jsonl -t 2 > file" 0 "$dump" -o jsonl -t 2 "$file"
        rm -f "$TMP/dump.jsonl"
    else
        echo "  evtx_dump: not installed and cannot be installed: the comparison is skipped"
    fi
    measure scan1 "exauth scan --threads 1" 0,1 "$EXAUTH" -q --threads 1 scan --format json "$file"
    measure scan2 "exauth scan --threads 2" 0,1 "$EXAUTH" -q --threads 2 scan --format json "$file"
    measure extract1 "exauth extract --format jsonl --threads 1" 0 \
        "$EXAUTH" -q --threads 1 extract --format jsonl -o "$TMP/extract.jsonl" "$file"
    echo "    $(wc -l < "$TMP/extract.jsonl") rows"
    measure extract "exauth extract --format jsonl --threads 2" 0 \
        "$EXAUTH" -q --threads 2 extract --format jsonl -o "$TMP/extract.jsonl" "$file"
    rm -f "$TMP/extract.jsonl"
    if [ -n "$dump" ]; then
        target "scan vs evtx_dump, 1 thread" "$(ratio "$BEST_dump1" "$BEST_scan1")" ">=" 2.5 x
        target "scan vs evtx_dump, 2 threads" "$(ratio "$BEST_dump2" "$BEST_scan2")" ">=" 2.5 x
        target "extract vs evtx_dump, 1 thread" "$(ratio "$BEST_dump1" "$BEST_extract1")" ">=" 2 x
        target "extract vs evtx_dump, 2 threads" "$(ratio "$BEST_dump2" "$BEST_extract")" ">=" 2 x
    fi
    target "peak RSS scan (2 threads)" "$(mb "$RSS_scan2")" "<=" 256 MB
    target "peak RSS extract (1 thread)" "$(mb "$RSS_extract1")" "<=" 256 MB
    target "peak RSS extract (2 threads)" "$(mb "$RSS_extract")" "<=" 256 MB
}

# EX01's Send protocol log (rolled over at 10 MB, as Exchange does) of SEND_SESSIONS sessions to
# EX02..EX05, one starting every 144 ms from 2026-11-26T06:00Z; those to EX02 fail at X-EXPS with
# 454 4.7.0 and its banner runs 7 minutes ahead (clock skew). Short sessions: one EHLO before and
# one after X-ANONYMOUSTLS, a few capability lines, one message when authenticated.
write_send_log() { # <dir>
    mkdir -p "$1"
    awk -v dir="$1" -v n="$SEND_SESSIONS" -v failpct="$SEND_FAIL_PERCENT" '
    function stamp(ms,   s) {
        s = int(ms / 1000)
        return sprintf("2026-11-26T%02d:%02d:%02d.%03dZ", 6 + int(s / 3600), int(s / 60) % 60, s % 60, ms % 1000)
    }
    function hms(ms,   s) {
        s = int(ms / 1000)
        return sprintf("%02d:%02d:%02d", 6 + int(s / 3600), int(s / 60) % 60, s % 60)
    }
    function open_file() {
        if (file != "") close(file)
        number++
        file = sprintf("%s/SEND20261126-%d.LOG", dir, number)
        printf "\357\273\277#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n#Date: %s\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n", stamp(t) > file
        written = 0
    }
    function row(event, data, context,   line, local) {
        local = seq < 2 ? "" : lep
        line = sprintf("%s,Intra-Organization SMTP Send Connector,%s,%d,%s,%s,%s,%s,%s\r\n", stamp(t + 2 * seq), id, seq, local, rep, event, data, context)
        if (written + length(line) > 10485760) open_file()
        printf "%s", line > file
        written += length(line)
        seq++
    }
    BEGIN {
        file = ""; t = 0; open_file()
        for (i = 0; i < n; i++) {
            t = i * 144
            fail = (i % 100) < failpct
            r = fail ? 2 : 3 + i % 3
            rname = sprintf("EX%02d.contoso.com", r)
            rep = sprintf("10.0.1.%d:2525", 10 + r)
            lep = sprintf("10.0.1.11:%d", 49152 + (i * 7) % 16000)
            id = sprintf("08DE2F3A%08X", i)
            seq = 0
            row("*", "", "attempting to connect")
            row("+", "", "")
            row("<", "\"220 " rname " Microsoft ESMTP MAIL Service ready at Thu, 26 Nov 2026 " hms(t + (fail ? 420000 : 0)) " +0000\"", "")
            row(">", "EHLO EX01.contoso.com", "")
            row("<", "250-" rname " Hello [10.0.1.11]", "")
            row("<", "250-SIZE 37748736", "")
            row("<", "250-X-ANONYMOUSTLS", "")
            row("<", "250-X-EXPS GSSAPI NTLM", "")
            row("<", "250 XRDST", "")
            row(">", "X-ANONYMOUSTLS", "")
            row("<", "220 2.0.0 SMTP server ready", "")
            row(">", "EHLO EX01.contoso.com", "")
            row("<", "250-" rname " Hello [10.0.1.11]", "")
            row("<", "250-X-EXPS EXCHANGEAUTH GSSAPI NTLM", "")
            row("<", "250 XRDST", "")
            row(">", "X-EXPS EXCHANGEAUTH SHA256 ", "")
            if (fail) {
                row("<", "454 4.7.0 Temporary authentication failure", "")
                row("*", "", "Flushed Kerberos ticket cache")
                row("-", "", "Remote")
            } else {
                row("<", "235 <authentication information>", "")
                row(">", "MAIL FROM:<alerts@contoso.com> SIZE=18234", "")
                row(">", "RCPT TO:<user@contoso.com>", "")
                row("<", "250 2.1.0 Sender OK", "")
                row("<", "250 2.1.5 Recipient OK", "")
                row(">", "BDAT 18234 LAST", "")
                row("<", "\"250 2.6.0 <" id "@EX01.contoso.com> [InternalId=" i ", Hostname=" rname "] 19012 bytes in 0.052, 357.041 KB/sec Queued mail for delivery\"", "")
                row(">", "QUIT", "")
                row("<", "221 2.0.0 Service closing transmission channel", "")
                row("-", "", "Local")
            }
        }
        close(file)
    }'
}

# An input folder is written once and reused: `needs_writing <dir>` is true (the folder emptied
# and made) until `written <dir>` marks it whole — a run stopped while writing starts it again.
needs_writing() {
    [ -f "$1/.complete" ] && return 1
    rm -rf "$1"
    mkdir -p "$1"
}
written() {
    touch "$1/.complete"
}

# send_dir: the Send log of `send` (written once, reused).
send_dir() {
    local dir="$DATA/send-$SEND_SESSIONS-sessions-$SEND_FAIL_PERCENT-failing/EX01/Hub_Send_Protocol_Logs"
    if needs_writing "$dir"; then
        write_send_log "$dir" >&2
        written "$dir"
    fi
    echo "$dir"
}

# A DC's Security log during a password spray: every fact a failure, memory must not grow with
# the file (issue 14). Its scan and extract must stay within the memory targets.
run_spray() {
    local corpus file
    corpus=$(corpus_dir)
    if [ -z "$corpus" ] || ! compgen -G "$corpus/krb_*4771*.evtx" >/dev/null; then
        echo
        echo "== spray: skipped (no krb_*4771*.evtx in \$EXAUTH_CORPUS or ../shared/corpus)"
        return
    fi
    file="$DATA/spray-${SPRAY_MB}MB-real-4771-chunks.evtx"
    if [ ! -s "$file" ]; then
        "$FROM_CHUNKS" "$file.part" "$SPRAY_MB" "$corpus"/krb_*4771*.evtx 2> "$TMP/chunks.log" ||
            { cat "$TMP/chunks.log" >&2; exit 1; }
        mv "$file.part" "$file"
    fi
    BYTES=$(stat -c %s "$file")
    memory_input spray "Security log of the real 4771/4768 chunks of $corpus (krb_*4771*): $BYTES bytes ($file)" \
        "$file" kerberos-error
}

# One server's Send log joined into one file: a file's facts and sessions must not grow memory.
run_send_joined() {
    local parts dir
    parts=$(send_dir)
    dir="$DATA/send-joined-$SEND_SESSIONS-sessions-$SEND_FAIL_PERCENT-failing/EX01/Hub_Send_Protocol_Logs"
    if [ ! -s "$dir/SEND20261126-1.LOG" ]; then
        mkdir -p "$dir"
        find "$parts" -name '*.LOG' | sort -V | xargs cat > "$dir/SEND20261126-1.LOG.part"
        mv "$dir/SEND20261126-1.LOG.part" "$dir/SEND20261126-1.LOG"
    fi
    BYTES=$(stat -c %s "$dir/SEND20261126-1.LOG")
    memory_input send-joined "EX01's Send log of $SEND_SESSIONS sessions as one file: $BYTES bytes ($dir)" "$dir"
}

run_send() {
    local dir
    dir=$(send_dir)
    BYTES=$(find "$dir" -name '*.LOG' -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}')
    header send "EX01's Send protocol log, $SEND_SESSIONS sessions, $SEND_FAIL_PERCENT % failing with 454 4.7.0: $BYTES bytes, $(find "$dir" -name '*.LOG' | wc -l) files ($dir)"
    warm "$dir"
    OUT=/dev/null measure cat "cat > /dev/null" 0 sh -c "cat '$dir'/*.LOG"
    rg_and_scans "$dir"
    echo "    rg: $(awk -F: '{s += $NF} END {print s}' "$TMP/rg1.out") matching lines"
    extract_only "$dir"
    echo "  verdict: $(grep -o '"primary_cause": *"[a-z-]*"' "$TMP/scan1.out" | head -1 | cut -d'"' -f4)"
    target "scan 1 thread, % of rg -j1 throughput" "$(ratio "$BEST_rg1 * 100" "$BEST_scan1")" ">=" 25 %
    target "scan 2 threads / 1 thread speed-up" "$(ratio "$BEST_scan1" "$BEST_scan2")" ">=" 1.8 x
    rss_targets
}

# Events handed over as text at EX02 (UTC-5): an Event Viewer "Copy details as text" of System and
# Application events (Kerberos KRB_AP_ERR_SKEW errors 3 without their Event Xml, read from their
# message: a clock sample each; every fourth a 1035 with its Event Xml), and an Event Viewer "Save As" CSV of the Application log (1035s with two-line quoted
# descriptions, every fifth a W32Time 50), one event every 800 ms from 2026-12-03 06:00 UTC: dates
# whose day and month are both below 13, so the file's day/month order is decided from them all.
write_event_text() { # <dir> <copy bytes> <csv bytes>
    mkdir -p "$1"
    awk -v out="$1/events-EX02.txt" -v limit="$2" '
    function at(ms, zone,   s) { s = int(ms / 1000) + zone * 3600; return s }
    function us(s) { return sprintf("12/%d/2026 %d:%02d:%02d %s", 3 + int(s / 86400),
        (int(s / 3600) % 12 == 0) ? 12 : int(s / 3600) % 12, int(s / 60) % 60, s % 60,
        (int(s / 3600) % 24 < 12) ? "AM" : "PM") }
    function iso(ms,   s) { s = int(ms / 1000); return sprintf("2026-12-%02dT%02d:%02d:%02d.%03d0000Z",
        3 + int(s / 86400), int(s / 3600) % 24, int(s / 60) % 60, s % 60, ms % 1000) }
    function krb(ms,   s, c, v, text) {
        s = at(ms + 21600000, -5); c = int(ms / 1000) + 21600; v = c - 420
        text = "Log Name:      System\r\nSource:        Microsoft-Windows-Security-Kerberos\r\nDate:          " us(s) "\r\nEvent ID:      3\r\nTask Category: None\r\nLevel:         Error\r\nKeywords:      Classic\r\nUser:          N/A\r\nComputer:      EX02.contoso.com\r\nDescription:\r\nA Kerberos error message was received:\r\n on logon session\r\n Client Time: " sprintf("%02d:%02d:%02d.%03d0", int(c / 3600) % 24, int(c / 60) % 60, c % 60, ms % 1000) " 12/" 3 + int(c / 86400) "/2026 Z\r\n Server Time: " sprintf("%02d:%02d:%02d.%03d0", int(v / 3600) % 24, int(v / 60) % 60, v % 60, ms % 1000) " 12/" 3 + int(v / 86400) "/2026 Z\r\n Error Code: 0x25 KRB_AP_ERR_SKEW\r\n Extended Error:\r\n Client Realm:\r\n Client Name:\r\n Server Realm: CONTOSO.COM\r\n Server Name: krbtgt/CONTOSO.COM\r\n Target Name: krbtgt/CONTOSO.COM@CONTOSO.COM\r\n Error Text:\r\n File: 9\r\n Line: f09\r\n Error Data is in record data.\r\n"
        return text
    }
    function t1035(ms,   s) {
        s = at(ms + 21600000, -5)
        return "Log Name:      Application\r\nSource:        MSExchangeTransport\r\nDate:          " us(s) "\r\nEvent ID:      1035\r\nTask Category: SmtpReceive\r\nLevel:         Warning\r\nKeywords:      Classic\r\nUser:          N/A\r\nComputer:      EX02.contoso.com\r\nDescription:\r\nInbound authentication failed with error TimeSkew for Receive connector Default EX02. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.1.11].\r\nEvent Xml:\r\n<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n  <System>\r\n    <Provider Name=\"MSExchangeTransport\" />\r\n    <EventID Qualifiers=\"32768\">1035</EventID>\r\n    <Level>3</Level>\r\n    <Task>1</Task>\r\n    <TimeCreated SystemTime=\"" iso(ms + 21600000) "\" />\r\n    <EventRecordID>" 830000 + i "</EventRecordID>\r\n    <Channel>Application</Channel>\r\n    <Computer>EX02.contoso.com</Computer>\r\n  </System>\r\n  <EventData>\r\n    <Data>TimeSkew</Data>\r\n    <Data>Default EX02</Data>\r\n    <Data>ExchangeAuth</Data>\r\n    <Data>10.0.1.11</Data>\r\n  </EventData>\r\n</Event>\r\n"
    }
    BEGIN {
        written = 0
        for (i = 0; written < limit; i++) {
            ev = (i % 4 == 3) ? t1035(i * 800) : krb(i * 800)
            printf "%s", ev > out
            written += length(ev)
        }
        close(out)
    }'
    awk -v out="$1/Application-EX02.csv" -v limit="$3" '
    function us(s) { return sprintf("12/%d/2026 %d:%02d:%02d %s", 3 + int(s / 86400),
        (int(s / 3600) % 12 == 0) ? 12 : int(s / 3600) % 12, int(s / 60) % 60, s % 60,
        (int(s / 3600) % 24 < 12) ? "AM" : "PM") }
    BEGIN {
        row = "Level,Date and Time,Source,Event ID,Task Category\r\n"
        printf "%s", row > out
        written = length(row)
        for (i = 0; written < limit; i++) {
            s = int(i * 800 / 1000) + 3600
            if (i % 5 == 4)
                row = "Error," us(s) ",W32Time,50,None,\"The time service detected a time difference of greater than 5000 milliseconds for 900 seconds. The time difference might be caused by synchronization with low-accuracy time sources or by suboptimal network conditions.\"\r\n"
            else
                row = "Warning," us(s) ",MSExchangeTransport,1035,SmtpReceive,\"Inbound authentication failed with error TimeSkew for Receive connector Default EX02.\r\nThe authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.1." 11 + i % 3 "].\"\r\n"
            printf "%s", row > out
            written += length(row)
        }
        close(out)
    }'
}

# Events handed over as text, TEXT_MB at one server: read whole, they grew memory with the text.
run_event_text() {
    local dir="$DATA/event-text-${TEXT_MB}MB/EX02"
    if needs_writing "$dir"; then
        write_event_text "$dir" $((TEXT_MB * 600000)) $((TEXT_MB * 400000))
        written "$dir"
    fi
    BYTES=$(find "$dir" -type f ! -name .complete -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}')
    memory_input event-text "events as text at EX02, an Event Viewer copy and a CSV: $BYTES bytes ($dir)" \
        "$dir" inbound-auth-failed kerberos-error
}

# A DC's Security log exported as event XML (`wevtutil qe Security /f:xml`): its events were held to
# the end of the file. Needs the corpus and evtx_dump (to write the real records as XML).
run_event_xml() {
    local corpus dump dir file
    corpus=$(corpus_dir)
    dump=$(find_evtx_dump)
    if [ -z "$corpus" ] || [ -z "$dump" ] || ! compgen -G "$corpus/krb_*4771*.evtx" >/dev/null; then
        echo
        echo "== event-xml: skipped (needs krb_*4771*.evtx in \$EXAUTH_CORPUS or ../shared/corpus, and evtx_dump)"
        return
    fi
    dir="$DATA/event-xml-${XML_MB}MB/DC01"
    file="$dir/Security.xml"
    if [ ! -s "$file" ]; then
        mkdir -p "$dir"
        for f in "$corpus"/krb_*4771*.evtx; do "$dump" -o xml "$f" 2>/dev/null; done > "$TMP/records.xml"
        python3 - "$TMP/records.xml" "$file.part" $((XML_MB * 1000000)) <<'PY'
import re, sys
events = re.findall(r"<Event xmlns.*?</Event>", open(sys.argv[1], encoding="utf-8").read(), flags=re.S)
out, limit, written, record = open(sys.argv[2], "w", encoding="utf-8"), int(sys.argv[3]), 0, 1
out.write("<Events>\n")
while events and written < limit:
    for e in events:
        e = re.sub(r"<EventRecordID>\d+</EventRecordID>", "<EventRecordID>%d</EventRecordID>" % record, e)
        record += 1
        out.write(e + "\n")
        written += len(e) + 1
out.write("</Events>\n")
PY
        mv "$file.part" "$file"
    fi
    BYTES=$(stat -c %s "$file")
    memory_input event-xml "event XML of the real 4771/4768 records of $corpus (krb_*4771*): $BYTES bytes ($file)" \
        "$dir" kerberos-error
}

# queue_input <name> <description> <awk statements> [awk functions]: the hand-over sample's
# `Get-Queue | fl` at EX01 (Submission, a mailbox-delivery queue with the 454 LastError, Shadow)
# written again and again into one file until it holds QUEUE_MB MB, each run the sample's text in
# `block` changed by the statements for the run's number `i`; then measured for memory.
queue_input() {
    local dir="$DATA/$1-${QUEUE_MB}MB/EX01"
    if needs_writing "$dir"; then
        awk -v limit=$((QUEUE_MB * 1000000)) -v out="$dir/queue-EX01.txt" "${4:-}"'
            { text = text $0 "\n" }
            END {
                for (i = 0; written < limit; i++) {
                    block = text
                    '"$3"'
                    printf "%s", block > out
                    written += length(block)
                }
                close(out)
            }' samples/handover-clock-skew/ticket/queue-EX01.txt
        written "$dir"
    fi
    BYTES=$(stat -c %s "$dir/queue-EX01.txt")
    memory_input "$1" "$2: $BYTES bytes ($dir)" "$dir" queue-last-error
}

# A `Get-Queue | fl` export of QUEUE_MB at EX01: the queues' numbers other each run. Read whole,
# an export held its text and every object at once.
run_queue_text() {
    queue_input queue-text "a Get-Queue | fl export at EX01" '
        gsub(/EX01\\3/, "EX01\\" (i + 3), block)
        gsub(/EX01\\Submission/, "EX01\\Submission" i, block)'
}

# `Get-Queue | fl` run in a loop into one file at EX01 (every minute for days), QUEUE_MB: the same
# identities, the 454 queue's RetryCount one more and its NextRetryTime and LastRetryTime (and the
# LastError's LRT) a minute later each run. Each snapshot kept as its own fact grew memory with
# the bytes.
run_queue_loop() {
    queue_input queue-loop "Get-Queue | fl run in a loop at EX01" '
        sub(/RetryCount *: 11\r/, "RetryCount                       : " (11 + i) "\r", block)
        # The next retry first: a last retry moved on never reads as it.
        sub(/11\/26\/2026 4:06:25 AM/, us(4 * 60 + 6 + i), block)
        gsub(/11\/26\/2026 3:56:25 AM/, us(3 * 60 + 56 + i), block)' '
        # 11/26/2026 0:00:25 plus m minutes, written as Get-Queue writes a US local time.
        function us(m,   y, mo, d, h, days, n) {
            split("31 28 31 30 31 30 31 31 30 31 30 31", days, " ")
            y = 2026; mo = 11; d = 26 + int(m / 1440)
            for (n = days[mo]; d > n; n = days[mo] + (mo == 2 && y % 4 == 0)) {
                d -= n
                if (++mo > 12) { mo = 1; y++ }
            }
            h = int(m / 60) % 24
            return sprintf("%d/%d/%d %d:%02d:25 %s", mo, d, y, (h % 12 == 0) ? 12 : h % 12,
                m % 60, (h < 12) ? "AM" : "PM")
        }'
}

# `Get-Message` of one queue QUEUE_MB deep at EX01, as admins export it: half `ConvertTo-Json
# -Compress` (the whole export one line), half `Export-Clixml` (TN once, TNRef after), every
# message retrying with the 454 LastError; beside them the hand-over sample's `Get-Queue | fl`.
# Read whole, the JSON took 1.9 GB and the CliXml 1.4 GB for 200 MB each.
run_queue_objects() {
    local dir="$DATA/queue-objects-${QUEUE_MB}MB/EX01"
    if needs_writing "$dir"; then
        cp samples/handover-clock-skew/ticket/queue-EX01.txt "$dir/"
        awk -v limit=$((QUEUE_MB * 500000)) -v json="$dir/messages-EX01.json" -v xml="$dir/messages-EX01.xml" '
            BEGIN {
                led = "451 4.4.0 Primary target IP address responded with: \\\"454 4.7.0 Temporary authentication failure.\\\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.1.2.12:25"
                printf "[" > json
                for (i = 0; written < limit; i++) {
                    item = sprintf("%s{\"Identity\":\"EX01\\\\3\\\\%d\",\"Queue\":\"EX01\\\\3\",\"Subject\":\"Quarterly report %d\",\"InternetMessageId\":\"<%d@ex01.contoso.com>\",\"FromAddress\":\"user%d@contoso.com\",\"Status\":3,\"Size\":\"12.5 KB (12,800 bytes)\",\"MessageSourceName\":\"SMTP:Default EX01\",\"SourceIP\":\"10.1.2.11\",\"SCL\":-1,\"DateReceived\":\"\\/Date(1795689605000)\\/\",\"ExpirationTime\":\"\\/Date(1795862405000)\\/\",\"LastError\":\"%s\",\"RetryCount\":4,\"Recipients\":[\"user%d@contoso.com\"]}", i ? "," : "", i, i, i, i % 500, led, i % 700)
                    printf "%s", item > json
                    written += length(item)
                }
                printf "]" > json
                close(json)
                gsub(/\\"/, "\"", led)
                gsub(/"/, "\\&quot;", led)
                printf "\xef\xbb\xbf<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n" > xml
                for (i = 0; written < 2 * limit; i++) {
                    tn = i ? "<TNRef RefId=\"0\" />" : "<TN RefId=\"0\"><T>Deserialized.Microsoft.Exchange.Data.QueueViewer.ExtensibleMessageInfo</T><T>Deserialized.System.Object</T></TN>"
                    item = sprintf("  <Obj RefId=\"%d\">%s<ToString>EX01\\3\\%d</ToString><Props><S N=\"Identity\">EX01\\3\\%d</S><S N=\"Queue\">EX01\\3</S><S N=\"Subject\">Quarterly report %d</S><S N=\"FromAddress\">user%d@contoso.com</S><S N=\"Status\">Retry</S><S N=\"SourceIP\">10.1.2.11</S><DT N=\"DateReceived\">2026-11-26T10:40:05.1234567+01:00</DT><S N=\"LastError\">%s</S><I32 N=\"RetryCount\">4</I32></Props></Obj>\r\n", i, tn, i, i, i, i % 500, led)
                    printf "%s", item > xml
                    written += length(item)
                }
                printf "</Objs>\r\n" > xml
                close(xml)
            }'
        written "$dir"
    fi
    BYTES=$(cat "$dir"/* | wc -c)
    memory_input queue-objects "Get-Message as JSON and CliXml at EX01: $BYTES bytes ($dir)" "$dir" \
        queue-last-error failure-signature
}

# A console transcript QUEUE_MB long at EX01, as an admin's Start-Transcript of the outage holds
# it: the banner (Machine: EX01), the hand-over sample's `Get-Queue | fl`, a `Get-Message | fl` of
# the queue that fills the rest, `w32tm /query /status`, the end banner. Read whole, the 200 MB
# transcript took 1.47 GB.
run_transcript() {
    local dir="$DATA/transcript-${QUEUE_MB}MB/EX01" sample=samples/handover-clock-skew/ticket/queue-EX01.txt
    local file="$dir/PowerShell_transcript.EX01.20261126104000.txt"
    if needs_writing "$dir"; then
        awk -v limit=$((QUEUE_MB * 1000000)) -v out="$file" '
            BEGIN {
                printf "\xef\xbb\xbf**********************\r\nWindows PowerShell transcript start\r\nStart time: 20261126104000\r\nUsername: CONTOSO\\admin\r\nMachine: EX01 (Microsoft Windows NT 10.0.17763.0)\r\n**********************\r\n[PS] C:\\Windows\\system32>Get-Queue | fl\r\n\r\n" > out
            }
            { sub(/\r$/, ""); printf "%s\r\n", $0 > out; written += length($0) + 2 }
            END {
                printf "[PS] C:\\Windows\\system32>Get-Message -Queue EX01\\3 | fl Identity,Subject,FromAddress,Status,DateReceived,LastError\r\n\r\n" > out
                for (i = 0; written < limit; i++) {
                    item = sprintf("Identity     : EX01\\3\\%d\r\nSubject      : Quarterly report %d\r\nFromAddress  : user%d@contoso.com\r\nStatus       : Retry\r\nDateReceived : 26.11.2026 10:40:05\r\nLastError    : 451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.1.2.12:25\r\n\r\n", i, i, i % 500)
                    printf "%s", item > out
                    written += length(item)
                }
                printf "[PS] C:\\Windows\\system32>w32tm /query /status\r\nLeap Indicator: 0(no warning)\r\nStratum: 1 (primary reference - syncd by radio clock)\r\nSource: Local CMOS Clock\r\n\r\n**********************\r\nWindows PowerShell transcript end\r\nEnd time: 20261126110000\r\n**********************\r\n" > out
                close(out)
            }' "$sample"
        written "$dir"
    fi
    BYTES=$(stat -c %s "$file")
    memory_input transcript "a console transcript at EX01 with a Get-Message | fl that deep: $BYTES bytes ($dir)" \
        "$dir" queue-last-error time-sync-status
}

# Command outputs that grow with what they measure, streamed: a stripchart's offsets sampled per
# server pair; a domain's setspn listing keeps the accounts with no SMTP SPN by name (the SPN
# rules weigh the receiver's, known only at the end of the run).
run_stripchart() {
    local dir="$DATA/stripchart-${CMD_MB}MB/EX02"
    local file="$dir/EX02_w32tm-stripchart-DC01.txt"
    if needs_writing "$dir"; then
        awk -v limit=$((CMD_MB * 1000000)) -v out="$file" '
            BEGIN {
                printf "Tracking DC01.contoso.com [10.0.0.10:123].\r\nThe current time is 11/26/2026 4:11:00 AM.\r\n" > out
                for (i = 0; written < limit; i++) {
                    t = 4 * 3600 + 11 * 60 + 2 * i
                    line = sprintf("%02d:%02d:%02d, -%d.%07ds\r\n", int(t / 3600) % 24, int(t / 60) % 60, t % 60, 419 + i % 2, i % 2 ? 31 : 9999752)
                    printf "%s", line > out
                    written += length(line)
                }
                close(out)
            }'
        written "$dir"
    fi
    BYTES=$(stat -c %s "$file")
    memory_input stripchart "a w32tm /stripchart at EX02 against DC01: $BYTES bytes ($dir)" "$dir" clock-sample
}

run_setspn_query() {
    local dir="$DATA/setspn-query-${CMD_MB}MB/DC01"
    local file="$dir/DC01_setspn-Q.txt"
    if needs_writing "$dir"; then
        awk -v limit=$((CMD_MB * 1000000)) -v out="$file" '
            BEGIN {
                printf "Checking domain DC=contoso,DC=com\r\n" > out
                split("TERMSRV RestrictedKrbHost HOST WSMAN", classes, " ")
                for (i = 1; written < limit; i++) {
                    host = sprintf("WS%07d", i)
                    block = sprintf("CN=%s,OU=Workstations,OU=Site%d,DC=contoso,DC=com\r\n", host, i % 50)
                    for (c = 1; c <= 4; c++) {
                        block = block sprintf("\t%s/%s.contoso.com\r\n\t%s/%s\r\n", classes[c], host, classes[c], host)
                    }
                    printf "%s", block > out
                    written += length(block)
                }
                printf "\r\nExisting SPN found!\r\n" > out
                close(out)
            }'
        written "$dir"
    fi
    BYTES=$(stat -c %s "$file")
    memory_input setspn-query "a setspn -Q */* at DC01: $BYTES bytes ($dir)" "$dir" spn-listing spn-accounts
}

# Commands run in a loop into one file: each line read as it comes, a fact said again counted.
# write_runs <file> <awk statements setting `run` from the run's number `i`>: runs of a command
# written one after another until the file holds CMD_MB MB.
write_runs() {
    awk -v limit=$((CMD_MB * 1000000)) -v out="$1" "
        BEGIN {
            for (i = 0; written < limit; i++) {
                $2
                printf \"%s\", run > out
                written += length(run)
            }
            close(out)
        }"
}

# loop_input <name> <server> <file name> <description> <fact kind> <awk run statements>: a
# command's runs (write_runs) in <server>'s folder, then measured for memory.
loop_input() {
    local dir="$DATA/$1-${CMD_MB}MB/$2"
    local file="$dir/$3"
    if needs_writing "$dir"; then
        write_runs "$file" "$6"
        written "$dir"
    fi
    BYTES=$(stat -c %s "$file")
    memory_input "$1" "$4: $BYTES bytes ($dir)" "$dir" "$5"
}

run_portqry_loop() {
    loop_input portqry-loop EX01 EX01_portqry-DC01-88.txt "portqry run in a loop at EX01" port-probe \
        '
            state = (i % 97 == 0) ? "FILTERED" : "LISTENING"
            run = sprintf("Querying target system called:\r\n\r\n DC01.contoso.com\r\n\r\nAttempting to resolve name to IP address...\r\n\r\n\r\nName resolved to 10.0.0.10\r\n\r\nquerying...\r\n\r\nTCP port 88 (kerberos service): %s\r\n\r\nUDP port 88 (kerberos service): LISTENING or FILTERED\r\n\r\n", state)'
}

run_netconnection_loop() {
    loop_input netconnection-loop EX01 EX01_Test-NetConnection-DC01-88.txt \
        "Test-NetConnection run in a loop at EX01" port-probe '
            ok = (i % 97 == 0) ? "False" : "True"
            warning = (ok == "False") ? "WARNING: TCP connect to (10.0.0.10 : 88) failed\r\n" : ""
            run = sprintf("%s\r\n\r\nComputerName           : DC01.contoso.com\r\nRemoteAddress          : 10.0.0.10\r\nRemotePort             : 88\r\nInterfaceAlias         : Ethernet0\r\nSourceAddress          : 10.0.1.11\r\nTcpTestSucceeded       : %s\r\n\r\n\r\n", warning, ok)'
}

run_replsummary_loop() {
    loop_input replsummary-loop DC01 DC01_repadmin-replsummary.txt \
        "repadmin /replsummary run again and again at DC01" replication-status '
            fails = i % 6
            t = 2 * 86400 + 8 * 3600 + 54 * 60 + 60 * i
            stale = sprintf("%dd.%02dh:%02dm:00s", int(t / 86400), int(t % 86400 / 3600), int(t % 3600 / 60))
            run = sprintf("Replication Summary Start Time: 2026-11-26 %02d:%02d:00\r\n\r\nBeginning data collection for replication summary, this may take awhile:\r\n  .....\r\n\r\n\r\nSource DSA          largest delta    fails/total %%%%   error\r\n DC01               %s    %d /   5  %3d  (8524) The DSA operation is unable to proceed because of a DNS lookup failure.\r\n DC02                      14m:05s    0 /   5    0\r\n\r\nDestination DSA     largest delta    fails/total %%%%   error\r\n DC01                      14m:05s    0 /   5    0\r\n DC02               %s    %d /   5  %3d  (8524) The DSA operation is unable to proceed because of a DNS lookup failure.\r\n\r\n", int(i / 60) % 24, i % 60, stale, fails, fails * 20, stale, fails, fails * 20)'
}

run_showrepl_loop() {
    loop_input showrepl-loop DC01 DC01_repadmin-showrepl.txt \
        "repadmin /showrepl run again and again at DC01" replication-status '
            fails = i % 100
            result = (fails == 0) ? "was successful.\r\n" : sprintf("failed, result 8524 (0x214c):\r\n            The DSA operation is unable to proceed because of a DNS lookup failure.\r\n        %d consecutive failure(s).\r\n        Last success @ 2026-11-24 10:00:00.\r\n", fails)
            run = sprintf("Repadmin: running command /showrepl against full DC localhost\r\nDefault-First-Site-Name\\DC01\r\nDSA Options: IS_GC\r\nDSA invocationID: 6f0e4e4a-0000-0000-0000-000000000001\r\n\r\n==== INBOUND NEIGHBORS ======================================\r\n\r\nDC=contoso,DC=com\r\n    Default-First-Site-Name\\DC02 via RPC\r\n        DSA object GUID: 1a2b3c4d-0000-0000-0000-000000000000\r\n        Last attempt @ 2026-11-26 %02d:%02d:00 was successful.\r\n\r\nCN=Configuration,DC=contoso,DC=com\r\n    Default-First-Site-Name\\DC02 via RPC\r\n        DSA object GUID: 1a2b3c4d-0000-0000-0000-000000000000\r\n        Last attempt @ 2026-11-26 07:33:38 %s\r\n", int(i / 60) % 24, i % 60, result)'
}

run_klist_loop() {
    loop_input klist-loop EX01 EX01_klist.txt "klist run every minute at EX01" ticket-cache '
            hour = int(i / 60) % 24
            ticket = "#%d>\tClient: EX01$ @ CONTOSO.COM\r\n\tServer: %s @ CONTOSO.COM\r\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\r\n\tTicket Flags 0x40e10000 -> forwardable renewable initial pre_authent name_canonicalize\r\n\tStart Time: 11/26/2026 %d:00:00 (local)\r\n\tEnd Time:   11/26/2026 %d:00:00 (local)\r\n\tRenew Time: 12/3/2026 %d:00:00 (local)\r\n\tSession Key Type: AES-256-CTS-HMAC-SHA1-96\r\n\tCache Flags: 0x1 -> PRIMARY\r\n\tKdc Called: DC01.contoso.com\r\n\r\n"
            run = "\r\nCurrent LogonId is 0:0x3e7\r\nTargeted LogonId is 0:0x3e7\r\n\r\nCached Tickets: (2)\r\n\r\n" sprintf(ticket, 0, "krbtgt/CONTOSO.COM", hour, (hour + 10) % 24, hour) sprintf(ticket, 1, "SMTPSVC/EX02.contoso.com", hour, (hour + 10) % 24, hour)'
}

run_nltest_loop() {
    loop_input nltest-loop EX01 EX01_nltest-dsgetdc.txt "nltest /dsgetdc run every minute at EX01" \
        dc-locator '
            if (i % 97 == 0) {
                run = "Getting DC name failed: Status = 1355 0x54b ERROR_NO_SUCH_DOMAIN\r\n"
            } else {
                run = "           DC: \\\\DC01.contoso.com\r\n      Address: \\\\10.0.0.10\r\n     Dom Guid: 2f1f3b4c-0d5e-4a6b-9c8d-7e6f5a4b3c2d\r\n     Dom Name: contoso.com\r\n  Forest Name: contoso.com\r\n Dc Site Name: Default-First-Site-Name\r\nOur Site Name: Default-First-Site-Name\r\n        Flags: PDC GC DS LDAP KDC TIMESERV WRITABLE DNS_DC DNS_DOMAIN DNS_FOREST CLOSE_SITE FULL_SECRET WS\r\nThe command completed successfully\r\n"
            }'
}

# --- run ---------------------------------------------------------------------------------------
echo "exauth $COMMIT (profiling build, --no-default-features), best of $RUNS runs, page cache warm"
echo "columns: best wall time, MB/s over the input's bytes (10^6) in that time, user+system CPU"
echo "seconds of that run (on a shared machine the steadier figure), peak RSS over the runs"
declare -A done_inputs=()
for input in "${selected[@]}"; do
    [ -n "${done_inputs[$input]:-}" ] && continue
    done_inputs[$input]=1
    case "$input" in
        small-flat) run_flat small "$SMALL_SERVERS" "$SMALL_SIZE" ;;
        small-elc) run_elc small "$SMALL_SERVERS" "$SMALL_SIZE" ;;
        mid-flat) run_flat mid "$MID_SERVERS" "$MID_SIZE" ;;
        mid-elc) run_elc mid "$MID_SERVERS" "$MID_SIZE" ;;
        large-flat) run_flat large "$LARGE_SERVERS" "$LARGE_SIZE" ;;
        large-elc) run_elc large "$LARGE_SERVERS" "$LARGE_SIZE" ;;
        evtx) run_evtx ;;
        send) run_send ;;
        long-flat) run_long ;;
        spray) run_spray ;;
        send-joined) run_send_joined ;;
        event-text) run_event_text ;;
        event-xml) run_event_xml ;;
        queue-text) run_queue_text ;;
        queue-loop) run_queue_loop ;;
        queue-objects) run_queue_objects ;;
        transcript) run_transcript ;;
        stripchart) run_stripchart ;;
        setspn-query) run_setspn_query ;;
        portqry-loop) run_portqry_loop ;;
        netconnection-loop) run_netconnection_loop ;;
        replsummary-loop) run_replsummary_loop ;;
        showrepl-loop) run_showrepl_loop ;;
        klist-loop) run_klist_loop ;;
        nltest-loop) run_nltest_loop ;;
    esac
done

echo
echo "== targets (issue 14)"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
echo
echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %H:%M UTC'), exauth $COMMIT"
