//! Windows events (`.evtx`, event XML, CliXml `Get-EventLog`) → facts: what
//! every event input shares.

use super::{Extracted, Place, Records, Row, RowEncoding, RowSink};
use crate::evidence::{Evidence, Fact, IdentityHint, KerberosSource, TimeBasis};
use crate::model::ClockBasis;
use crate::model::Source;
use crate::model::{canonical_ip, is_smtp_spn, normalize_host, Role};
use exauth_parsers::evtx::EventFileReport;
use exauth_parsers::evtx::{
    kerberos_error_name, DataItem, EventDetails, EventRecord, TimeProvenance,
};
use exauth_parsers::problem::Problems;
use std::net::IpAddr;

/// The facts in one catalogued event, attributed to the computer that wrote
/// it (or `fallback_server` when the event names none).
pub fn event_evidence(
    event: &EventRecord,
    artifact_origin: &str,
    fallback_server: Option<&str>,
    out: &mut Vec<Evidence>,
    hints: &mut Vec<IdentityHint>,
) {
    let server = normalize_host(&event.computer)
        .map(|(short, _)| short)
        .or_else(|| fallback_server.map(str::to_string));
    let time_basis = match event.time_provenance {
        TimeProvenance::NativeUtc | TimeProvenance::RecordHeader => TimeBasis::NativeUtc,
        TimeProvenance::ServerLocal => TimeBasis::ServerLocal,
        // A text copy's `Date:` (Event Viewer, Get-WinEvent): the local
        // wall clock with no zone, placed in the server's zone by the case.
        TimeProvenance::LocalUnzoned => TimeBasis::ServerLocalAssumed,
        TimeProvenance::Unknown => TimeBasis::None,
    };
    let local_time = match event.time_provenance {
        TimeProvenance::LocalUnzoned => exauth_parsers::event_text::local_time(event),
        _ => None,
    };
    let origin = match event.record_id {
        Some(id) => format!("{artifact_origin}#record {id}"),
        None => artifact_origin.to_string(),
    };
    let role = role_of(&event.details, event.event_id);
    if !event.computer.is_empty() {
        hints.push(IdentityHint::Computer {
            name: event.computer.clone(),
            role,
        });
    }
    let mut push = |fact: Fact| {
        out.push(Evidence {
            server: server.clone(),
            time: if local_time.is_some() {
                None
            } else {
                event.time
            },
            time_basis,
            origin: origin.clone(),
            fact,
            local_time,
            corrected: None,
            represents: 1,
        })
    };
    let id = event.event_id;
    match &event.details {
        EventDetails::ExchangeTransport(t) => match id {
            1034 | 1035 | 1012 => push(Fact::InboundAuthFailed {
                event_id: id,
                status: t.status.clone().unwrap_or_default(),
                connector: t.connector.clone().unwrap_or_default(),
                mechanism: t.mechanism.clone().unwrap_or_default(),
                client_ip: t.source_ip.as_deref().and_then(parse_ip),
            }),
            2003 | 2016 | 2017 => push(Fact::OutboundAuthFailed {
                event_id: id,
                status: t
                    .status
                    .clone()
                    .or_else(|| t.smtp_response.clone())
                    .unwrap_or_default(),
                connector: t.connector.clone().unwrap_or_default(),
                mechanism: t.mechanism.clone().unwrap_or_default(),
                target: t.target_spn.clone(),
            }),
            _ => push(Fact::TransportEvent {
                event_id: id,
                summary: transport_summary(id, t.status.as_deref(), t.fqdn.as_deref()),
            }),
        },
        EventDetails::KerberosClient(k) => {
            let code = k.error_code.or(match id {
                4 => Some(0x29),
                5 => Some(0x21),
                _ => None,
            });
            match id {
                100 => push(Fact::SpnNotRegistered {
                    spn: k.spn.clone().unwrap_or_default(),
                }),
                101 => push(Fact::DuplicateName {
                    name: k.spn.clone().unwrap_or_default(),
                    name_type: Some("DS_SERVICE_PRINCIPAL_NAME".into()),
                }),
                _ => {
                    let target = k
                        .server_name
                        .clone()
                        .or_else(|| k.target_name.clone())
                        .or_else(|| k.server.clone())
                        .or_else(|| k.domain.clone());
                    push(Fact::KerberosError {
                        source: KerberosSource::Client,
                        event_id: id,
                        code,
                        code_name: k
                            .error_name
                            .clone()
                            .or_else(|| code.and_then(kerberos_error_name).map(str::to_string))
                            .or_else(|| client_event_name(id).map(str::to_string)),
                        target: target.clone(),
                        client: k.client_name.clone(),
                        client_ip: None,
                        skew_s: k.skew_seconds,
                    });
                    if let Some(skew) = k.skew_seconds {
                        // ClientTime − ServerTime = this server − the other;
                        // a krbtgt/ target means the KDC, which we cannot name.
                        let remote = target
                            .as_deref()
                            .filter(|t| !t.to_ascii_lowercase().starts_with("krbtgt"))
                            .and_then(normalize_host)
                            .map(|(short, _)| short);
                        push(Fact::ClockSample {
                            basis: ClockBasis::KerberosEvent,
                            remote_server: remote,
                            remote_ip: None,
                            offset_s: -skew,
                        });
                    }
                }
            }
        }
        EventDetails::Kdc(k) => match id {
            11 => push(Fact::DuplicateName {
                name: k.duplicate_name.clone().unwrap_or_default(),
                name_type: k.name_type.clone(),
            }),
            _ => push(Fact::KerberosError {
                source: KerberosSource::Kdc,
                event_id: id,
                code: None,
                code_name: Some(format!("KDC event {id}")),
                target: k.target_service.clone().or_else(|| k.account_name.clone()),
                client: k.account_name.clone(),
                client_ip: None,
                skew_s: None,
            }),
        },
        EventDetails::SecurityAudit(s) => {
            let ip = s.ip_address.as_deref().and_then(parse_ip);
            if let (Some(user), Some(ip)) = (&s.target_user, ip) {
                let account = user.split('@').next().unwrap_or(user);
                if account.ends_with('$') && matches!(id, 4768 | 4769) {
                    hints.push(IdentityHint::AccountAt {
                        account: account.to_string(),
                        ip,
                    });
                }
            }
            let code = if id == 4625 {
                s.sub_status.or(s.status)
            } else {
                s.status
            };
            match code {
                Some(0) | None if id == 4769 => {
                    let service = s.service_name.clone().unwrap_or_default();
                    if is_smtp_spn(&service) {
                        push(Fact::KerberosTicketIssued {
                            service,
                            client: s.target_user.clone(),
                            client_ip: ip,
                        });
                    }
                }
                Some(0) | None => {}
                Some(code) => push(Fact::KerberosError {
                    source: KerberosSource::SecurityAudit,
                    event_id: id,
                    code: Some(code),
                    code_name: kerberos_error_name(code).map(str::to_string),
                    target: s.service_name.clone(),
                    client: s.target_user.clone(),
                    client_ip: ip,
                    skew_s: None,
                }),
            }
        }
        EventDetails::LsaSrv(l) => push(Fact::KerberosError {
            source: KerberosSource::LsaSrv,
            event_id: id,
            code: l.ntstatus,
            code_name: l.error_text.clone(),
            target: l.target.clone(),
            client: None,
            client_ip: None,
            skew_s: None,
        }),
        EventDetails::Netlogon(n) => push(Fact::NetlogonEvent {
            event_id: id,
            summary: join_some(&[
                n.domain_controller.as_deref(),
                n.peer_computer.as_deref(),
                n.account.as_deref(),
                n.reason.as_deref(),
            ]),
        }),
        EventDetails::TimeService(t) => {
            push(Fact::TimeServiceEvent {
                event_id: id,
                offset_s: t.offset_seconds,
                summary: join_some(&[t.time_source.as_deref(), t.error_text.as_deref()]),
            });
            if let (34, Some(offset)) = (id, t.offset_seconds) {
                push(Fact::ClockSample {
                    basis: ClockBasis::TimeServiceEvent,
                    remote_server: t
                        .time_source
                        .as_deref()
                        .and_then(normalize_host)
                        .map(|(short, _)| short),
                    remote_ip: None,
                    offset_s: offset,
                });
            }
        }
        EventDetails::DirectoryService(d) => push(Fact::ReplicationEvent {
            event_id: id,
            source_dc: d.source_dc.clone(),
            error_code: d.error_code.map(i64::from),
            summary: format!("{} {id}", event.provider),
        }),
        EventDetails::Dfsr(_) => push(Fact::ReplicationEvent {
            event_id: id,
            source_dc: None,
            error_code: None,
            summary: format!("DFSR {id}"),
        }),
        EventDetails::Schannel(s) => push(Fact::TransportEvent {
            event_id: id,
            summary: join_some(&[
                Some("Schannel"),
                s.protocol.as_deref(),
                s.target_name.as_deref(),
                s.alert_code.map(|c| format!("alert {c}")).as_deref(),
            ]),
        }),
        EventDetails::EventLog(e) => {
            if let Some(name) = &e.zone_name {
                push(Fact::TimeZone {
                    bias_minutes: e.bias_minutes,
                    name: name.clone(),
                });
            }
        }
    }
}

fn role_of(details: &EventDetails, id: u16) -> Role {
    match details {
        EventDetails::ExchangeTransport(_) => Role::Exchange,
        EventDetails::Kdc(_) | EventDetails::DirectoryService(_) | EventDetails::Dfsr(_) => {
            Role::DomainController
        }
        EventDetails::SecurityAudit(_) if matches!(id, 4768 | 4769 | 4771) => {
            Role::DomainController
        }
        _ => Role::Unknown,
    }
}

fn client_event_name(id: u16) -> Option<&'static str> {
    match id {
        7 => Some("PAC validation failed"),
        10 => Some("cannot retrieve tickets over UDP"),
        200 => Some("no domain controller found"),
        _ => None,
    }
}

fn transport_summary(id: u16, status: Option<&str>, fqdn: Option<&str>) -> String {
    let what = match id {
        12011 => "SPN registration failed",
        2011 => "remote advertised an unsupported ExchangeAuth hash",
        12001 => "Kerberos ticket cache flush failed",
        12012 | 12013 => "internal transport certificate missing",
        12014 => "STARTTLS certificate missing",
        1020 => "authenticated account not authorized",
        _ => "transport event",
    };
    join_some(&[Some(what), status, fqdn])
}

/// An IP as events print it (`10.0.0.12`, `[10.0.0.12]`, `::ffff:10.0.0.12`).
fn parse_ip(text: &str) -> Option<IpAddr> {
    crate::model::endpoint_ip(text).map(canonical_ip)
}

fn join_some(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("; ")
}

/// The events of one file.
#[derive(Debug)]
pub struct EventRecords(pub EventFileReport);

impl EventRecords {
    /// The events of `report`, each record once: an event whose (Computer,
    /// channel, EventRecordID) came earlier in the file is set aside and
    /// counted (`ingest::dedup`).
    pub fn new(mut report: EventFileReport) -> Self {
        let mut seen = super::dedup::EventsSeen::default();
        report.events.retain(|e| seen.first_time(e));
        report.duplicate_records += seen.set_aside;
        EventRecords(report)
    }
}

impl Records for EventRecords {
    fn problems(&self) -> &Problems {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.records_read == 0
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        for event in &self.0.events {
            event_evidence(
                event,
                place.origin,
                place.server,
                &mut out.evidence,
                &mut out.hints,
            );
        }
    }

    fn rows(&self, place: Place<'_>, out: &mut dyn RowSink) {
        let mut buf = Vec::new();
        for event in &self.0.events {
            buf.clear();
            encode_event_row(out.encoding(), event, place, &mut buf);
            out.push_encoded(&buf);
        }
    }

    fn set_aside(&self) -> Option<String> {
        super::dedup::events_note(self.0.duplicate_records, self.0.repeated_chunks)
    }
}

/// The `extract` row of one event: attributed like its facts, its origin
/// naming the record.
pub fn event_row(event: &EventRecord, place: Place<'_>) -> Row {
    let (server, at) = event_row_place(event, place);
    Row::new("event", server.as_deref(), &at, event)
}

/// [`event_row`], encoded with `encoding` onto `buf` (a JSON line without
/// building the row: [`super::row::encode_new`]).
pub fn encode_event_row(
    encoding: RowEncoding,
    event: &EventRecord,
    place: Place<'_>,
    buf: &mut Vec<u8>,
) {
    let (server, at) = event_row_place(event, place);
    super::row::encode_new(encoding, "event", server.as_deref(), &at, event, buf);
}

/// [`encode_event_row`] for an event that may be changed for a moment: a JSON
/// line's `data` items, most of its bytes, are written by [`write_data_items`]
/// instead of serde_json (the same bytes, faster); the event is left as found.
pub fn encode_event_row_fast(
    encoding: RowEncoding,
    event: &mut EventRecord,
    place: Place<'_>,
    buf: &mut Vec<u8>,
) {
    if encoding == RowEncoding::JsonLine {
        let data = std::mem::take(&mut event.data);
        let (server, at) = event_row_place(event, place);
        let written = super::row::json_line_last_array(
            "event",
            server.as_deref(),
            &at,
            (&*event, "data"),
            |buf| write_data_items(&data, buf),
            buf,
        );
        event.data = data;
        if written {
            return;
        }
    }
    encode_event_row(encoding, event, place, buf);
}

/// The items of an event's `data`, comma-separated, as serde_json writes them.
fn write_data_items(items: &[DataItem], buf: &mut Vec<u8>) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"name\":");
        match &item.name {
            Some(name) => write_json_str(name, buf),
            None => buf.extend_from_slice(b"null"),
        }
        buf.extend_from_slice(b",\"value\":");
        write_json_str(&item.value, buf);
        buf.push(b'}');
    }
}

/// A JSON string as serde_json writes it: as it is when nothing in it needs
/// escaping (a check over every byte, without an early exit, that the compiler
/// vectorizes), else by serde_json.
fn write_json_str(s: &str, buf: &mut Vec<u8>) {
    let plain = s.bytes().fold(true, |plain, b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
    });
    if plain {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // Writing to memory cannot fail.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

/// An event row's server and origin.
fn event_row_place(event: &EventRecord, place: Place<'_>) -> (Option<String>, String) {
    let server = normalize_host(&event.computer)
        .map(|(s, _)| s)
        .or_else(|| place.server.map(str::to_string));
    let at = match event.record_id {
        Some(id) => format!("{}#record {id}", place.origin),
        None => place.origin.to_string(),
    };
    (server, at)
}

/// Which event log a file holds, by its name (`Application.evtx`,
/// `EX01_System.xml`).
pub fn event_log_source(file_name: &str) -> Source {
    let lower = file_name.to_ascii_lowercase();
    if lower.contains("application") {
        Source::ApplicationLog
    } else if lower.contains("system") {
        Source::SystemLog
    } else if lower.contains("security") {
        Source::SecurityLog
    } else if lower.contains("directory") {
        Source::DirectoryServiceLog
    } else {
        Source::OtherEventLog
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exauth_parsers::evtx::{EventLogEvent, Family};

    fn event(computer: &str, record: Option<u64>, data: &[(&str, &str)]) -> EventRecord {
        EventRecord {
            time: "2026-11-26T07:08:17.1234567Z".parse().ok(),
            time_provenance: TimeProvenance::NativeUtc,
            utc_offset_seconds: Some(-3600),
            computer: computer.into(),
            channel: "System".into(),
            provider: "Microsoft-Windows-Security-Kerberos".into(),
            event_id: 4,
            qualifiers: Some(16384),
            record_id: record,
            level: Some(2),
            family: Family::EventLog,
            details: EventDetails::EventLog(EventLogEvent {
                zone_name: Some("W. Europe Standard Time".into()),
                ..EventLogEvent::default()
            }),
            data: data
                .iter()
                .map(|(n, v)| DataItem {
                    name: (!n.is_empty()).then(|| n.to_string()),
                    value: v.to_string(),
                })
                .collect(),
        }
    }

    /// `extract`'s JSON line of an event, written straight from the record,
    /// is the very line the row's map of values gives.
    #[test]
    fn an_event_row_line_is_the_same_bytes_as_the_rows() {
        let events = [
            event(
                "EX02.contoso.com",
                Some(812_215),
                &[("Server", "krbtgt/CONTOSO.COM")],
            ),
            event("", None, &[]),
            event(
                "ex01",
                Some(1),
                &[
                    ("", "quote \" back\\slash \u{1b}[31m tab\t"),
                    ("Naïve", "日本語"),
                    ("nl\n\r\u{8}\u{c}\u{1f}\u{7f}", "\"\""),
                    ("plain", ""),
                ],
            ),
        ];
        for place_server in [None, Some("EX09")] {
            let place = Place {
                origin: "c.zip!EX02/System.evtx",
                server: place_server,
            };
            for e in &events {
                let mut via_map = Vec::new();
                RowEncoding::JsonLine.encode(&event_row(e, place), &mut via_map);
                let mut direct = Vec::new();
                encode_event_row(RowEncoding::JsonLine, e, place, &mut direct);
                assert_eq!(
                    String::from_utf8_lossy(&direct),
                    String::from_utf8_lossy(&via_map)
                );
                let mut fast = Vec::new();
                let mut owned = e.clone();
                encode_event_row_fast(RowEncoding::JsonLine, &mut owned, place, &mut fast);
                assert_eq!(
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&via_map),
                    "data written by hand"
                );
                assert_eq!(&owned, e, "the event is left as found");
                let mut binary = Vec::new();
                encode_event_row(RowEncoding::Binary, e, place, &mut binary);
                let mut binary_map = Vec::new();
                RowEncoding::Binary.encode(&event_row(e, place), &mut binary_map);
                assert_eq!(binary, binary_map, "the tables' rows are the map's");
            }
        }
    }
}
