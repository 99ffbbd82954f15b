//! Checksums everything the protocol-log parser reports, to prove that an optimization changed no
//! result: run it before and after a change and compare the lines.
//!
//! * `smtp_log_digest <dir>...`: every directory of log files (one reassembler per directory, files
//!   in name order, as `smtp_log_parse` feeds them).
//! * `smtp_log_digest --random N [--seed S] [--dump FILE]`: N generated files of well-formed,
//!   damaged and oddly quoted rows (deterministic for a seed), each fed to a fresh reassembler.
//!
//! Each session and file report is hashed through its `Debug` text; `--dump` writes that text out
//! so two runs can be diffed when their digests differ.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::smtp_log::{parse_file_name, LogKind, Reassembler};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Order-sensitive digest of the `Debug` text of every record, with an optional dump.
struct Digest {
    crc: crc32fast::Hasher,
    records: u64,
    dump: Option<std::io::BufWriter<File>>,
}

impl Digest {
    fn add(&mut self, record: &dyn std::fmt::Debug) {
        let text = format!("{record:?}\n");
        self.crc.update(text.as_bytes());
        self.records += 1;
        if let Some(d) = self.dump.as_mut() {
            let _ = d.write_all(text.as_bytes());
        }
    }
}

fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<PathBuf>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(parse_file_name)
            .is_some()
        {
            out.entry(dir.to_path_buf()).or_default().push(path);
        }
    }
}

fn digest_dirs(dirs: &[PathBuf], digest: &mut Digest) {
    let mut groups = BTreeMap::new();
    for d in dirs {
        walk(d, &mut groups);
    }
    for mut files in groups.into_values() {
        files.sort_by_key(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(parse_file_name)
        });
        let mut r = Reassembler::new();
        for path in files {
            let Ok(file) = File::open(&path) else {
                continue;
            };
            let hint = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(parse_file_name)
                .map(|n| n.kind);
            let mut done = Vec::new();
            let report = r.feed(std::io::BufReader::new(file), hint, |s| done.push(s));
            for s in &done {
                digest.add(s);
            }
            digest.add(&report);
        }
        r.finish(|s| digest.add(&s));
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or_default()
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const TIMES: &[&str] = &[
    "2024-05-06T10:00:01.100Z",
    "2024-05-06T10:00:01.101Z",
    "2024-05-06T10:00:01.102Z",
    "2024-05-06T10:00:02.000Z",
    "2024-05-06T09:59:59.999Z",
    "2024-05-06T11:30:00.000Z",
    "2024-05-06T13:00:00.000Z",
    "2024-05-06T10:00:01Z",
    "2024-05-06T10:00:01.5Z",
    "2024-05-06T10:00:01.100+01:00",
    "2024-13-99T99:99:99.999Z",
    "2024-05-06T10:00:0x.100Z",
    " 2024-05-06T10:00:01.100Z",
    "",
];
const CONNECTORS: &[&str] = &[
    "EX\\Default ",
    "Intra-Organization SMTP Send Connector",
    "\"Org, Send\"",
    "\"say \"\"hi\"\"\"",
    "组织内",
    "\"\"",
    "x\"y",
    "",
];
const IDS: &[&str] = &[
    "08DC6D1A2B3C4D5E",
    "08dc6d1a2b3c4d5e",
    "08DC6D1A2B3C4D5F",
    "0000000000000001",
    "1",
    "08DC6D1A2B3C4D5EF",
    "08DC6D1A2B3C4D5G",
    "\"08DC6D1A2B3C4D5E\"",
    "",
];
const ENDPOINTS: &[&str] = &[
    "10.0.0.11:51000",
    "10.0.0.12:25",
    "[fe80::1]:25",
    "\"10.0.0.11:51000\"",
    "",
];
const EVENTS: &[&str] = &[
    "+", "-", "<", ">", "*", "*", "<", ">", "", "\"*\"", "x", "<>",
];
const DATA: &[&str] = &[
    "",
    "EHLO EX01.contoso.com",
    "ehlo x",
    "HELO",
    "EHLOx",
    "\"EHLO a,b\"",
    "\"\"\"EHLO\"\"\"",
    "\" EHLO x\"",
    "STARTTLS",
    "x-anonymoustls",
    "\"X-ANONYMOUSTLS\"",
    "X-EXPS EXCHANGEAUTH SHA256 ",
    "\"X-EXPS GSSAPI dGVzdA==,xx\"",
    "AUTH LOGIN",
    "auth plain dGVzdA==",
    "AUTHX",
    "MAIL FROM:<a@b.c> SIZE=1",
    "RCPT TO:<u@b.c>",
    "BDAT 18234 LAST",
    "QUIT",
    "220 EX02.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 6 May 2024 12:09:31 +0200",
    "\"220 mail.x.x Microsoft ESMTP MAIL Service ready at Tue, 13 Dec 2016 20:17:34 -0500\"",
    "220-EX02 MICROSOFT ESMTP MAIL SERVICE READY AT Mon, 6 May 2024 12:09:31 +0200 x",
    "220 2.0.0 SMTP server ready",
    "220 x ready at",
    "220",
    "250-EX02.contoso.com Hello [10.0.0.11]",
    "\"250 EX02 Hello [10.0.0.11], pleased\"",
    "250-STARTTLS",
    "250-starttls",
    "250-X-ANONYMOUSTLS",
    "250-AUTH NTLM LOGIN",
    "250 AUTH=LOGIN",
    "250-X-EXPS EXCHANGEAUTH GSSAPI NTLM",
    "250-X-EXPS GSSAPI NTLM CUSTOM",
    "250-X-EXCHANGEAUTH SHA256",
    "250-SIZE 37748736",
    "250 2.1.0 Sender OK",
    "\"250 2.6.0 <4f2a@x> [InternalId=1, Hostname=y] Queued\"",
    "2500",
    "235 <authentication information>",
    "235 2.7.0 Authentication successful",
    "334 <authentication information>",
    "454 4.7.0 Temporary authentication failure",
    "\"454 4.7.0 Temporary authentication failure, again\"",
    "535 5.7.3 Authentication unsuccessful",
    "504 5.7.4 Unrecognized authentication type",
    "451 5.7.3 Cannot achieve Exchange Server authentication",
    "451 4.4.0 other",
    "221 2.0.0 Service closing transmission channel",
    "SMTPSubmit SMTPAcceptAnySender",
    "\"SMTPSubmit, SMTPAcceptAnySender\"",
    "SendRoutingHeaders",
    "Inbound ExchangeAuth negotiation failed because of TimeSkew",
    "Outbound Authentication failed with TargetUnknown",
    "Proxying inbound session with session id 08DC6D1A2B3C4D5E",
    "TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded",
];
const CONTEXT: &[&str] = &[
    "",
    "",
    "Set Session Permissions",
    "\" Set Session Permissions \"",
    "set session permissions",
    "Remote",
    "Local",
    "\"Local\"",
    "QuitVerb",
    "attempting to connect",
    "Sending certificate",
    "\"TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384\"",
    "TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded using x, y",
    "TLS negotiation failed with error UnknownCredentials",
    "Inbound ExchangeAuth negotiation failed because of TimeSkew",
    "Inbound ExchangeAuth negotiation failed because connection is not TLS",
    "Inbound Negotiate failed because of LogonDenied",
    "Failed to initialize inbound Negotiate with TargetUnknown",
    "Inbound authentication failed because of IllegalMessage.",
    "Outbound Authentication failed with TimeSkew",
    "Outbound Authentication failed to initialize with TargetUnknown",
    "Flushed Kerberos ticket cache",
    "Failed to flushed Kerberos ticket cache; ErrorCode=5",
    "Proxying inbound session with session id 08DC6D1A2B3C4D5F and more",
    "451 5.7.3 Cannot achieve Exchange Server authentication",
    "Tarpit for '0.00:00:05'",
    "a,b,c",
    "\"unterminated, quote",
    "\"q\"junk",
];
const HEADERS: &[&str] = &[
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context",
    "#Fields: date-time,session-id,sequence-number,event,data,context,connector-id,local-endpoint,remote-endpoint",
    "#Fields: event,session-id",
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context,extra",
    "#Fields:",
    "#Log-type: SMTP Send Protocol Log",
    "#Log-type: SMTP Receive Protocol Log",
    "#Software: Microsoft Exchange Server",
    "#Date: 2024-05-06T10:00:00.000Z",
];

/// One generated file: mostly well-formed rows of a few interleaved sessions, some damage.
fn random_file(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.chance(30) {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    if rng.chance(70) {
        out.extend_from_slice(b"#Log-type: SMTP Send Protocol Log\r\n");
    }
    let rows = rng.below(80);
    let mut seqs = [0u32; 3];
    for _ in 0..rows {
        let eol: &[u8] = if rng.chance(90) { b"\r\n" } else { b"\n" };
        if rng.chance(4) {
            out.extend_from_slice(rng.pick(HEADERS).as_bytes());
            out.extend_from_slice(eol);
            continue;
        }
        if rng.chance(3) {
            // Garbage: a few random fields of random kinds.
            let n = rng.below(12);
            let parts: Vec<&str> = (0..n).map(|_| rng.pick(DATA)).collect();
            out.extend_from_slice(parts.join(",").as_bytes());
            out.extend_from_slice(eol);
            continue;
        }
        let session = rng.below(seqs.len());
        let seq = match rng.below(20) {
            0 => "x".to_owned(),
            1 => "99999999999".to_owned(),
            2 => "0".to_owned(),
            _ => {
                let s = seqs.get(session).copied().unwrap_or_default();
                if let Some(slot) = seqs.get_mut(session) {
                    *slot += 1;
                }
                s.to_string()
            }
        };
        let id = if rng.chance(90) {
            IDS.get(session).copied().unwrap_or_default()
        } else {
            rng.pick(IDS)
        };
        let time = if rng.chance(80) {
            TIMES.first().copied().unwrap_or_default()
        } else {
            rng.pick(TIMES)
        };
        let mut fields = vec![
            time,
            if rng.chance(80) {
                "EX\\Default "
            } else {
                rng.pick(CONNECTORS)
            },
            id,
            seq.as_str(),
            rng.pick(ENDPOINTS),
            rng.pick(ENDPOINTS),
            rng.pick(EVENTS),
            rng.pick(DATA),
            rng.pick(CONTEXT),
        ];
        if rng.chance(5) {
            fields.truncate(rng.below(fields.len()));
        }
        if rng.chance(3) {
            fields.push(rng.pick(CONTEXT));
        }
        let mut line = fields.join(",").into_bytes();
        if rng.chance(2) {
            // Invalid UTF-8 somewhere in the row.
            let at = rng.below(line.len() + 1);
            line.insert(at.min(line.len()), 0xFF);
        }
        out.extend_from_slice(&line);
        out.extend_from_slice(eol);
    }
    if rng.chance(10) {
        out.extend_from_slice(b"2024-05-06T10:00:01.100Z,EX,1,0,a,b,+");
    }
    out
}

fn digest_random(files: usize, seed: u64, digest: &mut Digest) {
    let mut rng = Rng(seed | 1);
    for _ in 0..files {
        let input = random_file(&mut rng);
        let hint = match rng.below(3) {
            0 => Some(LogKind::Send),
            1 => Some(LogKind::Receive),
            _ => None,
        };
        let mut r = Reassembler::new();
        let mut done = Vec::new();
        // Feed in two parts now and then: sessions spanning files.
        let cut = if rng.chance(30) {
            let at = rng.below(input.len());
            input
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
                .map_or(input.len(), |p| at + p + 1)
        } else {
            input.len()
        };
        let (a, b) = input.split_at(cut.min(input.len()));
        let report = r.feed(a, hint, |s| done.push(s));
        digest.add(&report);
        if !b.is_empty() {
            let report = r.feed(b, hint, |s| done.push(s));
            digest.add(&report);
        }
        r.finish(|s| done.push(s));
        for s in &done {
            digest.add(s);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dirs = Vec::new();
    let mut random = None;
    let mut seed = 0x5EED_u64;
    let mut dump = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--random" => random = args.next().and_then(|n| n.parse().ok()),
            "--seed" => seed = args.next().and_then(|n| n.parse().ok()).unwrap_or(seed),
            "--dump" => dump = args.next().map(PathBuf::from),
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    let mut digest = Digest {
        crc: crc32fast::Hasher::new(),
        records: 0,
        dump: dump
            .and_then(|p| File::create(p).ok())
            .map(std::io::BufWriter::new),
    };
    if let Some(n) = random {
        digest_random(n, seed, &mut digest);
    }
    digest_dirs(&dirs, &mut digest);
    if let Some(mut d) = digest.dump.take() {
        let _ = d.flush();
    }
    println!(
        "records={} crc32={:08x}",
        digest.records,
        digest.crc.finalize()
    );
}
