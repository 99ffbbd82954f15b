//! The evidence set: what `scan` needs to decide. `extract --format parquet`
//! writes it as a Hive-partitioned dataset (`super::dataset`); this module
//! holds what both layouts read into, and reads the first, flat layout that
//! earlier versions wrote (`scan --evidence DIR` still takes it):
//!
//! Tables (all with `_` first, apart from the record tables):
//! * `_evidence.parquet`: `server` (str), `time` (Datetime ns UTC), `time_basis`,
//!   `origin`, `kind` (the fact kind), `fact` (the fact as JSON) — local times
//!   already placed in their zones, paired-session clock samples included.
//! * `_identities.parquet`: `name`, `fqdns` (JSON list), `ips` (JSON list), `role`.
//! * `_coverage.parquet`: `server` (null when unattributed), `source`.
//! * `_inventory.parquet`: `origin`, `kind`, `server`, `encoding`, `bytes`, `status`, `reason`.
//! * `_problems.parquet`: `origin`, `location` (JSON), `message`.
//!
//! Paired-session clock samples need both servers' protocol logs in one
//! extraction; sets extracted per server lack them (banners, w32tm and
//! Kerberos samples remain).

use crate::correlate::case::Coverage;
use crate::correlate::identity::IdentityMap;
use crate::discover::Origin;
use crate::evidence::{Evidence, Fact, TimeBasis};
use crate::inventory::{Inventory, Row, Status};
use crate::model::Role;
use crate::model::Source;
use anyhow::{anyhow, bail, Context, Result};
use exauth_parsers::detect::Kind;
use exauth_parsers::problem::{Location, Problem};
use polars::prelude::*;
use polars_io::parquet::read::ParquetReader;
use polars_io::SerReader;
use std::path::Path;

/// Everything `scan --evidence` reads back.
#[derive(Debug, Default)]
pub struct EvidenceSet {
    pub evidence: Vec<Evidence>,
    pub identities: IdentityMap,
    pub coverage: Coverage,
    pub inventory: Inventory,
    pub problems: Vec<(Origin, Problem)>,
    /// What the report's coverage should say about how the set was made
    /// (servers whose sessions could not be paired).
    pub notes: Vec<String>,
    /// Banner clock samples the reading kept of those in the set.
    pub sampled: crate::pipeline::Sampled,
}

fn read_frame(dir: &Path, name: &str) -> Result<DataFrame> {
    let path = dir.join(name);
    let file = std::fs::File::open(&path).with_context(|| {
        format!(
            "{}: neither an evidence dataset (ROOT/evidence/server=…/date=…/part-….parquet, \
             written by `exauth extract --format parquet -o ROOT`) nor a flat set of earlier versions",
            dir.display()
        )
    })?;
    ParquetReader::new(file)
        .finish()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// A string column's values (`Err` naming the column when it is missing or
/// of another type).
pub(crate) fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let column = df.column(name).map_err(|e| anyhow!("column {name}: {e}"))?;
    let text = column.str().map_err(|e| anyhow!("column {name}: {e}"))?;
    Ok((0..text.len())
        .map(|i| text.get(i).map(str::to_string))
        .collect())
}

/// An integer column's values, whatever its integer width.
pub(crate) fn integers(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let column = df
        .column(name)
        .map_err(|e| anyhow!("column {name}: {e}"))?
        .cast(&DataType::Int64)?;
    let ints = column.i64().map_err(|e| anyhow!("column {name}: {e}"))?;
    Ok((0..ints.len()).map(|i| ints.get(i)).collect())
}

pub(crate) fn required(values: Vec<Option<String>>, name: &str) -> Result<Vec<String>> {
    values
        .into_iter()
        .map(|v| v.ok_or_else(|| anyhow!("column {name} has an empty value")))
        .collect()
}

pub(crate) fn from_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .or_else(|_| serde_json::from_str(text))
        .with_context(|| format!("unexpected value {text:?}"))
}

/// The static name of a text encoding read back from a table.
pub(crate) fn encoding_name(name: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "utf-8-bom",
        "utf-8",
        "utf-16le-bom",
        "utf-16be-bom",
        "utf-16le",
        "utf-16be",
        "windows-1252",
    ];
    NAMES.iter().copied().find(|n| *n == name)
}

/// Reads and merges the flat evidence sets in `dirs` (`_evidence.parquet` …).
pub fn read_flat(dirs: &[std::path::PathBuf]) -> Result<EvidenceSet> {
    let mut set = EvidenceSet::default();
    let mut rows = Vec::new();
    for dir in dirs {
        let df = read_frame(dir, "_evidence.parquet")?;
        let servers = strings(&df, "server")?;
        let times = integers(&df, "time")?;
        let bases = required(strings(&df, "time_basis")?, "time_basis")?;
        let origins = required(strings(&df, "origin")?, "origin")?;
        let facts = required(strings(&df, "fact")?, "fact")?;
        for i in 0..df.height() {
            let fact: Fact = serde_json::from_str(&facts[i])
                .with_context(|| format!("{}: fact {i}", dir.display()))?;
            let time = match times[i] {
                Some(ns) => Some(jiff::Timestamp::from_nanosecond(i128::from(ns))?),
                None => None,
            };
            set.evidence.push(Evidence {
                server: servers[i].clone(),
                time,
                time_basis: from_text::<TimeBasis>(&bases[i])?,
                origin: origins[i].clone(),
                fact,
                local_time: None,
                corrected: None,
                represents: 1,
            });
        }
        let df = read_frame(dir, "_identities.parquet")?;
        let names = required(strings(&df, "name")?, "name")?;
        let fqdns = required(strings(&df, "fqdns")?, "fqdns")?;
        let ips = required(strings(&df, "ips")?, "ips")?;
        let roles = required(strings(&df, "role")?, "role")?;
        for i in 0..df.height() {
            set.identities.observe_host(&names[i]);
            for fqdn in serde_json::from_str::<Vec<String>>(&fqdns[i])? {
                set.identities.observe_host(&fqdn);
            }
            for ip in serde_json::from_str::<Vec<std::net::IpAddr>>(&ips[i])? {
                set.identities.observe_ip(&names[i], ip);
            }
            set.identities
                .observe_role(&names[i], from_text::<Role>(&roles[i])?);
        }
        let df = read_frame(dir, "_coverage.parquet")?;
        let servers = strings(&df, "server")?;
        let sources = required(strings(&df, "source")?, "source")?;
        for (server, source) in servers.into_iter().zip(sources) {
            let source: Source = from_text(&source)?;
            match server {
                Some(server) => {
                    set.coverage
                        .by_server
                        .entry(server)
                        .or_default()
                        .insert(source);
                }
                None => {
                    set.coverage.unattributed.insert(source);
                }
            }
        }
        let df = read_frame(dir, "_inventory.parquet")?;
        let origins = required(strings(&df, "origin")?, "origin")?;
        let kinds = required(strings(&df, "kind")?, "kind")?;
        let servers = strings(&df, "server")?;
        let encodings = strings(&df, "encoding")?;
        let bytes = integers(&df, "bytes")?;
        let statuses = required(strings(&df, "status")?, "status")?;
        let reasons = strings(&df, "reason")?;
        // Sets written before records were de-duplicated have no such column.
        let set_aside = match df.column("set_aside") {
            Ok(_) => strings(&df, "set_aside")?,
            Err(_) => vec![None; df.height()],
        };
        for i in 0..df.height() {
            rows.push(Row {
                origin: Origin::parse(&origins[i]),
                kind: Kind::from_id(&kinds[i])
                    .ok_or_else(|| anyhow!("unknown kind {}", kinds[i]))?,
                server: servers[i].clone(),
                encoding: encodings[i].as_deref().and_then(encoding_name),
                bytes: bytes[i].unwrap_or(0).max(0) as u64,
                status: Status::from_id(&statuses[i])
                    .ok_or_else(|| anyhow!("unknown status {}", statuses[i]))?,
                reason: reasons[i].clone(),
                set_aside: set_aside[i].clone(),
            });
        }
        let df = read_frame(dir, "_problems.parquet")?;
        let origins = required(strings(&df, "origin")?, "origin")?;
        let locations = required(strings(&df, "location")?, "location")?;
        let messages = required(strings(&df, "message")?, "message")?;
        for i in 0..df.height() {
            let location: Location = serde_json::from_str(&locations[i])?;
            set.problems.push((
                Origin::parse(&origins[i]),
                Problem::new(location, messages[i].clone()),
            ));
        }
    }
    if set.inventory.rows.is_empty() && rows.is_empty() && set.evidence.is_empty() {
        bail!("the evidence sets hold nothing");
    }
    set.put_in_order(rows);
    Ok(set)
}

impl EvidenceSet {
    /// Takes the inventory rows and sorts everything as a scan of the raw
    /// collection would have it.
    pub(crate) fn put_in_order(&mut self, mut rows: Vec<Row>) {
        rows.sort_by(|a, b| a.origin.cmp(&b.origin).then(a.status.cmp(&b.status)));
        self.inventory = Inventory {
            rows,
            ..Inventory::default()
        };
        self.evidence
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.problems
            .sort_by(|a, b| a.0.cmp(&b.0).then(a.1.location.cmp(&b.1.location)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_io::parquet::write::ParquetWriter;

    fn write(dir: &Path, name: &str, columns: Vec<Column>) {
        let mut df = DataFrame::new_infer_height(columns).unwrap();
        let file = std::fs::File::create(dir.join(name)).unwrap();
        ParquetWriter::new(file).finish(&mut df).unwrap();
    }

    fn text(name: &str, values: &[Option<&str>]) -> Column {
        Series::new(name.into(), values.to_vec()).into()
    }

    /// Issue 15 keeps reading the flat sets earlier versions wrote.
    #[test]
    fn the_flat_layout_of_earlier_versions_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let fact = r#"{"fact":"inbound-auth-failed","event_id":1035,"status":"IllegalMessage","connector":"Default EX02","mechanism":"ExchangeAuth","client_ip":"10.0.1.11"}"#;
        let time = Series::new("time".into(), vec![Some(1_795_000_000_000_000_000i64)])
            .cast(&DataType::Datetime(
                TimeUnit::Nanoseconds,
                Some(TimeZone::UTC),
            ))
            .unwrap();
        write(
            dir,
            "_evidence.parquet",
            vec![
                text("server", &[Some("EX02")]),
                time.into(),
                text("time_basis", &[Some("native-utc")]),
                text("origin", &[Some("EX02/Application.evtx#record 1")]),
                text("kind", &[Some("inbound-auth-failed")]),
                text("fact", &[Some(fact)]),
            ],
        );
        write(
            dir,
            "_identities.parquet",
            vec![
                text("name", &[Some("EX01")]),
                text("fqdns", &[Some(r#"["ex01.contoso.com"]"#)]),
                text("ips", &[Some(r#"["10.0.1.11"]"#)]),
                text("role", &[Some("exchange")]),
            ],
        );
        write(
            dir,
            "_coverage.parquet",
            vec![
                text("server", &[Some("EX02")]),
                text("source", &[Some("application-log")]),
            ],
        );
        write(
            dir,
            "_inventory.parquet",
            vec![
                text("origin", &[Some("EX02/Application.evtx")]),
                text("kind", &[Some("evtx")]),
                text("server", &[Some("EX02")]),
                text("encoding", &[None]),
                Series::new("bytes".into(), vec![69_632i64]).into(),
                text("status", &[Some("ok")]),
                text("reason", &[None]),
            ],
        );
        write(
            dir,
            "_problems.parquet",
            vec![
                text("origin", &[] as &[Option<&str>]),
                text("location", &[]),
                text("message", &[]),
            ],
        );
        let set = read_flat(&[dir.to_path_buf()]).unwrap();
        assert_eq!(set.evidence.len(), 1);
        assert_eq!(set.evidence[0].server.as_deref(), Some("EX02"));
        assert_eq!(set.evidence[0].fact.kind(), "inbound-auth-failed");
        assert_eq!(set.inventory.rows.len(), 1);
        assert!(set.coverage.has("EX02", Source::ApplicationLog));
        assert!(set.identities.get("EX01").is_some());
    }
}
