//! What each subcommand does with its flags: settings in, pipeline called,
//! output written, exit code out.

use super::{
    Cli, ColorChoice, Command, ExtractArgs, ExtractFormat, GlobalArgs, InventoryFormat,
    LocalTimeArgs, ScanArgs, ScanFormat, TimelineArgs, TimelineFormat,
};
use crate::correlate::case::{self, CaseSettings};
use crate::diagnose;
use crate::discover::{self, Limits};
use crate::ingest::{IngestOptions, RowEncoding};
use crate::inventory::{Collector, Inventory, InventoryVisitor, Status};
use crate::pipeline::{self, Keep, ReadSettings};
use crate::progress::Progress;
use crate::report::{self, style::Style, Sink};
use crate::Exit;
use anyhow::{bail, Context, Result};
use std::io::{BufWriter, IsTerminal, Write};
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
        Command::Timeline(args) => timeline(global, args),
        command @ (Command::Completions(_) | Command::Man) => {
            let mut out = std::io::stdout().lock();
            super::generate(command, &mut out)?;
            out.flush()?;
            Ok(Exit::Success)
        }
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
        super::to_stderr(format_args!(
            "exauth: wrote {} files, {} bytes: scenario {} ({}), {} failing pair(s); see {}\n",
            summary.files,
            summary.bytes,
            summary.expected.scenario,
            summary.expected.primary_cause,
            summary.expected.failing_pairs.len(),
            args.out.join("expected.json").display()
        ));
    }
    Ok(Exit::Success)
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

/// Writes a sink's document to the `-o` file, or else to stdout, through a
/// buffer, as it is rendered.
fn write_output(global: &GlobalArgs, sink: &dyn Sink) -> Result<()> {
    const BUFFER: usize = 64 << 10;
    match &global.output {
        Some(path) => {
            let written = std::fs::File::create(path).and_then(|file| {
                let mut out = BufWriter::with_capacity(BUFFER, file);
                sink.write(&mut out)?;
                out.flush()
            });
            written.with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut out = BufWriter::with_capacity(BUFFER, std::io::stdout().lock());
            sink.write(&mut out)?;
            out.flush()?;
            Ok(())
        }
    }
}

fn inventory(global: &GlobalArgs, paths: &[PathBuf], format: InventoryFormat) -> Result<Exit> {
    let inventory = take_inventory(global, paths);
    match format {
        InventoryFormat::Json => write_output(global, &report::inventory::Json(&inventory))?,
        InventoryFormat::Text => write_output(
            global,
            &report::inventory::Text {
                inventory: &inventory,
                style: style(global),
            },
        )?,
    }
    Ok(if inventory.anything_readable() {
        strict(global, &inventory, Exit::Success)
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
    super::to_stderr(format_args!(
        "exauth: --strict: {unreadable} of {} artifacts could not be read (status error)\n",
        inventory.artifacts()
    ));
    Exit::Error
}

fn nothing_readable(global: &GlobalArgs, inventory: &Inventory) -> Exit {
    if !global.quiet {
        super::to_stderr(format_args!(
            "exauth: nothing readable among {} artifacts (see the list above for why)\n",
            inventory.artifacts()
        ));
    }
    Exit::Error
}

fn read_settings(global: &GlobalArgs, local_time: &LocalTimeArgs, keep: Keep) -> ReadSettings {
    ReadSettings {
        limits: limits(global),
        aggregate: Default::default(),
        ingest: IngestOptions {
            threads: rayon::current_num_threads(),
            date_order: match local_time.locale {
                Some(order) => exauth_parsers::queue::DateOrderOption::Force(order),
                None => exauth_parsers::queue::DateOrderOption::Infer,
            },
            ..IngestOptions::default()
        },
        keep,
        progress: !global.quiet,
    }
}

fn server_zones(
    local_time: &LocalTimeArgs,
) -> std::collections::BTreeMap<String, jiff::tz::TimeZone> {
    local_time
        .server_tz
        .iter()
        .filter_map(|(server, zone)| Some((server.clone(), jiff::tz::TimeZone::get(zone).ok()?)))
        .collect()
}

fn display_zone(global: &GlobalArgs) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&global.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn scan(global: &GlobalArgs, args: &ScanArgs) -> Result<Exit> {
    let settings = CaseSettings {
        window: args.window,
        server_zones: server_zones(&args.local_time),
    };
    let (case, inventory, problems) = if args.evidence.is_empty() {
        let mut collected = pipeline::read(
            &args.paths,
            &read_settings(global, &args.local_time, Keep::Evidence),
        );
        case::attribute(&mut collected);
        let inventory = collected.inventory.clone();
        let problems = collected.problems.len();
        if !inventory.anything_readable() && !collected.shows_failure() {
            // Nothing to weigh: every format stays itself (a scan document
            // with verdict `inconclusive`, no causes and the not-read list;
            // an HTML page, a Markdown document), the terminal gets the
            // inventory's reasons; exit 2.
            if args.format == ScanFormat::Text {
                write_output(
                    global,
                    &report::inventory::Text {
                        inventory: &inventory,
                        style: style(global),
                    },
                )?;
                return Ok(nothing_readable(global, &inventory));
            }
            let case = case::build(collected, settings);
            let diagnosis = diagnose::nothing_readable(inventory.artifacts() as usize);
            let model = report::scan::build(&case, &diagnosis, &inventory, problems);
            let meta = report::scan::DocumentMeta::new(
                args.generated_at.unwrap_or_else(jiff::Timestamp::now),
                display_zone(global),
            );
            let (report, meta) = (&model, &meta);
            match args.format {
                ScanFormat::Html => write_output(global, &report::html::Page { report, meta })?,
                ScanFormat::Markdown => {
                    write_output(global, &report::markdown::Document { report, meta })?
                }
                _ => write_output(global, &report::scan::Json(report))?,
            }
            return Ok(nothing_readable(global, &inventory));
        }
        (case::build(collected, settings), inventory, problems)
    } else {
        read_evidence_sets(args, settings)?
    };
    let diagnosis = diagnose::diagnose(&case);
    let model = report::scan::build(&case, &diagnosis, &inventory, problems);
    let meta = report::scan::DocumentMeta::new(
        args.generated_at.unwrap_or_else(jiff::Timestamp::now),
        display_zone(global),
    );
    let zone = display_zone(global);
    let report = &model;
    let meta = &meta;
    match args.format {
        ScanFormat::Json => write_output(global, &report::scan::Json(report))?,
        ScanFormat::Text => write_output(
            global,
            &report::scan::Text {
                report,
                style: style(global),
                tz: &zone,
            },
        )?,
        ScanFormat::Html => write_output(global, &report::html::Page { report, meta })?,
        ScanFormat::Markdown => write_output(global, &report::markdown::Document { report, meta })?,
    }
    let exit = if case.incidents.is_empty() {
        Exit::Success
    } else {
        Exit::Evidence
    };
    // Tens of thousands of items, freed by the other worker as the run ends.
    pipeline::drop_aside((case, model));
    Ok(strict(global, &inventory, exit))
}

fn timeline(global: &GlobalArgs, args: &TimelineArgs) -> Result<Exit> {
    let zone = display_zone(global);
    let filter = report::timeline::Filter {
        from: args
            .from
            .as_deref()
            .map(|t| parse_time(t, &zone, false).with_context(|| format!("--from {t}")))
            .transpose()?,
        to: args
            .to
            .as_deref()
            .map(|t| parse_time(t, &zone, true).with_context(|| format!("--to {t}")))
            .transpose()?,
        servers: server_names(&args.servers).collect(),
        kinds: args.kinds.clone(),
    };
    let collected = pipeline::read(
        &args.paths,
        &read_settings(global, &args.local_time, Keep::Evidence),
    );
    let inventory = collected.inventory.clone();
    if !inventory.anything_readable() && !collected.shows_failure() {
        let text = report::inventory::text(&inventory, style(global));
        super::to_stderr(format_args!("{text}"));
        return Ok(nothing_readable(global, &inventory));
    }
    let case = case::build(
        collected,
        CaseSettings {
            server_zones: server_zones(&args.local_time),
            ..CaseSettings::default()
        },
    );
    let rows = report::timeline::rows(&case, &filter);
    write_output(
        global,
        &report::timeline::Timeline {
            rows: &rows,
            tz: &zone,
            format: match args.format {
                TimelineFormat::Text => report::timeline::TimelineFormat::Text,
                TimelineFormat::Csv => report::timeline::TimelineFormat::Csv,
                TimelineFormat::Jsonl => report::timeline::TimelineFormat::Jsonl,
            },
        },
    )?;
    if !global.quiet {
        super::to_stderr(format_args!(
            "exauth: {} of {} evidence items\n",
            rows.len(),
            case.evidence.len()
        ));
    }
    Ok(strict(global, &inventory, Exit::Success))
}

/// `--server` names as the report writes them: short, upper case.
fn server_names(names: &[String]) -> impl Iterator<Item = String> + '_ {
    names.iter().map(|s| {
        crate::model::normalize_host(s)
            .map(|(short, _)| short)
            .unwrap_or_else(|| s.trim().to_ascii_uppercase())
    })
}

/// `--from`/`--to`: RFC 3339, or a local date-time or date in `zone` (a date
/// alone is the start of the day, or its last second when `end_of_day`).
fn parse_time(text: &str, zone: &jiff::tz::TimeZone, end_of_day: bool) -> Result<jiff::Timestamp> {
    let text = text.trim();
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    // A date alone first: jiff would also read it as a date-time at midnight.
    let date_only = !text.contains([' ', 'T', 't', ':']);
    if let (true, Ok(date)) = (date_only, text.parse::<jiff::civil::Date>()) {
        let time = if end_of_day {
            jiff::civil::Time::constant(23, 59, 59, 999_999_999)
        } else {
            jiff::civil::Time::midnight()
        };
        return Ok(date.to_datetime(time).to_zoned(zone.clone())?.timestamp());
    }
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>() {
        return Ok(dt.to_zoned(zone.clone())?.timestamp());
    }
    bail!("not a time: use RFC 3339 (2026-11-26T07:00:00Z), `2026-11-26 08:00` or `2026-11-26`")
}

#[cfg(feature = "tables")]
fn read_evidence_sets(
    args: &ScanArgs,
    settings: CaseSettings,
) -> Result<(case::Case, crate::inventory::Inventory, usize)> {
    use report::dataset;
    let datasets = args
        .evidence
        .iter()
        .filter(|d| dataset::is_dataset(d))
        .count();
    let set = if datasets == args.evidence.len() {
        let utc = jiff::tz::TimeZone::UTC;
        let day =
            |t: &Option<String>, flag: &str, end: bool| -> Result<Option<jiff::civil::Date>> {
                t.as_deref()
                    .map(|t| {
                        parse_time(t, &utc, end)
                            .map(|t| t.to_zoned(utc.clone()).date())
                            .with_context(|| format!("{flag} {t}"))
                    })
                    .transpose()
            };
        let filter = dataset::Filter {
            servers: server_names(&args.servers).collect(),
            from: day(&args.from, "--from", false)?,
            to: day(&args.to, "--to", true)?,
        };
        dataset::read(&args.evidence, &filter)?
    } else if datasets == 0 {
        if !args.servers.is_empty() || args.from.is_some() || args.to.is_some() {
            bail!("--server, --from and --to need a dataset (ROOT/evidence/server=…/date=…), not the flat sets of earlier versions");
        }
        report::evidence_set::read_flat(&args.evidence)?
    } else {
        bail!("--evidence: give either datasets (ROOT/evidence/…) or the flat sets of earlier versions (DIR/_evidence.parquet), not both");
    };
    let problems = set.problems.len();
    let mut case = case::assemble(set.identities, set.evidence, set.coverage, settings);
    case.coverage.notes = set.notes;
    case.sampled = set.sampled;
    Ok((case, set.inventory, problems))
}

#[cfg(not(feature = "tables"))]
fn read_evidence_sets(
    _: &ScanArgs,
    _: CaseSettings,
) -> Result<(case::Case, crate::inventory::Inventory, usize)> {
    bail!(
        "this exauth was built without the `tables` feature (polars): --evidence is not available"
    )
}

fn extract(global: &GlobalArgs, args: &ExtractArgs) -> Result<Exit> {
    // Each artifact's rows are written down (encoded for the output) while
    // it is read, in parallel; they are emitted afterwards in sorted origin
    // order, then the collection's own rows.
    if args.part_id.is_some() && args.format != ExtractFormat::Parquet {
        bail!("--part-id names the parts of a Parquet dataset: use it with --format parquet");
    }
    let encoding = match args.format {
        ExtractFormat::Jsonl => RowEncoding::JsonLine,
        ExtractFormat::Csv | ExtractFormat::Parquet => RowEncoding::Binary,
    };
    let mut collected = pipeline::read(
        &args.paths,
        &read_settings(global, &args.local_time, Keep::Rows(encoding)),
    );
    // Records, sessions and the inventory leave `collected` before the case
    // is built: each artifact's server is decided first.
    case::attribute(&mut collected);
    let inventory = collected.inventory.clone();
    if !inventory.anything_readable() && !collected.shows_failure() {
        let text = report::inventory::text(&inventory, style(global));
        super::to_stderr(format_args!("{text}"));
        return Ok(nothing_readable(global, &inventory));
    }
    let Some(spooled) = collected.rows.take() else {
        bail!("the rows were not kept");
    };
    if let Some(e) = spooled.take_error() {
        bail!("cannot keep the rows in a temporary file: {e}");
    }
    let problems = collected.problems.clone();
    let case = case::build(
        collected,
        CaseSettings {
            server_zones: server_zones(&args.local_time),
            ..CaseSettings::default()
        },
    );
    let collection = report::export::CollectionRows::new(&case);
    match args.format {
        ExtractFormat::Jsonl => write_output(
            global,
            &report::export::Jsonl {
                artifacts: &spooled,
                collection: &collection,
            },
        )?,
        ExtractFormat::Csv | ExtractFormat::Parquet => {
            let Some(dir) = &global.output else {
                bail!(
                    "--format csv and parquet write one file per table: give a folder with -o DIR"
                );
            };
            match args.format {
                ExtractFormat::Parquet => write_dataset(
                    &spooled,
                    &collection,
                    &case,
                    &inventory,
                    &problems,
                    dir,
                    args,
                )?,
                _ => write_tables(&spooled, &collection, dir, args.format)?,
            }
        }
    }
    if let Some(e) = spooled.take_error() {
        bail!("cannot read the rows back from their temporary file: {e}");
    }
    if !global.quiet {
        super::to_stderr(format_args!(
            "exauth: {} rows from {} artifacts\n",
            spooled.count() + collection.count(),
            inventory.artifacts()
        ));
    }
    Ok(strict(global, &inventory, Exit::Success))
}

#[cfg(feature = "tables")]
fn write_tables(
    spooled: &pipeline::SpooledRows,
    collection: &report::export::CollectionRows<'_>,
    dir: &std::path::Path,
    format: ExtractFormat,
) -> Result<()> {
    let format = match format {
        ExtractFormat::Csv => report::tables::TableFormat::Csv,
        _ => report::tables::TableFormat::Parquet,
    };
    report::tables::write(spooled, collection, dir, format)
}

/// `extract --format parquet -o ROOT`: this run's parts of the dataset
/// (record tables and evidence set), each renamed into place, then its own
/// older parts removed.
#[cfg(feature = "tables")]
fn write_dataset(
    spooled: &pipeline::SpooledRows,
    collection: &report::export::CollectionRows<'_>,
    case: &case::Case,
    inventory: &crate::inventory::Inventory,
    problems: &[(crate::discover::Origin, exauth_parsers::problem::Problem)],
    root: &std::path::Path,
    args: &ExtractArgs,
) -> Result<()> {
    let mut writer =
        report::dataset::DatasetWriter::new(root, &args.paths, args.part_id.as_deref())?;
    report::tables::write_dataset(spooled, collection, &mut writer)?;
    report::dataset::write_evidence_set(case, inventory, problems, &mut writer)?;
    writer.finish()
}

#[cfg(not(feature = "tables"))]
fn write_dataset(
    _: &pipeline::SpooledRows,
    _: &report::export::CollectionRows<'_>,
    _: &case::Case,
    _: &crate::inventory::Inventory,
    _: &[(crate::discover::Origin, exauth_parsers::problem::Problem)],
    _: &std::path::Path,
    _: &ExtractArgs,
) -> Result<()> {
    bail!("this exauth was built without the `tables` feature (polars): CSV and Parquet export are not available; use --format jsonl")
}

#[cfg(not(feature = "tables"))]
fn write_tables(
    _: &pipeline::SpooledRows,
    _: &report::export::CollectionRows<'_>,
    _: &std::path::Path,
    _: ExtractFormat,
) -> Result<()> {
    bail!("this exauth was built without the `tables` feature (polars): CSV and Parquet export are not available; use --format jsonl")
}
