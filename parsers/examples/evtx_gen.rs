//! Writes a domain controller's Security log for benchmarks: mostly logon/logoff/privilege
//! and successful service-ticket noise (4624, 4634, 4672, 4769 status 0), with a sprinkle
//! of catalogued failures (4769 0x7 for `SMTPSVC/…`, 4771 0x18, 4768 0x6, 4776, 4625 with
//! the clock-skew SubStatus), as a real DC's log looks to the evidence reader.
//!
//! Why generated: no public `.evtx` of that size exists, and the reader's speed depends
//! on the mix (how many records pass the catalog pre-filter). Output is deterministic for
//! a seed. The generator is also included by `benches/evtx_catalog.rs` (in memory).
//!
//! Usage: `evtx_gen <out.evtx> [size-mb=200] [seed=1]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::evtx_writer::{
    DataValue, EventData, EventRecord, EvtxWriter, Guid, Provider, Sid, WriteError,
};
use jiff::{SignedDuration, Timestamp};
use std::cell::Cell;
use std::io::{Seek, SeekFrom, Write};
use std::rc::Rc;

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenSummary {
    pub records: u64,
    /// Records of catalogued failure events. Of the successful 4769s, the reader keeps
    /// those of computer accounts (`WS…$`, with an address) and only counts the others.
    pub failures: u64,
    pub bytes: u64,
}

/// One catalogued failure per this many records.
const FAILURE_EVERY: u64 = 1500;

/// A small deterministic generator (SplitMix64): benchmarks need the same file every run,
/// not good randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Counts the bytes the writer has put out (chunks are written as they fill).
struct Counting<W> {
    inner: W,
    written: Rc<Cell<u64>>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written.set(self.written.get() + n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Seek> Seek for Counting<W> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn security() -> Provider {
    Provider::manifest(
        "Microsoft-Windows-Security-Auditing",
        "{54849625-5478-4994-A5BA-3E3B0328C30D}"
            .parse()
            .unwrap_or_default(),
    )
}

fn s(text: impl Into<String>) -> DataValue {
    DataValue::String(text.into())
}

fn sid(rid: u32) -> DataValue {
    DataValue::Sid(Sid {
        revision: 1,
        authority: 5,
        sub_authorities: vec![21, 1_004_336_348, 1_177_238_915, 682_003_330, rid],
    })
}

/// The accounts, machines and addresses the noise is drawn from.
struct Population {
    rng: Rng,
}

impl Population {
    fn user(&mut self) -> (String, u32) {
        let n = self.rng.below(2000) as u32;
        if n % 4 == 0 {
            (format!("WS{n:04}$"), 3000 + n)
        } else {
            (format!("user{n:04}"), 1100 + n)
        }
    }
    fn ip(&mut self) -> String {
        format!(
            "::ffff:10.1.{}.{}",
            self.rng.below(16),
            1 + self.rng.below(250)
        )
    }
    fn port(&mut self) -> String {
        (49152 + self.rng.below(16000)).to_string()
    }
    fn logon_id(&mut self) -> DataValue {
        DataValue::HexInt64(0x1_0000 + self.rng.below(0xFF_FFFF))
    }
    fn service(&mut self) -> String {
        const SERVICES: [&str; 6] = ["krbtgt", "DC01$", "EX01$", "EX02$", "FS01$", "SQL01$"];
        SERVICES[self.rng.below(SERVICES.len() as u64) as usize].to_string()
    }
}

fn audit(id: u16, task: u16, success: bool, items: Vec<(&str, DataValue)>) -> EventRecord {
    EventRecord {
        provider: security(),
        event_id: id,
        version: if id == 4624 { 2 } else { 0 },
        level: 0,
        task,
        keywords: if success {
            0x8020_0000_0000_0000
        } else {
            0x8010_0000_0000_0000
        },
        process_id: 748,
        thread_id: 3412,
        channel: "Security".into(),
        computer: "DC01.contoso.com".into(),
        data: EventData::named(items),
        ..Default::default()
    }
}

fn logon_4624(p: &mut Population) -> EventRecord {
    let (user, rid) = p.user();
    let logon_id = p.logon_id();
    audit(
        4624,
        12544,
        true,
        vec![
            (
                "SubjectUserSid",
                DataValue::Sid(Sid {
                    revision: 1,
                    authority: 0,
                    sub_authorities: vec![0],
                }),
            ),
            ("SubjectUserName", s("-")),
            ("SubjectDomainName", s("-")),
            ("SubjectLogonId", DataValue::HexInt64(0)),
            ("TargetUserSid", sid(rid)),
            ("TargetUserName", s(user)),
            ("TargetDomainName", s("CONTOSO")),
            ("TargetLogonId", logon_id),
            ("LogonType", DataValue::UInt32(3)),
            ("LogonProcessName", s("Kerberos")),
            ("AuthenticationPackageName", s("Kerberos")),
            ("WorkstationName", s("-")),
            ("LogonGuid", DataValue::Guid(Guid(u128::from(p.rng.next())))),
            ("TransmittedServices", s("-")),
            ("LmPackageName", s("-")),
            ("KeyLength", DataValue::UInt32(0)),
            ("ProcessId", DataValue::HexInt64(0)),
            ("ProcessName", s("-")),
            ("IpAddress", s(p.ip())),
            ("IpPort", s(p.port())),
            ("ImpersonationLevel", s("%%1833")),
            ("RestrictedAdminMode", s("-")),
            ("TargetOutboundUserName", s("-")),
            ("TargetOutboundDomainName", s("-")),
            ("VirtualAccount", s("%%1843")),
            ("TargetLinkedLogonId", DataValue::HexInt64(0)),
            ("ElevatedToken", s("%%1842")),
        ],
    )
}

fn logoff_4634(p: &mut Population) -> EventRecord {
    let (user, rid) = p.user();
    let logon_id = p.logon_id();
    audit(
        4634,
        12545,
        true,
        vec![
            ("TargetUserSid", sid(rid)),
            ("TargetUserName", s(user)),
            ("TargetDomainName", s("CONTOSO")),
            ("TargetLogonId", logon_id),
            ("LogonType", DataValue::UInt32(3)),
        ],
    )
}

fn privileges_4672(p: &mut Population) -> EventRecord {
    let (user, rid) = p.user();
    let logon_id = p.logon_id();
    audit(
        4672,
        12548,
        true,
        vec![
            ("SubjectUserSid", sid(rid)),
            ("SubjectUserName", s(user)),
            ("SubjectDomainName", s("CONTOSO")),
            ("SubjectLogonId", logon_id),
            (
                "PrivilegeList",
                s("SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege\r\n\t\t\tSeEnableDelegationPrivilege"),
            ),
        ],
    )
}

fn ticket_4769(p: &mut Population, service: String, status: u32) -> EventRecord {
    let (user, rid) = p.user();
    audit(
        4769,
        14337,
        status == 0,
        vec![
            ("TargetUserName", s(format!("{user}@CONTOSO.COM"))),
            ("TargetDomainName", s("CONTOSO.COM")),
            ("ServiceName", s(service)),
            ("ServiceSid", sid(rid)),
            ("TicketOptions", DataValue::HexInt32(0x4081_0000)),
            (
                "TicketEncryptionType",
                DataValue::HexInt32(if status == 0 { 0x12 } else { 0xFFFF_FFFF }),
            ),
            ("IpAddress", s(p.ip())),
            ("IpPort", s(p.port())),
            ("Status", DataValue::HexInt32(status)),
            ("LogonGuid", DataValue::Guid(Guid(u128::from(p.rng.next())))),
            ("TransmittedServices", s("-")),
        ],
    )
}

/// A catalogued failure, cycling through the kinds a diagnosis looks for.
fn failure(p: &mut Population, n: u64) -> EventRecord {
    match n % 5 {
        0 => ticket_4769(p, "SMTPSVC/ex02.contoso.com".into(), 0x7),
        1 => audit(
            4771,
            14339,
            false,
            vec![
                ("TargetUserName", s("EX01$")),
                ("TargetSid", sid(1105)),
                ("ServiceName", s("krbtgt/CONTOSO.COM")),
                ("TicketOptions", DataValue::HexInt32(0x4081_0010)),
                ("Status", DataValue::HexInt32(0x18)),
                ("PreAuthType", s("2")),
                ("IpAddress", s("::ffff:10.1.2.11")),
                ("IpPort", s(p.port())),
                ("CertIssuerName", s("")),
                ("CertSerialNumber", s("")),
                ("CertThumbprint", s("")),
            ],
        ),
        2 => audit(
            4768,
            14339,
            false,
            vec![
                ("TargetUserName", s("EX03$")),
                ("TargetDomainName", s("CONTOSO.COM")),
                ("TargetSid", sid(0)),
                ("ServiceName", s("krbtgt")),
                ("ServiceSid", sid(502)),
                ("TicketOptions", DataValue::HexInt32(0x4081_0010)),
                ("Status", DataValue::HexInt32(0x6)),
                ("TicketEncryptionType", DataValue::HexInt32(0xFFFF_FFFF)),
                ("PreAuthType", s("-")),
                ("IpAddress", s("::ffff:10.1.2.13")),
                ("IpPort", s(p.port())),
                ("CertIssuerName", s("")),
                ("CertSerialNumber", s("")),
                ("CertThumbprint", s("")),
            ],
        ),
        3 => audit(
            4776,
            14336,
            false,
            vec![
                ("PackageName", s("MICROSOFT_AUTHENTICATION_PACKAGE_V1_0")),
                ("TargetUserName", s("EX01$")),
                ("Workstation", s("EX01")),
                ("Status", DataValue::HexInt32(0xC000_006A)),
            ],
        ),
        _ => audit(
            4625,
            12544,
            false,
            vec![
                ("TargetUserName", s("EX01$")),
                ("TargetDomainName", s("CONTOSO")),
                ("Status", DataValue::HexInt32(0xC000_006D)),
                ("FailureReason", s("%%2304")),
                ("SubStatus", DataValue::HexInt32(0xC000_0133)),
                ("LogonType", DataValue::UInt32(3)),
                ("LogonProcessName", s("Kerberos")),
                ("AuthenticationPackageName", s("Kerberos")),
                ("WorkstationName", s("EX01")),
                ("IpAddress", s("10.1.2.11")),
                ("IpPort", s(p.port())),
            ],
        ),
    }
}

/// Write a DC Security log of at least `target_bytes` into `out`.
pub fn write_dc_security_log<W: Write + Seek>(
    out: W,
    target_bytes: u64,
    seed: u64,
) -> Result<(W, GenSummary), WriteError> {
    let written = Rc::new(Cell::new(0));
    let mut writer = EvtxWriter::new(Counting {
        inner: out,
        written: Rc::clone(&written),
    })?;
    let mut p = Population { rng: Rng(seed) };
    let mut summary = GenSummary::default();
    let mut time: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap_or_default();
    while written.get() < target_bytes {
        let n = summary.records;
        let record = if n % FAILURE_EVERY == FAILURE_EVERY / 2 {
            summary.failures += 1;
            failure(&mut p, n / FAILURE_EVERY)
        } else {
            match p.rng.below(100) {
                0..=39 => logon_4624(&mut p),
                40..=69 => logoff_4634(&mut p),
                70..=84 => privileges_4672(&mut p),
                _ => {
                    let service = p.service();
                    ticket_4769(&mut p, service, 0)
                }
            }
        };
        // A busy DC: a few hundred events a second, 100 ns resolution.
        time += SignedDuration::from_nanos(100 * (1 + p.rng.below(50_000)) as i64);
        writer.write_record(&EventRecord { time, ..record })?;
        summary.records += 1;
    }
    let mut out = writer.finish()?.inner;
    summary.bytes = out.stream_position()?;
    Ok((out, summary))
}

/// Write the log in memory.
pub fn dc_security_log(target_bytes: u64, seed: u64) -> Result<(Vec<u8>, GenSummary), WriteError> {
    let (cursor, summary) =
        write_dc_security_log(std::io::Cursor::new(Vec::new()), target_bytes, seed)?;
    Ok((cursor.into_inner(), summary))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: evtx_gen <out.evtx> [size-mb=200] [seed=1]");
        std::process::exit(2);
    };
    let mb: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let result = std::fs::File::create(&path)
        .map_err(WriteError::from)
        .and_then(|file| {
            write_dc_security_log(std::io::BufWriter::new(file), mb * 1_000_000, seed)
        });
    match result {
        Ok((_, summary)) => eprintln!(
            "{path}: {} bytes, {} records, {} catalogued failures",
            summary.bytes, summary.records, summary.failures
        ),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    }
}
