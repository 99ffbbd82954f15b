//! No queue parser panics on arbitrary text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::queue::transport_queue_log::TransportQueueLogReader;
use exauth_parsers::queue::{
    clixml, csv_export, format_list, json_export, last_error::LastError, local_time,
    parse_queue_export, queue_viewer, DateOrder, ExportForm, QueueExportOptions,
};
use proptest::prelude::*;

/// Text built from the characters the grammars care about.
fn grammar_text() -> impl Strategy<Value = String> {
    "[\\[\\]{};=:\"' \\-/.,0-9A-Fa-z_<>&#x\t\r\n@\\\\()+*]{0,400}"
}

fn seeded() -> impl Strategy<Value = String> {
    let seeds = prop::sample::select(vec![
        "[{LRT=",
        "};{LED=",
        "451 4.4.0 Primary target IP address responded with: \"",
        "450 4.7.0 Proxy session setup failed on Frontend with '",
        "The last endpoint attempted was ",
        "};{FQDN=",
        "};{IP=",
        "}]",
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
        "<Obj RefId=\"0\">",
        "<TN RefId=\"0\"><T>x</T></TN>",
        "<TNRef RefId=\"0\"/>",
        "<Ref N=\"a\" RefId=\"0\"/>",
        "<Props>",
        "<S N=\"LastError\">",
        "<DT N=\"LastRetryTime\">",
        "</S>",
        "</Obj>",
        "_x000A_",
        "#TYPE x\r\n",
        "\"Identity\",\"Status\"\r\n",
        "Identity     : ",
        "\r\n             ",
        "#Log-type: Transport Queue Log\r\n",
        "#Fields: Timestamp,LastError\r\n",
        "11/26/2026 10:40:05 AM",
        "26.11.2026",
        "\\/Date(1795689605000)\\/",
    ]);
    prop::collection::vec(
        prop_oneof![seeds.prop_map(str::to_string), grammar_text()],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), grammar_text(), seeded()]
}

proptest! {
    #[test]
    fn last_error_never_panics(s in any_text(), limit in prop::option::of(0usize..200)) {
        let le = LastError::parse_with_limit(&s, limit);
        let _ = le.inner_response();
        let _ = le.target_ip();
    }

    #[test]
    fn local_time_never_panics(s in any_text()) {
        for o in [DateOrder::MonthDayYear, DateOrder::DayMonthYear, DateOrder::YearMonthDay] {
            let _ = local_time::parse_local_datetime(&s, o);
        }
        let mut inf = local_time::DateOrderInference::new();
        inf.observe(&s);
    }

    #[test]
    fn readers_never_panic(s in any_text()) {
        let _ = format_list::read_objects(&s);
        let _ = csv_export::read_objects(&s);
        let _ = json_export::read_objects(&s);
        let _ = clixml::read_objects(&s);
        let _ = queue_viewer::read_objects(&s);
        let _ = TransportQueueLogReader::new(s.as_bytes()).count();
        let _ = ExportForm::detect(&s);
    }

    #[test]
    fn every_form_never_panics(s in any_text()) {
        for form in [ExportForm::FormatList, ExportForm::Csv, ExportForm::Json, ExportForm::CliXml, ExportForm::QueueViewer, ExportForm::TransportQueueLog] {
            let _ = parse_queue_export(&s, QueueExportOptions { form: Some(form), ..QueueExportOptions::default() });
        }
        let _ = parse_queue_export(&s, QueueExportOptions::default());
    }
}

#[test]
fn deep_clixml_nesting_does_not_overflow() {
    let depth = 20_000;
    let mut s = String::from(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
    );
    for _ in 0..depth {
        s.push_str("<Obj><Props>");
    }
    for _ in 0..depth {
        s.push_str("</Props></Obj>");
    }
    s.push_str("</Objs>");
    let (objs, problems) = clixml::read_objects(&s);
    assert_eq!(objs.len(), 1);
    // Issue 18: what is too deep to read is said, not silently dropped.
    let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(texts, ["line 1: nesting deeper than 64 levels: not read"]);
}
