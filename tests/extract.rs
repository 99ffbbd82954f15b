//! `exauth extract`: the JSONL contract of each record kind (issues 3, 4, 5),
//! local-time conversion with `--server-tz`, and the CSV/Parquet tables.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn jsonl(args: &[&str], path: &Path) -> Vec<Value> {
    let output = Command::cargo_bin("exauth")
        .expect("binary")
        .args(["extract", "--format", "jsonl", "-q"])
        .args(args)
        .arg(path)
        .output()
        .expect("runs");
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn by_kind(rows: &[Value]) -> BTreeMap<String, Vec<&Value>> {
    let mut out: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for row in rows {
        out.entry(row["kind"].as_str().expect("kind").to_string())
            .or_default()
            .push(row);
    }
    out
}

#[test]
fn every_record_kind_carries_its_contract_fields() {
    let rows = jsonl(&[], &sample("clock-skew"));
    let kinds = by_kind(&rows);
    let required: &[(&str, &[&str])] = &[
        (
            "event",
            &[
                "provider",
                "event_id",
                "channel",
                "computer",
                "record_id",
                "time",
                "origin",
                "server",
            ],
        ),
        (
            "smtp-session",
            &[
                "log",
                "server",
                "session_id",
                "start",
                "end",
                "local_endpoint",
                "remote_endpoint",
                "connector",
                "partial",
            ],
        ),
        (
            "smtp-auth",
            &[
                "log",
                "server",
                "session_id",
                "time",
                "mechanism",
                "outcome",
                "status",
                "reply",
                "origin",
            ],
        ),
        (
            "clock-sample",
            &[
                "basis",
                "server",
                "remote_server",
                "remote_ip",
                "time",
                "offset_s",
                "origin",
            ],
        ),
        (
            "queue-last-error",
            &[
                "server",
                "queue",
                "next_hop",
                "target_ip",
                "target_fqdn",
                "outer",
                "inner",
                "truncated",
                "last_retry",
                "time_basis",
                "origin",
            ],
        ),
        ("spn-listing", &["server", "account", "spns", "origin"]),
        ("spn-duplicates", &["groups", "origin"]),
        ("replication-status", &["dc", "failures", "origin"]),
        (
            "connector-auth",
            &[
                "server",
                "bindings",
                "remote_ip_ranges",
                "auth_mechanism",
                "origin",
            ],
        ),
        ("clock-measurement", &["server", "offset_s", "origin"]),
    ];
    for (kind, fields) in required {
        let list = kinds.get(*kind).unwrap_or_else(|| panic!("no {kind} rows"));
        for field in *fields {
            assert!(
                list[0].get(*field).is_some(),
                "{kind} lacks {field}: {}",
                list[0]
            );
        }
    }
    // The receiver's banner in EX01's Send log shows its clock 7 minutes ahead.
    let banner_skew = kinds["clock-sample"]
        .iter()
        .filter(|r| r["basis"] == "banner" && r["server"] == "EX01")
        .filter_map(|r| r["offset_s"].as_f64())
        .any(|o| (o - 420.0).abs() <= 1.0);
    assert!(banner_skew, "a +420 s banner sample from EX01");
    let outcomes: Vec<&str> = kinds["smtp-auth"]
        .iter()
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    assert!(
        outcomes.contains(&"rejected") && outcomes.contains(&"success"),
        "{outcomes:?}"
    );
    let skew_1035 = kinds["event"]
        .iter()
        .any(|r| r["event_id"] == 1035 && r["details"]["status"] == "TimeSkew");
    assert!(
        skew_1035,
        "1035 TimeSkew is extracted with its typed status"
    );
}

#[test]
fn server_tz_places_local_queue_times() {
    let assumed = jsonl(&[], &sample("inconclusive"));
    let placed = jsonl(
        &["--server-tz", "EX01=Europe/Amsterdam"],
        &sample("inconclusive"),
    );
    let queue = |rows: &[Value]| -> Value {
        rows.iter()
            .find(|r| {
                r["kind"] == "queue-last-error"
                    && r["inner"].as_str().is_some_and(|i| i.starts_with("454"))
            })
            .cloned()
            .expect("the failing queue")
    };
    let (a, p) = (queue(&assumed), queue(&placed));
    assert_eq!(a["time_basis"], "server-local-assumed");
    assert_eq!(p["time_basis"], "server-local");
    let t = |v: &Value| {
        v["last_retry"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
    };
    assert_eq!(
        t(&a).as_second() - t(&p).as_second(),
        3600,
        "Amsterdam is UTC+1 in November"
    );
    assert_eq!(p["inner"], "454 4.7.0 Temporary authentication failure");
    assert_eq!(p["outer"], "451 4.4.0");
    assert_eq!(p["target_ip"], "10.0.1.12");
}

#[cfg(feature = "tables")]
#[test]
fn csv_and_parquet_tables_one_per_kind() {
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["csv", "parquet"] {
        let out = dir.path().join(format);
        Command::cargo_bin("exauth")
            .expect("binary")
            .args(["extract", "--format", format, "-q", "-o"])
            .arg(&out)
            .arg(sample("spn-duplicate"))
            .assert()
            .code(0);
        for kind in [
            "event",
            "smtp-session",
            "smtp-auth",
            "queue-last-error",
            "spn-duplicates",
        ] {
            let file = match format {
                "csv" => out.join(format!("{kind}.csv")),
                _ => out.join(kind),
            };
            assert!(file.exists(), "{} missing", file.display());
        }
    }
    let csv = std::fs::read_to_string(dir.path().join("csv").join("smtp-auth.csv")).expect("csv");
    let header = csv.lines().next().expect("header");
    assert!(header.starts_with("kind,server,origin,"), "{header}");
    assert!(
        header.contains("outcome") && header.contains("session_id"),
        "{header}"
    );
    // Parquet: the dataset of issue 15 (tests/dataset.rs), one table folder per kind.
    let events = dir.path().join("parquet").join("event");
    let part = std::fs::read_dir(&events)
        .expect("event/")
        .flat_map(|server| std::fs::read_dir(server.unwrap().path()).unwrap())
        .flat_map(|date| std::fs::read_dir(date.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .next()
        .expect("an event part");
    let parquet = std::fs::read(part).expect("parquet");
    assert_eq!(&parquet[..4], b"PAR1");
}

/// Issue 8: `extract --format parquet` then `scan --evidence` gives the same
/// JSON verdict as `scan` on the raw collection, for every sample.
#[cfg(feature = "tables")]
#[test]
fn evidence_set_scans_like_the_raw_collection() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("samples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("expected.json").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 10);
    let dir = tempfile::tempdir().expect("tempdir");
    for name in names {
        let set = dir.path().join(&name);
        let extract = Command::cargo_bin("exauth")
            .expect("binary")
            .args(["extract", "--format", "parquet", "-q", "-o"])
            .arg(&set)
            .arg(sample(&name))
            .output()
            .expect("runs");
        assert!(extract.status.code() == Some(0), "{name}: extract failed");
        let scan = |args: &[&std::ffi::OsStr]| {
            let output = Command::cargo_bin("exauth")
                .expect("binary")
                .args(["scan", "--format", "json", "-q"])
                .args(args)
                .output()
                .expect("runs");
            (
                String::from_utf8(output.stdout).expect("utf-8"),
                output.status.code(),
            )
        };
        let raw = scan(&[sample(&name).as_os_str()]);
        let from_set = scan(&["--evidence".as_ref(), set.as_os_str()]);
        assert_eq!(from_set.1, raw.1, "{name}: exit code");
        assert_eq!(
            from_set.0, raw.0,
            "{name}: the verdict from the evidence set differs"
        );
    }
}

/// portqry run in a loop: the probe repeated 2,000 times is one
/// `port-probe` row at the line of the first, whose `represents` says how
/// many probes it stands for; a probe said once has no such field.
#[test]
fn a_repeated_probe_is_one_row_that_says_how_many() {
    let once = "Querying target system called:\r\n\r\n DC01.contoso.com\r\n\r\nName resolved to 10.0.0.10\r\n\r\nTCP port 88 (kerberos service): FILTERED\r\n";
    let dir = tempfile::tempdir().unwrap();
    let ex01 = dir.path().join("EX01");
    std::fs::create_dir_all(&ex01).unwrap();
    let mut text = once.repeat(2_000);
    text.push_str("TCP port 464 (kpasswd service): LISTENING\r\n");
    std::fs::write(ex01.join("EX01_portqry-loop.txt"), text).unwrap();
    let rows = jsonl(&[], dir.path());
    let kinds = by_kind(&rows);
    let probes = &kinds["port-probe"];
    assert_eq!(probes.len(), 2, "{probes:#?}");
    let port = |p: u64| {
        probes
            .iter()
            .find(|r| r["port"] == p)
            .expect("a row of the port")
    };
    assert_eq!(port(88)["represents"], 2_000);
    assert!(port(88)["origin"]
        .as_str()
        .unwrap()
        .ends_with("EX01_portqry-loop.txt:7"));
    assert!(port(464).get("represents").is_none(), "{}", port(464));
}

/// `repadmin /showrepl` and its `/csv`, each run 200 times into its file (a
/// script's loop; both are read a line at a time): a `replication-status` row
/// per distinct neighbour, with the failures and error a user filters on, at
/// the line of its first and counting the 200.
#[test]
fn showrepl_and_its_csv_run_in_a_loop_are_streamed_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let dc01 = dir.path().join("DC01");
    std::fs::create_dir_all(&dc01).unwrap();
    std::fs::write(dc01.join("DC01_repadmin-showrepl.txt"), "Repadmin: running command /showrepl against full DC localhost\nDefault-First-Site-Name\\PICH-AD16\nDSA Options: IS_GC\nSite Options: (none)\nDSA object GUID: 6f0e4e4a-0000-0000-0000-000000000000\nDSA invocationID: 6f0e4e4a-0000-0000-0000-000000000001\n\n==== INBOUND NEIGHBORS ======================================\n\nDC=iconic,DC=local\n    Default-First-Site-Name\\AD-PICH via RPC\n        DSA object GUID: 1a2b3c4d-0000-0000-0000-000000000000\n        Last attempt @ 2025-07-24 07:33:38 was successful.\n\nCN=Configuration,DC=iconic,DC=local\n    Default-First-Site-Name\\AD-PICH via RPC\n        DSA object GUID: 1a2b3c4d-0000-0000-0000-000000000000\n        Last attempt @ 2025-07-24 07:33:38 failed, result 8418 (0x20e2):\n            The replication operation failed because of a schema mismatch between the servers involved.\n        3 consecutive failure(s).\n        Last success @ 2025-07-20 10:00:00.\n".repeat(200)).unwrap();
    std::fs::write(dc01.join("DC01_repadmin-showrepl.csv"), "Repadmin: running command /showrepl against full DC dc01.contoso.com\nshowrepl_COLUMNS,Destination DSA Site,Destination DSA,Naming Context,Source DSA Site,Source DSA,Transport Type,Number of Failures,Last Failure Time,Last Success Time,Last Failure Status\nshowrepl_INFO,Default-First-Site-Name,DC01,\"DC=contoso,DC=com\",Default-First-Site-Name,DC02,RPC,4,2025-07-24 07:33:38,2025-07-20 10:00:00,-2146893022\nshowrepl_INFO,Default-First-Site-Name,DC01,\"CN=Configuration,DC=contoso,DC=com\",Default-First-Site-Name,DC02,RPC,0,0,2025-07-24 07:30:00,0\n".repeat(200)).unwrap();
    let rows = jsonl(&[], dir.path());
    let status = &by_kind(&rows)["replication-status"];
    for r in status {
        let origin = r["origin"].as_str().unwrap();
        let first = if origin.contains(".csv:") {
            [":3", ":4"]
        } else {
            [":11", ":16"]
        };
        assert!(first.iter().any(|l| origin.ends_with(l)), "{r}");
        assert_eq!(r["represents"], 200, "{r}");
    }
    let mut seen: Vec<(String, String, Value, Value)> = status
        .iter()
        .map(|r| {
            (
                r["dc"].as_str().unwrap().to_string(),
                r["direction"].as_str().unwrap_or("").to_string(),
                r["failures"].clone(),
                r["error"].clone(),
            )
        })
        .collect();
    seen.sort_by(|a, b| (&a.0, &a.1, a.2.to_string()).cmp(&(&b.0, &b.1, b.2.to_string())));
    assert_eq!(seen.len(), 4, "{seen:#?}");
    assert_eq!(seen[0].0, "DC01");
    assert_eq!(seen[0].1, "inbound from DC02");
    assert!(seen.iter().any(|r| r.0 == "DC01" && r.2 == 4), "{seen:#?}");
    assert!(
        seen.iter().any(|r| r.0 == "PICH-AD16"
            && r.1 == "inbound from AD-PICH"
            && r.2 == 3
            && r.3.as_str().is_some_and(|e| e.starts_with("(8418)"))),
        "{seen:#?}"
    );
}
