//! The scan result: one model (`ScanReport`), rendered as terminal text or as
//! JSON (`exauth.scan/1`, byte-identical run to run).

use super::escape::terminal;
use super::style::Style;
use crate::correlate::case::{Case, Source};
use crate::correlate::clock::{ClockBasis, PairOffset, KERBEROS_TOLERANCE_S};
use crate::correlate::identity::Role;
use crate::correlate::incident::Side;
use crate::diagnose::{Diagnosis, EvidenceLine, Finding, Status, Strength};
use crate::inventory::{Inventory, Status as RowStatus};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Most evidence lines per cause in reports (the total is given).
const MAX_LINES: usize = 50;

#[derive(Debug, Serialize)]
pub struct ScanReport {
    pub schema: &'static str,
    pub verdict: crate::diagnose::Verdict,
    pub causes: Vec<CauseReport>,
    pub pairs: Vec<PairReport>,
    pub servers: Vec<ServerReport>,
    pub clock: ClockReport,
    pub coverage: CoverageReport,
    pub inputs: InputsReport,
    pub next_steps: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct CauseReport {
    pub cause: &'static str,
    pub status: Status,
    pub confidence: f64,
    pub pairs: Vec<PairRef>,
    pub evidence: Vec<EvidenceLine>,
    pub evidence_total: usize,
    pub refuting: Vec<EvidenceLine>,
    pub missing: Vec<String>,
    pub remedy: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct PairRef {
    pub sender: String,
    pub receiver: String,
}

#[derive(Debug, Serialize)]
pub struct PairReport {
    pub sender: String,
    pub receiver: String,
    pub side: Side,
    pub failures: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub statuses: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ServerReport {
    pub name: String,
    pub fqdns: Vec<String>,
    pub ips: Vec<String>,
    pub role: Role,
    pub clock_offset_s: Option<f64>,
    pub offset_basis: Option<ClockBasis>,
    pub offset_reference: Option<String>,
    pub sources: Vec<Source>,
}

#[derive(Debug, Serialize)]
pub struct ClockReport {
    pub tolerance_s: f64,
    pub pairs: Vec<PairOffset>,
    /// Each server's timestamps were shifted by its offset before correlation.
    pub timestamps_corrected: bool,
}

#[derive(Debug, Serialize)]
pub struct CoverageReport {
    pub servers: BTreeMap<String, Vec<Source>>,
    pub unattributed: Vec<Source>,
    /// Servers whose local times (queue exports, w32tm) were read as UTC.
    pub local_times_assumed_utc: Vec<String>,
    pub ip_conflicts: Vec<crate::correlate::identity::IpConflict>,
    pub not_read: Vec<NotRead>,
    /// Files that were read but had bad parts (cut lines, bad records): the
    /// first problem of each, with where it is.
    pub read_with_problems: Vec<NotRead>,
    pub problems_in_files: usize,
}

#[derive(Debug, Serialize)]
pub struct NotRead {
    pub origin: String,
    pub status: RowStatus,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct InputsReport {
    pub artifacts: u64,
    pub bytes: u64,
    pub by_kind: BTreeMap<&'static str, crate::inventory::KindTotal>,
    pub evidence: BTreeMap<&'static str, u64>,
}

fn cause_report(f: &Finding) -> CauseReport {
    CauseReport {
        cause: f.cause.id(),
        status: f.status,
        confidence: f.confidence,
        pairs: f
            .pairs
            .iter()
            .map(|(s, r)| PairRef {
                sender: s.clone(),
                receiver: r.clone(),
            })
            .collect(),
        evidence: f.evidence.iter().take(MAX_LINES).cloned().collect(),
        evidence_total: f.evidence.len(),
        refuting: f.refuting.iter().take(MAX_LINES).cloned().collect(),
        missing: f.missing.clone(),
        remedy: f.remedy.clone(),
    }
}

/// Builds the report model.
pub fn build(
    case: &Case,
    diagnosis: &Diagnosis,
    inventory: &Inventory,
    problems_in_files: usize,
) -> ScanReport {
    let totals = inventory.totals();
    let mut evidence_counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for e in &case.evidence {
        *evidence_counts.entry(e.fact.kind()).or_default() += 1;
    }
    // The collection's own servers — not every EHLO name an Internet
    // scanner gave the Frontend connector.
    let mut ours: std::collections::BTreeSet<&str> =
        case.coverage.by_server.keys().map(String::as_str).collect();
    ours.extend(case.evidence.iter().filter_map(|e| e.server.as_deref()));
    for i in &case.incidents {
        ours.insert(&i.sender);
        ours.insert(&i.receiver);
    }
    let servers = case
        .identities
        .servers()
        .filter(|id| id.role != Role::Unknown || ours.contains(id.name.as_str()))
        .map(|id| {
            let clock = case.clocks.server(&id.name);
            ServerReport {
                name: id.name.clone(),
                fqdns: id.fqdns.iter().cloned().collect(),
                ips: id.ips.iter().map(|ip| ip.to_string()).collect(),
                role: id.role,
                clock_offset_s: clock.and_then(|c| c.offset_s),
                offset_basis: clock.and_then(|c| c.offset_s.and(c.basis)),
                offset_reference: clock.and_then(|c| c.reference.clone()),
                sources: case
                    .coverage
                    .by_server
                    .get(&id.name)
                    .map(|s| s.iter().copied().collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    ScanReport {
        schema: "exauth.scan/1",
        verdict: diagnosis.verdict.clone(),
        causes: diagnosis.findings.iter().map(cause_report).collect(),
        pairs: case
            .incidents
            .iter()
            .map(|i| PairReport {
                sender: i.sender.clone(),
                receiver: i.receiver.clone(),
                side: i.side,
                failures: i.failures,
                first: i.first,
                last: i.last,
                statuses: i.statuses.clone(),
            })
            .collect(),
        servers,
        clock: ClockReport {
            tolerance_s: KERBEROS_TOLERANCE_S,
            pairs: case.clocks.pairs.clone(),
            timestamps_corrected: case
                .clocks
                .servers
                .iter()
                .any(|s| s.offset_s.is_some_and(|o| o != 0.0)),
        },
        coverage: CoverageReport {
            servers: case
                .coverage
                .by_server
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().copied().collect()))
                .collect(),
            unattributed: case.coverage.unattributed.iter().copied().collect(),
            local_times_assumed_utc: case.assumed_utc.iter().cloned().collect(),
            ip_conflicts: case.identities.conflicts(),
            not_read: inventory
                .rows
                .iter()
                .filter(|r| r.status != RowStatus::Ok)
                .map(|r| NotRead {
                    origin: r.origin.to_string(),
                    status: r.status,
                    reason: r.reason.clone(),
                })
                .collect(),
            read_with_problems: inventory
                .rows
                .iter()
                .filter(|r| r.status == RowStatus::Ok && r.reason.is_some())
                .map(|r| NotRead {
                    origin: r.origin.to_string(),
                    status: r.status,
                    reason: r.reason.clone(),
                })
                .collect(),
            problems_in_files,
        },
        inputs: InputsReport {
            artifacts: totals.artifacts,
            bytes: totals.bytes,
            by_kind: totals.by_kind,
            evidence: evidence_counts,
        },
        next_steps: diagnosis.next_steps.clone(),
    }
}

pub fn json(report: &ScanReport) -> String {
    let mut out =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    out.push('\n');
    out
}

/// A time in the display zone: `2026-11-26 10:40:05 UTC`.
fn show_time(t: Option<Timestamp>, tz: &jiff::tz::TimeZone) -> String {
    match t {
        Some(t) => {
            let zoned = t.to_zoned(tz.clone());
            let name = tz.iana_name().unwrap_or("UTC");
            format!("{} {name}", zoned.strftime("%Y-%m-%d %H:%M:%S"))
        }
        None => "—".into(),
    }
}

fn strength_tag(style: Style, s: Strength) -> String {
    match s {
        Strength::Strong => style.red("strong"),
        Strength::Medium => style.yellow("medium"),
        Strength::Weak => "weak".into(),
    }
}

/// The verdict first, in one screen: cause, confidence, failing pairs, the
/// three strongest evidence lines with origins, the fix, then coverage.
pub fn text(report: &ScanReport, style: Style, tz: &jiff::tz::TimeZone) -> String {
    let mut out = String::new();
    let v = &report.verdict;
    let cause = match v.primary_cause.as_str() {
        "healthy" => style.green("healthy"),
        "inconclusive" => style.yellow("inconclusive"),
        other => style.red(other),
    };
    let _ = writeln!(
        out,
        "{} {cause}  (confidence {:.2})",
        style.bold("Verdict:"),
        v.confidence
    );
    let _ = writeln!(out, "  {}", terminal(&v.summary));
    if !report.pairs.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Failing pairs"));
        for p in &report.pairs {
            let side = serde_json::to_value(p.side)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} → {}  {side}, {} failures, {} … {}{}",
                terminal(&p.sender),
                terminal(&p.receiver),
                p.failures,
                show_time(p.first, tz),
                show_time(p.last, tz),
                if p.statuses.is_empty() {
                    String::new()
                } else {
                    format!(", status {}", terminal(&p.statuses.join(", ")))
                }
            );
        }
    }
    let primary = report.causes.iter().find(|c| c.cause == v.primary_cause);
    if let Some(primary) = primary {
        let _ = writeln!(out, "\n{}", style.bold("Strongest evidence"));
        for line in primary.evidence.iter().take(3) {
            let _ = writeln!(
                out,
                "  [{}] {}",
                strength_tag(style, line.strength),
                terminal(&line.detail)
            );
            let mut at = Vec::new();
            if let Some(server) = &line.server {
                at.push(terminal(server).into_owned());
            }
            if line.time.is_some() {
                at.push(show_time(line.time, tz));
            }
            if !line.origin.is_empty() {
                at.push(terminal(&line.origin).into_owned());
            }
            if !at.is_empty() {
                let _ = writeln!(out, "      {}", at.join(" · "));
            }
        }
        if primary.evidence_total > 3 {
            let _ = writeln!(
                out,
                "  … {} more (--format json shows them)",
                primary.evidence_total - 3
            );
        }
        let _ = writeln!(out, "\n{}", style.bold("Fix"));
        for (n, step) in primary.remedy.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", n + 1, terminal(step));
        }
    }
    if !report.next_steps.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Collect next"));
        for step in &report.next_steps {
            let _ = writeln!(out, "  - {}", terminal(step));
        }
    }
    let _ = writeln!(out, "\n{}", style.bold("All causes"));
    for c in &report.causes {
        let status = match c.status {
            Status::Supported => style.red("supported"),
            Status::Refuted => style.green("refuted"),
            Status::NotEvaluable => style.yellow("not evaluable"),
        };
        let why = match c.status {
            Status::Supported => c.evidence.first().map(|l| l.detail.clone()),
            Status::Refuted => c.refuting.first().map(|l| l.detail.clone()).or_else(|| {
                c.missing
                    .first()
                    .map(|m| format!("nothing found; more certain with {m}"))
            }),
            Status::NotEvaluable => Some(format!("missing: {}", c.missing.join("; "))),
        };
        let _ = writeln!(
            out,
            "  {:<17} {status:<13} {:.2}  {}",
            c.cause,
            c.confidence,
            terminal(why.as_deref().unwrap_or(""))
        );
    }
    let clocked: Vec<&ServerReport> = report
        .servers
        .iter()
        .filter(|s| s.clock_offset_s.is_some())
        .collect();
    if !clocked.is_empty() || !report.clock.pairs.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Clocks"));
        for s in clocked {
            let offset = s.clock_offset_s.unwrap_or(0.0);
            let flag = if offset.abs() > KERBEROS_TOLERANCE_S {
                style.red(" > 300 s")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:<16} {offset:+10.3} s  against {}{flag}",
                terminal(&s.name),
                s.offset_reference.as_deref().unwrap_or("?")
            );
        }
        if report.clock.timestamps_corrected {
            let _ = writeln!(
                out,
                "  (each server's timestamps were corrected by its offset before correlating)"
            );
        }
    }
    let _ = writeln!(out, "\n{}", style.bold("Coverage"));
    for (server, sources) in &report.coverage.servers {
        let names: Vec<&str> = sources.iter().map(|s| s.describe()).collect();
        let _ = writeln!(out, "  {:<16} {}", terminal(server), names.join(", "));
    }
    if !report.coverage.local_times_assumed_utc.is_empty() {
        let _ = writeln!(
            out,
            "  {} local times of {} read as UTC (no EventLog 6013 time zone in the collection)",
            style.yellow("note:"),
            terminal(&report.coverage.local_times_assumed_utc.join(", "))
        );
    }
    for c in &report.coverage.ip_conflicts {
        let _ = writeln!(
            out,
            "  {} {} is claimed by {}",
            style.yellow("conflict:"),
            c.ip,
            terminal(&c.names.join(" and "))
        );
    }
    if !report.coverage.not_read.is_empty() {
        let _ = writeln!(
            out,
            "  {} files not read (`exauth inventory` lists them with reasons)",
            report.coverage.not_read.len()
        );
    }
    const SHOWN: usize = 5;
    for row in report.coverage.read_with_problems.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            style.yellow("read with problems:"),
            terminal(&row.origin),
            terminal(row.reason.as_deref().unwrap_or(""))
        );
    }
    if report.coverage.read_with_problems.len() > SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more files read with problems (`--format json` lists them)",
            report.coverage.read_with_problems.len() - SHOWN
        );
    }
    let _ = writeln!(
        out,
        "  {} artifacts, {} evidence items, {} problems inside files",
        report.inputs.artifacts,
        report.inputs.evidence.values().sum::<u64>(),
        report.coverage.problems_in_files
    );
    out
}
