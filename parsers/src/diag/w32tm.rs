//! `w32tm /query /status [/verbose]`, `w32tm /stripchart /computer:X
//! [/dataonly]` and `w32tm /monitor`.
//!
//! Clock skew above five minutes breaks Kerberos and so Exchange
//! authentication; these outputs measure it. They become
//! [`ClockMeasurement`]s (offset = remote − local, signed seconds) plus, for
//! `/query /status`, a [`W32tmStatus`]. The status labels are localized, so
//! English labels are matched first and Windows' fixed line order is the
//! fallback; stripchart and monitor lines are recognised by shape
//! (`HH:mm:ss, …s`, `host[ip:123]:`, `NTP: ±N.NNNs offset from …`).

use super::{find_datetime, label_value, leading_int, resolve_times, seconds_value};
use crate::detect::{Format, Kind};
use crate::problem::{Location, Problem};
use crate::queue::local_time::{DateOrderChoice, DateOrderOption, ExportedTime};
use serde::Serialize;

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
    pub poll_interval: Option<i32>,
    pub phase_offset_seconds: Option<f64>,
    pub last_sync_error: Option<String>,
    pub time_since_last_good_sync_seconds: Option<f64>,
    /// False for leap indicator 3 or stratum 0.
    pub synchronized: Option<bool>,
    /// The source is the local clock (CMOS, free-running, `LOCL`).
    pub local_clock_source: bool,
}

/// Everything in one w32tm output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct W32tmOutput {
    pub status: Option<W32tmStatus>,
    pub measurements: Vec<ClockMeasurement>,
    pub date_order: DateOrderChoice,
    pub problems: Vec<Problem>,
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
    })
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

/// Parses any of the three outputs (they may be concatenated in one file).
pub fn parse(text: &str, option: DateOrderOption) -> W32tmOutput {
    let mut out = W32tmOutput {
        status: None,
        measurements: Vec::new(),
        date_order: DateOrderChoice::default(),
        problems: Vec::new(),
    };
    let mut status_pairs = Vec::new();
    let mut tracking: (Option<String>, Option<String>) = (None, None);
    let mut current_time_text: Option<String> = None;
    let mut strip_samples: Vec<(ClockMeasurement, String)> = Vec::new();
    let mut monitor: Option<ClockMeasurement> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let line = raw.trim_end().trim_start_matches('\u{feff}');
        let t = line.trim();
        if t.is_empty() {
            continue;
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
                m.target.clone_from(&tracking.0);
                m.target_address.clone_from(&tracking.1);
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
                strip_samples.push((m, c.to_string()));
                continue;
            }
        }
        if !indented
            && t.contains('[')
            && (t.ends_with(':') || t.to_ascii_lowercase().contains("[error"))
            && !t.starts_with("Tracking")
        {
            out.measurements.extend(monitor.take());
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
            monitor = Some(m);
            continue;
        }
        if indented {
            if let Some(m) = monitor.as_mut() {
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
                continue;
            }
        }
        if t.starts_with("Tracking") || (t.contains('[') && t.contains(":123]")) {
            tracking = host_and_address(t.trim_end_matches('.'));
            continue;
        }
        if !indented {
            out.measurements.extend(monitor.take());
        }
        if let Some((label, value)) = label_value(t) {
            // Labels never hold digits; `The current time is 1/16/2026 2:23…` does.
            if !value.is_empty() && !label.bytes().any(|b| b.is_ascii_digit()) {
                status_pairs.push((label.to_string(), value.to_string()));
                continue;
            }
        }
        if current_time_text.is_none() {
            if let Some(dt) = find_datetime(t) {
                current_time_text = Some(dt.trim_end_matches('.').to_string());
            }
        }
    }
    out.measurements.extend(monitor.take());
    let (status_times, choice) = resolve_times(&[current_time_text.clone()], option);
    out.date_order = choice;
    let base: Option<ExportedTime> = status_times.into_iter().next().flatten();
    for (mut m, clock) in strip_samples {
        if let Some(base) = base {
            m.sample_time = sample_on_date(base, &clock);
        }
        out.measurements.push(m);
    }
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
    if out.status.is_none() && out.measurements.is_empty() {
        out.problems.push(Problem::new(
            Location::File,
            "no w32tm status, stripchart or monitor data",
        ));
    }
    out
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
}
