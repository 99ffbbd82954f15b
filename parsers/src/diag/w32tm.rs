//! `w32tm /query /status [/verbose]`, `w32tm /query /source`,
//! `w32tm /query /configuration`, `w32tm /query /peers`,
//! `w32tm /stripchart /computer:X [/dataonly]` and `w32tm /monitor`.
//!
//! Clock skew above five minutes breaks Kerberos and so Exchange
//! authentication; these outputs measure it. They become
//! [`ClockMeasurement`]s (offset = remote − local, signed seconds) plus, for
//! `/query /status`, a [`W32tmStatus`]. The status labels are localized, so
//! English labels are matched first and Windows' fixed line order is the
//! fallback; stripchart and monitor lines are recognised by shape
//! (`HH:mm:ss, …s`, `host[ip:123]:`, `NTP: ±N.NNNs offset from …`).
//!
//! A clock that runs on itself (`Local CMOS Clock`, `Free-running System
//! Clock`, `LOCL`), an unsynchronized status or a `NoSync` configuration is
//! clock evidence: [`W32tmOutput::source_kind`], [`W32tmConfiguration`]
//! (`Type`, `AnnounceFlags`, `NtpServer` with their `(Local)`/`(Policy)`
//! origin) and [`W32tmOutput::is_unsynchronized`] expose it. Several outputs
//! may share one text (a transcript of `/query /configuration` then `/query
//! /status`): `w32tm …` command lines, `[Section]` lines and `#Peers:` switch
//! what the following lines are read as.

use super::{find_datetime, label_value, leading_int, resolve_times, seconds_value};
use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem, Problems};
use crate::queue::local_time::{DateOrderChoice, DateOrderOption, ExportedTime};
use crate::reread::{each_line, Reread};
use serde::Serialize;
use std::io::{self, BufRead};
use std::ops::ControlFlow;

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[Kind::W32TM],
    describes: "w32tm /stripchart, /monitor, /query: `Tracking … [ip:123]`, `Leap Indicator:`",
    detect: |head| Format::command_output(Kind::W32TM, head, looks_like),
    name_prefix: Some("w32tm"),
};

/// Which w32tm command a measurement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockSourceKind {
    QueryStatus,
    Stripchart,
    Monitor,
}

/// One clock comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockMeasurement {
    pub kind: ClockSourceKind,
    pub line: u64,
    /// The host measured (stripchart target, monitor host).
    pub target: Option<String>,
    /// `ip:port` as printed in brackets.
    pub target_address: Option<String>,
    /// Whom the offset is relative to (monitor: `offset from <ref>`; status:
    /// the time source).
    pub reference: Option<String>,
    /// Local time of the sample (stripchart: the sample's clock time on the
    /// date of `The current time is …`).
    pub sample_time: Option<ExportedTime>,
    /// Remote − local, seconds.
    pub offset_seconds: Option<f64>,
    /// Round-trip delay, seconds (stripchart `d:`, monitor ICMP).
    pub delay_seconds: Option<f64>,
    pub stratum: Option<u8>,
    /// `error: 0x800705B4`, `[error WSAHOST_NOT_FOUND]`, `NTP: error …`.
    pub error: Option<String>,
    /// Monitor: this host is the PDC emulator (`*** PDC ***`).
    pub is_pdc: bool,
}

impl ClockMeasurement {
    fn new(kind: ClockSourceKind, line: u64) -> Self {
        ClockMeasurement {
            kind,
            line,
            target: None,
            target_address: None,
            reference: None,
            sample_time: None,
            offset_seconds: None,
            delay_seconds: None,
            stratum: None,
            error: None,
            is_pdc: false,
        }
    }
}

/// `w32tm /query /status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct W32tmStatus {
    pub leap_indicator: Option<u8>,
    pub stratum: Option<u8>,
    /// `0x84A36102 (source IP:  132.163.97.2)` as printed.
    pub reference_id: Option<String>,
    pub last_successful_sync_text: Option<String>,
    pub last_successful_sync: Option<ExportedTime>,
    /// `Source:` without the `,0x9` flags (`Local CMOS Clock`, a DC's FQDN…).
    pub source: Option<String>,
    /// The `0x9` flags after `Source:` (a manually configured NTP peer).
    pub source_flags: Option<String>,
    pub poll_interval: Option<i32>,
    pub phase_offset_seconds: Option<f64>,
    pub last_sync_error: Option<String>,
    pub time_since_last_good_sync_seconds: Option<f64>,
    /// False for leap indicator 3 or stratum 0.
    pub synchronized: Option<bool>,
    /// The source is the local clock (CMOS, free-running, `LOCL`).
    pub local_clock_source: bool,
}

/// What the machine takes its time from (`Source:` of `/query /status`, or
/// the line of `/query /source`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSourceKind {
    /// A domain controller (a host name without NTP flags, or `Type: NT5DS`).
    DomainHierarchy(String),
    /// A manually configured NTP server (`time.nist.gov,0x9`, or `Type: NTP`).
    Ntp(String),
    /// `Local CMOS Clock`: the machine is not synchronized with anything.
    LocalCmos,
    /// `Free-running System Clock`: not synchronized with anything.
    FreeRunning,
    /// `VM IC Time Synchronization Provider`: the Hyper-V host's clock.
    VmIc,
    /// Text that is neither a host name nor a known source.
    Unknown(String),
}

impl TimeSourceKind {
    /// The machine's clock runs on its own (CMOS or free-running).
    pub fn is_local_clock(&self) -> bool {
        matches!(
            self,
            TimeSourceKind::LocalCmos | TimeSourceKind::FreeRunning
        )
    }
}

/// Where a `/query /configuration` value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueOrigin {
    /// `(Local)`: the registry of the machine.
    Local,
    /// `(Policy)`: a group policy.
    Policy,
    /// Another (localized) origin word, as printed.
    Other(String),
}

/// `Type:` of the NtpClient provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSyncType {
    /// Domain hierarchy.
    Nt5ds,
    /// The servers in `NtpServer`.
    Ntp,
    /// No synchronization at all.
    NoSync,
    /// Domain hierarchy and `NtpServer`.
    AllSync,
    Other(String),
}

/// One `Name: value (Origin)` line of `/query /configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigValue {
    pub line: u64,
    /// `Configuration`, `TimeProviders`.
    pub section: String,
    /// The provider block (`NtpClient`, `NtpServer`, `VMICTimeProvider`), if any.
    pub provider: Option<String>,
    pub name: String,
    pub value: String,
    pub origin: Option<ValueOrigin>,
}

/// A time provider block of `[TimeProviders]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeProvider {
    pub line: u64,
    pub name: String,
    pub origin: Option<ValueOrigin>,
    /// `Enabled: 1`.
    pub enabled: Option<bool>,
    /// `InputProvider: 1`: the provider feeds the clock.
    pub input_provider: Option<bool>,
}

/// `w32tm /query /configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct W32tmConfiguration {
    /// `Type:` (NtpClient provider).
    pub configured_type: Option<TimeSyncType>,
    pub type_origin: Option<ValueOrigin>,
    /// `AnnounceFlags:` (`10` = a normal DC, `5` = a reliable time source).
    pub announce_flags: Option<u32>,
    /// `NtpServer:` value (`time.windows.com,0x9`), as printed without the origin.
    pub ntp_server: Option<String>,
    pub ntp_server_origin: Option<ValueOrigin>,
    pub providers: Vec<TimeProvider>,
    /// Every value line, in order.
    pub values: Vec<ConfigValue>,
}

/// One peer of `w32tm /query /peers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct W32tmPeer {
    pub line: u64,
    /// `Peer:` without the `,0x9` flags.
    pub name: String,
    /// `,0x9` flags as printed (without the comma).
    pub flags: Option<String>,
    /// `Active`, `Pending`, … (localized text as printed).
    pub state: Option<String>,
    pub stratum: Option<u8>,
    /// `Mode: 3 (Client)` → 3.
    pub mode: Option<u8>,
    /// `LastSyncErrorMsgId:` or `Last Sync Error:` text.
    pub last_sync_error: Option<String>,
}

/// `w32tm /query /peers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct W32tmPeers {
    /// `#Peers: N`.
    pub reported_count: Option<u32>,
    pub peers: Vec<W32tmPeer>,
}

/// Everything in one w32tm output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct W32tmOutput {
    pub status: Option<W32tmStatus>,
    pub measurements: Vec<ClockMeasurement>,
    /// The line of `w32tm /query /source` (trimmed, flags kept).
    pub query_source: Option<String>,
    /// The time source, from `/query /status` `Source:` or `/query /source`,
    /// typed with the help of `/query /configuration` when present.
    pub source_kind: Option<TimeSourceKind>,
    pub configuration: Option<W32tmConfiguration>,
    pub peers: Option<W32tmPeers>,
    pub date_order: DateOrderChoice,
    pub problems: Problems,
    /// Stripchart samples read: in `measurements` from [`parse`], handed over
    /// one by one by [`read`].
    pub stripchart_samples: usize,
}

impl W32tmOutput {
    fn empty() -> Self {
        W32tmOutput {
            status: None,
            measurements: Vec::new(),
            query_source: None,
            source_kind: None,
            configuration: None,
            peers: None,
            date_order: DateOrderChoice::default(),
            problems: Problems::new(),
            stripchart_samples: 0,
        }
    }

    /// True when the text held no w32tm output at all.
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.measurements.is_empty()
            && self.stripchart_samples == 0
            && self.query_source.is_none()
            && self.configuration.is_none()
            && self.peers.is_none()
    }

    /// `Type:` of `/query /configuration`, if read.
    pub fn configured_type(&self) -> Option<&TimeSyncType> {
        self.configuration.as_ref()?.configured_type.as_ref()
    }

    /// `AnnounceFlags:` of `/query /configuration`, if read.
    pub fn announce_flags(&self) -> Option<u32> {
        self.configuration.as_ref()?.announce_flags
    }

    /// Clock evidence: the source is the local clock (CMOS, free-running,
    /// `LOCL`), the status says unsynchronized (leap 3 / stratum 0), or the
    /// configuration says `NoSync`.
    pub fn is_unsynchronized(&self) -> bool {
        self.source_kind
            .as_ref()
            .is_some_and(TimeSourceKind::is_local_clock)
            || self
                .status
                .as_ref()
                .is_some_and(|s| s.local_clock_source || s.synchronized == Some(false))
            || self.configured_type() == Some(&TimeSyncType::NoSync)
    }
}

/// Cheap content check.
pub fn looks_like(text_head: &str) -> bool {
    text_head.lines().take(30).any(|l| {
        let t = l.trim_start_matches('\u{feff}').trim();
        t.starts_with("Leap Indicator:")
            || t.starts_with("Phase Offset:")
            || (t.starts_with("Tracking ") && t.contains(":123]"))
            || t.starts_with("NTP: ")
            || (t.starts_with("ReferenceId:") && t.contains("0x"))
            || t == "[TimeProviders]"
            || (t == "[Configuration]" && text_head.contains("(Local)"))
            || t.starts_with("#Peers:")
            || SOURCE_LINES.contains(&t.strip_prefix("Source:").unwrap_or(t).trim())
    })
}

/// Whole lines `w32tm /query /source` prints for a non-network source.
const SOURCE_LINES: &[&str] = &[
    "Local CMOS Clock",
    "Free-running System Clock",
    "VM IC Time Synchronization Provider",
];

/// A known local/VM source text (`Local CMOS Clock`, …), else `None`.
fn source_kind_of_text(t: &str) -> Option<TimeSourceKind> {
    let l = t.trim().to_lowercase();
    if l.contains("cmos") {
        Some(TimeSourceKind::LocalCmos)
    } else if l.contains("free-running") || l.contains("freilaufend") {
        Some(TimeSourceKind::FreeRunning)
    } else if l.starts_with("vm ic time") || l.contains("vmictimeprovider") {
        Some(TimeSourceKind::VmIc)
    } else {
        None
    }
}

/// Types a source text; `configured` (from `/query /configuration`) decides
/// between a DC and an NTP server when known, else `,0x…` flags mean NTP.
fn classify_source(text: &str, configured: Option<&TimeSyncType>) -> TimeSourceKind {
    let t = text.trim();
    if let Some(k) = source_kind_of_text(t) {
        return k;
    }
    let (host, flags) = match t.rsplit_once(",0x") {
        Some((h, _)) => (h.trim(), true),
        None => (t, false),
    };
    let host_like = !host.is_empty()
        && !host.contains(char::is_whitespace)
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'));
    if !host_like {
        return TimeSourceKind::Unknown(t.to_string());
    }
    match configured {
        Some(TimeSyncType::Nt5ds) => TimeSourceKind::DomainHierarchy(host.to_string()),
        Some(TimeSyncType::Ntp) => TimeSourceKind::Ntp(host.to_string()),
        _ if flags => TimeSourceKind::Ntp(host.to_string()),
        _ => TimeSourceKind::DomainHierarchy(host.to_string()),
    }
}

/// `5 (Local)` → (`5`, Local). Only a final one-word parenthesis is an origin.
fn split_origin(v: &str) -> (&str, Option<ValueOrigin>) {
    let v = v.trim();
    let Some(body) = v.strip_suffix(')') else {
        return (v, None);
    };
    let Some(open) = body.rfind('(') else {
        return (v, None);
    };
    let word = body.get(open + 1..).unwrap_or("").trim();
    if word.is_empty() || word.contains(char::is_whitespace) {
        return (v, None);
    }
    let origin = match word.to_lowercase().as_str() {
        "local" | "lokal" | "lokaal" => ValueOrigin::Local,
        "policy" | "richtlinie" | "beleid" => ValueOrigin::Policy,
        _ => ValueOrigin::Other(word.to_string()),
    };
    (body.get(..open).unwrap_or("").trim(), Some(origin))
}

fn sync_type(v: &str) -> TimeSyncType {
    match v.trim().to_ascii_uppercase().as_str() {
        "NT5DS" => TimeSyncType::Nt5ds,
        "NTP" => TimeSyncType::Ntp,
        "NOSYNC" => TimeSyncType::NoSync,
        "ALLSYNC" => TimeSyncType::AllSync,
        _ => TimeSyncType::Other(v.trim().to_string()),
    }
}

/// What the lines being read belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Status, stripchart, monitor (the original reader).
    General,
    /// After `w32tm /query /source`: the next line is the source.
    Source,
    Configuration,
    Peers,
}

/// `… w32tm /query /configuration` (a prompt line or a bare command) → its mode.
fn command_mode(t: &str) -> Option<Mode> {
    let l = t.to_ascii_lowercase();
    let at = l.find("w32tm")?;
    let rest = l.get(at..)?;
    if !rest.contains("/query") && !rest.contains("/stripchart") && !rest.contains("/monitor") {
        return None;
    }
    Some(if rest.contains("/source") {
        Mode::Source
    } else if rest.contains("/configuration") {
        Mode::Configuration
    } else if rest.contains("/peers") {
        Mode::Peers
    } else {
        Mode::General
    })
}

/// A provider block header: `NtpClient (Local)` / `VMICTimeProvider`.
fn provider_header(t: &str) -> Option<(&str, Option<ValueOrigin>)> {
    if t.contains(':') {
        return None;
    }
    let (name, origin) = split_origin(t);
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some((name, origin))
}

/// Reads one line in configuration mode; false when it is not configuration text.
fn config_line(cfg: &mut W32tmConfiguration, section: &mut String, n: u64, t: &str) -> bool {
    if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        *section = name.trim().to_string();
        return true;
    }
    if let Some((name, origin)) = provider_header(t) {
        cfg.providers.push(TimeProvider {
            line: n,
            name: name.to_string(),
            origin,
            enabled: None,
            input_provider: None,
        });
        return true;
    }
    let Some((label, value)) = label_value(t) else {
        return false;
    };
    let (value, origin) = split_origin(value);
    let provider = cfg
        .providers
        .last_mut()
        .filter(|_| section != "Configuration");
    match label.to_ascii_lowercase().as_str() {
        "type" => {
            cfg.configured_type = Some(sync_type(value));
            cfg.type_origin.clone_from(&origin);
        }
        "announceflags" => {
            cfg.announce_flags = leading_int(value).and_then(|v| u32::try_from(v).ok())
        }
        "ntpserver" => {
            cfg.ntp_server = Some(value.to_string());
            cfg.ntp_server_origin.clone_from(&origin);
        }
        "enabled" => {
            if let Some(p) = provider {
                p.enabled = leading_int(value).map(|v| v != 0);
            }
        }
        "inputprovider" => {
            if let Some(p) = provider {
                p.input_provider = leading_int(value).map(|v| v != 0);
            }
        }
        _ => {}
    }
    cfg.values.push(ConfigValue {
        line: n,
        section: section.clone(),
        provider: cfg
            .providers
            .last()
            .filter(|_| section != "Configuration")
            .map(|p| p.name.clone()),
        name: label.to_string(),
        value: value.to_string(),
        origin,
    });
    true
}

/// Reads one line in peers mode; false when it is not peers text.
fn peers_line(peers: &mut W32tmPeers, n: u64, t: &str) -> bool {
    let Some((label, value)) = label_value(t) else {
        return false;
    };
    let key = norm(label);
    if key == "peers" && label.starts_with('#') {
        peers.reported_count = leading_int(value).and_then(|v| u32::try_from(v).ok());
        return true;
    }
    if key == "peer" {
        let (name, flags) = match value.rsplit_once(",0x") {
            Some((h, f)) => (h.trim(), Some(format!("0x{f}"))),
            None => (value.trim(), None),
        };
        peers.peers.push(W32tmPeer {
            line: n,
            name: name.to_string(),
            flags,
            state: None,
            stratum: None,
            mode: None,
            last_sync_error: None,
        });
        return true;
    }
    let Some(p) = peers.peers.last_mut() else {
        return false;
    };
    match key.as_str() {
        "state" => p.state = Some(value.to_string()),
        "stratum" => p.stratum = leading_int(value).and_then(|v| u8::try_from(v).ok()),
        "mode" => p.mode = leading_int(value).and_then(|v| u8::try_from(v).ok()),
        "lastsyncerrormsgid" | "lastsyncerror" => p.last_sync_error = Some(value.to_string()),
        "timeremaining"
        | "peerpollinterval"
        | "hostpollinterval"
        | "lastsyncerrortime"
        | "lastsuccessfulsynctime"
        | "authtypemsgid"
        | "resolveattempts"
        | "validdata" => {}
        _ => return false,
    }
    true
}

const STATUS_ORDER: &[&str] = &[
    "leapindicator",
    "stratum",
    "precision",
    "rootdelay",
    "rootdispersion",
    "referenceid",
    "lastsuccessfulsynctime",
    "source",
    "pollinterval",
];

fn norm(label: &str) -> String {
    label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn parse_status(
    pairs: &[(String, String)],
    option: DateOrderOption,
) -> (W32tmStatus, DateOrderChoice) {
    let english = pairs
        .iter()
        .any(|(l, _)| STATUS_ORDER.contains(&norm(l).as_str()));
    let key = |i: usize, l: &str| -> String {
        if english {
            norm(l)
        } else {
            STATUS_ORDER
                .get(i)
                .map(|s| s.to_string())
                .unwrap_or_default()
        }
    };
    let mut st = W32tmStatus {
        leap_indicator: None,
        stratum: None,
        reference_id: None,
        last_successful_sync_text: None,
        last_successful_sync: None,
        source: None,
        source_flags: None,
        poll_interval: None,
        phase_offset_seconds: None,
        last_sync_error: None,
        time_since_last_good_sync_seconds: None,
        synchronized: None,
        local_clock_source: false,
    };
    for (i, (label, value)) in pairs.iter().enumerate() {
        let v = value.trim();
        match key(i, label).as_str() {
            "leapindicator" => {
                st.leap_indicator = leading_int(v).and_then(|n| u8::try_from(n).ok())
            }
            "stratum" => st.stratum = leading_int(v).and_then(|n| u8::try_from(n).ok()),
            "referenceid" => {
                st.reference_id = Some(v.to_string());
                if v.contains("LOCL") {
                    st.local_clock_source = true;
                }
            }
            "lastsuccessfulsynctime" => st.last_successful_sync_text = Some(v.to_string()),
            "source" => {
                let s = match v.rsplit_once(",0x") {
                    Some((h, _)) => h,
                    None => v,
                };
                let l = s.to_ascii_lowercase();
                if l.contains("cmos") || l.contains("free-running") {
                    st.local_clock_source = true;
                }
                st.source = Some(s.trim().to_string());
                st.source_flags = v.rsplit_once(",0x").map(|(_, f)| format!("0x{}", f.trim()));
            }
            "pollinterval" => st.poll_interval = leading_int(v).and_then(|n| i32::try_from(n).ok()),
            "phaseoffset" => st.phase_offset_seconds = seconds_value(v),
            "lastsyncerror" => st.last_sync_error = Some(v.to_string()),
            "timesincelastgoodsynctime" => st.time_since_last_good_sync_seconds = seconds_value(v),
            _ => {}
        }
    }
    st.synchronized = match (st.leap_indicator, st.stratum) {
        (Some(3), _) | (_, Some(0)) => Some(false),
        (Some(_), _) | (_, Some(_)) => Some(true),
        _ => None,
    };
    let (times, choice) = resolve_times(&[st.last_successful_sync_text.clone()], option);
    st.last_successful_sync = times.into_iter().next().flatten();
    (st, choice)
}

/// `Tracking host [ip:123].` / `host *** PDC ***[ip:123]:` → (host, address).
fn host_and_address(line: &str) -> (Option<String>, Option<String>) {
    let open = line.find('[');
    let close = line.rfind(']');
    let address = match (open, close) {
        (Some(o), Some(c)) if c > o => line.get(o + 1..c).map(|s| s.trim().to_string()),
        _ => None,
    };
    let before = open.and_then(|o| line.get(..o)).unwrap_or(line);
    let host = before
        .split_whitespace()
        .find(|t| !t.starts_with("***") && !t.eq_ignore_ascii_case("PDC") && t.contains('.'))
        .or_else(|| before.split_whitespace().last())
        .map(|s| s.trim_end_matches(':').to_string());
    (host, address)
}

fn error_text(s: &str) -> Option<String> {
    let l = s.to_ascii_lowercase();
    let at = l.find("error")?;
    let t = s
        .get(at + 5..)?
        .trim_start_matches([':', ' '])
        .trim_end_matches(']')
        .trim();
    Some(if t.is_empty() {
        s.trim().to_string()
    } else {
        t.to_string()
    })
}

/// Parses any of the three outputs (they may be concatenated in one file):
/// every measurement in [`W32tmOutput::measurements`] — a `/monitor`'s,
/// then the stripchart's samples, then the status's offset.
pub fn parse(text: &str, option: DateOrderOption) -> W32tmOutput {
    let mut samples = Vec::new();
    let mut out = read(&mut text.as_bytes(), option, &mut |m| samples.push(m));
    // After the monitor's, as they were; a stripchart alone is moved whole.
    let at = out
        .measurements
        .iter()
        .position(|m| m.kind == ClockSourceKind::QueryStatus)
        .unwrap_or(out.measurements.len());
    if out.measurements.is_empty() {
        out.measurements = samples;
    } else {
        out.measurements.splice(at..at, samples);
    }
    out
}

/// Reads the outputs a line at a time as [`parse`] does, but hands each
/// stripchart sample to `each` as it is read instead of keeping it: a
/// stripchart left running for days holds millions. The output that comes
/// back holds everything else, and counts the samples handed over
/// ([`W32tmOutput::stripchart_samples`]).
///
/// A sample's clock falls on the date of the text's `The current time is …`,
/// which w32tm prints before the first sample; a text that gives it later
/// (or not at all: a pasted excerpt) is read once more to find it first.
pub fn read(
    text: &mut dyn Reread,
    option: DateOrderOption,
    each: &mut dyn FnMut(ClockMeasurement),
) -> W32tmOutput {
    match read_lines(text, option, each) {
        Ok(lines) => lines.finish(),
        Err(e) => {
            let mut out = W32tmOutput::empty();
            out.problems.push(Problem::new(
                Location::File,
                format!("cannot read the text: {e}"),
            ));
            out
        }
    }
}

fn read_lines(
    text: &mut dyn Reread,
    option: DateOrderOption,
    each: &mut dyn FnMut(ClockMeasurement),
) -> io::Result<Lines> {
    let one_line = one_line_source(&mut *text.read_from_start()?)?;
    // Read once, dating samples from the date on; a sample before it stops
    // the reading (none was handed over yet).
    let mut lines = Lines::new(one_line, option, None);
    let mut undated = false;
    each_line(&mut *text.read_from_start()?, &mut |n, line| {
        let dated = lines.is_dated();
        lines.line(n, line, &mut |m| {
            if dated {
                each(m)
            } else {
                undated = true
            }
        });
        if undated {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    if !undated {
        return Ok(lines);
    }
    // The date, wherever it is (if anywhere), then every sample on it.
    let mut finding = Lines::new(one_line, option, None);
    each_line(&mut *text.read_from_start()?, &mut |n, line| {
        finding.line(n, line, &mut |_| {});
        if finding.is_dated() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    let mut lines = Lines::new(one_line, option, finding.current_time_text);
    each_line(&mut *text.read_from_start()?, &mut |n, line| {
        lines.line(n, line, each);
        ControlFlow::Continue(())
    })?;
    Ok(lines)
}

/// True when the text's only non-empty line is no `label: value` (or names a
/// time source): `w32tm /query /source` output.
fn one_line_source(text: &mut dyn BufRead) -> io::Result<bool> {
    let mut first: Option<String> = None;
    let mut more = false;
    each_line(text, &mut |_, line| {
        let t = line.trim();
        if t.is_empty() {
            return ControlFlow::Continue(());
        }
        if first.is_some() {
            more = true;
            return ControlFlow::Break(());
        }
        first = Some(t.to_string());
        ControlFlow::Continue(())
    })?;
    Ok(match first {
        Some(only) if !more => {
            let only = only.trim_start_matches('\u{feff}');
            label_value(only).is_none() || source_kind_of_text(only).is_some()
        }
        _ => false,
    })
}

/// A w32tm text read a line at a time.
struct Lines {
    out: W32tmOutput,
    option: DateOrderOption,
    status_pairs: Vec<(String, String)>,
    tracking: (Option<String>, Option<String>),
    /// The first `The current time is …` (the date of the stripchart's clocks).
    current_time_text: Option<String>,
    base: Option<ExportedTime>,
    monitor: Option<ClockMeasurement>,
    mode: Mode,
    section: String,
}

impl Lines {
    /// `current_time_text`: the date, when an earlier reading found it.
    fn new(
        one_line_source: bool,
        option: DateOrderOption,
        current_time_text: Option<String>,
    ) -> Self {
        let mut lines = Lines {
            out: W32tmOutput::empty(),
            option,
            status_pairs: Vec::new(),
            tracking: (None, None),
            current_time_text: None,
            base: None,
            monitor: None,
            mode: if one_line_source {
                Mode::Source
            } else {
                Mode::General
            },
            section: String::new(),
        };
        if let Some(t) = current_time_text {
            lines.date(t);
        }
        lines
    }

    fn date(&mut self, text: String) {
        let (times, _) = resolve_times(&[Some(text.clone())], self.option);
        self.base = times.into_iter().next().flatten();
        self.current_time_text = Some(text);
    }

    /// True once the text's date was read (whether or not it is a valid date).
    fn is_dated(&self) -> bool {
        self.current_time_text.is_some()
    }

    /// Reads line `n`; a stripchart sample goes to `each`.
    fn line(&mut self, n: u64, raw: &str, each: &mut dyn FnMut(ClockMeasurement)) {
        let out = &mut self.out;
        let line = raw.trim_end().trim_start_matches('\u{feff}');
        let t = line.trim();
        if t.is_empty() {
            return;
        }
        if let Some(m) = command_mode(t) {
            out.measurements.extend(self.monitor.take());
            self.mode = m;
            return;
        }
        if t.starts_with("#Peers:") || t.starts_with("#Peers :") {
            self.mode = Mode::Peers;
        } else if t.starts_with('[') && t.ends_with(']') && !t.contains(':') {
            self.mode = Mode::Configuration;
        } else if self.mode != Mode::General
            && label_value(t)
                .is_some_and(|(l, _)| matches!(norm(l).as_str(), "leapindicator" | "phaseoffset"))
        {
            // `/query /status` text after another output without a command line.
            self.mode = Mode::General;
        }
        match self.mode {
            Mode::Source if t.to_ascii_lowercase().contains("error") => {
                out.problems
                    .push(Problem::new(Location::Line(n), format!("w32tm: {t}")));
                self.mode = Mode::General;
                return;
            }
            Mode::Source => {
                out.query_source = Some(t.to_string());
                self.mode = Mode::General;
                return;
            }
            Mode::Configuration => {
                let cfg = out.configuration.get_or_insert_with(|| W32tmConfiguration {
                    configured_type: None,
                    type_origin: None,
                    announce_flags: None,
                    ntp_server: None,
                    ntp_server_origin: None,
                    providers: Vec::new(),
                    values: Vec::new(),
                });
                if !config_line(cfg, &mut self.section, n, t) {
                    out.problems.push(Problem::new(
                        Location::Line(n),
                        "not a w32tm configuration line",
                    ));
                }
                return;
            }
            Mode::Peers => {
                let peers = out.peers.get_or_insert_with(|| W32tmPeers {
                    reported_count: None,
                    peers: Vec::new(),
                });
                if !peers_line(peers, n, t) {
                    out.problems
                        .push(Problem::new(Location::Line(n), "not a w32tm peers line"));
                }
                return;
            }
            Mode::General => {}
        }
        let indented = line.starts_with(char::is_whitespace);
        // stripchart sample: `14:23:45, +00.0002450s` / `…, error: 0x800705B4`
        if let Some((clock, rest)) = t.split_once(',') {
            let c = clock.trim();
            if c.len() <= 11
                && c.split(':').count() == 3
                && c.split(':').all(|p| {
                    let p = p.trim_end_matches([' ', 'A', 'P', 'M']);
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
                })
            {
                let mut m = ClockMeasurement::new(ClockSourceKind::Stripchart, n);
                m.target.clone_from(&self.tracking.0);
                m.target_address.clone_from(&self.tracking.1);
                if rest.to_ascii_lowercase().contains("error") {
                    m.error = error_text(rest);
                } else {
                    let o = rest.split_whitespace().find(|w| w.starts_with("o:"));
                    m.offset_seconds = seconds_value(o.unwrap_or(rest));
                    m.delay_seconds = rest
                        .split_whitespace()
                        .find(|w| w.starts_with("d:"))
                        .and_then(seconds_value);
                }
                m.sample_time = self.base.and_then(|base| sample_on_date(base, c));
                out.stripchart_samples += 1;
                each(m);
                return;
            }
        }
        if !indented
            && t.contains('[')
            && (t.ends_with(':') || t.to_ascii_lowercase().contains("[error"))
            && !t.starts_with("Tracking")
        {
            out.measurements.extend(self.monitor.take());
            let mut m = ClockMeasurement::new(ClockSourceKind::Monitor, n);
            let (h, a) = host_and_address(t);
            m.target = h;
            if let Some(a) = a {
                if a.to_ascii_lowercase().starts_with("error") {
                    m.error = error_text(&a);
                } else {
                    m.target_address = Some(a);
                }
            }
            m.is_pdc = t.contains("*** PDC ***");
            self.monitor = Some(m);
            return;
        }
        if indented {
            if let Some(m) = self.monitor.as_mut() {
                if let Some((label, value)) = label_value(t) {
                    let lv = value.to_ascii_lowercase();
                    match label.to_ascii_uppercase().as_str() {
                        "ICMP" if lv.starts_with("error") => {}
                        "ICMP" => m.delay_seconds = leading_int(value).map(|ms| ms as f64 / 1000.0),
                        "NTP" if lv.starts_with("error") => m.error = error_text(value),
                        "NTP" => {
                            m.offset_seconds = seconds_value(value);
                            m.reference = value
                                .split_whitespace()
                                .last()
                                .filter(|_| value.split_whitespace().count() > 2)
                                .map(str::to_string);
                        }
                        "STRATUM" => {
                            m.stratum = leading_int(value).and_then(|s| u8::try_from(s).ok())
                        }
                        _ => {}
                    }
                }
                return;
            }
        }
        if t.starts_with("Tracking") || (t.contains('[') && t.contains(":123]")) {
            self.tracking = host_and_address(t.trim_end_matches('.'));
            return;
        }
        if !indented {
            out.measurements.extend(self.monitor.take());
        }
        if let Some((label, value)) = label_value(t) {
            // Labels never hold digits; `The current time is 1/16/2026 2:23…` does.
            if !value.is_empty() && !label.bytes().any(|b| b.is_ascii_digit()) {
                self.status_pairs
                    .push((label.to_string(), value.to_string()));
                return;
            }
        }
        if self.current_time_text.is_none() {
            if let Some(dt) = find_datetime(t) {
                self.date(dt.trim_end_matches('.').to_string());
            }
        }
    }

    /// The output once every line was read.
    fn finish(self) -> W32tmOutput {
        let Lines {
            mut out,
            option,
            status_pairs,
            current_time_text,
            base,
            monitor,
            ..
        } = self;
        out.measurements.extend(monitor);
        let (_, choice) = resolve_times(&[current_time_text], option);
        out.date_order = choice;
        if status_pairs.len() >= 3 {
            let (st, choice) = parse_status(&status_pairs, option);
            if base.is_none() {
                out.date_order = choice;
            }
            if st.stratum.is_some() || st.leap_indicator.is_some() {
                if let Some(off) = st.phase_offset_seconds {
                    let mut m = ClockMeasurement::new(ClockSourceKind::QueryStatus, 0);
                    m.reference.clone_from(&st.source);
                    m.offset_seconds = Some(off);
                    m.stratum = st.stratum;
                    out.measurements.push(m);
                }
                out.status = Some(st);
            }
        }
        let configured = out
            .configuration
            .as_ref()
            .and_then(|c| c.configured_type.as_ref());
        let source_text = out.query_source.clone().or_else(|| {
            let st = out.status.as_ref()?;
            let src = st.source.as_deref()?;
            Some(match st.source_flags.as_deref() {
                Some(f) => format!("{src},{f}"),
                None => src.to_string(),
            })
        });
        out.source_kind = source_text.map(|t| classify_source(&t, configured));
        if let Some(p) = &out.peers {
            if let Some(c) = p.reported_count {
                if c as usize != p.peers.len() {
                    out.problems.push(Problem::new(
                        Location::File,
                        format!("#Peers says {c}, {} listed", p.peers.len()),
                    ));
                }
            }
        }
        if out.is_empty() {
            out.problems.push(Problem::new(
                Location::File,
                "no w32tm status, source, configuration, peers, stripchart or monitor data",
            ));
        }
        out
    }
}

/// The sample's clock time on the base date (next day if it wrapped).
fn sample_on_date(base: ExportedTime, clock: &str) -> Option<ExportedTime> {
    let mut parts = clock.split(':').map(|p| p.trim().parse::<i8>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    let time = jiff::civil::Time::new(h, m, s, 0).ok()?;
    let mut date = base.local.date();
    if time < base.local.time() && (base.local.time().hour() - h) > 12 {
        date = date.tomorrow().ok()?;
    }
    Some(ExportedTime {
        local: date.to_datetime(time),
        ..base
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_real_sample() {
        let o = parse("Leap Indicator: 0(no warning)\r\nStratum: 2 (secondary reference - syncd by (S)NTP)\r\nPrecision: -23 (119.209ns per tick)\r\nRoot Delay: 0.0000000s\r\nRoot Dispersion: 10.0000000s\r\nReferenceId: 0x84A36102 (source IP:  132.163.97.2)\r\nLast Successful Sync Time: 5/30/2025 09:07:01\r\nSource: time.nist.gov,0x9\r\nPoll Interval: 6 (64s)\r\n", DateOrderOption::Infer);
        let st = o.status.clone().unwrap_or_else(|| panic!("{o:?}"));
        assert_eq!(st.stratum, Some(2));
        assert_eq!(st.source.as_deref(), Some("time.nist.gov"));
        assert_eq!(st.synchronized, Some(true));
        assert_eq!(st.poll_interval, Some(6));
        assert_eq!(
            st.last_successful_sync
                .map(|t| t.local.to_string())
                .as_deref(),
            Some("2025-05-30T09:07:01")
        );
    }

    /// FORMATS.md §7.11, W32CFG, verbatim (the `…` lines are the author's elisions).
    const CONFIG: &str = "[Configuration]
EventLogFlags: 2 (Local)
AnnounceFlags: 5 (Local)
TimeJumpAuditOffset: 28800 (Local)
MinPollInterval: 6 (Local)
MaxPollInterval: 10 (Local)
MaxNegPhaseCorrection: 172800 (Local)
…
[TimeProviders]
NtpClient (Local)
DllName: C:\\Windows\\system32\\w32time.dll (Local)
Enabled: 1 (Local)
InputProvider: 1 (Local)
…
SpecialPollInterval: 3600 (Local)
Type: NT5DS (Local)
NtpServer (Local)
…
VMICTimeProvider (Local)
";

    #[test]
    fn configuration_verbatim() {
        assert!(looks_like(CONFIG));
        let o = parse(CONFIG, DateOrderOption::Infer);
        let c = o.configuration.clone().unwrap_or_else(|| panic!("{o:?}"));
        assert_eq!(c.configured_type, Some(TimeSyncType::Nt5ds));
        assert_eq!(c.type_origin, Some(ValueOrigin::Local));
        assert_eq!(c.announce_flags, Some(5));
        assert_eq!(o.announce_flags(), Some(5));
        let names: Vec<&str> = c.providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["NtpClient", "NtpServer", "VMICTimeProvider"]);
        assert_eq!(c.providers[0].enabled, Some(true));
        assert_eq!(c.providers[0].input_provider, Some(true));
        let dll = c
            .values
            .iter()
            .find(|v| v.name == "DllName")
            .map(|v| v.value.as_str());
        assert_eq!(dll, Some("C:\\Windows\\system32\\w32time.dll"));
        assert_eq!(c.values[0].section, "Configuration");
        assert_eq!(c.values[0].provider, None);
        // The three `…` elisions are reported with their lines; everything else is read.
        let lines: Vec<Location> = o.problems.iter().map(|p| p.location).collect();
        assert_eq!(
            lines,
            [Location::Line(8), Location::Line(14), Location::Line(18)]
        );
        assert!(o.status.is_none());
        assert!(!o.is_unsynchronized());
    }

    #[test]
    fn configuration_policy_ntp_and_nosync() {
        let t = "[Configuration]\r\n\r\nAnnounceFlags: 10 (Local)\r\n\r\n[TimeProviders]\r\n\r\nNtpClient (Policy)\r\nEnabled: 1 (Policy)\r\nNtpServer: time.windows.com,0x9 (Policy)\r\nType: NTP (Policy)\r\n";
        let o = parse(t, DateOrderOption::Infer);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        let c = o.configuration.clone().unwrap_or_else(|| panic!("{o:?}"));
        assert_eq!(c.announce_flags, Some(10));
        assert_eq!(c.configured_type, Some(TimeSyncType::Ntp));
        assert_eq!(c.type_origin, Some(ValueOrigin::Policy));
        assert_eq!(c.ntp_server.as_deref(), Some("time.windows.com,0x9"));
        assert_eq!(c.providers[0].origin, Some(ValueOrigin::Policy));
        let nosync = parse(
            &t.replace("Type: NTP", "Type: NoSync"),
            DateOrderOption::Infer,
        );
        assert_eq!(nosync.configured_type(), Some(&TimeSyncType::NoSync));
        assert!(nosync.is_unsynchronized());
    }

    #[test]
    fn query_source_forms() {
        let kind = |t: &str| parse(t, DateOrderOption::Infer).source_kind;
        assert_eq!(
            kind("Local CMOS Clock\r\n"),
            Some(TimeSourceKind::LocalCmos)
        );
        assert_eq!(
            kind("Free-running System Clock"),
            Some(TimeSourceKind::FreeRunning)
        );
        assert_eq!(
            kind("VM IC Time Synchronization Provider  \n"),
            Some(TimeSourceKind::VmIc)
        );
        assert_eq!(
            kind("DC01.example.local\n"),
            Some(TimeSourceKind::DomainHierarchy("DC01.example.local".into()))
        );
        assert_eq!(
            kind("time.windows.com,0x9\n"),
            Some(TimeSourceKind::Ntp("time.windows.com".into()))
        );
        assert!(looks_like("Free-running System Clock\r\n"));
        let o = parse("Local CMOS Clock\n", DateOrderOption::Infer);
        assert_eq!(o.query_source.as_deref(), Some("Local CMOS Clock"));
        assert!(o.is_unsynchronized());
        assert!(o.problems.is_empty());
    }

    #[test]
    fn transcript_with_configuration_then_status() {
        let t = format!(
            "PS C:\\Users\\admin> w32tm /query /configuration\r\n{}\r\nPS C:\\Users\\admin> w32tm /query /status\r\nLeap Indicator: 3(not synchronized)\r\nStratum: 0 (unspecified)\r\nPrecision: -23 (119.209ns per tick)\r\nRoot Delay: 0.0000000s\r\nRoot Dispersion: 0.0000000s\r\nReferenceId: 0x00000000 (unspecified)\r\nLast Successful Sync Time: unspecified\r\nSource: Free-running System Clock\r\nPoll Interval: 10 (1024s)\r\n\r\nPS C:\\Users\\admin> w32tm /query /source\r\nFree-running System Clock\r\n",
            CONFIG.replace("…\n", "").replace('\n', "\r\n")
        );
        let o = parse(&t, DateOrderOption::Infer);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        let st = o.status.clone().unwrap_or_else(|| panic!("{o:?}"));
        assert_eq!(st.synchronized, Some(false));
        assert_eq!(st.source.as_deref(), Some("Free-running System Clock"));
        assert_eq!(o.configured_type(), Some(&TimeSyncType::Nt5ds));
        assert_eq!(o.source_kind, Some(TimeSourceKind::FreeRunning));
        assert!(o.is_unsynchronized());
        // Without command lines: the status labels end the configuration.
        let bare = format!(
            "{}Leap Indicator: 0(no warning)\nStratum: 3 (secondary reference - syncd by (S)NTP)\nPrecision: -23 (119.209ns per tick)\nSource: DC01.contoso.com\nPoll Interval: 10 (1024s)\n",
            CONFIG.replace("…\n", "")
        );
        let o = parse(&bare, DateOrderOption::Infer);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        assert_eq!(o.status.as_ref().and_then(|s| s.stratum), Some(3));
        assert_eq!(
            o.source_kind,
            Some(TimeSourceKind::DomainHierarchy("DC01.contoso.com".into()))
        );
        assert!(!o.is_unsynchronized());
    }

    #[test]
    fn peers() {
        // Shape from memory of Windows output [unverified].
        let t = "#Peers: 2\r\n\r\nPeer: DC01.contoso.com\r\nState: Active\r\nTime Remaining: 1732.3906250s\r\nMode: 3 (Client)\r\nStratum: 1 (primary reference - syncd by radio clock)\r\nPeerPoll Interval: 10 (1024s)\r\nHostPoll Interval: 10 (1024s)\r\n\r\nPeer: time.windows.com,0x8\r\nState: Pending\r\nTime Remaining: 0.0000000s\r\nMode: 0 (reserved)\r\nStratum: 0 (unspecified)\r\n";
        assert!(looks_like(t));
        let o = parse(t, DateOrderOption::Infer);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        let p = o.peers.clone().unwrap_or_else(|| panic!("{o:?}"));
        assert_eq!(p.reported_count, Some(2));
        assert_eq!(p.peers.len(), 2);
        assert_eq!(p.peers[0].name, "DC01.contoso.com");
        assert_eq!(p.peers[0].state.as_deref(), Some("Active"));
        assert_eq!(p.peers[0].stratum, Some(1));
        assert_eq!(p.peers[0].mode, Some(3));
        assert_eq!(p.peers[1].name, "time.windows.com");
        assert_eq!(p.peers[1].flags.as_deref(), Some("0x8"));
        assert_eq!(p.peers[1].state.as_deref(), Some("Pending"));
        assert!(o.status.is_none());
    }

    #[test]
    fn status_local_cmos_is_clock_evidence() {
        let o = parse("Leap Indicator: 3(not synchronized)\nStratum: 0 (unspecified)\nPrecision: -23 (119.209ns per tick)\nReferenceId: 0x4C4F434C (source name:  \"LOCL\")\nLast Successful Sync Time: unspecified\nSource: Local CMOS Clock\nPoll Interval: 6 (64s)\n", DateOrderOption::Infer);
        assert_eq!(o.source_kind, Some(TimeSourceKind::LocalCmos));
        assert!(o.is_unsynchronized());
        let ok = parse("Leap Indicator: 0(no warning)\nStratum: 2 (secondary reference - syncd by (S)NTP)\nPrecision: -23 (119.209ns per tick)\nSource: time.nist.gov,0x9\n", DateOrderOption::Infer);
        assert_eq!(
            ok.source_kind,
            Some(TimeSourceKind::Ntp("time.nist.gov".into()))
        );
        assert!(!ok.is_unsynchronized());
    }
}
