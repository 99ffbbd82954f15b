//! Typed records for the catalogued events, decoded from an event's data items.
//!
//! Why one decoder for every input: an event reaches exauth as a `.evtx` record, as
//! event XML, or as a CliXml `Get-EventLog` object, and the evidence must not depend on
//! which. Each input builds a [`RawEvent`](super::RawEvent) (System fields + data items);
//! [`decode`] turns it into an [`EventRecord`] with a family-specific [`EventDetails`].
//!
//! Manifest events carry named `<Data Name=…>`; classic events (MSExchangeTransport,
//! NETLOGON, legacy LsaSrv/W32Time/Kerberos/KDC, NTDS) carry positional insertion
//! strings `%1..%n`. Each field is looked up by its known names first, then by its
//! position in the message template (FORMATS.md §3).

use super::catalog::Family;
use super::zones::windows_zone_to_iana;
use super::{DataItem, RawEvent};
use jiff::Timestamp;
use serde::Serialize;

/// Where an event's time came from, and so how far to trust it as UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeProvenance {
    /// `TimeCreated/@SystemTime` of the event (UTC, stamped by the server's clock).
    NativeUtc,
    /// The `.evtx` record header's FILETIME, used when the event has no TimeCreated.
    RecordHeader,
    /// A server-local time with its offset (CliXml `Get-EventLog` TimeGenerated).
    ServerLocal,
    /// A wall-clock time with no zone and no offset, as pasted event text shows it
    /// (Event Viewer `Date:`, `Get-WinEvent` `TimeCreated`): local time of the machine
    /// that rendered the text. `time` holds that wall clock read as if it were UTC, so
    /// it is *not* an instant until the caller places it in a zone
    /// (`crate::event_text::local_time`).
    LocalUnzoned,
    /// No usable time.
    Unknown,
}

/// One catalogued event: common System fields plus the decoded family details.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// UTC time of the event (see `time_provenance`).
    pub time: Option<Timestamp>,
    pub time_provenance: TimeProvenance,
    /// For server-local sources: the offset the time was written with, in seconds.
    pub utc_offset_seconds: Option<i32>,
    pub computer: String,
    pub channel: String,
    pub provider: String,
    /// Low 16 bits of the message id.
    pub event_id: u16,
    /// High 16 bits of a classic event's message id (e.g. 49152 error, 32768 warning).
    pub qualifiers: Option<u16>,
    /// `EventRecordID` of the event (or the record header's id when missing).
    pub record_id: Option<u64>,
    /// 1 critical, 2 error, 3 warning, 4 information, 0 log-always/audit.
    pub level: Option<u8>,
    pub family: Family,
    pub details: EventDetails,
    /// The insertion strings as found (names for manifest events), for rendering.
    pub data: Vec<DataItem>,
}

/// Decoded fields per catalog family.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "family")]
pub enum EventDetails {
    ExchangeTransport(ExchangeTransportEvent),
    KerberosClient(KerberosClientEvent),
    Kdc(KdcEvent),
    SecurityAudit(SecurityAuditEvent),
    LsaSrv(LsaSrvEvent),
    Netlogon(NetlogonEvent),
    TimeService(TimeServiceEvent),
    DirectoryService(DirectoryServiceEvent),
    Dfsr(DfsrEvent),
    Schannel(SchannelEvent),
    EventLog(EventLogEvent),
}

/// MSExchangeTransport / MSExchangeFrontEndTransport (FORMATS §3.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExchangeTransportEvent {
    /// 1034/1035/2016/2017 %1: SecurityStatus name (`IllegalMessage`, `TimeSkew`, …) or reason.
    pub status: Option<String>,
    pub connector: Option<String>,
    /// `ExchangeAuth`, `Gssapi`, `Ntlm`, `Login`.
    pub mechanism: Option<String>,
    /// 1034/1035 %4, 1012 %3 (brackets removed).
    pub source_ip: Option<String>,
    /// 2016/2017 %4, e.g. `SMTPSVC/ex02.contoso.com`.
    pub target_spn: Option<String>,
    /// 2016 %5: the name this server used.
    pub local_name: Option<String>,
    /// 2003 %2 and %3.
    pub remote_endpoint: Option<String>,
    pub smtp_response: Option<String>,
    /// 1020 %1.
    pub account: Option<String>,
    /// 1012 %2.
    pub max_failures: Option<u32>,
    /// 12014 %1 and %3.
    pub certificate_domain: Option<String>,
    pub fqdn: Option<String>,
}

/// Kerberos client (FORMATS §3.3).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KerberosClientEvent {
    pub error_code: Option<u32>,
    /// e.g. `KRB_AP_ERR_SKEW` (from the event, else from the code).
    pub error_name: Option<String>,
    pub extended_error: Option<String>,
    pub client_time: Option<Timestamp>,
    pub server_time: Option<Timestamp>,
    /// ClientTime − ServerTime in seconds, when both are present.
    pub skew_seconds: Option<f64>,
    pub client_realm: Option<String>,
    pub client_name: Option<String>,
    pub server_realm: Option<String>,
    pub server_name: Option<String>,
    pub target_name: Option<String>,
    pub error_text: Option<String>,
    /// 4/5: the server that returned the error.
    pub server: Option<String>,
    /// 100/101: the SPN.
    pub spn: Option<String>,
    /// 200: the domain without a reachable DC.
    pub domain: Option<String>,
    /// 100/101/200 %2.
    pub reason: Option<String>,
}

/// KDC (FORMATS §3.4).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KdcEvent {
    /// 11: the duplicate name and its type (e.g. `DS_SERVICE_PRINCIPAL_NAME`).
    pub duplicate_name: Option<String>,
    pub name_type: Option<String>,
    /// 7: account name and lookup type.
    pub account_name: Option<String>,
    pub lookup_type: Option<String>,
    /// 14/16/26/27: target service or server, etypes.
    pub target_service: Option<String>,
    pub requested_etypes: Option<String>,
    pub available_etypes: Option<String>,
}

/// Security audit 4625/4768/4769/4771/4776 (FORMATS §3.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SecurityAuditEvent {
    pub target_user: Option<String>,
    pub target_domain: Option<String>,
    pub service_name: Option<String>,
    pub status: Option<u32>,
    pub sub_status: Option<u32>,
    pub ticket_encryption_type: Option<u32>,
    pub pre_auth_type: Option<u32>,
    /// Without the `::ffff:` IPv4-mapped prefix.
    pub ip_address: Option<String>,
    pub ip_port: Option<u16>,
    pub workstation: Option<String>,
    pub package_name: Option<String>,
    pub logon_type: Option<u32>,
}

/// LsaSrv SPNEGO (FORMATS §3.6).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LsaSrvEvent {
    /// The server / SPN (`SMTPSVC/ex02…`).
    pub target: Option<String>,
    pub protocol: Option<String>,
    pub error_text: Option<String>,
    /// NTSTATUS pulled out of the error text (`0xc0000133`) or the binary data.
    pub ntstatus: Option<u32>,
}

/// NETLOGON (FORMATS §3.7).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NetlogonEvent {
    pub domain: Option<String>,
    /// A `\\dc` name when the event names one.
    pub domain_controller: Option<String>,
    /// The remote computer (DC-side events 5722/5723/5805).
    pub peer_computer: Option<String>,
    pub account: Option<String>,
    pub reason: Option<String>,
    /// NTSTATUS from the reason text or the binary data.
    pub status: Option<u32>,
}

/// Windows Time (FORMATS §3.8).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TimeServiceEvent {
    /// 34: the change the service refused, signed seconds.
    pub offset_seconds: Option<f64>,
    /// 34: the largest change it would make.
    pub limit_seconds: Option<f64>,
    /// 50: threshold in milliseconds and duration in seconds.
    pub threshold_ms: Option<f64>,
    pub duration_seconds: Option<f64>,
    /// The peer / time source / DC named by the event.
    pub time_source: Option<String>,
    /// 29: minutes until the next attempt; 36: seconds without sync.
    pub retry_minutes: Option<u64>,
    pub unsynchronized_seconds: Option<u64>,
    pub error_text: Option<String>,
}

/// AD DS replication (FORMATS §3.9). Classic NTDS events differ per id; the fields are
/// found by shape: a DC name (`CN=NTDS Settings,CN=<dc>,…`, an FQDN or a
/// `<guid>._msdcs.<forest>` name) and a Windows error code, from an insertion string or,
/// failing that, the record data (1265). Events whose messages have no error value
/// (2042, 1864, …) never get one, whatever numbers they carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DirectoryServiceEvent {
    pub source_dc: Option<String>,
    pub error_code: Option<u32>,
}

/// DFSR 2213/4012: only the common fields and data items matter.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DfsrEvent {}

/// Schannel (FORMATS §3.10).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchannelEvent {
    /// 36887/36888: TLS fatal alert code.
    pub alert_code: Option<u32>,
    /// 36874: the protocol; 36884: the expected name.
    pub protocol: Option<String>,
    pub target_name: Option<String>,
}

/// EventLog 6013: uptime and the time zone text (`-60 W. Europe Standard Time`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventLogEvent {
    pub uptime_seconds: Option<u64>,
    /// Windows bias: UTC − local, in minutes (−60 for UTC+1).
    pub bias_minutes: Option<i32>,
    pub zone_name: Option<String>,
    /// IANA name for `zone_name`, when known.
    pub iana_zone: Option<&'static str>,
}

/// Lookup of data items by name (case-insensitive) or template position.
struct Fields<'a>(&'a [DataItem]);

impl<'a> Fields<'a> {
    fn named(&self, names: &[&str]) -> Option<&'a str> {
        self.0
            .iter()
            .find(|d| {
                d.name
                    .as_deref()
                    .is_some_and(|n| names.iter().any(|x| x.eq_ignore_ascii_case(n)))
            })
            .map(|d| d.value.as_str())
            .and_then(non_empty)
    }
    /// Named first; else the `%n` insertion string (`n` 1-based).
    fn get(&self, names: &[&str], n: usize) -> Option<&'a str> {
        self.named(names).or_else(|| self.at(n))
    }
    fn at(&self, n: usize) -> Option<&'a str> {
        let index = n.checked_sub(1)?;
        self.0
            .get(index)
            .map(|d| d.value.as_str())
            .and_then(non_empty)
    }
    fn string(&self, names: &[&str], n: usize) -> Option<String> {
        self.get(names, n).map(str::to_string)
    }
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty() && t != "-").then_some(t)
}

fn number(s: Option<&str>) -> Option<u64> {
    super::binxml::parse_number(s?)
}

fn number_u32(s: Option<&str>) -> Option<u32> {
    number(s).and_then(|n| u32::try_from(n).ok())
}

/// Turn a raw event of a catalogued family into its typed record.
pub(crate) fn decode(raw: RawEvent, family: Family, provenance: TimeProvenance) -> EventRecord {
    let f = Fields(&raw.data);
    let message = raw.message.as_deref();
    let details = match family {
        Family::ExchangeTransport => EventDetails::ExchangeTransport(transport(raw.event_id, &f)),
        Family::KerberosClient => EventDetails::KerberosClient(kerberos(raw.event_id, &f)),
        Family::Kdc => EventDetails::Kdc(kdc(raw.event_id, &f)),
        Family::SecurityAudit => EventDetails::SecurityAudit(security(&f)),
        Family::LsaSrv => {
            EventDetails::LsaSrv(lsasrv(raw.event_id, &f, raw.binary.as_deref(), message))
        }
        Family::Netlogon => {
            EventDetails::Netlogon(netlogon(raw.event_id, &f, raw.binary.as_deref(), message))
        }
        Family::TimeService => EventDetails::TimeService(time_service(raw.event_id, &f)),
        Family::DirectoryService => EventDetails::DirectoryService(directory_service(
            raw.event_id,
            &f,
            raw.binary.as_deref(),
        )),
        Family::Dfsr => EventDetails::Dfsr(DfsrEvent {}),
        Family::Schannel => EventDetails::Schannel(schannel(raw.event_id, &f)),
        Family::EventLog => EventDetails::EventLog(event_log(&f)),
    };
    EventRecord {
        time: raw.time,
        time_provenance: if raw.time.is_some() {
            provenance
        } else {
            TimeProvenance::Unknown
        },
        utc_offset_seconds: raw.utc_offset_seconds,
        computer: raw.computer,
        channel: raw.channel,
        provider: raw.provider,
        event_id: raw.event_id,
        qualifiers: raw.qualifiers,
        record_id: raw.record_id,
        level: raw.level,
        family,
        details,
        data: raw.data,
    }
}

fn strip_brackets(s: &str) -> String {
    s.trim_start_matches('[').trim_end_matches(']').to_string()
}

fn transport(id: u16, f: &Fields<'_>) -> ExchangeTransportEvent {
    let mut t = ExchangeTransportEvent::default();
    match id {
        1034 | 1035 => {
            t.status = f.string(&[], 1);
            t.connector = f.string(&[], 2);
            t.mechanism = f.string(&[], 3);
            t.source_ip = f.get(&[], 4).map(strip_brackets);
        }
        1012 => {
            t.connector = f.string(&[], 1);
            t.max_failures = number_u32(f.get(&[], 2));
            t.source_ip = f.get(&[], 3).map(strip_brackets);
        }
        1020 => t.account = f.string(&[], 1),
        2003 => {
            t.connector = f.string(&[], 1);
            t.remote_endpoint = f.string(&[], 2);
            t.smtp_response = f.string(&[], 3);
        }
        2016 | 2017 => {
            t.status = f.string(&[], 1);
            t.connector = f.string(&[], 2);
            t.mechanism = f.string(&[], 3);
            t.target_spn = f.string(&[], 4);
            if id == 2016 {
                t.local_name = f.string(&[], 5);
            }
        }
        2011 => t.connector = f.string(&[], 1),
        12014 => {
            t.certificate_domain = f.string(&[], 1);
            t.connector = f.string(&[], 2);
            t.fqdn = f.string(&[], 3);
        }
        _ => {}
    }
    t
}

fn kerberos(id: u16, f: &Fields<'_>) -> KerberosClientEvent {
    let mut k = KerberosClientEvent::default();
    match id {
        3 => {
            k.client_time = f.get(&["ClientTime"], 2).and_then(parse_kerberos_time);
            k.server_time = f.get(&["ServerTime"], 3).and_then(parse_kerberos_time);
            let code_text = f.get(&["ErrorCode"], 4);
            k.error_code = code_text.and_then(|s| number_u32(s.split_whitespace().next()));
            k.error_name = f
                .get(&["ErrorMessage"], 5)
                .map(str::to_string)
                .or_else(|| {
                    code_text
                        .and_then(|s| s.split_whitespace().nth(1))
                        .map(str::to_string)
                })
                .or_else(|| {
                    k.error_code
                        .and_then(kerberos_error_name)
                        .map(str::to_string)
                });
            k.extended_error = f.string(&["ExtendedError"], 6);
            k.client_realm = f.string(&["ClientRealm"], 7);
            k.client_name = f.string(&["ClientName"], 8);
            k.server_realm = f.string(&["ServerRealm"], 9);
            k.server_name = f.string(&["ServerName"], 10);
            k.target_name = f.string(&["TargetName"], 11);
            k.error_text = f.string(&["ErrorText"], 12);
            if let (Some(c), Some(s)) = (k.client_time, k.server_time) {
                let ns = c.as_nanosecond() - s.as_nanosecond();
                k.skew_seconds = Some(ns as f64 / 1e9);
            }
        }
        4 | 5 => {
            k.server = f.string(&["Server"], 1);
            k.target_name = f.string(&["Targetname", "TargetName"], 3);
            (k.error_code, k.error_name) = if id == 4 {
                (Some(0x29), Some("KRB_AP_ERR_MODIFIED".into()))
            } else {
                (Some(0x21), Some("KRB_AP_ERR_TKT_NYV".into()))
            };
        }
        7 => {
            k.client_name = f.string(&["ClientName"], 1);
            k.client_realm = f.string(&["Realm"], 2);
        }
        100 | 101 => {
            k.spn = f.string(&["SPN", "ServicePrincipalName"], 1);
            k.reason = f.string(&[], 2);
        }
        200 => {
            k.domain = f.string(&["Domain", "DomainName"], 1);
            k.reason = f.string(&[], 2);
        }
        _ => {}
    }
    k
}

/// Names of the Kerberos result codes (FORMATS §3.5).
pub fn kerberos_error_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0x6 => "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        0x7 => "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        0x8 => "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
        0x9 => "KDC_ERR_NULL_KEY",
        0xA => "KDC_ERR_CANNOT_POSTDATE",
        0xB => "KDC_ERR_NEVER_VALID",
        0xC => "KDC_ERR_POLICY",
        0xE => "KDC_ERR_ETYPE_NOTSUPP",
        0xF => "KDC_ERR_SUMTYPE_NOSUPP",
        0x12 => "KDC_ERR_CLIENT_REVOKED",
        0x17 => "KDC_ERR_KEY_EXPIRED",
        0x18 => "KDC_ERR_PREAUTH_FAILED",
        0x19 => "KDC_ERR_PREAUTH_REQUIRED",
        0x1F => "KRB_AP_ERR_BAD_INTEGRITY",
        0x20 => "KRB_AP_ERR_TKT_EXPIRED",
        0x21 => "KRB_AP_ERR_TKT_NYV",
        0x25 => "KRB_AP_ERR_SKEW",
        0x29 => "KRB_AP_ERR_MODIFIED",
        0x2C => "KRB_AP_ERR_BADKEYVER",
        0x2D => "KRB_AP_ERR_NOKEY",
        0x34 => "KRB_ERR_RESPONSE_TOO_BIG",
        0x3C => "KRB_ERR_GENERIC",
        0x44 => "KDC_ERR_WRONG_REALM",
        _ => return None,
    })
}

/// Parse a Kerberos event-3 time: `13:55:10.0000 9/10/2024 Z` (UTC), ISO 8601, or a
/// FILETIME number.
pub fn parse_kerberos_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    if let Some(n) = super::binxml::parse_number(s) {
        return super::binxml::filetime_to_timestamp(n);
    }
    let mut parts = s.split_whitespace();
    let time = parts.next()?;
    let date = parts.next()?;
    let mut hms = time.split(':');
    let hour: i8 = hms.next()?.parse().ok()?;
    let minute: i8 = hms.next()?.parse().ok()?;
    let sec_text = hms.next()?;
    let (sec, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let second: i8 = sec.parse().ok()?;
    let mut nanos: i32 = 0;
    for (i, c) in frac.chars().take(9).enumerate() {
        nanos += c.to_digit(10)? as i32 * 10i32.pow(8 - i as u32);
    }
    let mut mdy = date.split('/');
    let month: i8 = mdy.next()?.parse().ok()?;
    let day: i8 = mdy.next()?.parse().ok()?;
    let year: i16 = mdy.next()?.parse().ok()?;
    let dt = jiff::civil::DateTime::new(year, month, day, hour, minute, second, nanos).ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn kdc(id: u16, f: &Fields<'_>) -> KdcEvent {
    let mut k = KdcEvent::default();
    match id {
        11 => {
            k.duplicate_name = f.string(&["AccountName", "Name"], 1);
            k.name_type = f.string(&["NameType", "Type"], 2);
        }
        7 => {
            k.account_name = f.string(&["AccountName"], 1);
            k.lookup_type = f.string(&["LookupType"], 2);
        }
        14 | 16 | 26 | 27 => {
            k.target_service = f.string(&["TargetService", "ServiceName", "TargetServer"], 1);
            k.account_name = f.string(&["AccountName"], 2);
            k.requested_etypes = f.string(&["RequestedEtypes"], 4);
            k.available_etypes = f.string(&["AvailableEtypes"], 5);
        }
        _ => {}
    }
    k
}

/// Drop the IPv4-mapped IPv6 prefix Windows writes (`::ffff:10.0.0.12`).
pub fn strip_ipv4_mapped(ip: &str) -> &str {
    let lower = ip.get(..7).map(str::to_ascii_lowercase);
    match lower.as_deref() {
        Some("::ffff:") if ip[7..].contains('.') => &ip[7..],
        _ => ip,
    }
}

fn security(f: &Fields<'_>) -> SecurityAuditEvent {
    let named = |n: &[&str]| f.named(n);
    SecurityAuditEvent {
        target_user: named(&["TargetUserName"]).map(str::to_string),
        target_domain: named(&["TargetDomainName"]).map(str::to_string),
        service_name: named(&["ServiceName"]).map(str::to_string),
        status: number_u32(named(&["Status"])),
        sub_status: number_u32(named(&["SubStatus"])),
        ticket_encryption_type: number_u32(named(&["TicketEncryptionType"])),
        pre_auth_type: number_u32(named(&["PreAuthType"])),
        ip_address: named(&["IpAddress"]).map(|s| strip_ipv4_mapped(s).to_string()),
        ip_port: named(&["IpPort"]).and_then(|s| s.parse().ok()),
        workstation: named(&["Workstation", "WorkstationName"]).map(str::to_string),
        package_name: named(&["PackageName", "AuthenticationPackageName"]).map(str::to_string),
        logon_type: number_u32(named(&["LogonType"])),
    }
}

/// The NTSTATUS in a text: the last `0x` + 8 hex digits (`… (0xc0000133)`).
pub fn extract_ntstatus(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    let mut found = None;
    let mut i = 0;
    while i + 10 <= bytes.len() {
        if bytes[i] == b'0' && (bytes[i + 1] == b'x' || bytes[i + 1] == b'X') {
            // Bytes, not `str` slicing: the 8 bytes after `0x` may end inside a
            // multi-byte character.
            let hex = &bytes[i + 2..i + 10];
            let boundary = bytes.get(i + 10).is_none_or(|b| !b.is_ascii_hexdigit());
            if boundary && hex.iter().all(u8::is_ascii_hexdigit) {
                found = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok());
                i += 10;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// NTSTATUS from event binary data: the first 4 bytes, little-endian (`5E0000C0`).
fn status_from_binary(hex: &str) -> Option<u32> {
    let hex = hex.trim();
    let b = |i: usize| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok();
    let value = u32::from_le_bytes([b(0)?, b(1)?, b(2)?, b(3)?]);
    (value & 0xC000_0000 != 0).then_some(value)
}

fn lsasrv(id: u16, f: &Fields<'_>, binary: Option<&str>, message: Option<&str>) -> LsaSrvEvent {
    let mut l = LsaSrvEvent {
        target: f.string(&["Target", "TargetName"], 1),
        ..Default::default()
    };
    match id {
        40960 | 40962 => {
            l.protocol = f.string(&["Protocol"], 2);
            l.error_text = f.string(&["Error"], 3);
        }
        40970 => l.error_text = f.string(&["Error", "ErrorCode"], 2),
        _ => {}
    }
    l.ntstatus = l
        .error_text
        .as_deref()
        .and_then(|t| extract_ntstatus(t).or_else(|| number_u32(Some(t))))
        .or_else(|| binary.and_then(status_from_binary))
        .or_else(|| message.and_then(extract_ntstatus));
    l
}

fn netlogon(id: u16, f: &Fields<'_>, binary: Option<&str>, message: Option<&str>) -> NetlogonEvent {
    let mut n = NetlogonEvent::default();
    match id {
        5719 => {
            n.domain = f.string(&[], 1);
            n.reason = f.string(&[], 2);
        }
        5721 => {
            n.domain_controller = f.string(&[], 1);
            n.domain = f.string(&[], 2);
            n.account = f.string(&[], 4).or_else(|| f.string(&[], 3));
        }
        5722 => {
            n.peer_computer = f.string(&[], 1);
            n.account = f.string(&[], 2);
            n.reason = f.string(&[], 3);
        }
        5723 => {
            n.peer_computer = f.string(&[], 1);
            n.account = f.string(&[], 2);
        }
        5805 => {
            n.peer_computer = f.string(&[], 1);
            n.reason = f.string(&[], 2);
        }
        3210 => {
            // The DC is the `\\name` one; the other names the domain.
            for i in 1..=2 {
                match f.at(i) {
                    Some(v) if v.starts_with("\\\\") => n.domain_controller = Some(v.to_string()),
                    Some(v) if n.domain.is_none() => n.domain = Some(v.to_string()),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    n.status = n
        .reason
        .as_deref()
        .and_then(extract_ntstatus)
        .or_else(|| binary.and_then(status_from_binary))
        .or_else(|| message.and_then(extract_ntstatus));
    n
}

fn float(s: Option<&str>) -> Option<f64> {
    let s = s?.trim().trim_start_matches('+');
    s.parse().ok()
}

fn time_service(id: u16, f: &Fields<'_>) -> TimeServiceEvent {
    let mut t = TimeServiceEvent::default();
    match id {
        34 => {
            t.offset_seconds = float(f.get(&["TimeDifference", "Offset"], 1));
            t.limit_seconds = float(f.get(&["MaxAllowed", "Limit"], 2));
        }
        50 => {
            t.threshold_ms = float(f.get(&[], 1));
            t.duration_seconds = float(f.get(&[], 2));
        }
        29 => t.retry_minutes = number(f.get(&[], 1)),
        36 => t.unsynchronized_seconds = number(f.get(&[], 1)),
        24 | 35 | 37 | 38 | 47 | 138 => {
            t.time_source = f.string(&["TimeSource", "DomainPeer", "Peer"], 1);
            if id == 38 || id == 24 || id == 47 {
                t.error_text = f.string(&["ErrorMessage", "Error"], 2);
            }
        }
        129..=131 | 134 => {
            t.error_text = f.string(&["ErrorMessage", "Error"], 1);
            t.time_source = f.named(&["DomainPeer", "Peer"]).map(str::to_string);
        }
        _ => {}
    }
    t
}

/// NTDS events whose messages carry no error value: their numbers are tombstone
/// lifetimes (2042), latency hours and server counts (1864), or nothing numeric at all.
const DS_WITHOUT_ERROR_VALUE: &[u16] = &[1311, 1388, 1864, 1988, 2042, 2092];

/// NTDS events whose error is only in the record data ("The record data is the status
/// code", 1265): a Win32 error, little-endian.
fn win32_error_from_binary(hex: &str) -> Option<u32> {
    let hex = hex.trim();
    let b = |i: usize| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok();
    let value = u32::from_le_bytes([b(0)?, b(1)?, b(2)?, b(3)?]);
    (value != 0).then_some(value)
}

fn directory_service(id: u16, f: &Fields<'_>, binary: Option<&str>) -> DirectoryServiceEvent {
    let has_error_value = !DS_WITHOUT_ERROR_VALUE.contains(&id);
    let mut d = DirectoryServiceEvent::default();
    for item in f.0 {
        let v = item.value.trim();
        if d.source_dc.is_none() {
            if let Some(rest) = v.strip_prefix("CN=NTDS Settings,CN=") {
                d.source_dc = rest.split(',').next().map(str::to_string);
            } else if looks_like_dns_name(v) {
                d.source_dc = Some(v.to_string());
            }
        }
        if has_error_value && d.error_code.is_none() && !v.is_empty() && v.len() <= 10 {
            if let Some(n) = number_u32(Some(v)).filter(|n| *n >= 5) {
                d.error_code = Some(n);
            }
        }
    }
    if has_error_value && d.error_code.is_none() {
        d.error_code = binary.and_then(win32_error_from_binary);
    }
    d
}

fn looks_like_dns_name(v: &str) -> bool {
    v.contains('.')
        && !v.contains(' ')
        && v.split('.').count() >= 2
        && v.bytes().any(|b| b.is_ascii_alphabetic())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

fn schannel(id: u16, f: &Fields<'_>) -> SchannelEvent {
    let mut s = SchannelEvent::default();
    match id {
        36887 | 36888 => s.alert_code = number_u32(f.get(&["AlertDesc"], 1)),
        36874 => s.protocol = f.string(&["Protocol"], 1),
        36884 => s.target_name = f.string(&["TargetName"], 1),
        _ => {}
    }
    s
}

fn event_log(f: &Fields<'_>) -> EventLogEvent {
    let mut e = EventLogEvent::default();
    for item in f.0 {
        if let Some((bias, zone)) = parse_bias_zone(&item.value) {
            e.bias_minutes = Some(bias);
            e.iana_zone = windows_zone_to_iana(&zone);
            e.zone_name = Some(zone);
        }
    }
    // Uptime is %5; the zone text is the last item.
    e.uptime_seconds = number(f.at(5));
    e
}

/// Parse `-60 W. Europe Standard Time` into bias minutes and zone name.
pub fn parse_bias_zone(s: &str) -> Option<(i32, String)> {
    let (bias, zone) = s.trim().split_once(' ')?;
    let bias: i32 = bias.parse().ok()?;
    let zone = zone.trim();
    zone.bytes()
        .any(|b| b.is_ascii_alphabetic())
        .then(|| (bias, zone.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(provider: &str, id: u16, data: &[(Option<&str>, &str)]) -> RawEvent {
        RawEvent {
            provider: provider.into(),
            event_id: id,
            data: data
                .iter()
                .map(|(n, v)| DataItem {
                    name: n.map(str::to_string),
                    value: v.to_string(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn kerberos_3_decodes_code_and_seven_minute_skew() {
        let r = raw(
            "Microsoft-Windows-Security-Kerberos",
            3,
            &[
                (Some("LogonSession"), "0x0"),
                (Some("ClientTime"), "14:02:10.0000 9/10/2024 Z"),
                (Some("ServerTime"), "13:55:10.0000 9/10/2024 Z"),
                (Some("ErrorCode"), "0x25"),
                (Some("ErrorMessage"), "KRB_AP_ERR_SKEW"),
                (Some("ExtendedError"), ""),
                (Some("ClientRealm"), ""),
                (Some("ClientName"), ""),
                (Some("ServerRealm"), "CONTOSO.COM"),
                (Some("ServerName"), "SMTPSVC/ex02.contoso.com"),
                (Some("TargetName"), "SMTPSVC/ex02.contoso.com@CONTOSO.COM"),
            ],
        );
        let rec = decode(r, Family::KerberosClient, TimeProvenance::NativeUtc);
        let EventDetails::KerberosClient(k) = rec.details else {
            panic!("wrong family")
        };
        assert_eq!(k.error_code, Some(0x25));
        assert_eq!(k.error_name.as_deref(), Some("KRB_AP_ERR_SKEW"));
        assert_eq!(k.skew_seconds, Some(420.0));
        assert_eq!(
            k.server_time.map(|t| t.to_string()).as_deref(),
            Some("2024-09-10T13:55:10Z")
        );
        assert_eq!(k.server_name.as_deref(), Some("SMTPSVC/ex02.contoso.com"));
    }

    #[test]
    fn kerberos_3_positional_code_with_name_in_one_string() {
        let r = raw(
            "Kerberos",
            3,
            &[
                (None, "0x0"),
                (None, ""),
                (None, "13:55:10.0000 9/10/2024 Z"),
                (None, "0x7  KDC_ERR_S_PRINCIPAL_UNKNOWN"),
            ],
        );
        let EventDetails::KerberosClient(k) =
            decode(r, Family::KerberosClient, TimeProvenance::NativeUtc).details
        else {
            panic!("wrong family")
        };
        assert_eq!(k.error_code, Some(7));
        assert_eq!(k.error_name.as_deref(), Some("KDC_ERR_S_PRINCIPAL_UNKNOWN"));
        assert_eq!(k.client_time, None);
        assert_eq!(k.skew_seconds, None);
    }

    #[test]
    fn lsasrv_40960_pulls_ntstatus_out_of_the_text() {
        let r = raw(
            "LsaSrv",
            40960,
            &[
                (None, "SMTPSVC/ex02.contoso.com"),
                (None, "Kerberos"),
                (
                    None,
                    "\"The time at the Primary Domain Controller is different than the time at the Backup Domain Controller or member server by too large an amount. (0xc0000133)\"",
                ),
            ],
        );
        let EventDetails::LsaSrv(l) = decode(r, Family::LsaSrv, TimeProvenance::NativeUtc).details
        else {
            panic!("wrong family")
        };
        assert_eq!(l.ntstatus, Some(0xC000_0133));
        assert_eq!(l.target.as_deref(), Some("SMTPSVC/ex02.contoso.com"));
        assert_eq!(l.protocol.as_deref(), Some("Kerberos"));
    }

    #[test]
    fn security_4771_strips_ipv4_mapped_prefix() {
        let r = raw(
            "Microsoft-Windows-Security-Auditing",
            4771,
            &[
                (Some("TargetUserName"), "EX01$"),
                (Some("ServiceName"), "krbtgt/CONTOSO.COM"),
                (Some("Status"), "0x18"),
                (Some("PreAuthType"), "2"),
                (Some("IpAddress"), "::ffff:10.0.0.12"),
                (Some("IpPort"), "49730"),
            ],
        );
        let EventDetails::SecurityAudit(s) =
            decode(r, Family::SecurityAudit, TimeProvenance::NativeUtc).details
        else {
            panic!("wrong family")
        };
        assert_eq!(s.ip_address.as_deref(), Some("10.0.0.12"));
        assert_eq!(s.ip_port, Some(49730));
        assert_eq!(s.status, Some(0x18));
        assert_eq!(s.service_name.as_deref(), Some("krbtgt/CONTOSO.COM"));
        assert_eq!(strip_ipv4_mapped("::1"), "::1");
    }

    #[test]
    fn w32time_34_offset_is_signed_seconds() {
        let r = raw("W32Time", 34, &[(None, "-86400"), (None, "54000")]);
        let EventDetails::TimeService(t) =
            decode(r, Family::TimeService, TimeProvenance::NativeUtc).details
        else {
            panic!("wrong family")
        };
        assert_eq!(t.offset_seconds, Some(-86400.0));
        assert_eq!(t.limit_seconds, Some(54000.0));
    }

    #[test]
    fn transport_1035_fields_by_position() {
        let r = raw(
            "MSExchangeTransport",
            1035,
            &[
                (None, "TimeSkew"),
                (None, "Default EX02"),
                (None, "ExchangeAuth"),
                (None, "[10.0.0.21]"),
            ],
        );
        let EventDetails::ExchangeTransport(t) =
            decode(r, Family::ExchangeTransport, TimeProvenance::NativeUtc).details
        else {
            panic!("wrong family")
        };
        assert_eq!(t.status.as_deref(), Some("TimeSkew"));
        assert_eq!(t.connector.as_deref(), Some("Default EX02"));
        assert_eq!(t.mechanism.as_deref(), Some("ExchangeAuth"));
        assert_eq!(t.source_ip.as_deref(), Some("10.0.0.21"));
    }

    #[test]
    fn eventlog_6013_time_zone_text() {
        let r = raw(
            "EventLog",
            6013,
            &[
                (None, ""),
                (None, ""),
                (None, ""),
                (None, ""),
                (None, "62"),
                (None, "60"),
                (None, "-60 W. Europe Standard Time"),
            ],
        );
        let EventDetails::EventLog(e) =
            decode(r, Family::EventLog, TimeProvenance::NativeUtc).details
        else {
            panic!("wrong family")
        };
        assert_eq!(e.bias_minutes, Some(-60));
        assert_eq!(e.zone_name.as_deref(), Some("W. Europe Standard Time"));
        assert_eq!(e.iana_zone, Some("Europe/Berlin"));
        assert_eq!(e.uptime_seconds, Some(62));
    }

    #[test]
    fn kdc_11_duplicate_name_and_type() {
        let r = raw(
            "KDC",
            11,
            &[
                (None, "host/2008spn-02.adatum.com"),
                (None, "DS_SERVICE_PRINCIPAL_NAME"),
            ],
        );
        let EventDetails::Kdc(k) = decode(r, Family::Kdc, TimeProvenance::NativeUtc).details else {
            panic!("wrong family")
        };
        assert_eq!(
            k.duplicate_name.as_deref(),
            Some("host/2008spn-02.adatum.com")
        );
        assert_eq!(k.name_type.as_deref(), Some("DS_SERVICE_PRINCIPAL_NAME"));
    }

    #[test]
    fn ntstatus_search_survives_a_short_code_before_non_ascii_text() {
        assert_eq!(extract_ntstatus("错误 0x52e 无法登录。"), None);
        assert_eq!(
            extract_ntstatus("错误 0x52e 无法登录。(0xc000006d)"),
            Some(0xC000_006D)
        );
        assert_eq!(extract_ntstatus("0x1234567é"), None);
    }

    #[test]
    fn ntds_numbers_that_are_not_errors_are_not_error_codes() {
        let tombstone = raw(
            "NTDS Replication",
            2042,
            &[
                (None, "2024-01-15 10:22:31"),
                (None, "3f5a1b2c-4d5e-6f70-8192-a3b4c5d6e7f8"),
                (
                    None,
                    "4a8717eb-1ac9-4e3a-93b8-1b4b6e2f0c11._msdcs.contoso.com",
                ),
                (None, "180"),
            ],
        );
        let EventDetails::DirectoryService(d) = decode(
            tombstone,
            Family::DirectoryService,
            TimeProvenance::NativeUtc,
        )
        .details
        else {
            panic!("wrong family")
        };
        assert_eq!(d.error_code, None);
        assert_eq!(
            d.source_dc.as_deref(),
            Some("4a8717eb-1ac9-4e3a-93b8-1b4b6e2f0c11._msdcs.contoso.com")
        );

        let mut status_in_data = raw(
            "NTDS KCC",
            1265,
            &[
                (None, "DC=contoso,DC=com"),
                (None, "CN=NTDS Settings,CN=DC02,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=contoso,DC=com"),
                (None, "The DSA operation is unable to proceed because of a DNS lookup failure."),
            ],
        );
        status_in_data.binary = Some("4C210000".into());
        let EventDetails::DirectoryService(d) = decode(
            status_in_data,
            Family::DirectoryService,
            TimeProvenance::NativeUtc,
        )
        .details
        else {
            panic!("wrong family")
        };
        assert_eq!(d.error_code, Some(8524));
        assert_eq!(d.source_dc.as_deref(), Some("DC02"));
    }

    #[test]
    fn ntstatus_from_binary_data_is_little_endian() {
        assert_eq!(status_from_binary("5E0000C0"), Some(0xC000_005E));
        assert_eq!(extract_ntstatus("no code here 0x12"), None);
    }

    #[test]
    fn extract_ntstatus_never_splits_a_character() {
        // Found by fuzzing (evtx target): the 8 bytes after `0x` ended inside `⸀`.
        let text = "There are currently no logon servers available to service the logon request.\n (0xc00   \u{2e00}\u{100}\u{1000}";
        assert_eq!(extract_ntstatus(text), None);
        assert_eq!(extract_ntstatus("0x\u{e9}\u{e9}\u{e9}\u{e9}"), None);
        assert_eq!(extract_ntstatus("\u{2e00} (0xc000005e)"), Some(0xC000_005E));
    }
}
