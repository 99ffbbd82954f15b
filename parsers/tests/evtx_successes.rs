//! Successful authentication audits on a domain controller: which are kept as events and
//! which are only counted (`catalog::is_counted_success`), read by the `.evtx` fast path
//! (which decides from four data items before decoding) and by the event XML reader
//! (which decides after decoding) — the two must agree on every shape of record, and
//! keep a computer account's success with the same four items.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::event_export::read_event_xml;
use exauth_parsers::evtx::{
    read_evtx_bytes, DataItem, EventCount, EventDetails, EventFileReport, EvtxReadOptions,
};
use exauth_parsers::evtx_writer::{write_evtx, DataValue, EventData, EventRecord, Provider};

const AUDITING: &str = "Microsoft-Windows-Security-Auditing";

fn audit(id: u16, items: Vec<(&str, DataValue)>) -> EventRecord {
    EventRecord {
        provider: Provider::manifest(
            AUDITING,
            "{54849625-5478-4994-A5BA-3E3B0328C30D}"
                .parse()
                .expect("GUID literal"),
        ),
        event_id: id,
        level: 0,
        channel: "Security".into(),
        computer: "DC01.contoso.com".into(),
        data: EventData::named(items),
        ..Default::default()
    }
}

fn s(text: &str) -> DataValue {
    DataValue::String(text.into())
}

/// A 4769 (service ticket) with the items the rule reads.
fn ticket(user: &str, service: &str, ip: &str, status: Option<DataValue>) -> EventRecord {
    let mut items = vec![
        ("TargetUserName", s(user)),
        ("TargetDomainName", s("CONTOSO.COM")),
        ("ServiceName", s(service)),
        ("TicketEncryptionType", DataValue::HexInt32(0x12)),
        ("IpAddress", s(ip)),
        ("IpPort", s("50000")),
    ];
    if let Some(status) = status {
        items.push(("Status", status));
    }
    audit(4769, items)
}

/// A 4768 (TGT) with the items the rule reads.
fn tgt(user: &str, ip: &str, status: DataValue) -> EventRecord {
    audit(
        4768,
        vec![
            ("TargetUserName", s(user)),
            ("ServiceName", s("krbtgt")),
            ("Status", status),
            ("IpAddress", s(ip)),
        ],
    )
}

fn ok() -> Option<DataValue> {
    Some(DataValue::HexInt32(0))
}

/// Each record and whether it is kept as an event (else only counted).
fn records() -> Vec<(&'static str, EventRecord, bool)> {
    vec![
        (
            "user ticket for a file server",
            ticket("user0042@CONTOSO.COM", "FS01$", "::ffff:10.1.2.3", ok()),
            false,
        ),
        (
            "user ticket for SMTPSVC",
            ticket(
                "user0042@CONTOSO.COM",
                "SMTPSVC/ex02.contoso.com",
                "-",
                ok(),
            ),
            true,
        ),
        (
            "ticket for smtp/ in lower case",
            ticket("user0042", "smtp/EX02", "::1", ok()),
            true,
        ),
        (
            "computer account ticket with an address",
            ticket("EX01$@CONTOSO.COM", "krbtgt", "::ffff:10.0.0.12", ok()),
            true,
        ),
        (
            "computer account ticket without an address",
            ticket("EX01$@CONTOSO.COM", "krbtgt", "-", ok()),
            false,
        ),
        (
            "status as text",
            ticket("user1", "FS01$", "10.1.2.3", Some(s("0x0"))),
            false,
        ),
        (
            "status as padded decimal text",
            ticket("user1", "FS01$", "10.1.2.3", Some(s(" 0 "))),
            false,
        ),
        (
            "status as UInt32",
            ticket("user1", "FS01$", "10.1.2.3", Some(DataValue::UInt32(0))),
            false,
        ),
        (
            "no status at all",
            ticket("user1", "FS01$", "10.1.2.3", None),
            true,
        ),
        (
            "status `-`",
            ticket("user1", "FS01$", "10.1.2.3", Some(s("-"))),
            true,
        ),
        (
            "failed ticket",
            ticket("user1", "FS01$", "10.1.2.3", Some(DataValue::HexInt32(0x7))),
            true,
        ),
        (
            "computer TGT with an address",
            tgt("WS0001$", "::ffff:10.1.5.1", DataValue::HexInt32(0)),
            true,
        ),
        (
            "user TGT",
            tgt("user7", "::ffff:10.1.5.1", DataValue::HexInt32(0)),
            false,
        ),
        (
            "NTLM validation that succeeded",
            audit(
                4776,
                vec![
                    ("PackageName", s("MICROSOFT_AUTHENTICATION_PACKAGE_V1_0")),
                    ("TargetUserName", s("EX01$")),
                    ("Workstation", s("EX01")),
                    ("Status", DataValue::HexInt32(0)),
                ],
            ),
            false,
        ),
        (
            "data names in another case",
            audit(
                4769,
                vec![
                    ("targetusername", s("user1")),
                    ("SERVICENAME", s("FS01$")),
                    ("status", DataValue::HexInt32(0)),
                ],
            ),
            false,
        ),
        (
            "pre-authentication failure with Status 0 (a failure event whatever it says)",
            audit(
                4771,
                vec![
                    ("TargetUserName", s("user1")),
                    ("ServiceName", s("krbtgt/CONTOSO.COM")),
                    ("Status", DataValue::HexInt32(0)),
                    ("IpAddress", s("10.1.2.3")),
                ],
            ),
            true,
        ),
    ]
}

fn with_times(records: Vec<(&'static str, EventRecord, bool)>) -> Vec<EventRecord> {
    let start: jiff::Timestamp = "2026-11-26T08:00:00Z".parse().expect("time literal");
    records
        .into_iter()
        .enumerate()
        .map(|(i, (_, r, _))| EventRecord {
            time: start + jiff::SignedDuration::from_secs(i as i64),
            ..r
        })
        .collect()
}

fn counts(
    report: &EventFileReport,
    f: fn(&EventFileReport) -> &Vec<EventCount>,
) -> Vec<(u16, u64)> {
    f(report).iter().map(|c| (c.event_id, c.count)).collect()
}

#[test]
fn only_successes_a_diagnosis_uses_are_kept() {
    let table = records();
    let bytes = write_evtx(&with_times(records())).expect("writer accepts the records");
    let report = read_evtx_bytes(&bytes, EvtxReadOptions { threads: 1 });
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.rendered_fallbacks, 0);
    assert_eq!(report.records_read, table.len() as u64);

    // Events come out in time order, which is table order.
    let kept: Vec<&str> = table
        .iter()
        .filter(|(_, _, kept)| *kept)
        .map(|(label, _, _)| *label)
        .collect();
    let kept_ids: Vec<u64> = table
        .iter()
        .enumerate()
        .filter(|(_, (_, _, kept))| *kept)
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let got_ids: Vec<u64> = report.events.iter().filter_map(|e| e.record_id).collect();
    assert_eq!(got_ids, kept_ids, "kept: {kept:?}");

    assert_eq!(
        counts(&report, |r| &r.counted_successes),
        [(4768, 1), (4769, 6), (4776, 1)]
    );
    assert_eq!(
        counts(&report, |r| &r.catalogued_counts),
        [(4768, 1), (4769, 6), (4771, 1)]
    );
    assert!(report.other_counts.is_empty());

    // A kept success is decoded in full.
    let EventDetails::SecurityAudit(smtp) = &report.events[0].details else {
        panic!("not a security audit: {:?}", report.events[0])
    };
    assert_eq!(
        smtp.service_name.as_deref(),
        Some("SMTPSVC/ex02.contoso.com")
    );
    assert_eq!(smtp.status, Some(0));
}

#[test]
fn event_xml_of_the_same_records_keeps_the_same_events() {
    let bytes = write_evtx(&with_times(records())).expect("writer accepts the records");
    let from_evtx = read_evtx_bytes(&bytes, EvtxReadOptions { threads: 2 });

    let mut parser = evtx::EvtxParser::from_buffer(bytes).expect("crate opens the file");
    let mut xml = String::from("<Events>");
    for record in parser.records() {
        xml.push_str(&record.expect("crate renders the record").data);
    }
    xml.push_str("</Events>");
    let from_xml = read_event_xml(xml.as_bytes());
    assert!(from_xml.problems.is_empty(), "{:?}", from_xml.problems);

    assert_eq!(from_xml.catalogued_counts, from_evtx.catalogued_counts);
    assert_eq!(from_xml.counted_successes, from_evtx.counted_successes);
    assert_eq!(from_xml.records_read, from_evtx.records_read);
    let decoded = |r: &EventFileReport| -> Vec<(EventDetails, Vec<DataItem>)> {
        r.events
            .iter()
            .map(|e| (e.details.clone(), e.data.clone()))
            .collect()
    };
    assert_eq!(decoded(&from_xml), decoded(&from_evtx));
}

/// Successes spread over many chunks: counted the same whatever the thread count.
#[test]
fn counted_successes_do_not_depend_on_threads() {
    let start: jiff::Timestamp = "2026-11-26T08:00:00Z".parse().expect("time literal");
    let written: Vec<EventRecord> = (0..6000u32)
        .map(|i| {
            let user = if i % 3 == 0 {
                format!("WS{i:04}$@CONTOSO.COM")
            } else {
                format!("user{i:04}@CONTOSO.COM")
            };
            let status = if i % 500 == 7 { 0x7 } else { 0 };
            EventRecord {
                time: start + jiff::SignedDuration::from_millis(i64::from(i)),
                ..ticket(
                    &user,
                    "FS01$",
                    "::ffff:10.1.2.3",
                    Some(DataValue::HexInt32(status)),
                )
            }
        })
        .collect();
    let bytes = write_evtx(&written).expect("writer accepts the records");
    let one = read_evtx_bytes(&bytes, EvtxReadOptions { threads: 1 });
    let two = read_evtx_bytes(&bytes, EvtxReadOptions { threads: 2 });
    assert_eq!(one, two);
    assert!(bytes.len() > 4096 + 4 * 65536, "several chunks");
    let kept = (0..6000u32).filter(|i| i % 3 == 0 || i % 500 == 7).count() as u64;
    assert_eq!(one.events.len() as u64, kept);
    assert_eq!(
        counts(&one, |r| &r.counted_successes),
        [(4769, 6000 - kept)]
    );
}
