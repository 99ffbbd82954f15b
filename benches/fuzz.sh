#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 60), JOBS at a time
# (default 2), seeding each corpus from the committed samples, a generated
# collection and a few inline lines. Prints executions and findings per target.
#
#   benches/fuzz.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain runs it
# with RUSTC_BOOTSTRAP=1 (sanitizer flags are nightly-only). Corpora grow in
# fuzz/corpus/<target> across runs; crashes land in fuzz/artifacts/<target>
# (both ignored by git). Logs: fuzz/logs/<target>.log.
set -euo pipefail

SECONDS_PER_TARGET=${1:-60}
shift || true
JOBS=${JOBS:-2}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-2048}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZ="$ROOT/fuzz"
export RUSTC_BOOTSTRAP=1

ALL_TARGETS=(detect smtp_log queue_export last_error diag event_export evtx archive)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

command -v cargo-fuzz >/dev/null || { echo "fuzz.sh: cargo install cargo-fuzz first" >&2; exit 2; }

cd "$ROOT"
cargo fuzz build -O --fuzz-dir "$FUZZ" >/dev/null

# --- seeds ----------------------------------------------------------------
SEEDS=$(mktemp -d)
trap 'rm -rf "$SEEDS"' EXIT
cargo build --quiet --no-default-features
"$ROOT/target/debug/exauth" synth --scenario mixed --dcs 2 --hours 1 --out "$SEEDS/synth" -q
"$ROOT/target/debug/exauth" synth --scenario clock-skew --layout elc --locale de-DE --hours 1 --out "$SEEDS/elc" -q

seed() { # seed TARGET FILE...  (copies each file, at most 128 KiB of it)
    local target=$1; shift
    mkdir -p "$FUZZ/corpus/$target"
    for f in "$@"; do
        head -c 131072 "$f" > "$FUZZ/corpus/$target/seed-$(basename "$f" | tr ' ' _)-$(cksum < "$f" | cut -d' ' -f1)"
    done
}
seed_text() { # seed_text TARGET NAME  (text on stdin)
    mkdir -p "$FUZZ/corpus/$1"
    cat > "$FUZZ/corpus/$1/seed-$2"
}

mapfile -t logs < <(find samples "$SEEDS" -name '*.LOG' | head -20)
mapfile -t queues < <(find samples "$SEEDS" -name '*InstantQueueInfo*' | head -12)
mapfile -t diags < <(find samples "$SEEDS" \( -name '*setspn*' -o -name '*w32tm*' -o -name '*repadmin*' -o -name '*portqry*' -o -name '*Test-NetConnection*' -o -name '*ReceiveConnectors*' \) | head -30)
mapfile -t evtxs < <(find samples "$SEEDS" -name '*.evtx' | head -12)
mapfile -t zips < <(find samples "$SEEDS" -name '*.zip' | head -6)

seed smtp_log "${logs[@]}"
seed queue_export "${queues[@]}"
seed diag "${diags[@]}"
seed evtx "${evtxs[@]}"
seed archive "${zips[@]}"
gzip -c "${logs[0]}" > "$SEEDS/log.gz" && seed archive "$SEEDS/log.gz"
mkdir -p "$FUZZ/corpus/detect"
for f in "${logs[@]:0:4}" "${queues[@]:0:4}" "${diags[@]:0:6}" "${evtxs[@]:0:3}" "${zips[@]:0:2}"; do
    head -c 4096 "$f" > "$FUZZ/corpus/detect/seed-$(basename "$f" | tr ' ' _)"
done
grep -ha 'LastError\|LED=' "${queues[@]}" | head -40 | nl -ba | while read -r n line; do
    printf '%s' "${line#*: }" | seed_text last_error "line$n"
done
printf '%s' '[{LRT=26-11-2026 10:40:05};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.1.2.12:25};{FQDN=ex02.contoso.com};{IP=10.1.2.12}]' | seed_text last_error full
printf '%s' '451 4.4.0 Primary target IP address responded with: "451 5.7.3 Cannot achieve Exchange Server authentication."' | seed_text last_error 5.7.3
seed_text queue_export json <<'EOF'
[{"Identity":"EX01\\3","DeliveryType":"SmtpDeliveryToMailbox","NextHopDomain":"ex02.contoso.com","Status":1,"MessageCount":4,"LastError":"[{LRT=11/26/2026 10:40:05 AM};{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"}]","LastRetryTime":"\/Date(1795689605000)\/"}]
EOF
seed_text queue_export csv <<'EOF'
#TYPE Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo
"Identity","DeliveryType","NextHopDomain","Status","MessageCount","LastError","LastRetryTime"
"EX01\3","SmtpDeliveryToMailbox","ex02.contoso.com","Retry","4","451 4.4.0 Primary target IP address responded with: ""454 4.7.0 Temporary authentication failure.""","11/26/2026 10:40:05 AM"
EOF
seed_text queue_export tql <<'EOF'
#Software: Microsoft Exchange Server
#Version: 15.02.1118.007
#Log-type: Transport Queue Log
#Date: 2026-11-26T10:40:05.000Z
#Fields: Timestamp,SequenceNumber,EventId,TransportRole,Server,ComponentName,QueueName,QueueIdentity,Status,NextHopDomain,LastError,MessageCount
2026-11-26T10:40:05.000Z,1,QueueStats,Hub,EX01,Categorizer,ex02.contoso.com,EX01\3,Retry,ex02.contoso.com,451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure.",4
EOF
seed_text diag nltest <<'EOF'
           DC: \\DC01.contoso.com
      Address: \\10.1.2.10
     Dom Guid: 12345678-1234-1234-1234-123456789abc
     Dom Name: contoso.com
  Forest Name: contoso.com
 Dc Site Name: Default-First-Site-Name
Our Site Name: Default-First-Site-Name
        Flags: PDC GC DS LDAP KDC TIMESERV GTIMESERV WRITABLE DNS_DC DNS_DOMAIN DNS_FOREST CLOSE_SITE FULL_SECRET WS DS_8 DS_9 DS_10
The command completed successfully
EOF
seed_text diag klist <<'EOF'

Current LogonId is 0:0x3e7
Targeted LogonId is 0:0x3e7

Cached Tickets: (1)

#0>	Client: EX01$ @ CONTOSO.COM
	Server: SMTPSVC/ex02.contoso.com @ CONTOSO.COM
	KerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96
	Ticket Flags 0x40a10000 -> forwardable renewable pre_authent name_canonicalize
	Start Time: 11/26/2026 10:40:05 (local)
	End Time:   11/26/2026 20:40:05 (local)
	Renew Time: 12/3/2026 10:40:05 (local)
	Session Key Type: AES-256-CTS-HMAC-SHA1-96
	Cache Flags: 0
	Kdc Called: DC01.contoso.com
EOF
seed_text diag showrepl-csv <<'EOF'
showrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,Last Failure Status
showrepl_INFO,Default-First-Site-Name,DC01,"DC=contoso,DC=com",Default-First-Site-Name,DC02,RPC,3,2026-11-26 10:40:05,2026-11-25 10:40:05,8524
EOF
seed_text diag showrepl <<'EOF'
Default-First-Site-Name\DC01
DSA Options: IS_GC
Site Options: (none)
DSA object GUID: 12345678-1234-1234-1234-123456789abc
DSA invocationID: 12345678-1234-1234-1234-123456789abd

==== INBOUND NEIGHBORS ======================================

DC=contoso,DC=com
    Default-First-Site-Name\DC02 via RPC
        DSA object GUID: 12345678-1234-1234-1234-123456789abe
        Last attempt @ 2026-11-26 10:40:05 failed, result 8524 (0x214c):
            The DSA operation is unable to proceed because of a DNS lookup failure.
        3 consecutive failure(s).
        Last success @ 2026-11-25 10:40:05.
EOF
seed_text event_export event-xml <<'EOF'
<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchangeTransport'/><EventID Qualifiers='32768'>1035</EventID><Level>3</Level><Task>1</Task><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2026-11-26T10:40:05.123Z'/><EventRecordID>812215</EventRecordID><Channel>Application</Channel><Computer>EX02.contoso.com</Computer><Security/></System><EventData><Data>IllegalMessage</Data><Data>Default EX02</Data><Data>ExchangeAuth</Data><Data>10.1.2.11</Data></EventData></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Kerberos' Guid='{98e6cfcb-ee0a-41e0-a57b-622d4e1b30b1}' EventSourceName='Kerberos'/><EventID Qualifiers='16384'>4</EventID><TimeCreated SystemTime='2026-11-26T10:40:06.000Z'/><Computer>EX01.contoso.com</Computer></System><EventData><Data Name='Server'>ex02$</Data><Data Name='TargetRealm'>CONTOSO.COM</Data></EventData></Event></Events>
EOF
seed_text event_export clixml <<'EOF'
<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0"><T>System.Diagnostics.EventLogEntry</T><T>System.Object</T></TN>
    <Props>
      <S N="MachineName">EX02.contoso.com</S>
      <I32 N="Index">812215</I32>
      <Obj N="EntryType" RefId="1"><TN RefId="1"><T>System.Diagnostics.EventLogEntryType</T></TN><ToString>Warning</ToString><I32>2</I32></Obj>
      <S N="Source">MSExchangeTransport</S>
      <I64 N="InstanceId">2147484683</I64>
      <Obj N="ReplacementStrings" RefId="2"><TN RefId="2"><T>System.String[]</T></TN><LST><S>IllegalMessage</S><S>Default EX02</S><S>ExchangeAuth</S><S>10.1.2.11</S></LST></Obj>
      <DT N="TimeGenerated">2026-11-26T11:40:05+01:00</DT>
      <S N="Message">Inbound authentication failed with error IllegalMessage for Receive connector Default EX02.</S>
    </Props>
  </Obj>
</Objs>
EOF

# --- run ------------------------------------------------------------------
mkdir -p "$FUZZ/logs"
run_one() {
    local target=$1 max_len=65536
    case $target in evtx|archive) max_len=262144 ;; esac
    cargo fuzz run -O --fuzz-dir "$FUZZ" "$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_LIMIT_MB" \
        -timeout=20 -max_len="$max_len" -print_final_stats=1 \
        > "$FUZZ/logs/$target.log" 2>&1 || true
}
export -f run_one
export FUZZ SECONDS_PER_TARGET RSS_LIMIT_MB
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {}'

printf '\n%-14s %8s %12s %10s %s\n' target seconds executions exec/s findings
for t in "${TARGETS[@]}"; do
    log="$FUZZ/logs/$t.log"
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | awk '{print $5}' || true)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    found=$(ls "$FUZZ/artifacts/$t" 2>/dev/null | wc -l)
    printf '%-14s %8s %12s %10s %s\n' "$t" "${secs:-?}" "${runs:-?}" "${rate:-?}" "$found"
done
