//! `scan --format html`: one self-contained page for an incident ticket or a
//! mail, in the spirit of CSS-Exchange HealthChecker's report — the verdict
//! in colour, the failing pairs, the fix per server, a timeline picture, the
//! clock table, the evidence per cause, what the collection covers and what
//! it lacks.
//!
//! Self-contained means: inline CSS, inline SVG, no external assets, no
//! JavaScript, no links out — it must read the same in a mail client with
//! scripts and remote content blocked, and cannot phone home. Everything
//! that came from a collected file (server names, origins, details, statuses)
//! is entity-escaped, in text and in attributes; the colours also sit in
//! `style` attributes so that a mail client dropping the `<style>` block
//! still shows red, green and yellow.

use super::escape::html as esc;
use super::scan::{
    show_time, CauseReport, DocumentMeta, MarkCategory, ScanReport, ServerReport, TimelineLane,
    TimelinePicture,
};
use super::{Fmt, Sink};
use crate::diagnose::{EvidenceLine, Status, Strength};
use crate::model::Role;
use crate::model::KERBEROS_TOLERANCE_S;
use jiff::Timestamp;
use std::fmt::Write;
use std::io;

/// Background and text colours of the three judgements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Red,
    Green,
    Yellow,
    Plain,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Red => "red",
            Tone::Green => "green",
            Tone::Yellow => "yellow",
            Tone::Plain => "plain",
        }
    }

    fn style(self) -> &'static str {
        match self {
            Tone::Red => "background:#f8d7da;color:#842029",
            Tone::Green => "background:#d1e7dd;color:#0f5132",
            Tone::Yellow => "background:#fff3cd;color:#664d03",
            Tone::Plain => "",
        }
    }
}

const CSS: &str = "\
body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#212529;max-width:1280px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dee2e6;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:#6c757d;font-size:13px;margin:0}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid #dee2e6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f5}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.time{white-space:nowrap}
td.origin{font-family:Consolas,Menlo,monospace;font-size:12px;word-break:break-all;max-width:420px}
.verdict{padding:12px 16px;border-radius:6px;margin:16px 0}
.verdict h2{border:0;margin:0 0 4px;font-size:20px}
.verdict p{margin:2px 0}
.badge{padding:1px 8px;border-radius:10px;font-size:12px;font-weight:normal}
.note{color:#6c757d;font-size:13px}
ul{margin:4px 0 10px}li{margin:2px 0}
code{font-family:Consolas,Menlo,monospace;font-size:12px}
svg{max-width:100%;height:auto;border:1px solid #dee2e6}
";

/// The whole page, as a [`Sink`].
pub struct Page<'a> {
    pub report: &'a ScanReport,
    pub meta: &'a DocumentMeta,
}

impl Sink for Page<'_> {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let (report, meta) = (self.report, self.meta);
        let mut out = Fmt::new(out);
        head(&mut out, report, meta);
        verdict(&mut out, report);
        failing_pairs(&mut out, report, meta);
        fix(&mut out, report);
        timeline(&mut out, &report.timeline, meta);
        clocks(&mut out, report);
        causes(&mut out, report, meta);
        inputs(&mut out, report, meta);
        warnings(&mut out, report);
        out.push_str("</body>\n</html>\n");
        out.finish()
    }
}

/// The whole page as a string.
pub fn render(report: &ScanReport, meta: &DocumentMeta) -> String {
    super::render(&Page { report, meta })
}

fn head(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>exauth report: {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        esc(&report.verdict.primary_cause)
    );
    let _ = writeln!(
        out,
        "<h1>Exchange server authentication report</h1>\n\
         <p class=\"meta\">Generated {} by exauth {} · times in {} · {} artifacts, {} evidence items</p>",
        meta.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        esc(meta.version),
        esc(meta.zone_name()),
        report.inputs.artifacts,
        report.inputs.evidence.values().sum::<u64>(),
    );
}

fn verdict_tone(primary: &str) -> Tone {
    match primary {
        "healthy" => Tone::Green,
        "inconclusive" => Tone::Yellow,
        _ => Tone::Red,
    }
}

fn verdict(out: &mut Fmt<'_>, report: &ScanReport) {
    let v = &report.verdict;
    let tone = verdict_tone(&v.primary_cause);
    let _ = writeln!(
        out,
        "<div class=\"verdict {}\" style=\"{}\">\n<h2>Verdict: {}</h2>\n<p>confidence {:.2}</p>\n<p>{}</p>\n</div>",
        tone.class(),
        tone.style(),
        esc(&v.primary_cause),
        v.confidence,
        esc(&v.summary)
    );
}

fn failing_pairs(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    out.push_str("<h2>Failing pairs</h2>\n");
    if report.pairs.is_empty() {
        out.push_str("<p>No failing sender → receiver pair.</p>\n");
        return;
    }
    out.push_str(
        "<table>\n<tr><th>Sender</th><th>Receiver</th><th>Side</th><th>Failures</th>\
         <th>First</th><th>Last</th><th>Statuses</th></tr>\n",
    );
    for p in &report.pairs {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"time\">{}</td><td class=\"time\">{}</td><td>{}</td></tr>",
            esc(&p.sender),
            esc(&p.receiver),
            side_name(p.side),
            p.failures,
            show_time(p.first, &meta.zone),
            show_time(p.last, &meta.zone),
            esc(&p.statuses.join(", "))
        );
    }
    out.push_str("</table>\n");
}

pub(crate) fn side_name(side: crate::correlate::incident::Side) -> &'static str {
    use crate::correlate::incident::Side;
    match side {
        Side::ReceiverRejected => "receiver-rejected",
        Side::SenderSynthesized => "sender-synthesized",
        Side::ConnectorRefused => "connector-refused",
        Side::Unknown => "unknown",
    }
}

/// The fix as action items per server, then the general steps.
fn fix(out: &mut Fmt<'_>, report: &ScanReport) {
    if !report.actions.is_empty() {
        out.push_str("<h2>Fix</h2>\n");
        for ActionGroup { server, steps } in actions_by_server(report) {
            let _ = writeln!(
                out,
                "<h3>{}</h3>\n<ol>",
                match server {
                    Some(s) => esc(s).into_owned(),
                    None => "Every Exchange server and DC involved".to_string(),
                }
            );
            for (cause, step) in steps {
                let _ = writeln!(
                    out,
                    "<li>{} <span class=\"note\">({})</span></li>",
                    code_spans(&esc(step)),
                    esc(cause)
                );
            }
            out.push_str("</ol>\n");
        }
    }
    if !report.next_steps.is_empty() {
        out.push_str("<h2>Collect next</h2>\n<ul>\n");
        for step in &report.next_steps {
            let _ = writeln!(out, "<li>{}</li>", code_spans(&esc(step)));
        }
        out.push_str("</ul>\n");
    }
}

/// Remedies quote commands between backticks: show them as code. Runs on
/// already-escaped text, so it can only add `<code>` elements.
fn code_spans(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 {
        return escaped.to_string();
    }
    let mut out = String::with_capacity(escaped.len() + 32);
    let pairs = (parts.len() - 1) / 2;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            let opening = i % 2 == 1;
            if i <= pairs * 2 {
                out.push_str(if opening { "<code>" } else { "</code>" });
            } else {
                out.push('`');
            }
        }
        out.push_str(part);
    }
    out
}

/// The fix steps for one server (`None`: steps that name no server), each
/// with the cause it remedies.
pub(crate) struct ActionGroup<'a> {
    pub server: Option<&'a str>,
    pub steps: Vec<(&'a str, &'a str)>,
}

/// Servers in report order, then the steps that name no server.
pub(crate) fn actions_by_server(report: &ScanReport) -> Vec<ActionGroup<'_>> {
    let mut groups: Vec<ActionGroup<'_>> = Vec::new();
    for server in &report.servers {
        let steps: Vec<(&str, &str)> = report
            .actions
            .iter()
            .filter(|a| a.servers.contains(&server.name))
            .map(|a| (a.cause, a.step.as_str()))
            .collect();
        if !steps.is_empty() {
            groups.push(ActionGroup {
                server: Some(server.name.as_str()),
                steps,
            });
        }
    }
    let general: Vec<(&str, &str)> = report
        .actions
        .iter()
        .filter(|a| a.servers.is_empty())
        .map(|a| (a.cause, a.step.as_str()))
        .collect();
    if !general.is_empty() {
        groups.push(ActionGroup {
            server: None,
            steps: general,
        });
    }
    groups
}

fn offset_tone(offset: Option<f64>) -> Tone {
    match offset {
        Some(o) if o.abs() > KERBEROS_TOLERANCE_S => Tone::Red,
        Some(_) => Tone::Green,
        None => Tone::Yellow,
    }
}

fn clocks(out: &mut Fmt<'_>, report: &ScanReport) {
    out.push_str("<h2>Clocks</h2>\n");
    let servers = report.clock_servers();
    if servers.is_empty() {
        out.push_str("<p>No server's clock could be measured.</p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"note\">Each cell is the row server's clock minus the column server's, in \
         seconds; Kerberos refuses tickets beyond {KERBEROS_TOLERANCE_S:.0} s. {}</p>",
        if report.clock.timestamps_corrected {
            "Each server's timestamps were corrected by its offset before correlating."
        } else {
            "No timestamps needed correcting."
        }
    );
    out.push_str(
        "<table>\n<tr><th>Server</th><th>Role</th><th>Offset</th><th>Against</th><th>Basis</th>",
    );
    for column in &servers {
        let _ = write!(out, "<th>vs {}</th>", esc(&column.name));
    }
    out.push_str("</tr>\n");
    for row in &servers {
        let tone = offset_tone(row.clock_offset_s);
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num {}\" style=\"{}\">{}</td><td>{}</td><td>{}</td>",
            esc(&row.name),
            role_name(row.role),
            tone.class(),
            tone.style(),
            seconds(row.clock_offset_s),
            esc(row.offset_reference.as_deref().unwrap_or("unknown")),
            row.offset_basis.map_or("—", crate::model::ClockBasis::label),
        );
        for column in &servers {
            if column.name == row.name {
                out.push_str("<td class=\"num\">—</td>");
                continue;
            }
            let cell = report.clock_cell(&row.name, &column.name);
            let offset = cell.as_ref().map(|c| c.offset_s);
            let tone = offset_tone(offset);
            let how = match cell.as_ref().map(|c| c.basis) {
                Some(Some(basis)) => basis.label(),
                Some(None) => "through both offsets",
                None => "not measured",
            };
            let _ = write!(
                out,
                "<td class=\"num {}\" style=\"{}\" title=\"{how}\">{}</td>",
                tone.class(),
                tone.style(),
                seconds(offset)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

pub(crate) fn seconds(offset: Option<f64>) -> String {
    match offset {
        Some(o) => {
            // No "-0.0 s" for a clock a few milliseconds behind.
            let tenths = (o * 10.0).round();
            let o = if tenths == 0.0 { 0.0 } else { tenths / 10.0 };
            format!("{o:+.1} s")
        }
        None => "unknown".into(),
    }
}

pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Exchange => "Exchange",
        Role::DomainController => "DC",
        Role::Unknown => "unknown",
    }
}

pub(crate) fn status_name(status: Status) -> &'static str {
    match status {
        Status::Supported => "supported",
        Status::Refuted => "refuted",
        Status::NotEvaluable => "not evaluable",
    }
}

fn status_tone(status: Status) -> Tone {
    match status {
        Status::Supported => Tone::Red,
        Status::Refuted => Tone::Green,
        Status::NotEvaluable => Tone::Yellow,
    }
}

pub(crate) fn strength_name(strength: Strength) -> &'static str {
    match strength {
        Strength::Strong => "strong",
        Strength::Medium => "medium",
        Strength::Weak => "weak",
    }
}

fn causes(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    out.push_str("<h2>Evidence per cause</h2>\n");
    for cause in &report.causes {
        cause_section(out, cause, meta);
    }
}

fn cause_section(out: &mut Fmt<'_>, cause: &CauseReport, meta: &DocumentMeta) {
    let tone = status_tone(cause.status);
    let _ = writeln!(
        out,
        "<h3>{} <span class=\"badge {}\" style=\"{}\">{} {:.2}</span></h3>",
        esc(cause.cause),
        tone.class(),
        tone.style(),
        status_name(cause.status),
        cause.confidence
    );
    if !cause.pairs.is_empty() {
        let pairs: Vec<String> = cause
            .pairs
            .iter()
            .map(|p| format!("{} → {}", esc(&p.sender), esc(&p.receiver)))
            .collect();
        let _ = writeln!(out, "<p>Pairs: {}</p>", pairs.join(", "));
    }
    if !cause.evidence.is_empty() {
        out.push_str("<p>For:</p>\n");
        evidence_table(out, &cause.evidence, meta);
        if cause.evidence_total > cause.evidence.len() {
            let _ = writeln!(
                out,
                "<p class=\"note\">… and {} more (<code>--format json</code> lists up to the same {}; \
                 <code>exauth timeline</code> shows every item)</p>",
                cause.evidence_total - cause.evidence.len(),
                cause.evidence.len()
            );
        }
    }
    if !cause.refuting.is_empty() {
        out.push_str("<p>Against:</p>\n");
        evidence_table(out, &cause.refuting, meta);
    }
    if !cause.missing.is_empty() {
        out.push_str("<p>Would decide it:</p>\n<ul>\n");
        for m in &cause.missing {
            let _ = writeln!(out, "<li>{}</li>", code_spans(&esc(m)));
        }
        out.push_str("</ul>\n");
    }
    if cause.evidence.is_empty() && cause.refuting.is_empty() && cause.missing.is_empty() {
        out.push_str("<p class=\"note\">No evidence either way.</p>\n");
    }
}

fn evidence_table(out: &mut Fmt<'_>, lines: &[EvidenceLine], meta: &DocumentMeta) {
    out.push_str(
        "<table>\n<tr><th>Time</th><th>Server</th><th>Origin</th><th>Detail</th><th>Strength</th></tr>\n",
    );
    for line in lines {
        let tone = match line.strength {
            Strength::Strong => Tone::Red,
            Strength::Medium => Tone::Yellow,
            Strength::Weak => Tone::Plain,
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"time\">{}</td><td>{}</td><td class=\"origin\">{}</td><td>{}</td>\
             <td class=\"{}\" style=\"{}\">{}</td></tr>",
            show_time(line.time, &meta.zone),
            esc(line.server.as_deref().unwrap_or("—")),
            esc(if line.origin.is_empty() {
                "(drawn from several files)"
            } else {
                &line.origin
            }),
            esc(&line.detail),
            tone.class(),
            tone.style(),
            strength_name(line.strength)
        );
    }
    out.push_str("</table>\n");
}

fn inputs(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    out.push_str("<h2>Inputs covered</h2>\n");
    let _ = writeln!(
        out,
        "<p>{} artifacts, {} bytes; times are clock-corrected.</p>",
        report.inputs.artifacts, report.inputs.bytes
    );
    out.push_str(
        "<table>\n<tr><th>Server</th><th>Role</th><th>Sources</th><th>From</th><th>To</th>\
         <th>Evidence</th><th>Missing</th></tr>\n",
    );
    for s in &report.servers {
        server_row(out, s, meta);
    }
    out.push_str("</table>\n");
    if !report.inputs.by_kind.is_empty() {
        out.push_str("<table>\n<tr><th>Kind of file</th><th>Files</th><th>Bytes</th></tr>\n");
        for (kind, total) in &report.inputs.by_kind {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(kind),
                total.files,
                total.bytes
            );
        }
        out.push_str("</table>\n");
    }
    if let Some(sampled) = &report.inputs.sampled {
        let _ = writeln!(out, "<p>{}.</p>", esc(&sampled.sentence()));
    }
}

fn server_row(out: &mut Fmt<'_>, s: &ServerReport, meta: &DocumentMeta) {
    let sources: Vec<&str> = s.sources.iter().map(|x| x.describe()).collect();
    let missing: Vec<&str> = s.missing_sources.iter().map(|x| x.describe()).collect();
    let tone = if missing.is_empty() {
        Tone::Plain
    } else {
        Tone::Yellow
    };
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td>\
         <td class=\"num\">{}</td><td class=\"{}\" style=\"{}\">{}</td></tr>",
        esc(&s.name),
        role_name(s.role),
        if sources.is_empty() {
            "nothing collected".to_string()
        } else {
            sources.join(", ")
        },
        show_time(s.first_evidence, &meta.zone),
        show_time(s.last_evidence, &meta.zone),
        s.evidence_items,
        tone.class(),
        tone.style(),
        if missing.is_empty() {
            "—".to_string()
        } else {
            missing.join(", ")
        }
    );
}

/// Coverage warnings as sentences (shared with Markdown; every piece of log
/// text in them is escaped by `escape`).
pub(crate) fn warning_lines(report: &ScanReport, escape: impl Fn(&str) -> String) -> Vec<String> {
    let c = &report.coverage;
    let mut lines = Vec::new();
    for s in &report.servers {
        if s.role != Role::Unknown && !s.missing_sources.is_empty() {
            let missing: Vec<&str> = s.missing_sources.iter().map(|x| x.describe()).collect();
            lines.push(format!(
                "{}: no {} in the collection",
                escape(&s.name),
                missing.join(", ")
            ));
        }
    }
    if !c.local_times_assumed_utc.is_empty() {
        lines.push(format!(
            "Local times of {} were read as UTC (no EventLog 6013 time zone in the collection)",
            escape(&c.local_times_assumed_utc.join(", "))
        ));
    }
    for note in &c.date_orders {
        let sentence = super::scan::date_order_sentence(note, &escape);
        let mut chars = sentence.chars();
        let first = chars
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default();
        lines.push(format!("{first}{}", chars.as_str()));
    }
    for note in &c.notes {
        lines.push(escape(note));
    }
    if !c.unconfirmed_names.is_empty() {
        lines.push(format!(
            "No host named {} in the collection's content: the files under that folder or file name are counted as unattributed",
            escape(&c.unconfirmed_names.join(", "))
        ));
    }
    for conflict in &c.ip_conflicts {
        lines.push(format!(
            "{} is claimed by {}",
            conflict.ip,
            escape(&conflict.names.join(" and "))
        ));
    }
    if !c.unattributed.is_empty() {
        let names: Vec<&str> = c.unattributed.iter().map(|x| x.describe()).collect();
        lines.push(format!(
            "Server not known for: {}",
            escape(&names.join(", "))
        ));
    }
    for n in &c.not_read {
        lines.push(format!(
            "Not read: {} ({}{})",
            escape(&n.origin),
            n.status.id(),
            n.reason
                .as_deref()
                .map(|r| format!(": {}", escape(r)))
                .unwrap_or_default()
        ));
    }
    if c.problems_in_files > 0 {
        lines.push(format!(
            "{} problems inside files that were read (bad lines or records were skipped)",
            c.problems_in_files
        ));
    }
    for line in c.duplicates.sentences(&escape) {
        let mut chars = line.chars();
        let first = chars
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default();
        lines.push(format!("Duplicate: {first}{}", chars.as_str()));
    }
    lines
}

fn warnings(out: &mut Fmt<'_>, report: &ScanReport) {
    out.push_str("<h2>Coverage warnings</h2>\n");
    let lines = warning_lines(report, |t| esc(t).into_owned());
    if lines.is_empty() {
        out.push_str("<p>None.</p>\n");
        return;
    }
    out.push_str("<ul>\n");
    for line in lines {
        let _ = writeln!(out, "<li>{line}</li>");
    }
    out.push_str("</ul>\n");
}

// ---------------------------------------------------------------- timeline

const SVG_WIDTH: f64 = 1200.0;
const LABEL_WIDTH: f64 = 130.0;
const RIGHT_PAD: f64 = 20.0;
const AXIS_HEIGHT: f64 = 34.0;
const ROW_HEIGHT: f64 = 8.0;
const LANE_PAD: f64 = 6.0;
const LEGEND_HEIGHT: f64 = 34.0;

fn category_colour(c: MarkCategory) -> &'static str {
    match c {
        MarkCategory::Failure => "#d62728",
        MarkCategory::Kerberos => "#9467bd",
        MarkCategory::Kdc => "#8c564b",
        MarkCategory::LsaSrv => "#e377c2",
        MarkCategory::TimeService => "#ff7f0e",
        MarkCategory::Replication => "#1f77b4",
        MarkCategory::Netlogon => "#17becf",
    }
}

fn category_row(c: MarkCategory) -> f64 {
    MarkCategory::ALL.iter().position(|x| *x == c).unwrap_or(0) as f64
}

/// Maps times to x positions of the plot.
struct Scale {
    from: i64,
    to: i64,
}

impl Scale {
    fn x(&self, t: Timestamp) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        let plot = SVG_WIDTH - LABEL_WIDTH - RIGHT_PAD;
        let frac = ((t.as_second() - self.from) as f64 / span).clamp(0.0, 1.0);
        LABEL_WIDTH + frac * plot
    }

    fn width(&self, seconds: i64) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        seconds as f64 / span * (SVG_WIDTH - LABEL_WIDTH - RIGHT_PAD)
    }
}

fn timeline(out: &mut Fmt<'_>, picture: &TimelinePicture, meta: &DocumentMeta) {
    out.push_str("<h2>Timeline</h2>\n");
    let (Some(from), Some(to)) = (picture.from, picture.to) else {
        out.push_str("<p>No timed evidence.</p>\n");
        return;
    };
    let _ = writeln!(
        out,
        "<p class=\"note\">One lane per server, clock-corrected, {}; marks are grouped per {} s. \
         The shaded band is the window around the failures, where the rules weigh evidence; the \
         grey bar is the time each server's collection covers.</p>",
        esc(meta.zone_name()),
        picture.resolution_s
    );
    if picture.marks_outside > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">The picture shows {} … {}; {} more records lie outside it \
             (<code>exauth timeline</code> lists every item).</p>",
            show_time(Some(from), &meta.zone),
            show_time(Some(to), &meta.zone),
            picture.marks_outside
        );
    }
    // Widen a single instant so the picture has room.
    let (from_s, to_s) = if to.as_second() - from.as_second() < 600 {
        (from.as_second() - 300, to.as_second() + 300)
    } else {
        (from.as_second(), to.as_second())
    };
    let scale = Scale {
        from: from_s,
        to: to_s,
    };
    let lane_height = LANE_PAD * 2.0 + ROW_HEIGHT * MarkCategory::ALL.len() as f64;
    let lanes_height = lane_height * picture.lanes.len() as f64;
    let height = AXIS_HEIGHT + lanes_height + LEGEND_HEIGHT;
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {SVG_WIDTH} {height}\" width=\"{SVG_WIDTH}\" height=\"{height}\" \
         role=\"img\" aria-label=\"timeline of evidence per server\" \
         font-family=\"Segoe UI, Helvetica, Arial, sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{SVG_WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    for n in 0..picture.lanes.len() {
        let top = AXIS_HEIGHT + lane_height * n as f64;
        let fill = if n % 2 == 0 { "#f8f9fa" } else { "#ffffff" };
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"{top}\" width=\"{SVG_WIDTH}\" height=\"{lane_height}\" fill=\"{fill}\"/>"
        );
    }
    for (start, end) in &picture.windows {
        let x = scale.x(*start);
        let w = (scale.x(*end) - x).max(1.0);
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{AXIS_HEIGHT}\" width=\"{w:.1}\" height=\"{lanes_height}\" \
             fill=\"#f8d7da\" fill-opacity=\"0.7\"><title>window around the failures: {} … {}</title></rect>",
            show_time(Some(*start), &meta.zone),
            show_time(Some(*end), &meta.zone)
        );
    }
    axis(out, &scale, lanes_height, meta);
    for (n, lane) in picture.lanes.iter().enumerate() {
        let top = AXIS_HEIGHT + lane_height * n as f64;
        lane_marks(
            out,
            lane,
            top,
            lane_height,
            &scale,
            picture.resolution_s,
            meta,
        );
    }
    legend(out, AXIS_HEIGHT + lanes_height + 12.0);
    out.push_str("</svg>\n");
}

/// Tick steps to choose from, in seconds.
const TICK_STEPS: [i64; 14] = [
    60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000,
];

fn axis(out: &mut Fmt<'_>, scale: &Scale, lanes_height: f64, meta: &DocumentMeta) {
    let span = scale.to - scale.from;
    let step = TICK_STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 10)
        .unwrap_or(2592000);
    // Ticks fall on round local times of the display zone.
    let offset = |t: i64| {
        Timestamp::from_second(t)
            .map(|ts| meta.zone.to_offset(ts).seconds() as i64)
            .unwrap_or(0)
    };
    let local_from = scale.from + offset(scale.from);
    let mut local = local_from.div_euclid(step) * step;
    if local < local_from {
        local += step;
    }
    let mut last_day: Option<String> = None;
    let bottom = AXIS_HEIGHT + lanes_height;
    while local <= scale.to + offset(scale.to) {
        let utc = local - offset(local);
        let Ok(t) = Timestamp::from_second(utc) else {
            break;
        };
        let x = scale.x(t);
        let zoned = t.to_zoned(meta.zone.clone());
        let day = zoned.strftime("%Y-%m-%d").to_string();
        let label = if last_day.as_deref() != Some(day.as_str()) {
            zoned.strftime("%m-%d %H:%M").to_string()
        } else {
            zoned.strftime("%H:%M").to_string()
        };
        last_day = Some(day);
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"#ced4da\" stroke-width=\"0.5\"/>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#495057\">{label}</text>",
            AXIS_HEIGHT - 4.0,
            AXIS_HEIGHT - 10.0
        );
        local += step;
    }
}

fn lane_marks(
    out: &mut Fmt<'_>,
    lane: &TimelineLane,
    top: f64,
    lane_height: f64,
    scale: &Scale,
    resolution_s: i64,
    meta: &DocumentMeta,
) {
    let name = esc(&lane.server);
    let _ = writeln!(
        out,
        "<text x=\"8\" y=\"{:.1}\" font-weight=\"bold\" fill=\"#212529\">{name}</text>\
         <text x=\"8\" y=\"{:.1}\" fill=\"#6c757d\">{}</text>",
        top + lane_height / 2.0 - 2.0,
        top + lane_height / 2.0 + 11.0,
        role_name(lane.role)
    );
    if let (Some(first), Some(last)) = (lane.first, lane.last) {
        let x = scale.x(first);
        let w = (scale.x(last) - x).max(1.0);
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"2\" fill=\"#adb5bd\"><title>{name}: evidence {} … {}</title></rect>",
            top + lane_height - 3.0,
            show_time(Some(first), &meta.zone),
            show_time(Some(last), &meta.zone)
        );
    }
    let width = scale.width(resolution_s).max(3.0);
    for mark in &lane.marks {
        let x = scale.x(mark.time);
        let y = top + LANE_PAD + category_row(mark.category) * ROW_HEIGHT;
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{name} · {} · {} at {}</title></rect>",
            ROW_HEIGHT - 1.0,
            category_colour(mark.category),
            mark.category.label(),
            mark.count,
            show_time(Some(mark.time), &meta.zone)
        );
    }
}

fn legend(out: &mut Fmt<'_>, y: f64) {
    let mut x = LABEL_WIDTH;
    for c in MarkCategory::ALL {
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#212529\">{}</text>",
            y - 9.0,
            category_colour(c),
            x + 14.0,
            y,
            c.label()
        );
        x += 24.0 + c.label().len() as f64 * 6.5;
    }
    let _ = writeln!(
        out,
        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"16\" height=\"10\" fill=\"#f8d7da\"/>\
         <text x=\"{:.1}\" y=\"{y:.1}\" fill=\"#212529\">window around the failures</text>",
        y - 9.0,
        x + 20.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code_only_in_pairs() {
        assert_eq!(
            code_spans("run `a` then `b`"),
            "run <code>a</code> then <code>b</code>"
        );
        assert_eq!(code_spans("odd `a` and `b"), "odd <code>a</code> and `b");
        assert_eq!(code_spans("none"), "none");
    }
}
