//! The inventory as a terminal table per server, or as JSON.

use super::escape::terminal;
use super::style::Style;
use super::{Fmt, Sink};
use crate::discover::limits::human_bytes;
use crate::inventory::{Inventory, Row, Status, Totals};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;

/// `exauth.inventory/1`: keys in a fixed order, rows sorted by origin, so the
/// output is byte-identical run to run.
#[derive(Serialize)]
struct InventoryJson<'a> {
    schema: &'static str,
    artifacts: &'a [Row],
    totals: Totals,
}

/// `inventory --format json`, as a [`Sink`].
pub struct Json<'a>(pub &'a Inventory);

impl Sink for Json<'_> {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let doc = InventoryJson {
            schema: "exauth.inventory/1",
            artifacts: &self.0.rows,
            totals: self.0.totals(),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")
    }
}

pub fn json(inventory: &Inventory) -> String {
    super::render(&Json(inventory))
}

/// A table per server (kind, files, bytes), then every file that was not
/// read, with its reason.
pub fn text(inventory: &Inventory, style: Style) -> String {
    super::render(&Text { inventory, style })
}

/// The terminal table, as a [`Sink`].
pub struct Text<'a> {
    pub inventory: &'a Inventory,
    pub style: Style,
}

impl Sink for Text<'_> {
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let mut out = Fmt::new(out);
        text_into(&mut out, self.inventory, self.style);
        out.finish()
    }
}

fn text_into(out: &mut Fmt<'_>, inventory: &Inventory, style: Style) {
    let mut by_server: BTreeMap<&str, BTreeMap<&'static str, (u64, u64)>> = BTreeMap::new();
    for row in inventory.rows.iter().filter(|r| r.status == Status::Ok) {
        let server = row.server.as_deref().unwrap_or("(server unknown)");
        let entry = by_server
            .entry(server)
            .or_default()
            .entry(row.kind.id())
            .or_default();
        entry.0 += 1;
        entry.1 += row.bytes;
    }
    for (server, kinds) in &by_server {
        let _ = writeln!(out, "{}", style.bold(&terminal(server)));
        let _ = writeln!(out, "  {:<26} {:>7} {:>12}", "kind", "files", "bytes");
        for (kind, (files, bytes)) in kinds {
            let _ = writeln!(out, "  {kind:<26} {files:>7} {:>12}", human_bytes(*bytes));
        }
        out.push('\n');
    }
    let not_read: Vec<&Row> = inventory
        .rows
        .iter()
        .filter(|r| !matches!(r.status, Status::Ok | Status::Duplicate))
        .collect();
    if !not_read.is_empty() {
        let _ = writeln!(out, "{}", style.bold("Not read"));
        for row in not_read {
            let status = match row.status {
                Status::Error => style.red("error"),
                Status::Unknown => style.yellow("unknown"),
                _ => "skipped".to_string(),
            };
            let _ = writeln!(
                out,
                "  {status:<8} {}  ({})",
                terminal(&row.origin.to_string()),
                terminal(row.reason.as_deref().unwrap_or("")),
            );
        }
        out.push('\n');
    }
    let copies: Vec<&Row> = inventory
        .rows
        .iter()
        .filter(|r| r.status == Status::Duplicate)
        .collect();
    if !copies.is_empty() {
        let _ = writeln!(out, "{}", style.bold("Duplicates (not read again)"));
        for row in &copies {
            let _ = writeln!(
                out,
                "  {}  ({})",
                terminal(&row.origin.to_string()),
                terminal(row.reason.as_deref().unwrap_or("")),
            );
        }
        out.push('\n');
    }
    let totals = inventory.totals();
    let duplicates = match totals.by_status.get("duplicate").copied().unwrap_or(0) {
        0 => String::new(),
        n => format!(", {n} duplicates"),
    };
    let _ = writeln!(
        out,
        "{} artifacts, {} in all; {} read, {} skipped, {} unknown, {} errors{duplicates}; servers: {}",
        totals.artifacts,
        human_bytes(totals.bytes),
        totals.by_status.get("ok").copied().unwrap_or(0),
        totals.by_status.get("skipped").copied().unwrap_or(0),
        totals.by_status.get("unknown").copied().unwrap_or(0),
        totals.by_status.get("error").copied().unwrap_or(0),
        if totals.servers.is_empty() {
            "none recognised".to_string()
        } else {
            terminal(&totals.servers.join(", ")).into_owned()
        }
    );
}
