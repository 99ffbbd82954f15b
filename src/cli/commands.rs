//! What each subcommand does with its flags: settings in, pipeline called,
//! output written, exit code out.

use super::{
    Cli, ColorChoice, Command, ExtractArgs, ExtractFormat, GlobalArgs, InventoryFormat, ScanArgs,
    ScanFormat,
};
use crate::correlate::case::{self, CaseSettings};
use crate::diagnose;
use crate::discover::{self, Limits};
use crate::ingest::IngestOptions;
use crate::inventory::{Collector, Inventory, InventoryVisitor, Status};
use crate::pipeline::{self, Keep, ReadSettings};
use crate::progress::Progress;
use crate::report::{self, style::Style};
use crate::Exit;
use anyhow::{bail, Context, Result};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Runs the parsed command line. Errors that stop the whole run come back as
/// `Err` (exit 2); per-file problems never do.
pub fn run(cli: Cli) -> Result<Exit> {
    let global = &cli.global;
    jiff::tz::TimeZone::get(&global.timezone)
        .with_context(|| format!("--timezone {}: not a known time zone", global.timezone))?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = global.threads {
        if threads == 0 {
            bail!("--threads must be at least 1");
        }
        pool = pool.num_threads(threads);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    pool.install(|| match &cli.command {
        Command::Inventory(args) => inventory(global, &args.paths, args.format),
        Command::Scan(args) => scan(global, args),
        Command::Extract(args) => extract(global, args),
        Command::Synth(args) => synth(global, args),
        Command::Timeline(_) => not_yet(
            "timeline",
            "the merged timeline needs the evidence extractors and the clock correlation",
        ),
    })
}

fn synth(global: &GlobalArgs, args: &super::SynthArgs) -> Result<Exit> {
    let settings = crate::synth::Settings {
        scenario: args.scenario,
        servers: args.servers.max(1),
        dcs: args.dcs.max(1),
        hours: args.hours,
        size: args.size,
        locale: args.locale,
        seed: args.seed,
        skew_seconds: args.skew,
        skewed: args.skewed,
        max_log_file: args.max_log_file,
    };
    let summary = crate::synth::generate(settings, args.layout, &args.out)
        .with_context(|| format!("cannot write the collection to {}", args.out.display()))?;
    if !global.quiet {
        eprintln!(
            "exauth: wrote {} files, {} bytes: scenario {} ({}), {} failing pair(s); see {}",
            summary.files,
            summary.bytes,
            summary.expected.scenario,
            summary.expected.primary_cause,
            summary.expected.failing_pairs.len(),
            args.out.join("expected.json").display()
        );
    }
    Ok(Exit::NoEvidence)
}

fn not_yet(command: &str, why: &str) -> Result<Exit> {
    bail!("`exauth {command}` is not available yet: {why}. `exauth inventory` and `exauth scan` work today.")
}

fn limits(global: &GlobalArgs) -> Limits {
    let l = &global.limits;
    Limits {
        max_total_bytes: l.max_total_bytes,
        max_entry_bytes: l.max_entry_bytes,
        max_ratio: l.max_ratio,
        max_depth: l.max_depth,
        max_entries: l.max_entries,
        ..Limits::default()
    }
}

fn style(global: &GlobalArgs) -> Style {
    let color = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            global.output.is_none()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    Style { color }
}

/// Discovers and detects everything under `paths`, with a progress bar.
fn take_inventory(global: &GlobalArgs, paths: &[PathBuf]) -> Inventory {
    let collector = Collector::default();
    let hidden = Progress::hidden();
    let mut visitor = InventoryVisitor {
        collector,
        progress: &hidden,
    };
    let plan = discover::plan(paths, &visitor);
    let progress = Progress::new(plan.total_bytes, !global.quiet);
    visitor.progress = &progress;
    discover::run(&plan, &limits(global), &visitor);
    progress.finish();
    visitor.collector.finish()
}

fn write_output(global: &GlobalArgs, text: &str) -> Result<()> {
    match &global.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            Ok(())
        }
    }
}

fn inventory(global: &GlobalArgs, paths: &[PathBuf], format: InventoryFormat) -> Result<Exit> {
    let inventory = take_inventory(global, paths);
    let text = match format {
        InventoryFormat::Json => report::inventory::json(&inventory),
        InventoryFormat::Text => report::inventory::text(&inventory, style(global)),
    };
    write_output(global, &text)?;
    Ok(if inventory.anything_readable() {
        strict(global, &inventory, Exit::NoEvidence)
    } else {
        nothing_readable(global, &inventory)
    })
}

/// With `--strict`, any unreadable input turns `exit` into an error (the
/// output has been written already); without it, `exit` stands.
fn strict(global: &GlobalArgs, inventory: &Inventory, exit: Exit) -> Exit {
    if !global.strict {
        return exit;
    }
    let unreadable = inventory
        .rows
        .iter()
        .filter(|r| r.status == Status::Error)
        .count();
    if unreadable == 0 {
        return exit;
    }
    eprintln!(
        "exauth: --strict: {unreadable} of {} artifacts could not be read (status error)",
        inventory.rows.len()
    );
    Exit::Error
}

fn nothing_readable(global: &GlobalArgs, inventory: &Inventory) -> Exit {
    if !global.quiet {
        eprintln!(
            "exauth: nothing readable among {} artifacts (see the list above for why)",
            inventory.rows.len()
        );
    }
    Exit::Error
}

fn read_settings(global: &GlobalArgs, keep: Keep) -> ReadSettings {
    ReadSettings {
        limits: limits(global),
        ingest: IngestOptions {
            threads: rayon::current_num_threads(),
            ..IngestOptions::default()
        },
        keep,
        progress: !global.quiet,
    }
}

fn display_zone(global: &GlobalArgs) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&global.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn scan(global: &GlobalArgs, args: &ScanArgs) -> Result<Exit> {
    let collected = pipeline::read(&args.paths, &read_settings(global, Keep::Evidence));
    let inventory = collected.inventory.clone();
    let problems = collected.problems.len();
    if !inventory.anything_readable() {
        // No case to report: the inventory says why, in the format asked for
        // (a script reading JSON must get JSON; its `schema` tells which).
        let text = match args.format {
            ScanFormat::Json => report::inventory::json(&inventory),
            ScanFormat::Text => report::inventory::text(&inventory, style(global)),
        };
        write_output(global, &text)?;
        return Ok(nothing_readable(global, &inventory));
    }
    let case = case::build(
        collected,
        CaseSettings {
            window: args.window,
        },
    );
    let diagnosis = diagnose::diagnose(&case);
    let model = report::scan::build(&case, &diagnosis, &inventory, problems);
    let text = match args.format {
        ScanFormat::Json => report::scan::json(&model),
        ScanFormat::Text => report::scan::text(&model, style(global), &display_zone(global)),
    };
    write_output(global, &text)?;
    let exit = if case.incidents.is_empty() {
        Exit::NoEvidence
    } else {
        Exit::Evidence
    };
    Ok(strict(global, &inventory, exit))
}

fn extract(global: &GlobalArgs, args: &ExtractArgs) -> Result<Exit> {
    let mut collected = pipeline::read(&args.paths, &read_settings(global, Keep::Records));
    let inventory = collected.inventory.clone();
    if !inventory.anything_readable() {
        let text = report::inventory::text(&inventory, style(global));
        eprint!("{text}");
        return Ok(nothing_readable(global, &inventory));
    }
    let records = std::mem::take(&mut collected.records);
    let sessions = collected.sessions.clone();
    let case = case::build(collected, CaseSettings::default());
    let rows = report::export::rows(&records, &case, &sessions);
    match args.format {
        ExtractFormat::Jsonl => write_output(global, &report::export::jsonl(&rows))?,
        ExtractFormat::Csv | ExtractFormat::Parquet => {
            let Some(dir) = &global.output else {
                bail!(
                    "--format csv and parquet write one file per table: give a folder with -o DIR"
                );
            };
            write_tables(&rows, dir, args.format)?;
        }
    }
    if !global.quiet {
        eprintln!(
            "exauth: {} rows from {} artifacts",
            rows.len(),
            inventory.rows.len()
        );
    }
    let exit = if case.incidents.is_empty() {
        Exit::NoEvidence
    } else {
        Exit::Evidence
    };
    Ok(strict(global, &inventory, exit))
}

#[cfg(feature = "tables")]
fn write_tables(
    rows: &[report::export::Row],
    dir: &std::path::Path,
    format: ExtractFormat,
) -> Result<()> {
    let format = match format {
        ExtractFormat::Csv => report::tables::TableFormat::Csv,
        _ => report::tables::TableFormat::Parquet,
    };
    report::tables::write(rows, dir, format)
}

#[cfg(not(feature = "tables"))]
fn write_tables(_: &[report::export::Row], _: &std::path::Path, _: ExtractFormat) -> Result<()> {
    bail!("this exauth was built without the `tables` feature (polars): CSV and Parquet export are not available; use --format jsonl")
}
