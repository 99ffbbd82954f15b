//! Queue exports end to end: every form, wrapped values, cultures, LastError.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::queue::local_time::{DateOrderBasis, TimeProvenance};
use exauth_parsers::queue::transport_queue_log::TransportQueueLogReader;
use exauth_parsers::queue::{
    parse_queue_export, DateOrder, DateOrderOption, DeliveryType, ExportForm, MessageStatus,
    OuterKind, QueueExportOptions, QueueRecord, QueueStatus,
};
use jiff::civil::date;

mod support;
use support::read_export_in_pieces;

/// The real Exchange 2013 Get-Queue | fl sample (Microsoft Q&A 234456).
const QA_FL: &str = r#"RunspaceId : 779ae3c8-728b-4078-aa88-1e8b7f3d0b43
DeliveryType : DnsConnectorDelivery
NextHopDomain : destination.com
TlsDomain :
NextHopConnector : 137c0a63-cbc7-4261-b49b-b4850e63593b
Status : Retry
MessageCount : 1
LastError : [{LRT=15-01-21 23:50:05};{LED=450 4.7.0 Proxy session setup failed on Frontend with '451 4.4.0 Primary target IP address responded with: "451 4.4.0 Security status InvalidToken." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 2a0X:3cXX:XX2:XXX::XX00:25'};{FQDN=MAILSERVER.DOMAIN.LOCAL};{IP=192.168.12.4}]
RetryCount : 17
LastRetryTime : 15-01-21 23:50:05
NextRetryTime : 16-01-21 00:00:05
FirstRetryTime : 15-01-21 22:06:02
DeferredMessageCount : 0
LockedMessageCount : 0
MessageCountsPerPriority : {0, 0, 0, 0}
DeferredMessageCountsPerPriority : {0, 1, 0, 0}
RiskLevel : Normal
OutboundIPPool : 0
NextHopCategory : External
IncomingRate : 0
OutgoingRate : 0
Velocity : 0
OverrideSource :
QueueIdentity : DAGSERVER5\322120
PriorityDescriptions : {High, Normal, Low, None}
Identity : DAGSERVER5\322120
IsValid : True
ObjectState : New
"#;

fn only_queue(text: &str, options: QueueExportOptions) -> QueueRecord {
    let export = parse_queue_export(text, options);
    assert_eq!(export.queues.len(), 1, "{export:#?}");
    export.queues.into_iter().next().expect("one queue")
}

#[test]
fn real_qa_sample_format_list() {
    let export = parse_queue_export(QA_FL, QueueExportOptions::default());
    assert_eq!(export.form, Some(ExportForm::FormatList));
    assert!(export.problems.is_empty(), "{:?}", export.problems);
    let q = &export.queues[0];
    assert_eq!(q.identity.as_deref(), Some("DAGSERVER5\\322120"));
    assert_eq!(q.server.as_deref(), Some("DAGSERVER5"));
    assert_eq!(q.delivery_type, Some(DeliveryType::DnsConnectorDelivery));
    assert_eq!(q.status, Some(QueueStatus::Retry));
    assert_eq!(q.message_count, Some(1));
    assert_eq!(q.retry_count, Some(17));
    assert_eq!(q.tls_domain, None);
    // dd-MM-yy: 15 > 12 settles day first.
    assert_eq!(export.date_order.order, DateOrder::DayMonthYear);
    assert_eq!(export.date_order.basis, DateOrderBasis::Decisive);
    let last = q.last_retry_time.expect("last retry");
    assert_eq!(last.local, date(2021, 1, 15).at(23, 50, 5, 0));
    assert_eq!(last.provenance, TimeProvenance::ServerLocal);
    assert_eq!(
        q.next_retry_time.map(|t| t.local),
        Some(date(2021, 1, 16).at(0, 0, 5, 0))
    );
    let le = q.last_error.as_ref().expect("last error");
    assert_eq!(
        le.retry_time.map(|t| t.local),
        Some(date(2021, 1, 15).at(23, 50, 5, 0))
    );
    let d = le.description.as_ref().expect("LED");
    assert_eq!(d.outer_kind, OuterKind::FrontendProxySetupFailed);
    assert_eq!(d.outer.code, Some(450));
    let inner = le.inner_response().expect("inner");
    assert_eq!(inner.code, Some(451));
    assert_eq!(inner.text, "Security status InvalidToken");
    let ep = d.last_endpoint.as_ref().expect("endpoint");
    assert_eq!(ep.host, "2a0X:3cXX:XX2:XXX::XX00");
    assert_eq!(ep.port, Some(25));
    assert_eq!(le.fqdn.as_deref(), Some("MAILSERVER.DOMAIN.LOCAL"));
    assert_eq!(le.target_ip(), "192.168.12.4".parse().ok());
}

#[test]
fn padded_wrapped_format_list_with_two_objects_and_crlf() {
    let led = r#"[{LRT=11/26/2026 10:40:05 AM};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 2001:db8::12:2525};{FQDN=EX02.contoso.local};{IP=2001:db8::12}]"#;
    // Wrap the value at 60 characters as Out-File does, continuation indented
    // to the value column.
    let col = "LastError      : ".len();
    let mut wrapped = String::new();
    let chars: Vec<char> = led.chars().collect();
    for (i, chunk) in chars.chunks(60).enumerate() {
        if i > 0 {
            wrapped.push_str("\r\n");
            wrapped.push_str(&" ".repeat(col));
        }
        wrapped.extend(chunk);
    }
    let text = format!(
        "\r\n\r\nIdentity       : EX01\\42\r\nDeliveryType   : SmtpRelayToMailboxDeliveryGroup\r\nNextHopDomain  : dag2\r\nStatus         : Retry\r\nMessageCount   : 12\r\nLastError      : {wrapped}\r\nLastRetryTime  : 11/26/2026 10:40:05 AM\r\n\r\nIdentity       : EX01\\Submission\r\nDeliveryType   : Undefined\r\nStatus         : Ready\r\nMessageCount   : 0\r\nLastError      :\r\n\r\n"
    );
    let export = parse_queue_export(&text, QueueExportOptions::default());
    assert_eq!(export.queues.len(), 2);
    let q = &export.queues[0];
    let le = q.last_error.as_ref().expect("last error");
    assert_eq!(le.raw, led);
    assert_eq!(
        q.delivery_type,
        Some(DeliveryType::SmtpRelayToMailboxDeliveryGroup)
    );
    let ep = le
        .description
        .as_ref()
        .and_then(|d| d.last_endpoint.as_ref())
        .expect("endpoint");
    assert_eq!(ep.ip, "2001:db8::12".parse().ok());
    assert_eq!(ep.port, Some(2525));
    assert_eq!(le.inner_response().and_then(|r| r.code), Some(454));
    assert_eq!(
        q.last_retry_time.map(|t| t.local),
        Some(date(2026, 11, 26).at(10, 40, 5, 0))
    );
    assert_eq!(
        export.queues[1].identity.as_deref(),
        Some("EX01\\Submission")
    );
    assert_eq!(export.queues[1].last_error, None);
}

#[test]
fn chinese_sample_year_first_and_site_next_hop() {
    let text = "Identity       : M10-SD-EX01\\12\nDeliveryType   : SmtpRelayToMailboxDeliveryGroup\nNextHopDomain  : site:shandong; version: 14\nStatus         : Retry\nMessageCount   : 12481\nLastError      : [{LRT=2019/11/4 13:31:03};{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.**.**.***:**};{FQDN=M10-SD-MLCH01.sd.cnc.intra};{IP=10.**.**.***}]\nRetryCount     : 13\nLastRetryTime  : 2019/11/4 13:31:03\nNextRetryTime  : 2019/11/4 13:41:05\n";
    let q = only_queue(text, QueueExportOptions::default());
    assert_eq!(
        q.next_hop_domain.as_deref(),
        Some("site:shandong; version: 14")
    );
    assert_eq!(q.message_count, Some(12481));
    assert_eq!(
        q.last_retry_time.map(|t| t.local),
        Some(date(2019, 11, 4).at(13, 31, 3, 0))
    );
    let le = q.last_error.expect("last error");
    assert_eq!(le.ip, None);
    assert_eq!(le.ip_text.as_deref(), Some("10.**.**.***"));
    let ep = le
        .description
        .and_then(|d| d.last_endpoint)
        .expect("endpoint");
    assert_eq!(ep.host, "10.**.**.***");
    assert_eq!(ep.port, None);
}

#[test]
fn cultures_and_late_row_settling_order() {
    let rows = |times: &[&str]| -> String {
        let mut s = String::from("#TYPE Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo\r\n\"Identity\",\"Status\",\"LastRetryTime\"\r\n");
        for (i, t) in times.iter().enumerate() {
            s.push_str(&format!("\"EX01\\{i}\",\"Retry\",\"{t}\"\r\n"));
        }
        s
    };
    // Only the last row (26) settles day-first; the first row must follow it.
    let export = parse_queue_export(
        &rows(&[
            "03-04-2026 10:00:00",
            "05-06-2026 10:00:00",
            "26-11-2026 10:40:05",
        ]),
        QueueExportOptions::default(),
    );
    assert_eq!(export.form, Some(ExportForm::Csv));
    assert_eq!(export.date_order.order, DateOrder::DayMonthYear);
    assert_eq!(
        export.queues[0].last_retry_time.map(|t| t.local),
        Some(date(2026, 4, 3).at(10, 0, 0, 0))
    );
    // Same shape, month first (en-US), settled late.
    let export = parse_queue_export(
        &rows(&["03/04/2026 10:00:00 AM", "11/26/2026 10:40:05 AM"]),
        QueueExportOptions::default(),
    );
    assert_eq!(export.date_order.order, DateOrder::MonthDayYear);
    assert_eq!(
        export.queues[0].last_retry_time.map(|t| t.local),
        Some(date(2026, 3, 4).at(10, 0, 0, 0))
    );
    let want = date(2026, 11, 26).at(10, 40, 5, 0);
    for text in [
        "26-11-26 10:40:05",
        "26.11.2026 10:40:05",
        "2026/11/26 10:40:05",
        "2026-11-26T10:40:05",
        "11/26/2026 10:40:05 AM",
    ] {
        let export = parse_queue_export(&rows(&[text]), QueueExportOptions::default());
        assert_eq!(
            export.queues[0].last_retry_time.map(|t| t.local),
            Some(want),
            "{text}"
        );
    }
    // Ambiguous everywhere: the caller forces the culture.
    let export = parse_queue_export(
        &rows(&["03/04/2026 10:00:00"]),
        QueueExportOptions {
            date_order: DateOrderOption::Force(DateOrder::DayMonthYear),
            form: None,
        },
    );
    assert_eq!(export.date_order.basis, DateOrderBasis::Forced);
    assert_eq!(
        export.queues[0].last_retry_time.map(|t| t.local),
        Some(date(2026, 4, 3).at(10, 0, 0, 0))
    );
}

#[test]
fn csv_without_type_line_and_messages() {
    let text = "\"Identity\",\"FromAddress\",\"Status\",\"Subject\",\"SourceIP\",\"RetryCount\",\"DateReceived\",\"LastError\"\n\"EX01\\42\\1234\",\"a@contoso.com\",\"Retry\",\"Hello, \"\"world\"\"\",\"10.0.0.5\",\"3\",\"26.11.2026 09:00:00\",\"451 4.4.0 Primary target IP address responded with: \"\"454 4.7.0 Temporary authentication failure.\"\"\"\n";
    let export = parse_queue_export(text, QueueExportOptions::default());
    assert_eq!(export.form, Some(ExportForm::Csv));
    assert_eq!(export.messages.len(), 1);
    let m = &export.messages[0];
    assert_eq!(m.queue.as_deref(), Some("EX01\\42"));
    assert_eq!(m.server.as_deref(), Some("EX01"));
    assert_eq!(m.subject.as_deref(), Some("Hello, \"world\""));
    assert_eq!(m.status, Some(MessageStatus::Retry));
    assert_eq!(m.source_ip, "10.0.0.5".parse().ok());
    assert_eq!(m.retry_count, Some(3));
    assert_eq!(
        m.date_received.map(|t| t.local),
        Some(date(2026, 11, 26).at(9, 0, 0, 0))
    );
    assert_eq!(
        m.last_error
            .as_ref()
            .and_then(|l| l.inner_response())
            .and_then(|r| r.code),
        Some(454)
    );
}

#[test]
fn json_numbers_strings_object_and_array() {
    let arr = r#"[
 {"Identity":"EX01\\42","DeliveryType":15,"Status":3,"MessageCount":2,"LastRetryTime":"\/Date(1795689605000)\/","LastError":"[{LRT=11/26/2026 10:40:05 AM};{LED=441 4.4.1 Error encountered while communicating with primary target IP address: \"421 4.4.2 Connection dropped due to SocketError.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.0.12:25};{FQDN=EX02.contoso.local};{IP=10.0.0.12}]"},
 {"Identity":"EX01\\43","DeliveryType":"SmtpRelayToDag","Status":"Ready","MessageCount":0}
]"#;
    let export = parse_queue_export(arr, QueueExportOptions::default());
    assert_eq!(export.form, Some(ExportForm::Json));
    assert_eq!(export.queues.len(), 2);
    let q = &export.queues[0];
    assert_eq!(q.status, Some(QueueStatus::Retry));
    assert_eq!(
        q.delivery_type,
        Some(DeliveryType::SmtpRelayToMailboxDeliveryGroup)
    );
    let t = q.last_retry_time.expect("time");
    assert_eq!(t.provenance, TimeProvenance::Utc);
    assert_eq!(
        t.to_timestamp(&jiff::tz::TimeZone::UTC)
            .map(|t| t.to_string())
            .as_deref(),
        Some("2026-11-26T10:40:05Z")
    );
    let le = q.last_error.as_ref().expect("le");
    assert_eq!(
        le.description.as_ref().map(|d| d.outer_kind),
        Some(OuterKind::CommunicationError)
    );
    assert_eq!(le.inner_response().and_then(|r| r.code), Some(421));
    assert_eq!(export.queues[1].status, Some(QueueStatus::Ready));
    assert_eq!(
        export.queues[1].delivery_type,
        Some(DeliveryType::SmtpRelayToDag)
    );
    let single = parse_queue_export(
        r#"{"Identity":"EX01\\42","Status":4}"#,
        QueueExportOptions::default(),
    );
    assert_eq!(single.queues[0].status, Some(QueueStatus::Suspended));
}

#[test]
fn clixml_queue_with_enums_dates_and_refs() {
    let text = r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0"><T>Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo</T><T>Deserialized.Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo</T><T>Deserialized.System.Object</T></TN>
    <ToString>EX01\42</ToString>
    <Props>
      <Obj N="DeliveryType" RefId="1"><TN RefId="1"><T>Deserialized.Microsoft.Exchange.Data.DeliveryType</T><T>Deserialized.System.Enum</T></TN><ToString>SmtpRelayToMailboxDeliveryGroup</ToString><I32>15</I32></Obj>
      <S N="NextHopDomain">dag2</S>
      <Obj N="Status" RefId="2"><TN RefId="2"><T>Deserialized.Microsoft.Exchange.Data.QueueViewer.QueueStatus</T><T>Deserialized.System.Enum</T></TN><ToString>Retry</ToString><I32>3</I32></Obj>
      <I32 N="MessageCount">5</I32>
      <S N="LastError">[{LRT=26.11.2026 10:40:05};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.0.12:25};{FQDN=EX02.contoso.local};{IP=10.0.0.12}]</S>
      <I32 N="RetryCount">4</I32>
      <DT N="LastRetryTime">2026-11-26T10:40:05.1234567+01:00</DT>
      <Nil N="FirstRetryTime" />
      <S N="Identity">EX01\42</S>
    </Props>
  </Obj>
  <Obj RefId="3">
    <TNRef RefId="0" />
    <ToString>EX01\43</ToString>
    <Props>
      <Ref N="DeliveryType" RefId="1" />
      <Ref N="Status" RefId="2" />
      <S N="Identity">EX01\43</S>
    </Props>
  </Obj>
</Objs>"#;
    let export = parse_queue_export(text, QueueExportOptions::default());
    assert_eq!(export.form, Some(ExportForm::CliXml));
    assert!(export.problems.is_empty(), "{:?}", export.problems);
    assert!(export.type_names[0].starts_with("Deserialized."));
    assert_eq!(export.queues.len(), 2);
    let q = &export.queues[0];
    assert_eq!(q.status, Some(QueueStatus::Retry));
    assert_eq!(
        q.delivery_type,
        Some(DeliveryType::SmtpRelayToMailboxDeliveryGroup)
    );
    assert_eq!(q.message_count, Some(5));
    assert_eq!(q.first_retry_time, None);
    let t = q.last_retry_time.expect("time");
    assert_eq!(t.utc_offset_seconds, Some(3600));
    assert_eq!(
        t.to_timestamp(&jiff::tz::TimeZone::UTC)
            .map(|t| t.to_string())
            .as_deref(),
        Some("2026-11-26T09:40:05.1234567Z")
    );
    assert_eq!(
        q.last_error
            .as_ref()
            .and_then(|l| l.retry_time)
            .map(|t| t.local),
        Some(date(2026, 11, 26).at(10, 40, 5, 0))
    );
    assert_eq!(export.queues[1].status, Some(QueueStatus::Retry));
    assert_eq!(export.queues[1].server.as_deref(), Some("EX01"));
}

#[test]
fn queue_viewer_comma_export() {
    let text = "Identity,Delivery Type,Status,Message Count,Next Hop Domain,Last Error,Next Retry Time\r\nParizien\\11225,SmartHostConnectorDelivery,Ready,0,[200.0.0.1],,\r\nEX07\\9,SmtpRelayToRemoteAdSite,Retry,3,\"site:hq; version: 8\",\"451 4.4.0 Primary target IP address responded with: \"\"451 5.7.3 Cannot achieve Exchange Server authentication.\"\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts.\",\"26/11/2026 10:50:05\"\r\n";
    let export = parse_queue_export(text, QueueExportOptions::default());
    assert_eq!(export.form, Some(ExportForm::QueueViewer));
    assert_eq!(export.queues.len(), 2);
    let q = &export.queues[1];
    assert_eq!(q.delivery_type, Some(DeliveryType::SmtpRelayToRemoteAdSite));
    let inner = q
        .last_error
        .as_ref()
        .and_then(|l| l.inner_response())
        .expect("inner");
    assert_eq!(inner.code, Some(451));
    assert_eq!(
        inner.enhanced_code.map(|c| c.to_string()).as_deref(),
        Some("5.7.3")
    );
    assert_eq!(
        q.next_retry_time.map(|t| t.local),
        Some(date(2026, 11, 26).at(10, 50, 5, 0))
    );
    assert_eq!(
        export.queues[0].next_hop_domain.as_deref(),
        Some("[200.0.0.1]")
    );
}

#[test]
fn transport_queue_log_truncated_last_error() {
    let full = r#"[{LRT=};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host"#;
    let cut: String = full.chars().take(100).collect();
    let text = format!(
        "#Software: Microsoft Exchange Server\n#Version: 15.01.2507.006\n#Log-type: Transport Queue Log\n#Date: 2026-11-26T10:00:00.000Z\n#Fields: Timestamp,SequenceNumber,EventId,QueueIdentity,Status,DeliveryType,NextHopDomain,NextHopKey,MessageCount,DeferredMessageCount,LockedMessageCount,IncomingRate,OutgoingRate,Velocity,NextHopCategory,RiskLevel,OutboundIPPool,NextHopConnector,TlsDomain,LastError,Data,CustomData\n2026-11-26T10:00:00.001Z,0,QUEUE,,,,,,,,,,,,,,,,,,Started MsExchangeTransport service.,\n2026-11-26T10:40:05.123Z,7,QUEUE,EX01\\42,Retry,SmtpRelayToMailboxDeliveryGroup,dag2,,3,0,0,0,0,0,Internal,Normal,0,,,\"{}\",,\n",
        cut.replace('"', "\"\"")
    );
    let export = parse_queue_export(&text, QueueExportOptions::default());
    assert_eq!(export.form, Some(ExportForm::TransportQueueLog));
    assert_eq!(export.queues.len(), 1);
    let q = &export.queues[0];
    assert_eq!(
        q.snapshot_time.map(|t| t.to_string()).as_deref(),
        Some("2026-11-26T10:40:05.123Z")
    );
    let le = q.last_error.as_ref().expect("le");
    assert!(le.truncated);
    let d = le.description.as_ref().expect("led");
    assert!(!d.complete);
    assert_eq!(d.last_endpoint, None);
    let inner = le.inner_response().expect("inner");
    assert_eq!(inner.code, Some(454));
    assert!(inner.text.starts_with("Temporary auth"));
    // The raw reader gives the service row too.
    let rows: Vec<_> = TransportQueueLogReader::new(text.as_bytes()).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.is_ok()));
}

#[test]
fn garbage_is_reported_not_panicked() {
    let export = parse_queue_export("hello\nworld\n", QueueExportOptions::default());
    assert_eq!(export.form, None);
    assert_eq!(export.problems.len(), 1);
    let export = parse_queue_export(
        "[{\"Identity\": 1",
        QueueExportOptions {
            form: Some(ExportForm::Json),
            ..QueueExportOptions::default()
        },
    );
    assert!(export.queues.is_empty());
    assert_eq!(export.problems.len(), 1);
}

/// Real files: set EXAUTH_CORPUS to a folder of decoded queue exports
/// (`*.txt`, `*.csv`, `*.json`, `*.xml`, `TRANSPORTQUEUE*.LOG`).
#[test]
fn corpus_queue_exports_parse_without_panic() {
    let Ok(dir) = std::env::var("EXAUTH_CORPUS") else {
        eprintln!("EXAUTH_CORPUS unset: skipping corpus test");
        return;
    };
    let mut seen = 0;
    for entry in walk(std::path::Path::new(&dir)) {
        let Ok(bytes) = std::fs::read(&entry) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let head: String = text.chars().take(4096).collect();
        if ExportForm::detect(&head).is_some() {
            let export = parse_queue_export(&text, QueueExportOptions::default());
            seen += export.queues.len() + export.messages.len();
        }
    }
    eprintln!("corpus: {seen} queue/message records");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// An `Export-Csv` of queues and messages read in passes (its dates, its
/// rows) a few bytes and a batch at a time gives what it gives read whole —
/// a BOM, `#TYPE`, CRLF, quoted fields over two lines, blank lines, a short
/// row and a bad one (their problems' lines), dates whose day/month order
/// only a late row settles — and the rows go as they are read.
#[test]
fn a_csv_export_read_in_passes_and_batches_reads_as_whole() {
    let mut text = String::from("\u{feff}#TYPE Deserialized.Microsoft.Exchange.Data.QueueViewer.ExtensibleMessageInfo\r\n\"Identity\",\"Status\",\"Subject\",\"RetryCount\",\"DateReceived\",\"LastError\"\r\n");
    for i in 0..2_000 {
        let day = if i == 1_500 { 26 } else { 1 + i % 12 };
        text.push_str(&format!(
            "\"EX01\\42\\{i}\",\"Retry\",\"line one\r\nline two {i}\",\"3\",\"{day}/11/2026 09:00:00\",\"451 4.4.0 Primary target IP address responded with: \"\"454 4.7.0 Temporary authentication failure.\"\"\"\r\n"
        ));
        if i == 60 {
            text.push_str("\r\n\"EX01\\42\\short\",\"Retry\"\r\n");
        }
        if i == 120 {
            text.push_str("\"EX01\\42\\bad\",\"Ret\"ry\",\"x\"\r\n");
        }
    }
    let whole = parse_queue_export(&text, QueueExportOptions::default());
    assert_eq!(whole.form, Some(ExportForm::Csv));
    assert!(whole.messages.len() >= 2_000, "{}", whole.messages.len());
    assert!(!whole.problems.is_empty());
    assert_eq!(whole.date_order.order, DateOrder::DayMonthYear);
    for (piece, batch) in [(3, 1), (64 << 10, 9)] {
        let read = read_export_in_pieces(ExportForm::Csv, &text, piece, batch);
        assert_eq!(read.export, whole, "pieces of {piece}, batches of {batch}");
        // The dates, the rows.
        assert_eq!(read.opened, 2);
        // (The CSV reader reads 8 KiB ahead.)
        assert!(read.first_batch_at < text.len() / 10 + piece.max(8 << 10));
    }
}

/// 2,000 queues in JSON (one `-Compress`ed line, or pretty with a BOM and
/// CRLF), in CliXml (`TNRef`s, a `<Ref>` to the object before) and in a
/// Queue Viewer list (tab-delimited captions, a BOM, CRLF), read a few
/// bytes at a time in batches: each export gives every queue in order, with
/// its LastError, the day/month order a late queue settles, as read whole —
/// and the queues go as they are read, not at the end.
#[test]
fn json_clixml_and_queue_viewer_exports_read_in_passes_and_batches_read_as_whole() {
    const N: usize = 2_000;
    let last_error = |i: usize| {
        let day = if i == 1_500 { 26 } else { 1 + i % 12 };
        format!("[{{LRT={day}/11/2026 10:40:05}};{{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"}};{{IP=10.0.0.12}}]")
    };
    let json_item = |i: usize| {
        format!(
            r#"{{"Identity":"EX01\\{i}","Status":3,"DeliveryType":"SmtpRelayToDag","MessageCount":{i},"LastError":{}}}"#,
            serde_json::to_string(&last_error(i)).unwrap()
        )
    };
    let items: Vec<String> = (0..N).map(json_item).collect();
    let compressed = format!("[{}]", items.join(","));
    let pretty = format!("\u{feff}[\r\n    {}\r\n]\r\n", items.join(",\r\n    "));
    let mut clixml = String::from(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n",
    );
    for i in 0..N {
        let type_names = if i == 0 {
            "<TN RefId=\"0\"><T>Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo</T><T>Deserialized.System.Object</T></TN>".to_string()
        } else {
            "<TNRef RefId=\"0\" />".to_string()
        };
        let status = if i % 2 == 0 {
            format!("<Obj N=\"Status\" RefId=\"s{i}\"><ToString>Retry</ToString><I32>3</I32></Obj>")
        } else {
            format!("<Ref N=\"Status\" RefId=\"s{}\" />", i - 1)
        };
        clixml.push_str(&format!(
            "  <Obj RefId=\"{i}\">{type_names}<ToString>EX01\\{i}</ToString><Props><S N=\"Identity\">EX01\\{i}</S>{status}<I32 N=\"MessageCount\">{i}</I32><S N=\"LastError\">{}</S></Props></Obj>\r\n",
            last_error(i)
        ));
    }
    clixml.push_str("</Objs>\r\n");
    let mut viewer = String::from("\u{feff}Identity\tDelivery Type\tStatus\tMessage Count\tNext Hop Domain\tLast Error\tNext Retry Time\r\n");
    for i in 0..N {
        let day = if i == 1_500 { 26 } else { 1 + i % 12 };
        viewer.push_str(&format!(
            "EX01\\{i}\tSmtpRelayToDag\tRetry\t{i}\tdag1\t\"{}\"\t{day}/11/2026 10:50:05\r\n",
            last_error(i).replace('"', "\"\"")
        ));
    }
    let forms = [
        (&compressed, ExportForm::Json),
        (&pretty, ExportForm::Json),
        (&clixml, ExportForm::CliXml),
        (&viewer, ExportForm::QueueViewer),
    ];
    for (text, form) in forms {
        let whole = parse_queue_export(text, QueueExportOptions::default());
        assert_eq!(whole.form, Some(form));
        assert!(whole.problems.is_empty(), "{form:?}: {:?}", whole.problems);
        assert_eq!(whole.date_order.order, DateOrder::DayMonthYear, "{form:?}");
        let identities: Vec<String> = whole
            .queues
            .iter()
            .map(|q| q.identity.clone().unwrap_or_default())
            .collect();
        let want: Vec<String> = (0..N).map(|i| format!("EX01\\{i}")).collect();
        assert_eq!(identities, want, "{form:?}");
        assert!(whole
            .queues
            .iter()
            .all(|q| q.status == Some(QueueStatus::Retry)
                && q.last_error
                    .as_ref()
                    .and_then(|l| l.inner_response())
                    .and_then(|r| r.code)
                    == Some(454)));
        for (piece, batch) in [(3, 1), (64 << 10, 9)] {
            let read = read_export_in_pieces(form, text, piece, batch);
            assert_eq!(
                read.export, whole,
                "{form:?}: pieces of {piece}, batches of {batch}"
            );
            assert_eq!(read.opened, 2, "the dates, the queues");
            assert!(read.first_batch_at < text.len() / 10 + piece.max(8 << 10));
        }
    }
}

/// An export cut short — a download stopped, a paste too long for the
/// ticket — keeps every queue before the cut and says where it stopped.
#[test]
fn json_and_clixml_cut_short_keep_the_queues_before_the_cut() {
    let json = r#"[{"Identity":"EX01\\1","Status":3,"LastError":"451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\""},
{"Identity":"EX01\\2","Status":"Ready"},
{"Identity":"EX01\\3","Sta"#;
    let clixml = "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\n<Obj RefId=\"0\"><Props><S N=\"Identity\">EX01\\1</S><S N=\"Status\">Retry</S><S N=\"LastError\">451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"</S></Props></Obj>\n<Obj RefId=\"1\"><Props><S N=\"Identity\">EX01\\2</S></Props></Obj>\n<Obj RefId=\"2\"><Props><S N=\"Iden";
    for (text, form) in [(json, ExportForm::Json), (clixml, ExportForm::CliXml)] {
        let export = parse_queue_export(text, QueueExportOptions::default());
        assert_eq!(export.form, Some(form));
        let identities: Vec<&str> = export
            .queues
            .iter()
            .filter_map(|q| q.identity.as_deref())
            .collect();
        assert_eq!(identities, ["EX01\\1", "EX01\\2"], "{form:?}");
        assert_eq!(export.queues[0].status, Some(QueueStatus::Retry));
        assert_eq!(export.problems.len(), 1, "{form:?}: {:?}", export.problems);
        // JSON says the line, XML the byte offset of the cut.
        let problem = export.problems[0].to_string();
        let at = if form == ExportForm::Json {
            "line 3: "
        } else {
            "offset 0x17c: "
        };
        assert!(problem.starts_with(at), "{form:?}: {problem}");
    }
}

/// A TRANSPORTQUEUE log of 2,000 snapshots read a few bytes at a time gives
/// what it gives read whole, in one pass (its times are UTC), the snapshots
/// going as read.
#[test]
fn a_queue_log_read_in_batches_reads_as_whole() {
    let mut text = String::from("#Software: Microsoft Exchange Server\r\n#Version: 15.01.2507.006\r\n#Log-type: Transport Queue Log\r\n#Date: 2026-11-26T10:00:00.000Z\r\n#Fields: Timestamp,SequenceNumber,EventId,QueueIdentity,Status,DeliveryType,NextHopDomain,NextHopKey,MessageCount,DeferredMessageCount,LockedMessageCount,IncomingRate,OutgoingRate,Velocity,NextHopCategory,RiskLevel,OutboundIPPool,NextHopConnector,TlsDomain,LastError,Data,CustomData\r\n");
    for i in 0..2_000 {
        text.push_str(&format!(
            "2026-11-26T10:{:02}:05.123Z,{i},QUEUE,EX01\\{},Retry,SmtpRelayToMailboxDeliveryGroup,dag2,,3,0,0,0,0,0,Internal,Normal,0,,,\"[{{LRT=}};{{LED=451 4.4.0 Primary target IP address responded with: \"\"454 4.7.0 Temporary authentication failure.\"\"}};{{IP=10.0.0.12}}]\",,\r\n",
            i % 60,
            i % 40
        ));
        if i == 700 {
            text.push_str("2026-11-26T10:00:00.001Z,0,QUEUE,,,,,,,,,,,,,,,,,,Started MsExchangeTransport service.,\r\n");
        }
    }
    let whole = parse_queue_export(&text, QueueExportOptions::default());
    assert_eq!(whole.form, Some(ExportForm::TransportQueueLog));
    assert_eq!(whole.queues.len(), 2_000);
    for (piece, batch) in [(3, 1), (64 << 10, 9)] {
        let read = read_export_in_pieces(ExportForm::TransportQueueLog, &text, piece, batch);
        assert_eq!(read.export, whole, "pieces of {piece}, batches of {batch}");
        assert_eq!(read.opened, 1);
        assert!(read.first_batch_at < text.len() / 10 + piece.max(8 << 10));
    }
}
