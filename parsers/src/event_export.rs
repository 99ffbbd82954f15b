//! Windows events exported as XML: the same typed evidence as from `.evtx`.
//!
//! Why: collections often carry events as text instead of `.evtx` — Event Viewer "Save
//! as XML" / `wevtutil qe /f:xml` (`<Events><Event xmlns=…/event>…`), and
//! ExchangeLogCollector's `<SERVER>_Application.xml` / `_System.xml`, which are
//! PowerShell `Export-Clixml` of `Get-EventLog` objects. Both are read streaming with
//! quick-xml into the same raw event as the `.evtx` reader, so one catalog and one
//! decoder serve all inputs (see [`crate::evtx`]).
//!
//! Get-EventLog objects carry the classic API view: `TimeGenerated` is server-local
//! time with its offset (converted to UTC, provenance `server-local`), `InstanceId` is
//! the full message id (EventID = low 16 bits, Qualifiers = high 16 bits), `Source` is
//! the provider, and `ReplacementStrings` are the positional insertion strings.

use crate::evtx::{event_order, DataItem, EventFileReport, EventRecord, TimeProvenance};
use crate::evtx::{RawEvent, ReportBuilder};
use crate::problem::{Location, Problem};
use crate::text_runs::{text_run_cut, TextRuns};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};

/// The log name in an ExchangeLogCollector file name: `EX01_Application.xml` → `Application`.
pub fn log_name_from_file_name(file_name: &str) -> Option<&str> {
    let stem = file_name.strip_suffix(".xml").unwrap_or(file_name);
    let (_, log) = stem.rsplit_once('_')?;
    (!log.is_empty()).then_some(log)
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// Append a text, CDATA or entity event's content to `text`.
fn push_text(event: &Event<'_>, text: &mut String) {
    match event {
        Event::Text(t) => {
            if let Ok(s) = t.decode() {
                text.push_str(&s);
            }
        }
        Event::CData(c) => {
            if let Ok(s) = c.decode() {
                text.push_str(&s);
            }
        }
        Event::GeneralRef(r) => {
            if let Ok(Some(c)) = r.resolve_char_ref() {
                text.push(c);
            } else if let Ok(name) = r.decode() {
                text.push_str(match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
            }
        }
        _ => {}
    }
}

/// One open element of an `<Event>`.
struct EventFrame {
    name: String,
    data_name: Option<String>,
    has_children: bool,
}

/// Read event XML (`<Events><Event>…</Event>…</Events>` or bare `<Event>`s).
pub fn read_event_xml<R: BufRead>(input: R) -> EventFileReport {
    all_events(|each| read_event_xml_each(input, usize::MAX, each))
}

/// The report of a reader that hands its events over in batches, with every
/// event in the report's order.
fn all_events(
    read: impl FnOnce(&mut dyn FnMut(Vec<EventRecord>)) -> EventFileReport,
) -> EventFileReport {
    let mut events = Vec::new();
    let mut report = read(&mut |batch| events.extend(batch));
    events.sort_by_key(event_order);
    report.events = events;
    report
}

/// The catalogued events read so far to `each` when they are `batch` or more.
fn hand_over(report: &mut ReportBuilder, batch: usize, each: &mut dyn FnMut(Vec<EventRecord>)) {
    if report.events.len() >= batch.max(1) {
        each(std::mem::take(&mut report.events));
    }
}

/// [`read_event_xml`] handing the catalogued events over to `each` `batch` at
/// a time as they are read (in reading order: [`event_order`] is the report's):
/// a large export is never held. The report that comes back counts them and
/// holds the problems; its `events` are empty.
pub fn read_event_xml_each<R: BufRead>(
    input: R,
    batch: usize,
    each: &mut dyn FnMut(Vec<EventRecord>),
) -> EventFileReport {
    let mut reader = Reader::from_reader(BufReader::new(TextRuns::new(input)));
    let mut report = ReportBuilder::default();
    let mut buf = Vec::new();
    let mut event: Option<RawEvent> = None;
    let mut stack: Vec<EventFrame> = Vec::new();
    let mut text = String::new();
    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                report.problems.push(Problem::new(
                    Location::Offset(
                        reader.error_position() + reader.get_ref().get_ref().bytes_dropped(),
                    ),
                    format!("XML error, rest of input skipped: {e}"),
                ));
                break;
            }
        };
        match &ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = local(e);
                if name == "Event" && stack.is_empty() {
                    event = Some(RawEvent::default());
                }
                if let Some(raw) = event.as_mut() {
                    start_event_element(raw, &name, e);
                    if let Some(parent) = stack.last_mut() {
                        parent.has_children = true;
                    }
                    stack.push(EventFrame {
                        data_name: (name == "Data").then(|| attr(e, b"Name")).flatten(),
                        name,
                        has_children: false,
                    });
                    text.clear();
                    if matches!(ev, Event::Empty(_)) {
                        end_event_element(&mut event, &mut stack, &mut text, &mut report);
                    }
                }
            }
            Event::End(_) => {
                if event.is_some() {
                    end_event_element(&mut event, &mut stack, &mut text, &mut report);
                }
            }
            Event::DocType(_) => report.problems.push(Problem::new(
                Location::Offset(
                    reader.buffer_position() + reader.get_ref().get_ref().bytes_dropped(),
                ),
                "DOCTYPE ignored: entities it declares are never expanded",
            )),
            other => {
                if event.is_some() {
                    push_text(other, &mut text);
                }
            }
        }
        buf.clear();
        hand_over(&mut report, batch, each);
    }
    if event.is_some() {
        report.problems.push(Problem::new(
            Location::File,
            "input ended inside an <Event>; that event was skipped",
        ));
    }
    text_cut(reader.get_ref().get_ref(), &mut report);
    hand_over(&mut report, 1, each);
    report.finish()
}

/// The problem of text runs cut by [`TextRuns`], if any were.
fn text_cut<R: BufRead>(runs: &TextRuns<R>, report: &mut ReportBuilder) {
    if let Some(problem) = text_run_cut(runs.dropped(), "event") {
        report.problems.push(problem);
    }
}

fn start_event_element(raw: &mut RawEvent, name: &str, e: &BytesStart<'_>) {
    match name {
        "Provider" => {
            if let Some(n) = attr(e, b"Name") {
                raw.provider = n;
            }
            raw.event_source_name = attr(e, b"EventSourceName");
        }
        "EventID" => {
            raw.qualifiers = attr(e, b"Qualifiers").and_then(|q| q.trim().parse().ok());
        }
        "TimeCreated" => {
            raw.time = attr(e, b"SystemTime").and_then(|t| t.trim().parse().ok());
        }
        _ => {}
    }
}

fn end_event_element(
    event: &mut Option<RawEvent>,
    stack: &mut Vec<EventFrame>,
    text: &mut String,
    report: &mut ReportBuilder,
) {
    let Some(frame) = stack.pop() else {
        return;
    };
    let Some(raw) = event.as_mut() else {
        return;
    };
    let under = |section: &str| stack.iter().any(|f| f.name == section);
    let value = std::mem::take(text);
    match frame.name.as_str() {
        "EventID" if under("System") => {
            if let Some(n) = crate::evtx::parse_number(&value) {
                raw.set_event_id(n);
            }
        }
        "Level" if under("System") => raw.level = value.trim().parse().ok(),
        "EventRecordID" if under("System") => raw.record_id = value.trim().parse().ok(),
        "Channel" if under("System") => raw.channel = value.trim().to_string(),
        "Computer" if under("System") => raw.computer = value.trim().to_string(),
        "Data" if under("EventData") => raw.data.push(DataItem {
            name: frame.data_name,
            value,
        }),
        "Binary" if under("EventData") => raw.binary = Some(value.trim().to_string()),
        "Message" if under("RenderingInfo") => raw.message = Some(value),
        "Event" if stack.is_empty() => {
            if let Some(raw) = event.take() {
                report.add(raw, TimeProvenance::NativeUtc);
            }
        }
        name if under("UserData") && !frame.has_children => raw.data.push(DataItem {
            name: Some(name.to_string()),
            value,
        }),
        _ => {}
    }
}

/// Parse a CliXml `<DT>`: `2024-05-06T12:00:00.1234567+02:00` → (UTC, offset seconds).
fn parse_clixml_datetime(s: &str) -> (Option<jiff::Timestamp>, Option<i32>) {
    let s = s.trim();
    let time = s.parse::<jiff::Timestamp>().ok();
    let offset = if s.ends_with('Z') {
        Some(0)
    } else {
        s.get(s.len().saturating_sub(6)..).and_then(|tail| {
            let sign = match tail.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let hours: i32 = tail.get(1..3)?.parse().ok()?;
            let minutes: i32 = tail.get(4..6)?.parse().ok()?;
            Some(sign * (hours * 3600 + minutes * 60))
        })
    };
    (time.filter(|_| offset.is_some()), offset)
}

/// Level from an `EventLogEntryType` name or value.
fn level_from_entry_type(s: &str) -> Option<u8> {
    Some(match s.trim() {
        "Error" | "1" => 2,
        "Warning" | "2" => 3,
        "Information" | "4" | "0" => 4,
        "SuccessAudit" | "8" | "FailureAudit" | "16" => 0,
        _ => return None,
    })
}

/// The Get-EventLog object being read.
#[derive(Default)]
struct EntryState {
    raw: RawEvent,
    instance_id: Option<u64>,
    event_id: Option<u64>,
}

/// Read a CliXml file of `Get-EventLog` objects (ExchangeLogCollector
/// `<SERVER>_Application.xml`). `log_name` becomes the channel (see
/// [`log_name_from_file_name`]).
pub fn read_clixml_event_log<R: BufRead>(input: R, log_name: Option<&str>) -> EventFileReport {
    all_events(|each| read_clixml_event_log_each(input, log_name, usize::MAX, each))
}

/// [`read_clixml_event_log`] handing the catalogued events over as
/// [`read_event_xml_each`] does.
pub fn read_clixml_event_log_each<R: BufRead>(
    input: R,
    log_name: Option<&str>,
    batch: usize,
    each: &mut dyn FnMut(Vec<EventRecord>),
) -> EventFileReport {
    let mut reader = Reader::from_reader(BufReader::new(TextRuns::new(input)));
    let mut report = ReportBuilder::default();
    let mut buf = Vec::new();
    // Element names from <Objs> down; the entry is the <Obj> directly under <Objs>.
    let mut stack: Vec<(String, Option<String>)> = Vec::new();
    let mut entry: Option<EntryState> = None;
    let mut text = String::new();
    // Export-Clixml writes a repeated object once and `<Ref>`s it afterwards.
    let mut entry_type_refs: HashMap<String, u8> = HashMap::new();
    let mut pending_entry_type_ref: Option<String> = None;
    let mut saw_objs = false;
    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                report.problems.push(Problem::new(
                    Location::Offset(
                        reader.error_position() + reader.get_ref().get_ref().bytes_dropped(),
                    ),
                    format!("XML error, rest of input skipped: {e}"),
                ));
                break;
            }
        };
        let is_empty = matches!(ev, Event::Empty(_));
        match &ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = local(e);
                if name == "Objs" {
                    saw_objs = true;
                }
                let n_attr = attr(e, b"N");
                if name == "Obj" && stack.len() == 1 {
                    entry = Some(EntryState::default());
                }
                if let Some(state) = entry.as_mut() {
                    // Property of the entry: its N attribute, at any depth under <Props>/<MS>.
                    let property = stack
                        .iter()
                        .skip(2)
                        .find_map(|(_, n)| n.clone())
                        .or(n_attr.clone());
                    if name == "Obj" && n_attr.as_deref() == Some("EntryType") {
                        pending_entry_type_ref = attr(e, b"RefId");
                    }
                    if name == "Ref" && n_attr.as_deref() == Some("EntryType") {
                        state.raw.level =
                            attr(e, b"RefId").and_then(|r| entry_type_refs.get(&r).copied());
                    }
                    if is_empty
                        && name == "Nil"
                        && property.as_deref() == Some("ReplacementStrings")
                    {
                        state.raw.data.push(DataItem {
                            name: None,
                            value: String::new(),
                        });
                    }
                }
                text.clear();
                if !is_empty {
                    stack.push((name, n_attr));
                }
            }
            Event::DocType(_) => report.problems.push(Problem::new(
                Location::Offset(
                    reader.buffer_position() + reader.get_ref().get_ref().bytes_dropped(),
                ),
                "DOCTYPE ignored: entities it declares are never expanded",
            )),
            Event::End(_) => {
                let Some((name, n_attr)) = stack.pop() else {
                    continue;
                };
                let value = std::mem::take(&mut text);
                if name == "Obj" && stack.len() == 1 {
                    if let Some(state) = entry.take() {
                        finish_entry(state, log_name, &mut report);
                    }
                    continue;
                }
                let Some(state) = entry.as_mut() else {
                    continue;
                };
                let property = stack
                    .iter()
                    .skip(2)
                    .find_map(|(_, n)| n.clone())
                    .or(n_attr.clone());
                let Some(property) = property else {
                    continue;
                };
                let nested = stack.iter().skip(2).any(|(_, n)| n.is_some());
                match (property.as_str(), name.as_str(), nested) {
                    ("MachineName", _, false) => state.raw.computer = value,
                    ("Source", _, false) => state.raw.provider = value,
                    ("InstanceId", _, false) => {
                        state.instance_id = crate::evtx::parse_number(&value)
                    }
                    ("EventID", _, false) => state.event_id = crate::evtx::parse_number(&value),
                    ("Index", _, false) => state.raw.record_id = value.trim().parse().ok(),
                    ("Message", _, false) => state.raw.message = Some(value),
                    ("TimeGenerated", "DT", false) => {
                        let (time, offset) = parse_clixml_datetime(&value);
                        state.raw.time = time;
                        state.raw.utc_offset_seconds = offset;
                    }
                    ("EntryType", "ToString" | "S" | "I32", _) => {
                        if let Some(level) = level_from_entry_type(&value) {
                            state.raw.level = Some(level);
                            if let Some(ref_id) = pending_entry_type_ref.take() {
                                entry_type_refs.insert(ref_id, level);
                            }
                        }
                    }
                    ("ReplacementStrings", "S", true) => {
                        state.raw.data.push(DataItem { name: None, value })
                    }
                    _ => {}
                }
            }
            other => push_text(other, &mut text),
        }
        buf.clear();
        hand_over(&mut report, batch, each);
    }
    if !saw_objs {
        report.problems.push(Problem::new(
            Location::File,
            "no <Objs> root: not a PowerShell CliXml file",
        ));
    }
    text_cut(reader.get_ref().get_ref(), &mut report);
    hand_over(&mut report, 1, each);
    report.finish()
}

fn finish_entry(state: EntryState, log_name: Option<&str>, report: &mut ReportBuilder) {
    let mut raw = state.raw;
    let record_id = raw.record_id;
    match state.instance_id.or(state.event_id) {
        Some(id) => raw.set_event_id(id),
        None => {
            report.problems.push(Problem::new(
                record_id.map_or(Location::File, Location::Record),
                "event object without InstanceId/EventID; skipped",
            ));
            return;
        }
    }
    if let Some(log) = log_name {
        raw.channel = log.to_string();
    }
    report.add(raw, TimeProvenance::ServerLocal);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evtx::EventDetails;

    const EVENT_XML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="MSExchangeTransport"/><EventID Qualifiers="32772">1035</EventID><Level>3</Level><Task>1</Task><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime="2024-05-06T10:01:02.1234567Z"/><EventRecordID>4711</EventRecordID><Channel>Application</Channel><Computer>EX02.contoso.com</Computer><Security/></System><EventData><Data>TimeSkew</Data><Data>Default EX02</Data><Data>ExchangeAuth</Data><Data>10.0.0.21</Data></EventData></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"/><EventID>4771</EventID><Level>0</Level><TimeCreated SystemTime="2024-05-06T10:00:00.5Z"/><EventRecordID>99</EventRecordID><Channel>Security</Channel><Computer>DC01.contoso.com</Computer></System><EventData><Data Name="TargetUserName">EX01$</Data><Data Name="ServiceName">krbtgt/CONTOSO.COM</Data><Data Name="Status">0x25</Data><Data Name="IpAddress">::ffff:10.0.0.12</Data><Data Name="IpPort">51234</Data></EventData></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Service Control Manager"/><EventID Qualifiers="16384">7036</EventID><TimeCreated SystemTime="2024-05-06T09:00:00Z"/><EventRecordID>5</EventRecordID><Channel>System</Channel><Computer>EX02</Computer></System><EventData><Data Name="param1">x &amp; y</Data></EventData></Event>
</Events>"#;

    #[test]
    fn event_xml_yields_typed_records_sorted_by_time() {
        let report = read_event_xml(EVENT_XML.as_bytes());
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.records_read, 3);
        assert_eq!(report.events.len(), 2);
        let first = &report.events[0];
        assert_eq!(first.event_id, 4771);
        assert_eq!(first.record_id, Some(99));
        let EventDetails::SecurityAudit(s) = &first.details else {
            panic!("wrong family")
        };
        assert_eq!(s.ip_address.as_deref(), Some("10.0.0.12"));
        assert_eq!(s.status, Some(0x25));
        let second = &report.events[1];
        assert_eq!(second.qualifiers, Some(32772));
        assert_eq!(second.computer, "EX02.contoso.com");
        assert_eq!(
            second.time.map(|t| t.to_string()).as_deref(),
            Some("2024-05-06T10:01:02.1234567Z")
        );
        let EventDetails::ExchangeTransport(t) = &second.details else {
            panic!("wrong family")
        };
        assert_eq!(t.status.as_deref(), Some("TimeSkew"));
        assert_eq!(t.source_ip.as_deref(), Some("10.0.0.21"));
        assert_eq!(report.other_counts.len(), 1);
        assert_eq!(report.other_counts[0].provider, "Service Control Manager");
    }

    /// Handed over a batch at a time, both forms give the report read whole
    /// (events in the report's order once sorted), and a batch goes before
    /// the input ends: a large export is never held.
    #[test]
    fn events_handed_over_in_batches_read_as_whole() {
        let many_xml = EVENT_XML
            .replace("</Events>", "")
            .replace("<Events>", "")
            .repeat(50);
        let many_xml = format!("<Events>{many_xml}</Events>");
        let many_clixml = CLIXML.replace(
            "</Objs>",
            &CLIXML
                .split_once('\n')
                .map(|(_, objs)| objs.replace("</Objs>", "").repeat(40))
                .unwrap_or_default(),
        ) + "</Objs>";
        type Read = dyn Fn(&[u8], usize, &mut dyn FnMut(Vec<EventRecord>)) -> EventFileReport;
        let forms: [(&str, &Read, EventFileReport); 2] = [
            (
                &many_xml,
                &|t, batch, each| read_event_xml_each(t, batch, each),
                read_event_xml(many_xml.as_bytes()),
            ),
            (
                &many_clixml,
                &|t, batch, each| read_clixml_event_log_each(t, Some("System"), batch, each),
                read_clixml_event_log(many_clixml.as_bytes(), Some("System")),
            ),
        ];
        for (text, read, whole) in forms {
            assert!(whole.events.len() >= 40, "{}", whole.events.len());
            for batch in [1, 3] {
                let mut events = Vec::new();
                let mut batches = 0;
                let mut report = read(text.as_bytes(), batch, &mut |got| {
                    assert!(!got.is_empty() && got.len() <= batch);
                    batches += 1;
                    events.extend(got);
                });
                assert!(report.events.is_empty());
                assert!(batches >= whole.events.len() / batch);
                events.sort_by_key(event_order);
                report.events = events;
                assert_eq!(report, whole, "batches of {batch}");
            }
        }
    }

    const CLIXML: &str = r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0"><T>System.Diagnostics.EventLogEntry</T><T>System.Object</T></TN>
    <ToString>System.Diagnostics.EventLogEntry</ToString>
    <Props>
      <S N="MachineName">EX02.contoso.com</S>
      <I32 N="Index">1234</I32>
      <I64 N="InstanceId">3221266432</I64>
      <Obj N="EntryType" RefId="1"><TN RefId="1"><T>System.Diagnostics.EventLogEntryType</T></TN><ToString>Error</ToString><I32>1</I32></Obj>
      <S N="Source">LsaSrv</S>
      <Obj N="ReplacementStrings" RefId="2"><TN RefId="2"><T>System.String[]</T></TN><LST><S>SMTPSVC/ex01.contoso.com</S><S>Kerberos</S><S>"There are currently no logon servers available to service the logon request. (0xc000005e)"</S></LST></Obj>
      <S N="Message">The Security System detected an authentication error for the server SMTPSVC/ex01.contoso.com.</S>
      <DT N="TimeGenerated">2024-05-06T12:00:00.5+02:00</DT>
    </Props>
  </Obj>
</Objs>"#;

    #[test]
    fn clixml_get_eventlog_yields_server_local_records() {
        let report = read_clixml_event_log(CLIXML.as_bytes(), Some("System"));
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.events.len(), 1);
        let e = &report.events[0];
        // InstanceId 3221266432 = 0xC000_A000: EventID 40960 in the low 16 bits.
        assert_eq!(e.event_id, 40960);
        assert_eq!(e.provider, "LsaSrv");
        assert_eq!(e.channel, "System");
        assert_eq!(e.level, Some(2));
        assert_eq!(e.record_id, Some(1234));
        assert_eq!(e.time_provenance, TimeProvenance::ServerLocal);
        assert_eq!(e.utc_offset_seconds, Some(7200));
        assert_eq!(
            e.time.map(|t| t.to_string()).as_deref(),
            Some("2024-05-06T10:00:00.5Z")
        );
    }

    #[test]
    fn clixml_lsasrv_40960_from_replacement_strings() {
        let report = read_clixml_event_log(CLIXML.as_bytes(), Some("System"));
        assert_eq!(report.events.len(), 1);
        let e = &report.events[0];
        assert_eq!(e.event_id, 40960);
        assert_eq!(e.qualifiers, Some(0xC000));
        let EventDetails::LsaSrv(l) = &e.details else {
            panic!("wrong family")
        };
        assert_eq!(l.target.as_deref(), Some("SMTPSVC/ex01.contoso.com"));
        assert_eq!(l.ntstatus, Some(0xC000_005E));
    }

    #[test]
    fn log_name_comes_from_the_collector_file_name() {
        assert_eq!(
            log_name_from_file_name("EX01_Application.xml"),
            Some("Application")
        );
        assert_eq!(log_name_from_file_name("EX-01_System.xml"), Some("System"));
        assert_eq!(log_name_from_file_name("events.xml"), None);
    }

    #[test]
    fn broken_xml_is_a_problem_not_a_panic() {
        let report = read_event_xml("<Events><Event><System><Provider Name=".as_bytes());
        assert!(!report.problems.is_empty());
        let report = read_clixml_event_log("not xml at all".as_bytes(), None);
        assert!(!report.problems.is_empty());
    }
}
