//! `exauth synth`: collections that look exactly like what admins hand over,
//! for every cause of `454 4.7.0 Temporary authentication failure`.
//!
//! No public data holds Exchange transport events, so exauth makes its own:
//! a simulated organisation ([`world`]) whose servers talk SMTP to each other
//! ([`traffic`]), with a fault injected at a known time, written out in the
//! real formats (protocol logs, Get-Queue and Get-ReceiveConnector exports,
//! `.evtx`, diagnostic command outputs) and laid out as ExchangeLogCollector,
//! plain folders or one zip — or handed over the way admins paste evidence
//! into a ticket ([`handover`]). `expected.json` beside it says what was
//! injected, so the diagnosis can be tested against the truth.
//!
//! Output is a pure function of the settings: no clock reads, no hash-map
//! order, fixed zip timestamps; the same seed gives the same bytes.

pub mod diag;
pub mod events;
pub mod exchange_data;
pub mod handover;
pub mod layout;
pub mod locale;
pub mod psobject;
pub mod rng;
pub mod smtp_log;
pub mod traffic;
pub mod world;

pub use layout::Layout;
pub use locale::Locale;
pub use world::{Scenario, Settings, Skewed, World};

use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use world::{Machine, Outcome};

/// Evidence counts by type (sorted, so `expected.json` is stable).
pub type Counts = BTreeMap<String, u64>;

/// What was generated.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub expected: Expected,
}

/// `expected.json`: the truth about a generated collection.
#[derive(Debug, Clone, Serialize)]
pub struct Expected {
    pub schema: &'static str,
    pub scenario: &'static str,
    pub seed: u64,
    pub primary_cause: &'static str,
    pub side: Option<&'static str>,
    pub failing_pairs: Vec<Pair>,
    pub clock_offsets_s: BTreeMap<String, f64>,
    pub fault_start: String,
    pub window: Window,
    pub locale: &'static str,
    pub layout: &'static str,
    pub evidence_counts: Counts,
    pub servers: Vec<ServerInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub sender: String,
    pub receiver: String,
    /// This pair's side when it differs from the collection's `side`: a
    /// hand-over pair that only a queue shows cannot tell who failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerInfo {
    pub name: String,
    pub fqdn: String,
    pub ip: String,
    pub role: &'static str,
    pub timezone: String,
}

/// Generates the collection for `settings` into `out` (created if needed)
/// in `layout`, and `expected.json` beside it.
pub fn generate(settings: Settings, layout: Layout, out: &Path) -> io::Result<Summary> {
    let mut world = World::new(settings);
    std::fs::create_dir_all(out)?;
    if let Some(size) = world.settings.size {
        let fixed = fixed_bytes(&world, out)?;
        world.interval_s = interval_for_size(&world, size, fixed);
    }
    if layout == Layout::Handover {
        let ticket = handover::write(&world, out)?;
        let expected = expected(
            &world,
            layout,
            ticket.counts,
            Some((&ticket.pairs, &ticket.sided)),
        );
        return write_expected(out, expected);
    }
    let staging = if layout == Layout::Flat {
        out.to_path_buf()
    } else {
        let dir = out.join(".exauth-synth-staging");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        dir
    };
    let counts = write_flat(&world, &staging, Parts::All)?;
    layout::arrange(&world, layout, &staging, out)?;
    let expected = expected(&world, layout, counts, None);
    write_expected(out, expected)
}

/// Writes `expected.json` into `out` and sums up what `out` holds.
fn write_expected(out: &Path, expected: Expected) -> io::Result<Summary> {
    let json = serde_json::to_string_pretty(&expected).map_err(io::Error::other)? + "\n";
    std::fs::write(out.join("expected.json"), json)?;
    let (files, bytes) = tree_size(out)?;
    Ok(Summary {
        files,
        bytes,
        expected,
    })
}

fn tree_size(dir: &Path) -> io::Result<(u64, u64)> {
    let mut files = 0;
    let mut bytes = 0;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_file() {
            files += 1;
            bytes += entry.metadata().map_err(io::Error::other)?.len();
        }
    }
    Ok((files, bytes))
}

/// Which files [`write_flat`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parts {
    All,
    /// Everything but the Hub Send and Receive protocol logs: what does not
    /// grow with `--size`.
    Fixed,
}

/// What each machine's folder holds, written in the flat layout.
fn write_flat(world: &World, root: &Path, parts: Parts) -> io::Result<Counts> {
    let inconclusive = world.scenario() == Scenario::Inconclusive;
    let per_server: Vec<io::Result<Counts>> = (0..world.exchange.len())
        .into_par_iter()
        .map(|i| {
            let mut counts = Counts::new();
            let host = &world.exchange[i];
            let dir = root.join(&host.name);
            if inconclusive {
                if i == world.sender {
                    let queues = exchange_data::queues(world, i, &mut counts);
                    write_file(
                        &dir.join("Exchange_Server_Data")
                            .join(format!("{}_InstantQueueInfo.txt", host.name)),
                        &psobject::utf16le_bom(&psobject::format_list(
                            &queues,
                            120,
                            world.settings.locale.word_wraps(),
                        )),
                    )?;
                } else if i == world.receiver {
                    let (app, _) = events::exchange_logs(world, i, &mut counts);
                    events::write_log(world, &host.name, app, &evtx_path(&dir, "Application"))?;
                }
                return Ok(counts);
            }
            if parts == Parts::All {
                traffic::write_hub_logs(
                    world,
                    i,
                    &dir.join("Hub_Send_Protocol_Logs"),
                    &dir.join("Hub_Receive_Protocol_Logs"),
                    &mut counts,
                )?;
            }
            traffic::write_frontend_log(
                world,
                i,
                &dir.join("FE_Receive_Protocol_Logs"),
                &mut counts,
            )?;
            let (app, sys) = events::exchange_logs(world, i, &mut counts);
            events::write_log(world, &host.name, app, &evtx_path(&dir, "Application"))?;
            events::write_log(world, &host.name, sys, &evtx_path(&dir, "System"))?;
            let data = dir.join("Exchange_Server_Data");
            let queues = exchange_data::queues(world, i, &mut counts);
            write_file(
                &data.join(format!("{}_InstantQueueInfo.txt", host.name)),
                &psobject::utf16le_bom(&psobject::format_list(
                    &queues,
                    120,
                    world.settings.locale.word_wraps(),
                )),
            )?;
            write_file(
                &data.join(format!("{}_InstantQueueInfo.xml", host.name)),
                &psobject::utf8_bom(&psobject::clixml(&queues)),
            )?;
            let connectors = exchange_data::receive_connectors(world, i);
            write_file(
                &data.join(format!("{}_ReceiveConnectors.txt", host.name)),
                &psobject::utf16le_bom(&psobject::format_list(
                    &connectors,
                    120,
                    world.settings.locale.word_wraps(),
                )),
            )?;
            write_file(
                &data.join(format!("{}_ReceiveConnectors.xml", host.name)),
                &psobject::utf8_bom(&psobject::clixml(&connectors)),
            )?;
            write_exchange_diagnostics(world, i, &dir, &mut counts)?;
            Ok(counts)
        })
        .collect();
    let mut total = Counts::new();
    for counts in per_server {
        merge(&mut total, counts?);
    }
    if !inconclusive {
        for d in 0..world.dcs.len() {
            let mut counts = Counts::new();
            let host = &world.dcs[d];
            let dir = root.join(&host.name);
            let (sys, sec, ds) = events::dc_logs(world, d, &mut counts);
            events::write_log(world, &host.name, sys, &dir.join("System.evtx"))?;
            events::write_log(world, &host.name, sec, &dir.join("Security.evtx"))?;
            // Only the replication scenarios need the DCs' Directory Service log.
            if matches!(world.scenario(), Scenario::AdReplication | Scenario::Mixed) {
                events::write_log(world, &host.name, ds, &dir.join("Directory Service.evtx"))?;
            }
            write_dc_diagnostics(world, d, &dir, &mut counts)?;
            merge(&mut total, counts);
        }
    }
    Ok(total)
}

fn merge(total: &mut Counts, counts: Counts) {
    for (k, v) in counts {
        *total.entry(k).or_insert(0) += v;
    }
}

fn evtx_path(dir: &Path, log: &str) -> PathBuf {
    dir.join("Windows_Event_Logs")
        .join("Windows-Logs")
        .join(format!("{log}.evtx"))
}

fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)
}

fn count(counts: &mut Counts, key: &str) {
    *counts.entry(key.to_string()).or_insert(0) += 1;
}

/// Outputs an admin ran on an Exchange server and saved beside its logs.
fn write_exchange_diagnostics(
    world: &World,
    server: usize,
    dir: &Path,
    counts: &mut Counts,
) -> io::Result<()> {
    let host = &world.exchange[server];
    let at = world.end - jiff::SignedDuration::from_mins(4);
    let me = Machine::Exchange(server);
    match world.scenario() {
        Scenario::ClockSkew => {
            let target = match world.skewed_machine() {
                Some(Machine::Exchange(x)) if x == world.receiver => {
                    Some(Machine::Exchange(world.receiver))
                }
                Some(Machine::Exchange(x)) => Some(Machine::Exchange(x)),
                Some(dc) => Some(dc),
                None => None,
            };
            // The stripchart is run on a healthy server against the skewed one.
            if let Some(target) = target {
                let runs_it = match target {
                    Machine::Exchange(x) => {
                        server != x && (server == world.sender || server == world.receiver)
                    }
                    Machine::Dc(_) => server == world.sender,
                };
                if runs_it {
                    let name = world.host(target).name.clone();
                    let text = diag::w32tm_stripchart(world, me, target, at);
                    write_file(
                        &dir.join(format!("{}_w32tm-stripchart-{name}.txt", host.name)),
                        &psobject::utf16le_bom(&text),
                    )?;
                    count(counts, "diag_w32tm_stripchart");
                }
            }
            if server == world.sender || server == world.receiver {
                let text = diag::w32tm_status(world, me, at);
                write_file(
                    &dir.join(format!("{}_w32tm-query-status.txt", host.name)),
                    &psobject::utf16le_bom(&text),
                )?;
                count(counts, "diag_w32tm_status");
            }
        }
        Scenario::KerberosBlocked if server == world.sender || server == world.receiver => {
            let blocked = server == world.sender;
            for dc in &world.dcs {
                let text = diag::test_netconnection(host, dc, !blocked);
                write_file(
                    &dir.join(format!(
                        "{}_Test-NetConnection-{}-88.txt",
                        host.name, dc.name
                    )),
                    &psobject::utf16le_bom(&text),
                )?;
                count(counts, "diag_test_netconnection");
                write_file(
                    &dir.join(format!("{}_portqry-{}-88.txt", host.name, dc.name)),
                    diag::portqry(dc, blocked).as_bytes(),
                )?;
                count(counts, "diag_portqry");
            }
        }
        _ => {}
    }
    Ok(())
}

/// Outputs an admin ran on a domain controller.
fn write_dc_diagnostics(
    world: &World,
    dc: usize,
    dir: &Path,
    counts: &mut Counts,
) -> io::Result<()> {
    let host = &world.dcs[dc];
    let at = world.end - jiff::SignedDuration::from_mins(6);
    let receiver = &world.exchange[world.receiver];
    let name = &host.name;
    if dc == 0 {
        let with_smtp = !matches!(
            world.scenario(),
            Scenario::SpnMissing | Scenario::SenderSynthesized
        );
        write_file(
            &dir.join(format!("{name}_setspn-L-{}.txt", receiver.name)),
            &psobject::utf16le_bom(&diag::setspn_list(receiver, with_smtp)),
        )?;
        count(counts, "diag_setspn_list");
        let duplicated = (world.scenario() == Scenario::SpnDuplicate).then_some(receiver);
        write_file(
            &dir.join(format!("{name}_setspn-X.txt")),
            &psobject::utf16le_bom(&diag::setspn_duplicates(duplicated)),
        )?;
        count(counts, "diag_setspn_duplicates");
        let broken = matches!(world.scenario(), Scenario::AdReplication | Scenario::Mixed)
            .then(|| events::replication_broken_since(world));
        write_file(
            &dir.join(format!("{name}_repadmin-replsummary.txt")),
            diag::repadmin_replsummary(world, at, broken).as_bytes(),
        )?;
        count(counts, "diag_repadmin_replsummary");
    }
    if world.scenario() == Scenario::ClockSkew && world.settings.skewed == Skewed::Dc && dc == 0 {
        write_file(
            &dir.join(format!("{name}_w32tm-query-status.txt")),
            &psobject::utf16le_bom(&diag::w32tm_status(world, Machine::Dc(dc), at)),
        )?;
        count(counts, "diag_w32tm_status");
    }
    Ok(())
}

/// (sender, receiver) indices of Exchange servers.
type PairSet = BTreeSet<(usize, usize)>;

/// `expected.json` for `world`; with `shown`, only the failing pairs the
/// collection itself shows (a hand-over holds a few pieces, not every log).
fn expected(
    world: &World,
    layout: Layout,
    counts: Counts,
    shown: Option<(&PairSet, &PairSet)>,
) -> Expected {
    let scenario = world.scenario();
    let failing_pairs = world
        .failing_pairs()
        .into_iter()
        .filter(|pair| shown.is_none_or(|(shown, _)| shown.contains(pair)))
        .map(|(s, r)| Pair {
            sender: world.exchange[s].name.clone(),
            receiver: world.exchange[r].name.clone(),
            side: match shown {
                Some((_, sided)) if !sided.contains(&(s, r)) => Some("unknown"),
                _ => None,
            },
        })
        .collect();
    let mut clock_offsets_s = BTreeMap::new();
    if let Some(m) = world.skewed_machine() {
        clock_offsets_s.insert(
            world.host(m).name.clone(),
            world.settings.skew_seconds as f64,
        );
    }
    let (standard, _) = world.settings.locale.windows_zone();
    let servers = world
        .exchange
        .iter()
        .chain(world.dcs.iter())
        .map(|h| ServerInfo {
            name: h.name.clone(),
            fqdn: h.fqdn.clone(),
            ip: h.ip.clone(),
            role: h.role.name(),
            timezone: standard.to_string(),
        })
        .collect();
    let _ = Outcome::Delivered;
    Expected {
        schema: "exauth.expected/1",
        scenario: scenario.name(),
        seed: world.settings.seed,
        primary_cause: scenario.primary_cause(),
        side: scenario.side(),
        failing_pairs,
        clock_offsets_s,
        fault_start: world.fault_start.to_string(),
        window: Window {
            start: world.start.to_string(),
            end: world.end.to_string(),
        },
        locale: world.settings.locale.name(),
        layout: layout.name(),
        evidence_counts: counts,
        servers,
    }
}

/// The bytes of everything `--size` does not grow (event logs, exports,
/// command outputs, the Frontend logs): written once in the flat layout into
/// a scratch folder under `out`, measured, and removed. (The queue exports
/// name a message count that follows the traffic rate: a few bytes.)
fn fixed_bytes(world: &World, out: &Path) -> io::Result<u64> {
    let scratch = tempfile::Builder::new()
        .prefix(".exauth-synth-sizing")
        .tempdir_in(out)?;
    write_flat(world, scratch.path(), Parts::Fixed)?;
    let (_, bytes) = tree_size(scratch.path())?;
    scratch.close()?;
    Ok(bytes)
}

/// The mean gap between one pair's healthy sessions that makes the flat
/// collection `size` bytes, given the `fixed` bytes that do not grow with
/// traffic. The Hub protocol logs hold the failing attempts (a fixed
/// schedule: one per retry interval after the fault; measured exactly) and
/// the healthy sessions, each costing the average of a sample of sessions
/// over every pair. Their number is a Poisson stream per pair while it
/// delivers: a first estimate takes its expectation (the delivering seconds
/// over the gap), then the gap is set so that the realised number of
/// sessions is the one wanted (at 50 MB, chance alone would be ±2 %).
fn interval_for_size(world: &World, size: u64, fixed: u64) -> f64 {
    const MIN_INTERVAL_S: f64 = 0.005;
    let per_session = traffic::bytes_per_session(world).max(1.0);
    let failing: u64 = traffic::failing_attempts(world)
        .iter()
        .map(|a| traffic::session_bytes(world, a))
        .sum();
    let start = world.start.as_millisecond() as f64 / 1000.0;
    let end = world.end.as_millisecond() as f64 / 1000.0;
    let fault = (world.fault_start.as_millisecond() as f64 / 1000.0).clamp(start, end);
    // Every pair delivers until the fault; after it, only those it spares.
    let n = world.exchange.len();
    let mut delivering_s = 0.0;
    for s in 0..n {
        for r in (0..n).filter(|&r| r != s) {
            delivering_s += fault - start;
            if !world.outcome(s, r, world.end).fails() {
                delivering_s += end - fault;
            }
        }
    }
    let healthy = size as f64 - fixed as f64 - failing as f64;
    let sessions = (healthy / per_session).round().max(1.0);
    let estimate = (delivering_s / sessions).max(MIN_INTERVAL_S);
    // The gaps at which each session would just fit, largest first: the
    // wanted number is written for any gap between the k-th and the next.
    let mut thresholds = traffic::healthy_thresholds(world, estimate * 0.75);
    let k = sessions as usize;
    if thresholds.len() <= k {
        return estimate;
    }
    thresholds.sort_unstable_by(|a, b| b.total_cmp(a));
    ((thresholds[k - 1] + thresholds[k]) / 2.0).max(MIN_INTERVAL_S)
}
