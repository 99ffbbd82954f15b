//! The command line: every flag is declared here, and only here.
//!
//! Below this module nothing reads flags: commands turn them into plain
//! settings (`Limits`, `Style`, …) and call the pipeline.

mod commands;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub use commands::run;

/// Writes `text` to standard error, as `eprint!` does, but never panics:
/// when stderr cannot be written either (a full disk both streams were
/// sent to), there is nobody left to tell, and the exit code still says
/// what happened (`eprint!` panicked there: exit 101).
pub fn to_stderr(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stderr().write_fmt(text);
}

/// `exauth --version`: the version, the commit when built from git, and the
/// optional features compiled in (as `rg --version` lists its own).
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let features = if cfg!(feature = "tables") {
            "+tables (CSV/Parquet export)"
        } else {
            "-tables (no CSV/Parquet export)"
        };
        let version = env!("CARGO_PKG_VERSION");
        match option_env!("EXAUTH_GIT_COMMIT") {
            Some(commit) => format!("{version} (rev {commit})\nfeatures: {features}"),
            None => format!("{version}\nfeatures: {features}"),
        }
    })
}

/// Most worker threads `--threads` takes. More only costs memory (each
/// thread has a stack and read buffers) and, in the tens of thousands, hangs
/// the start of the run; reading never gains from more threads than files.
pub const MAX_THREADS: usize = 1024;

fn parse_threads(text: &str) -> Result<usize, String> {
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    match n {
        0 => Err("at least 1".into()),
        n if n > MAX_THREADS => Err(format!(
            "at most {MAX_THREADS} (this machine has {} cores)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        )),
        n => Ok(n),
    }
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success; for scan: no authentication-failure evidence found
  1  scan only: authentication-failure evidence found
  2  error (bad usage, or nothing readable; with --strict, any unreadable input)
A file that cannot be read never aborts a run: it is reported and the run goes on.";

/// Finds why Exchange servers fail to authenticate to each other
/// (`454 4.7.0 Temporary authentication failure`, KB 979174) from the logs
/// collected on them and on the domain controllers.
#[derive(Debug, Parser)]
#[command(name = "exauth", version = version(), about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// No progress bar and no notes on stderr; errors are still printed.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Colour the terminal output. `auto` honours NO_COLOR.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Worker threads for reading (default: all cores; 1 to 1024).
    #[arg(long, global = true, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// Time zone for displayed times (IANA name such as Europe/Amsterdam).
    /// Display only: analysis is always in UTC.
    #[arg(long, global = true, value_name = "TZ", default_value = "UTC")]
    pub timezone: String,

    /// Write the output to FILE instead of stdout.
    #[arg(short, long, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit 2 (after the usual output) when any input could not be read
    /// (inventory status `error`): for scripts that must not act on a
    /// partial collection.
    #[arg(long, global = true)]
    pub strict: bool,

    #[command(flatten)]
    pub limits: LimitArgs,
}

/// How to read local times (queue exports, command outputs).
#[derive(Debug, Args)]
pub struct LocalTimeArgs {
    /// The Windows culture that wrote the local times of queue exports and
    /// command outputs (en-US, nl-NL, de-DE, zh-CN, …): forces their
    /// day/month order instead of inferring it from each file.
    #[arg(long, value_name = "CULTURE", value_parser = parse_culture)]
    pub locale: Option<exauth_parsers::queue::DateOrder>,

    /// A server's time zone, for its local times when its System log has no
    /// EventLog 6013 (repeatable): `--server-tz EX01=Europe/Amsterdam`.
    #[arg(long, value_name = "SERVER=IANA", value_parser = parse_server_tz)]
    pub server_tz: Vec<(String, String)>,
}

/// Limits on archives, so a zip bomb cannot take the machine down.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Decompressed bytes over the whole run (suffixes K, M, G, T).
    #[arg(long, global = true, value_name = "BYTES", default_value = "64G", value_parser = parse_bytes)]
    pub max_total_bytes: u64,

    /// Decompressed bytes of one archive entry (suffixes K, M, G, T).
    #[arg(long, global = true, value_name = "BYTES", default_value = "8G", value_parser = parse_bytes)]
    pub max_entry_bytes: u64,

    /// Largest uncompressed:compressed ratio of a large archive entry.
    #[arg(long, global = true, value_name = "N", default_value_t = 1000)]
    pub max_ratio: u64,

    /// Archives inside archives.
    #[arg(long, global = true, value_name = "N", default_value_t = 8)]
    pub max_depth: usize,

    /// Archive entries over the whole run: every archive's, nested ones
    /// included, count against this one limit (the archive it runs out in is
    /// named, with what was read of it).
    #[arg(long, global = true, value_name = "N", default_value_t = 200_000)]
    pub max_entries: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a collection and say why authentication fails (the main job).
    Scan(ScanArgs),
    /// List what was found: one row per artifact, with its kind and server.
    Inventory(InventoryArgs),
    /// Export the parsed records and evidence as JSON lines, CSV or Parquet.
    Extract(ExtractArgs),
    /// A merged timeline of all evidence.
    Timeline(TimelineArgs),
    /// Generate a realistic sample collection for a failure scenario, with
    /// expected.json saying what was injected.
    Synth(SynthArgs),
    /// Print shell completions for bash, zsh, fish, PowerShell or elvish
    /// (e.g. `exauth completions powershell >> $PROFILE`).
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout: `exauth man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the completions or the man page for the command line itself.
pub fn generate(command: &Command, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    match command {
        Command::Completions(args) => {
            clap_complete::generate(args.shell, &mut cli, "exauth", out);
            Ok(())
        }
        _ => clap_mangen::Man::new(cli).render(out),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    /// One self-contained page (inline CSS and SVG, no scripts).
    Html,
    /// The same content as Markdown tables, for tickets and wikis.
    Markdown,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, folders, .zip or .gz files of the collection.
    #[arg(required_unless_present = "evidence", value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Decide from the evidence dataset `extract --format parquet -o ROOT`
    /// wrote (many extracts, e.g. one per server, may share one ROOT)
    /// instead of raw collections; the flat sets of earlier versions are
    /// read too.
    #[arg(long, value_name = "ROOT", conflicts_with = "paths")]
    pub evidence: Vec<PathBuf>,

    /// With --evidence: only this server's partitions (and the
    /// unattributed ones; identities are always read whole). Repeatable.
    #[arg(long = "server", value_name = "NAME", requires = "evidence")]
    pub servers: Vec<String>,

    /// With --evidence: only the date partitions from this UTC day on
    /// (whole days: RFC 3339 or YYYY-MM-DD; untimed rows always).
    #[arg(long, value_name = "TIME", requires = "evidence")]
    pub from: Option<String>,

    /// With --evidence: only the date partitions up to this UTC day.
    #[arg(long, value_name = "TIME", requires = "evidence")]
    pub to: Option<String>,

    #[command(flatten)]
    pub local_time: LocalTimeArgs,

    /// Output format (`json`: schema exauth.scan/1, see README; `html`: one
    /// self-contained page; `markdown`: tables for tickets).
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,

    /// The time the HTML and Markdown reports say they were generated
    /// (RFC 3339, e.g. 2026-11-27T10:00:00Z; default: now). Fixing it makes
    /// the output byte-identical run to run.
    #[arg(long, value_name = "TIME")]
    pub generated_at: Option<jiff::Timestamp>,

    /// Evidence this close to a pair's failures belongs to it (about one
    /// queue retry interval): `10m`, `30m`, `1h`, `90s`.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub window: jiff::SignedDuration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Files, folders, .zip or .gz files of the collection.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = InventoryFormat::Text)]
    pub format: InventoryFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    Jsonl,
    Csv,
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Files, folders, .zip or .gz files of the collection.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub local_time: LocalTimeArgs,

    /// Output format: `jsonl` (one row a line, stdout or -o FILE); `csv`
    /// (one table per row kind in the folder -o DIR); `parquet` (the
    /// Hive-partitioned dataset under -o ROOT that `scan --evidence` and
    /// DuckDB read: ROOT/<table>/server=…/date=…/part-<ID>.parquet).
    #[arg(long, value_enum)]
    pub format: ExtractFormat,

    /// With `--format parquet`: the id in this run's file names
    /// (`part-<ID>.parquet`: letters, digits, `-`, `_`; default: a hash of
    /// the input paths). A later run with the same id replaces this run's
    /// parts — e.g. a server collected again to another path.
    #[arg(long, value_name = "ID")]
    pub part_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimelineFormat {
    Text,
    Csv,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Files, folders, .zip or .gz files of the collection.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub local_time: LocalTimeArgs,

    /// Only evidence at or after this time (clock-corrected): RFC 3339
    /// (2026-11-26T07:00:00Z), or a local `2026-11-26 08:00[:00]` or date
    /// in --timezone.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,

    /// Only evidence at or before this time (same forms as --from; a date
    /// alone means the end of that day).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// Only this server's evidence (short name or FQDN; repeatable).
    #[arg(long = "server", value_name = "NAME")]
    pub servers: Vec<String>,

    /// Only evidence of this kind (repeatable): kerberos-error, smtp-auth,
    /// queue-last-error, time-service-event, …
    #[arg(long = "kind", value_name = "KIND",
          value_parser = clap::builder::PossibleValuesParser::new(crate::evidence::FACT_KINDS))]
    pub kinds: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TimelineFormat::Text)]
    pub format: TimelineFormat,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// What goes wrong: healthy, clock-skew, ad-replication, spn-missing,
    /// spn-duplicate, kerberos-blocked, connector-auth, sender-synthesized,
    /// inconclusive, mixed.
    #[arg(long, value_name = "NAME", value_parser = parse_scenario)]
    pub scenario: crate::synth::Scenario,

    /// Folder to write the collection (and expected.json) into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Exchange servers.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub servers: usize,

    /// Domain controllers (ad-replication and mixed use at least 2).
    #[arg(long, value_name = "M", default_value_t = 1)]
    pub dcs: usize,

    /// Hours of logs.
    #[arg(long, value_name = "H", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub hours: u32,

    /// Grow healthy traffic until the collection is this size, within a few
    /// percent from 50M up (suffixes K, M, G, T: powers of 1024). It counts
    /// the files as written, before zipping: for elc and zip, what the zips
    /// hold once unpacked (the zips themselves are about 10-15 times smaller).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub size: Option<u64>,

    /// elc: ExchangeLogCollector zips; flat: a folder per server; zip: one
    /// collection.zip; handover: what an admin pastes into a ticket (queue
    /// paste, Event Viewer copies, log excerpt, transcript, ipconfig).
    #[arg(long, value_name = "LAYOUT", default_value = "flat", value_parser = parse_layout)]
    pub layout: crate::synth::Layout,

    /// The servers' regional format and time zone: en-US, nl-NL, de-DE, zh-CN.
    #[arg(long, value_name = "CULTURE", default_value = "en-US", value_parser = parse_locale)]
    pub locale: crate::synth::Locale,

    /// Seed: the same seed gives the same bytes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Clock error of the skewed machine (clock-skew): 7m, -90s, 1h.
    #[arg(long, value_name = "DURATION", default_value = "7m", value_parser = parse_skew, allow_hyphen_values = true)]
    pub skew: i64,

    /// Whose clock is off (clock-skew): receiver, sender or dc.
    #[arg(long, value_name = "WHO", default_value = "receiver", value_parser = parse_skewed)]
    pub skewed: crate::synth::Skewed,

    /// Roll protocol logs over to a new -N file at this size (Exchange's
    /// default is 10M).
    #[arg(long, value_name = "BYTES", default_value = "10M", value_parser = parse_bytes)]
    pub max_log_file: u64,
}

fn parse_scenario(text: &str) -> Result<crate::synth::Scenario, String> {
    crate::synth::Scenario::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = crate::synth::Scenario::ALL
            .iter()
            .map(|s| s.name())
            .collect();
        format!("unknown scenario (one of: {})", names.join(", "))
    })
}

fn parse_layout(text: &str) -> Result<crate::synth::Layout, String> {
    crate::synth::Layout::from_name(text)
        .ok_or_else(|| "one of: elc, flat, zip, handover".to_string())
}

fn parse_locale(text: &str) -> Result<crate::synth::Locale, String> {
    crate::synth::Locale::from_name(text)
        .ok_or_else(|| "one of: en-US, nl-NL, de-DE, zh-CN".to_string())
}

fn parse_skewed(text: &str) -> Result<crate::synth::Skewed, String> {
    match text {
        "receiver" => Ok(crate::synth::Skewed::Receiver),
        "sender" => Ok(crate::synth::Skewed::Sender),
        "dc" => Ok(crate::synth::Skewed::Dc),
        _ => Err("one of: receiver, sender, dc".to_string()),
    }
}

/// `7m`, `-90s`, `1h`, `420` (seconds) → signed seconds.
fn parse_skew(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (sign, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let seconds = parse_duration(magnitude)?.as_secs();
    if seconds > 86_400 * 365 {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(sign * seconds)
}

/// `10m`, `1h`, `90s`, `7m30s`… (also plain seconds).
fn parse_duration(text: &str) -> Result<jiff::SignedDuration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(jiff::SignedDuration::from_secs(seconds));
    }
    let mut total = 0i64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration (e.g. 10m, 1h, 90s)"))?;
        number.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("`{text}` is not a duration (e.g. 10m, 1h, 90s)")),
        };
    }
    if !number.is_empty() {
        return Err(format!("`{text}`: a unit (s, m, h) must follow {number}"));
    }
    Ok(jiff::SignedDuration::from_secs(total))
}

fn parse_culture(text: &str) -> Result<exauth_parsers::queue::DateOrder, String> {
    exauth_parsers::queue::DateOrder::for_culture(text).ok_or_else(|| {
        format!("`{text}`: unknown culture (e.g. en-US, en-GB, nl-NL, de-DE, fr-FR, zh-CN, ja-JP)")
    })
}

fn parse_server_tz(text: &str) -> Result<(String, String), String> {
    let (server, zone) = text.split_once('=').ok_or_else(|| {
        format!("`{text}`: expected SERVER=IANA zone, e.g. EX01=Europe/Amsterdam")
    })?;
    jiff::tz::TimeZone::get(zone.trim())
        .map_err(|_| format!("`{zone}` is not a known time zone"))?;
    Ok((server.trim().to_ascii_uppercase(), zone.trim().to_string()))
}

/// `64G`, `512M`, `1.5G`, `1000` (bytes).
fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let factor: u64 = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        other => return Err(format!("unknown size unit `{other}` (use K, M, G or T)")),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size"))?;
    if !(value.is_finite() && value >= 0.0) {
        return Err(format!("`{text}` is not a size"));
    }
    Ok((value * factor as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("10m"),
            Ok(jiff::SignedDuration::from_mins(10))
        );
        assert_eq!(
            parse_duration("7m30s"),
            Ok(jiff::SignedDuration::from_secs(450))
        );
        assert_eq!(
            parse_duration("90"),
            Ok(jiff::SignedDuration::from_secs(90))
        );
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("10").is_ok());
        assert!(parse_duration("5m3").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("64G"), Ok(64 << 30));
        assert_eq!(parse_bytes("1.5k"), Ok(1536));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("-1G").is_err());
    }

    #[test]
    fn skews() {
        assert_eq!(parse_skew("7m"), Ok(420));
        assert_eq!(parse_skew("-90s"), Ok(-90));
        assert_eq!(parse_skew("1h"), Ok(3600));
        assert_eq!(parse_skew("420"), Ok(420));
        assert!(parse_skew("soon").is_err());
    }
}
