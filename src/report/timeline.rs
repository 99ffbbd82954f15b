//! `exauth timeline`: every piece of evidence of a collection on one time
//! axis, one row per item — the clock-corrected UTC time, the server, the
//! fact kind, a one-line detail and the origin — so that an admin can read
//! what happened around a failure across servers and DCs.
//!
//! Times are corrected by each server's clock offset (the same correction
//! the diagnosis used); when that changed a time, the row also gives the time
//! as the server stamped it and the correction applied, so nothing is
//! rewritten silently. Rows are sorted by (time, server, origin); evidence
//! without a time (diagnostic outputs saved without one) comes last.
//! Rendered as aligned text, CSV (RFC 4180, formula cells defused) or JSON
//! lines.

use super::escape::terminal;
use super::{Fmt, Sink};
use crate::correlate::case::Case;
use crate::evidence::{Evidence, Fact, KerberosSource, TimeBasis};
use crate::model::AuthOutcome;
use jiff::Timestamp;
use serde::Serialize;
use std::fmt::Write;
use std::io;

/// Which rows to keep. Empty lists keep everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep rows at or after this corrected time (drops untimed rows).
    pub from: Option<Timestamp>,
    /// Keep rows at or before this corrected time (drops untimed rows).
    pub to: Option<Timestamp>,
    /// Short server names, upper case.
    pub servers: Vec<String>,
    /// Fact kinds (see [`crate::evidence::FACT_KINDS`]).
    pub kinds: Vec<String>,
}

impl Filter {
    fn keeps(&self, row: &TimelineRow) -> bool {
        if self.from.is_some() || self.to.is_some() {
            let Some(t) = row.time else { return false };
            if self.from.is_some_and(|f| t < f) || self.to.is_some_and(|to| t > to) {
                return false;
            }
        }
        if !self.servers.is_empty()
            && !row
                .server
                .as_ref()
                .is_some_and(|s| self.servers.contains(s))
        {
            return false;
        }
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == row.kind)
    }
}

/// One row of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineRow {
    /// Clock-corrected UTC.
    pub time: Option<Timestamp>,
    pub server: Option<String>,
    pub kind: &'static str,
    pub detail: String,
    pub origin: String,
    /// The time as the server stamped it, when the correction changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stamped: Option<Timestamp>,
    /// Seconds subtracted from the stamped time (the server's clock offset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction_s: Option<f64>,
    pub time_basis: TimeBasis,
}

/// The rows of a case that pass `filter`, sorted by (time, server, origin).
pub fn rows(case: &Case, filter: &Filter) -> Vec<TimelineRow> {
    let mut out: Vec<TimelineRow> = case
        .evidence
        .iter()
        .map(|e| row(e, e.corrected))
        .filter(|r| filter.keeps(r))
        .collect();
    out.sort_by(|a, b| {
        (a.time.is_none(), a.time, &a.server, &a.origin, a.kind).cmp(&(
            b.time.is_none(),
            b.time,
            &b.server,
            &b.origin,
            b.kind,
        ))
    });
    out
}

fn row(e: &Evidence, corrected: Option<Timestamp>) -> TimelineRow {
    let time = corrected.or(e.time);
    let (stamped, correction_s) = match (e.time, time) {
        (Some(raw), Some(t)) if raw != t => {
            let diff = raw.duration_since(t).as_secs_f64();
            (Some(raw), Some((diff * 1000.0).round() / 1000.0))
        }
        _ => (None, None),
    };
    TimelineRow {
        time,
        server: e.server.clone(),
        kind: e.fact.kind(),
        detail: describe(&e.fact),
        origin: e.origin.clone(),
        stamped,
        correction_s,
        time_basis: e.time_basis,
    }
}

fn opt(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("?")
}

/// One line about a fact, for people.
pub fn describe(fact: &Fact) -> String {
    match fact {
        Fact::InboundAuthFailed {
            event_id,
            status,
            connector,
            mechanism,
            client_ip,
        } => format!(
            "event {event_id}: inbound {mechanism} failed with {status} on {connector}{}",
            client_ip
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default()
        ),
        Fact::OutboundAuthFailed {
            event_id,
            status,
            connector,
            mechanism,
            target,
        } => format!(
            "event {event_id}: outbound {mechanism} failed with {status} on {connector}{}",
            target
                .as_ref()
                .map(|t| format!(" for {t}"))
                .unwrap_or_default()
        ),
        Fact::TransportEvent { event_id, summary } => format!("event {event_id}: {summary}"),
        Fact::KerberosError {
            source,
            event_id,
            code,
            code_name,
            target,
            client,
            client_ip,
            skew_s,
        } => kerberos(
            *source, *event_id, *code, code_name, target, client, client_ip, *skew_s,
        ),
        Fact::KerberosTicketIssued {
            service,
            client,
            client_ip,
        } => format!(
            "ticket issued for {service} to {}{}",
            opt(client),
            client_ip.map(|ip| format!(" ({ip})")).unwrap_or_default()
        ),
        Fact::DuplicateName { name, name_type } => format!(
            "duplicate name {name}{}",
            name_type
                .as_ref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default()
        ),
        Fact::SpnNotRegistered { spn } => format!("SPN not registered: {spn}"),
        Fact::TimeServiceEvent {
            event_id,
            offset_s,
            summary,
        } => format!(
            "Time-Service {event_id}: {summary}{}",
            offset_s
                .map(|o| format!(" (offset {o:+.1} s)"))
                .unwrap_or_default()
        ),
        Fact::ReplicationEvent {
            event_id,
            source_dc,
            error_code,
            summary,
        } => format!(
            "replication {event_id}: {summary}{}{}",
            source_dc
                .as_ref()
                .map(|d| format!(" from {d}"))
                .unwrap_or_default(),
            error_code
                .map(|c| format!(" (error {c})"))
                .unwrap_or_default()
        ),
        Fact::NetlogonEvent { event_id, summary } => format!("Netlogon {event_id}: {summary}"),
        Fact::TimeZone { bias_minutes, name } => format!(
            "time zone {name}{}",
            bias_minutes
                .map(|b| format!(" (bias {b} min)"))
                .unwrap_or_default()
        ),
        Fact::QueueLastError {
            queue,
            outer,
            inner,
            truncated,
            retry_count,
            ..
        } => format!(
            "queue {queue}: {}{}{}{}",
            opt(outer),
            inner
                .as_ref()
                .map(|i| format!(" — {i}"))
                .unwrap_or_default(),
            if *truncated { " (cut)" } else { "" },
            retry_count
                .map(|r| format!(", {r} retries"))
                .unwrap_or_default()
        ),
        Fact::SmtpAuth {
            log,
            session_id,
            remote_endpoint,
            remote_host,
            connector,
            mechanism,
            outcome,
            status,
            reply,
            ..
        } => format!(
            "{} log session {session_id}: {} {} with {} ({}) on {}{}{}",
            match log {
                crate::evidence::LogKind::Send => "Send",
                crate::evidence::LogKind::Receive => "Receive",
            },
            opt(mechanism),
            outcome_name(*outcome),
            opt(remote_host),
            opt(remote_endpoint),
            opt(connector),
            status
                .as_ref()
                .map(|s| format!(", status {s}"))
                .unwrap_or_default(),
            reply
                .as_ref()
                .map(|r| format!(", reply {r}"))
                .unwrap_or_default()
        ),
        Fact::ClockSample {
            basis,
            remote_server,
            remote_ip,
            offset_s,
        } => format!(
            "clock of {} is {offset_s:+.3} s from this server ({})",
            remote_server
                .clone()
                .or_else(|| remote_ip.map(|ip| ip.to_string()))
                .unwrap_or_else(|| "the time source".into()),
            basis.label()
        ),
        Fact::TimeSyncStatus {
            source,
            synchronized,
            local_clock,
        } => format!(
            "time source {}{}{}",
            opt(source),
            match synchronized {
                Some(true) => ", synchronized",
                Some(false) => ", not synchronized",
                None => "",
            },
            if *local_clock {
                ", local clock (free-running)"
            } else {
                ""
            }
        ),
        Fact::SpnListing {
            account,
            spns,
            queried,
        } => {
            format!(
                "{}: {}",
                crate::evidence::listed_by(account, *queried),
                spns.join(", ")
            )
        }
        Fact::SpnAccounts(listed) => {
            const NAMED: usize = 5;
            let names: Vec<&str> = listed
                .accounts
                .iter()
                .take(NAMED)
                .map(|a| a.account.as_str())
                .collect();
            let more = listed.accounts.len().saturating_sub(NAMED);
            format!(
                "setspn -Q: {} accounts listed with no SMTP SPN: {}{}",
                exauth_parsers::problem::thousands(listed.accounts.len() as u64),
                names.join(", "),
                if more > 0 {
                    format!(
                        " and {} more",
                        exauth_parsers::problem::thousands(more as u64)
                    )
                } else {
                    String::new()
                }
            )
        }
        Fact::SpnDuplicates { groups } => {
            let names: Vec<String> = groups
                .iter()
                .map(|(spn, accounts)| format!("{spn} on {}", accounts.join(" and ")))
                .collect();
            format!(
                "setspn -X: {} duplicate groups {}",
                groups.len(),
                names.join("; ")
            )
            .trim_end()
            .to_string()
        }
        Fact::ReplicationStatus {
            dc,
            direction,
            failures,
            total,
            largest_delta_s,
            error,
        } => format!(
            "repadmin {dc}{}: {} of {} links failing{}{}",
            direction
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            failures.map_or("?".into(), |f| f.to_string()),
            total.map_or("?".into(), |t| t.to_string()),
            largest_delta_s
                .map(|d| format!(", largest delta {d} s"))
                .unwrap_or_default(),
            error.as_ref().map(|e| format!(", {e}")).unwrap_or_default()
        ),
        Fact::ConnectorAuth(c) => {
            let bindings: Vec<&str> = c.bindings.iter().map(|b| b.text.as_str()).collect();
            format!(
                "receive connector {}: bindings {}, {} remote IP ranges, ExchangeServer auth {}",
                c.identity.as_deref().or(c.name.as_deref()).unwrap_or("?"),
                bindings.join(", "),
                c.remote_ip_ranges.len(),
                match c.auth_mechanism.as_ref().map(|a| a.exchange_server) {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "unknown",
                }
            )
        }
        Fact::PortProbe {
            target,
            port,
            protocol,
            reachable,
            result,
        } => format!(
            "{protocol} {target}:{port} {}: {result}",
            match reachable {
                Some(true) => "reachable",
                Some(false) => "unreachable",
                None => "unknown",
            }
        ),
        Fact::DcLocator { dc, error } => match error {
            Some(e) => format!("nltest /dsgetdc: {e}"),
            None => format!("nltest /dsgetdc: {}", opt(dc)),
        },
        Fact::TicketCache { servers } => {
            format!("klist: SMTPSVC tickets for {}", servers.join(", "))
        }
        Fact::FailureSignature { text, .. } => format!("failure signature in text: {text}"),
    }
}

#[allow(clippy::too_many_arguments)]
fn kerberos(
    source: KerberosSource,
    event_id: u16,
    code: Option<u32>,
    code_name: &Option<String>,
    target: &Option<String>,
    client: &Option<String>,
    client_ip: &Option<std::net::IpAddr>,
    skew_s: Option<f64>,
) -> String {
    let who = match source {
        KerberosSource::Client => "Kerberos",
        KerberosSource::Kdc => "KDC",
        KerberosSource::SecurityAudit => "Security",
        KerberosSource::LsaSrv => "LsaSrv",
    };
    let mut out = format!("{who} {event_id}:");
    match (code_name, code) {
        (Some(name), Some(code)) => {
            let _ = write!(out, " {name} (0x{code:x})");
        }
        (Some(name), None) => {
            let _ = write!(out, " {name}");
        }
        (None, Some(code)) => {
            let _ = write!(out, " 0x{code:x}");
        }
        (None, None) => {}
    }
    if let Some(t) = target {
        let _ = write!(out, " for {t}");
    }
    if let Some(c) = client {
        let _ = write!(out, " from {c}");
    }
    if let Some(ip) = client_ip {
        let _ = write!(out, " ({ip})");
    }
    if let Some(s) = skew_s {
        let _ = write!(out, ", client − server time {s:+.0} s");
    }
    out
}

fn outcome_name(outcome: AuthOutcome) -> &'static str {
    match outcome {
        AuthOutcome::Success => "succeeded",
        AuthOutcome::Rejected => "rejected",
        AuthOutcome::SenderFailed => "failed at the sender",
        AuthOutcome::NotOffered => "not offered",
        AuthOutcome::Other => "ended otherwise",
    }
}

/// A time in the display zone, RFC 3339 (`2026-11-26T07:08:17Z` in UTC,
/// `2026-11-26T08:08:17+01:00` elsewhere).
fn rfc3339(t: Timestamp, tz: &jiff::tz::TimeZone) -> String {
    if tz.iana_name().is_none_or(|n| n == "UTC") {
        return t.to_string();
    }
    let zoned = t.to_zoned(tz.clone());
    let fraction = if t.subsec_nanosecond() != 0 {
        "%.f"
    } else {
        ""
    };
    zoned
        .strftime(&format!("%Y-%m-%dT%H:%M:%S{fraction}%:z"))
        .to_string()
}

/// The timeline in one of its formats, as a [`Sink`].
pub struct Timeline<'a> {
    pub rows: &'a [TimelineRow],
    pub tz: &'a jiff::tz::TimeZone,
    pub format: TimelineFormat,
}

/// How [`Timeline`] writes its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineFormat {
    /// Aligned text for a terminal, one row per line.
    Text,
    /// CSV with a header: RFC 4180 quoting, and cells a spreadsheet would
    /// run as a formula prefixed with `'`.
    Csv,
    /// One JSON object per row (times in the display zone, RFC 3339).
    Jsonl,
}

impl Sink for Timeline<'_> {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let mut out = Fmt::new(out);
        match self.format {
            TimelineFormat::Text => text_into(&mut out, self.rows, self.tz),
            TimelineFormat::Csv => csv_into(&mut out, self.rows, self.tz),
            TimelineFormat::Jsonl => jsonl_into(&mut out, self.rows, self.tz),
        }
        out.finish()
    }
}

fn render(rows: &[TimelineRow], tz: &jiff::tz::TimeZone, format: TimelineFormat) -> String {
    super::render(&Timeline { rows, tz, format })
}

/// Aligned text for a terminal, one row per line.
pub fn text(rows: &[TimelineRow], tz: &jiff::tz::TimeZone) -> String {
    render(rows, tz, TimelineFormat::Text)
}

/// CSV with a header (see [`TimelineFormat::Csv`]).
pub fn csv(rows: &[TimelineRow], tz: &jiff::tz::TimeZone) -> String {
    render(rows, tz, TimelineFormat::Csv)
}

/// One JSON object per row (see [`TimelineFormat::Jsonl`]).
pub fn jsonl(rows: &[TimelineRow], tz: &jiff::tz::TimeZone) -> String {
    render(rows, tz, TimelineFormat::Jsonl)
}

fn text_into(out: &mut Fmt<'_>, rows: &[TimelineRow], tz: &jiff::tz::TimeZone) {
    let server_width = rows
        .iter()
        .map(|r| r.server.as_deref().map_or(1, |s| s.chars().count()))
        .max()
        .unwrap_or(1)
        .min(24);
    for r in rows {
        let time = r
            .time
            .map(|t| super::scan::show_time(Some(t), tz))
            .unwrap_or_else(|| "(no time)".into());
        let _ = write!(
            out,
            "{time:<23}  {:<server_width$}  {:<22}  {}",
            terminal(r.server.as_deref().unwrap_or("?")),
            r.kind,
            terminal(&r.detail)
        );
        if let (Some(stamped), Some(c)) = (r.stamped, r.correction_s) {
            let _ = write!(
                out,
                "  [stamped {}, clock {c:+.1} s]",
                super::scan::show_time(Some(stamped), tz)
            );
        }
        let _ = writeln!(out, "  ({})", terminal(&r.origin));
    }
}

fn csv_into(out: &mut Fmt<'_>, rows: &[TimelineRow], tz: &jiff::tz::TimeZone) {
    out.push_str("time,server,kind,detail,origin,stamped_time,correction_s,time_basis\r\n");
    for r in rows {
        let basis = serde_json::to_value(r.time_basis)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let cells = [
            r.time.map(|t| rfc3339(t, tz)).unwrap_or_default(),
            r.server.clone().unwrap_or_default(),
            r.kind.to_string(),
            r.detail.clone(),
            r.origin.clone(),
            r.stamped.map(|t| rfc3339(t, tz)).unwrap_or_default(),
            r.correction_s.map(|c| c.to_string()).unwrap_or_default(),
            basis,
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
}

fn csv_cell(cell: &str) -> String {
    let cell = match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

fn jsonl_into(out: &mut Fmt<'_>, rows: &[TimelineRow], tz: &jiff::tz::TimeZone) {
    for r in rows {
        let mut value = serde_json::to_value(r).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "time".into(),
                r.time
                    .map(|t| serde_json::Value::from(rfc3339(t, tz)))
                    .unwrap_or(serde_json::Value::Null),
            );
            if let Some(stamped) = r.stamped {
                map.insert("stamped".into(), rfc3339(stamped, tz).into());
            }
        }
        out.push_str(&serde_json::to_string(&value).unwrap_or_default());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(server: &str, time: &str, fact: Fact) -> Evidence {
        Evidence {
            server: Some(server.into()),
            time: Some(time.parse().unwrap()),
            time_basis: TimeBasis::NativeUtc,
            origin: format!("{server}/System.evtx#record 1"),
            fact,
            local_time: None,
            corrected: None,
            represents: 1,
        }
    }

    #[test]
    fn a_corrected_time_keeps_the_stamped_one_and_the_correction() {
        let e = ev(
            "EX02",
            "2026-11-26T07:15:17Z",
            Fact::NetlogonEvent {
                event_id: 5719,
                summary: "no DC".into(),
            },
        );
        let r = row(&e, Some("2026-11-26T07:08:17Z".parse().unwrap()));
        assert_eq!(r.time, Some("2026-11-26T07:08:17Z".parse().unwrap()));
        assert_eq!(r.stamped, Some("2026-11-26T07:15:17Z".parse().unwrap()));
        assert_eq!(r.correction_s, Some(420.0));
        assert_eq!(r.detail, "Netlogon 5719: no DC");
        let same = row(&e, e.time);
        assert_eq!((same.stamped, same.correction_s), (None, None));
    }

    #[test]
    fn csv_quotes_and_defuses() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("EX01"), "EX01");
    }

    #[test]
    fn times_in_a_zone_carry_their_offset() {
        let t: Timestamp = "2026-11-26T07:08:17Z".parse().unwrap();
        assert_eq!(rfc3339(t, &jiff::tz::TimeZone::UTC), "2026-11-26T07:08:17Z");
        let ams = jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap();
        assert_eq!(rfc3339(t, &ams), "2026-11-26T08:08:17+01:00");
    }
}
