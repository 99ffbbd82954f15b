//! Issue 9: event XML and CliXml event exports never panic on any input, and
//! never expand an entity they did not define.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::event_export::{
    log_name_from_file_name, read_clixml_event_log, read_event_xml,
};
use proptest::prelude::*;

fn xml() -> impl Strategy<Value = String> {
    let seeds = prop::sample::select(vec![
        "<?xml version=\"1.0\"?>",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
        "&a;",
        "&amp;",
        "&#x41;",
        "&#0;",
        "<Events>",
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>",
        "<System>",
        "<Provider Name='MSExchangeTransport'/>",
        "<EventID Qualifiers='32768'>1035</EventID>",
        "<TimeCreated SystemTime='2026-11-26T10:40:05.000Z'/>",
        "<Computer>EX01</Computer>",
        "</System>",
        "<EventData>",
        "<Data Name='x'>",
        "<Data>",
        "</Data>",
        "</EventData>",
        "</Event>",
        "</Events>",
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
        "<Obj RefId=\"0\">",
        "<TN RefId=\"0\"><T>System.Diagnostics.EventLogEntry</T></TN>",
        "<Props>",
        "<S N=\"Source\">MSExchangeTransport</S>",
        "<I64 N=\"InstanceId\">3221226507</I64>",
        "<DT N=\"TimeGenerated\">2026-11-26T10:40:05+01:00</DT>",
        "<Obj N=\"ReplacementStrings\" RefId=\"1\"><LST>",
        "<S>x</S>",
        "</LST></Obj>",
        "</Props>",
        "</Obj>",
        "</Objs>",
        "<![CDATA[x]]>",
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![
                seeds.prop_map(str::to_string),
                "[<>/&;= a-zA-Z0-9\"']{0,12}"
            ],
            0..24
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #[test]
    fn event_xml_never_panics_or_expands(text in xml()) {
        let report = read_event_xml(text.as_bytes());
        prop_assert!(report.events.len() as u64 <= report.records_read);
        for event in &report.events {
            for d in &event.data {
                prop_assert!(!d.value.contains("aaaa") || text.matches("aaaa").count() > 1);
            }
        }
    }

    #[test]
    fn clixml_event_log_never_panics(text in xml(), name in "[A-Za-z_ -]{0,20}\\.xml") {
        let log = log_name_from_file_name(&name);
        let report = read_clixml_event_log(text.as_bytes(), log);
        prop_assert!(report.events.len() as u64 <= report.records_read);
    }
}
