#!/usr/bin/env bash
# Does `exauth inventory` read headers only? Generates a folder of mixed files
# (default 1 GiB; first argument = size in MiB), then measures, on a warm page
# cache: wall time of `exauth inventory`, the bytes it read (strace: sum of
# read/pread64 results), and `cat` of the same files for comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
data=bench-data/inventory-${size_mib}m
cargo build --profile profiling --quiet
bin=target/profiling/exauth

if [ ! -d "$data" ]; then
  mkdir -p "$data"
  python3 - "$data" "$size_mib" <<'PY'
import os, sys, random
root, size_mib = sys.argv[1], int(sys.argv[2])
random.seed(7)
target = size_mib << 20
row = "2026-11-26T10:00:01.102Z,Intra-Organization SMTP Send Connector,08DC6D1A2B3C4D5E,{n},10.1.2.11:51000,10.1.2.12:2525,>,EHLO EX01.contoso.local,\r\n"
header = "\ufeff#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP {t} Protocol Log\r\n#Date: 2026-11-26T10:00:00.000Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n"
block = "".join(row.format(n=i) for i in range(1000)).encode()
written, i = 0, 0
while written < target:
    server = f"EX{i % 20:02d}"
    d = os.path.join(root, server)
    os.makedirs(d, exist_ok=True)
    kind = i % 4
    if kind < 2:
        name, t = (f"SEND20261126-{i}.LOG", "Send") if kind == 0 else (f"RECV20261126-{i}.LOG", "Receive")
        with open(os.path.join(d, name), "wb") as f:
            f.write(header.format(t=t).encode("utf-8"))
            for _ in range(100):
                f.write(block)
            written += f.tell()
    elif kind == 2:
        text = ("RunspaceId : 779ae3c8\r\nDeliveryType : SmtpRelayToMailboxDeliveryGroup\r\nNextHopDomain : db01\r\nStatus : Retry\r\n\r\n" * 2000)
        data = b"\xff\xfe" + text.encode("utf-16-le")
        with open(os.path.join(d, f"{server}_InstantQueueInfo-{i}.txt"), "wb") as f:
            f.write(data)
        written += len(data)
    else:
        data = random.randbytes(4 << 20)
        with open(os.path.join(d, f"noise-{i}.bin"), "wb") as f:
            f.write(data)
        written += len(data)
    i += 1
print(f"generated {written >> 20} MiB in {i} files under {root}")
PY
fi

files=$(find "$data" -type f | wc -l)
bytes=$(du -sb "$data" | cut -f1)
cat $(find "$data" -type f) > /dev/null   # warm the page cache

t0=$(date +%s.%N); $bin inventory -q --format json "$data" > /dev/null; t1=$(date +%s.%N)
t2=$(date +%s.%N); find "$data" -type f -print0 | xargs -0 cat > /dev/null; t3=$(date +%s.%N)
strace -f -qq -e trace=read,pread64 -o bench-data/inventory.strace $bin inventory -q --format json "$data" > /dev/null
read_bytes=$(awk -F'= ' '/^[0-9]+ +(read|pread64)\(/ { n = $NF + 0; if (n > 0) s += n } END { print s + 0 }' bench-data/inventory.strace)

printf 'files: %s, bytes: %s MiB\n' "$files" $((bytes >> 20))
printf 'exauth inventory: %.3f s, read %s KiB from files (%.4f%% of the collection)\n' \
  "$(echo "$t1 - $t0" | bc)" $((read_bytes >> 10)) "$(echo "100 * $read_bytes / $bytes" | bc -l)"
printf 'cat (whole files): %.3f s\n' "$(echo "$t3 - $t2" | bc)"
