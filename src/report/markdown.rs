//! `scan --format markdown`: the HTML report's content as Markdown tables,
//! to paste into a ticket or a wiki page. The timeline picture becomes a
//! table of what each server's lane holds.
//!
//! Every string that came from a log goes through [`super::escape::markdown`]:
//! a `|` in a connector name must not split a table cell, a backtick must not
//! open code, `<`/`[` must not become HTML or links.

use super::escape::markdown as esc;
use super::html::{
    actions_by_server, role_name, seconds, side_name, status_name, strength_name, warning_lines,
    ActionGroup,
};
use super::scan::{show_time, CauseReport, DocumentMeta, MarkCategory, ScanReport};
use super::{Fmt, Sink};
use crate::diagnose::EvidenceLine;
use crate::model::KERBEROS_TOLERANCE_S;
use std::fmt::Write;
use std::io;

/// The whole document, as a [`Sink`].
pub struct Document<'a> {
    pub report: &'a ScanReport,
    pub meta: &'a DocumentMeta,
}

impl Sink for Document<'_> {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let mut out = Fmt::new(out);
        document(&mut out, self.report, self.meta);
        out.finish()
    }
}

/// The whole document as a string.
pub fn render(report: &ScanReport, meta: &DocumentMeta) -> String {
    super::render(&Document { report, meta })
}

fn document(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    head(out, report, meta);
    failing_pairs(out, report, meta);
    fix(out, report);
    timeline(out, report, meta);
    clocks(out, report);
    out.push_str("\n## Evidence per cause\n");
    for cause in &report.causes {
        cause_section(out, cause, meta);
    }
    inputs(out, report, meta);
    out.push_str("\n## Coverage warnings\n\n");
    let lines = warning_lines(report, |t| esc(t).into_owned());
    if lines.is_empty() {
        out.push_str("None.\n");
    }
    for line in lines {
        let _ = writeln!(out, "- {line}");
    }
}

/// A verdict marker that survives renderers without colour.
fn verdict_marker(primary: &str) -> &'static str {
    match primary {
        "healthy" => "🟢",
        "inconclusive" => "🟡",
        _ => "🔴",
    }
}

fn head(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    let v = &report.verdict;
    let _ = writeln!(
        out,
        "# Exchange server authentication report\n\n\
         Generated {} by exauth {} · times in {} · {} artifacts, {} evidence items\n\n\
         ## Verdict: {} {} (confidence {:.2})\n\n{}",
        meta.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        esc(meta.version),
        esc(meta.zone_name()),
        report.inputs.artifacts,
        report.inputs.evidence.values().sum::<u64>(),
        verdict_marker(&v.primary_cause),
        esc(&v.primary_cause),
        v.confidence,
        esc(&v.summary)
    );
}

fn failing_pairs(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    out.push_str("\n## Failing pairs\n\n");
    if report.pairs.is_empty() {
        out.push_str("No failing sender → receiver pair.\n");
        return;
    }
    out.push_str("| Sender | Receiver | Side | Failures | First | Last | Statuses |\n");
    out.push_str("|---|---|---|---:|---|---|---|\n");
    for p in &report.pairs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            esc(&p.sender),
            esc(&p.receiver),
            side_name(p.side),
            p.failures,
            show_time(p.first, &meta.zone),
            show_time(p.last, &meta.zone),
            esc(&p.statuses.join(", "))
        );
    }
}

fn fix(out: &mut Fmt<'_>, report: &ScanReport) {
    if !report.actions.is_empty() {
        out.push_str("\n## Fix\n");
        for ActionGroup { server, steps } in actions_by_server(report) {
            let _ = writeln!(
                out,
                "\n### {}\n",
                match server {
                    Some(s) => esc(s).into_owned(),
                    None => "Every Exchange server and DC involved".to_string(),
                }
            );
            for (n, (cause, step)) in steps.iter().enumerate() {
                let _ = writeln!(out, "{}. {} ({})", n + 1, esc(step), esc(cause));
            }
        }
    }
    if !report.next_steps.is_empty() {
        out.push_str("\n## Collect next\n\n");
        for step in &report.next_steps {
            let _ = writeln!(out, "- {}", esc(step));
        }
    }
}

/// The timeline picture as a table: per lane and kind of mark, how many and
/// when.
fn timeline(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    let picture = &report.timeline;
    out.push_str("\n## Timeline\n\n");
    if picture.from.is_none() {
        out.push_str("No timed evidence.\n");
        return;
    }
    let _ = writeln!(
        out,
        "Marks from {} to {} (clock-corrected){}.",
        show_time(picture.from, &meta.zone),
        show_time(picture.to, &meta.zone),
        if picture.marks_outside > 0 {
            format!(
                "; {} more records lie outside this span (`exauth timeline` lists every item)",
                picture.marks_outside
            )
        } else {
            String::new()
        }
    );
    for (start, end) in &picture.windows {
        let _ = writeln!(
            out,
            "Window around the failures: {} … {}.",
            show_time(Some(*start), &meta.zone),
            show_time(Some(*end), &meta.zone)
        );
    }
    out.push_str("\n| Server | Role | Covered from | to | Events | Count | First | Last |\n");
    out.push_str("|---|---|---|---|---|---:|---|---|\n");
    for lane in &picture.lanes {
        let mut first_row = true;
        let mut rows = 0;
        for category in MarkCategory::ALL {
            let marks: Vec<_> = lane
                .marks
                .iter()
                .filter(|m| m.category == category)
                .collect();
            if marks.is_empty() {
                continue;
            }
            let count: u64 = marks.iter().map(|m| m.count).sum();
            let (server, role, from, to) = lane_cells(lane, first_row, meta);
            first_row = false;
            rows += 1;
            let _ = writeln!(
                out,
                "| {server} | {role} | {from} | {to} | {} | {count} | {} | {} |",
                category.label(),
                show_time(marks.first().map(|m| m.time), &meta.zone),
                show_time(marks.last().map(|m| m.time), &meta.zone)
            );
        }
        if rows == 0 {
            let (server, role, from, to) = lane_cells(lane, true, meta);
            let _ = writeln!(out, "| {server} | {role} | {from} | {to} | — | 0 | — | — |");
        }
    }
}

fn lane_cells(
    lane: &super::scan::TimelineLane,
    first_row: bool,
    meta: &DocumentMeta,
) -> (String, &'static str, String, String) {
    if !first_row {
        return (String::new(), "", String::new(), String::new());
    }
    (
        esc(&lane.server).into_owned(),
        role_name(lane.role),
        show_time(lane.first, &meta.zone),
        show_time(lane.last, &meta.zone),
    )
}

/// An offset with its judgement, for renderers without colour.
fn judged(offset: Option<f64>) -> String {
    match offset {
        Some(o) if o.abs() > KERBEROS_TOLERANCE_S => format!("🔴 **{}**", seconds(Some(o))),
        Some(o) => format!("🟢 {}", seconds(Some(o))),
        None => "🟡 unknown".to_string(),
    }
}

fn clocks(out: &mut Fmt<'_>, report: &ScanReport) {
    out.push_str("\n## Clocks\n\n");
    let servers = report.clock_servers();
    if servers.is_empty() {
        out.push_str("No server's clock could be measured.\n");
        return;
    }
    let _ = writeln!(
        out,
        "Each cell is the row server's clock minus the column server's; Kerberos refuses \
         tickets beyond {KERBEROS_TOLERANCE_S:.0} s. {}\n",
        if report.clock.timestamps_corrected {
            "Each server's timestamps were corrected by its offset before correlating."
        } else {
            "No timestamps needed correcting."
        }
    );
    out.push_str("| Server | Role | Offset | Against | Basis |");
    for c in &servers {
        let _ = write!(out, " vs {} |", esc(&c.name));
    }
    out.push_str("\n|---|---|---:|---|---|");
    for _ in &servers {
        out.push_str("---:|");
    }
    out.push('\n');
    for row in &servers {
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {} |",
            esc(&row.name),
            role_name(row.role),
            judged(row.clock_offset_s),
            esc(row.offset_reference.as_deref().unwrap_or("unknown")),
            row.offset_basis
                .map_or("—", crate::model::ClockBasis::label)
        );
        for column in &servers {
            if column.name == row.name {
                out.push_str(" — |");
                continue;
            }
            let cell = report.clock_cell(&row.name, &column.name);
            let _ = write!(out, " {} |", judged(cell.map(|c| c.offset_s)));
        }
        out.push('\n');
    }
}

fn cause_section(out: &mut Fmt<'_>, cause: &CauseReport, meta: &DocumentMeta) {
    let _ = writeln!(
        out,
        "\n### {} — {} {:.2}\n",
        esc(cause.cause),
        status_name(cause.status),
        cause.confidence
    );
    if !cause.pairs.is_empty() {
        let pairs: Vec<String> = cause
            .pairs
            .iter()
            .map(|p| format!("{} → {}", esc(&p.sender), esc(&p.receiver)))
            .collect();
        let _ = writeln!(out, "Pairs: {}", pairs.join(", "));
    }
    if !cause.evidence.is_empty() {
        out.push_str("\nFor:\n\n");
        evidence_table(out, &cause.evidence, meta);
        if cause.evidence_total > cause.evidence.len() {
            let _ = writeln!(
                out,
                "\n… and {} more (`exauth timeline` shows every item).",
                cause.evidence_total - cause.evidence.len()
            );
        }
    }
    if !cause.refuting.is_empty() {
        out.push_str("\nAgainst:\n\n");
        evidence_table(out, &cause.refuting, meta);
    }
    if !cause.missing.is_empty() {
        out.push_str("\nWould decide it:\n\n");
        for m in &cause.missing {
            let _ = writeln!(out, "- {}", esc(m));
        }
    }
    if cause.evidence.is_empty() && cause.refuting.is_empty() && cause.missing.is_empty() {
        out.push_str("No evidence either way.\n");
    }
}

fn evidence_table(out: &mut Fmt<'_>, lines: &[EvidenceLine], meta: &DocumentMeta) {
    out.push_str("| Time | Server | Origin | Detail | Strength |\n|---|---|---|---|---|\n");
    for line in lines {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            show_time(line.time, &meta.zone),
            esc(line.server.as_deref().unwrap_or("—")),
            esc(if line.origin.is_empty() {
                "(drawn from several files)"
            } else {
                &line.origin
            }),
            esc(&line.detail),
            strength_name(line.strength)
        );
    }
}

fn inputs(out: &mut Fmt<'_>, report: &ScanReport, meta: &DocumentMeta) {
    let _ = writeln!(
        out,
        "\n## Inputs covered\n\n{} artifacts, {} bytes; times are clock-corrected.\n\n\
         | Server | Role | Sources | From | To | Evidence | Missing |\n\
         |---|---|---|---|---|---:|---|",
        report.inputs.artifacts, report.inputs.bytes
    );
    for s in &report.servers {
        let sources: Vec<&str> = s.sources.iter().map(|x| x.describe()).collect();
        let missing: Vec<&str> = s.missing_sources.iter().map(|x| x.describe()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
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
            if missing.is_empty() {
                "—".to_string()
            } else {
                format!("🟡 {}", missing.join(", "))
            }
        );
    }
    if !report.inputs.by_kind.is_empty() {
        out.push_str("\n| Kind of file | Files | Bytes |\n|---|---:|---:|\n");
        for (kind, total) in &report.inputs.by_kind {
            let _ = writeln!(out, "| {} | {} | {} |", esc(kind), total.files, total.bytes);
        }
    }
    if let Some(sampled) = &report.inputs.sampled {
        let _ = writeln!(out, "\n{}.", esc(&sampled.sentence()));
    }
}
