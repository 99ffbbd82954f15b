//! Ingest: hands each discovered artifact to the parser for its kind.
//!
//! The one place that maps a detected kind to a parser (one arm per kind).
//! Parsers get decoded UTF-8 text or, for `.evtx`, random access to the
//! bytes. What comes back is the parser's records plus the problems found;
//! the caller turns records into evidence (scan) or writes them (extract).

use crate::discover::Artifact;
use crate::inventory::{Collector, Row, Status};
use exauth_parsers::detect::{Form, Kind};
use exauth_parsers::diag::klist::{self, TicketCache};
use exauth_parsers::diag::nltest::{self, DcLocator};
use exauth_parsers::diag::portqry::{self, PortProbe};
use exauth_parsers::diag::receive_connector::{self, ConnectorAuth};
use exauth_parsers::diag::repadmin::{self, ReplicationStatus, ReplicationSummary};
use exauth_parsers::diag::setspn::{self, SetspnOutput};
use exauth_parsers::diag::test_netconnection;
use exauth_parsers::diag::w32tm::{self, W32tmOutput};
use exauth_parsers::encoding::{utf8_reader, TextEncoding};
use exauth_parsers::event_export;
use exauth_parsers::evtx::{self, EventFileReport, EvtxReadOptions};
use exauth_parsers::problem::Problem;
use exauth_parsers::queue::{parse_queue_export, DateOrderOption, QueueExport, QueueExportOptions};
use exauth_parsers::smtp_log::{FileReport, LogKind, Reassembler, SessionSummary};
use std::io::{BufReader, Read};

/// How to run the parsers.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Threads a single large `.evtx` may use (the run's thread count).
    pub threads: usize,
    /// Files at least this large get `threads` workers; smaller ones one
    /// (they are already read in parallel with each other).
    pub big_file_bytes: u64,
    /// Day/month order of culture-formatted local times: inferred per file
    /// unless the user named the culture.
    pub date_order: DateOrderOption,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            threads: 1,
            big_file_bytes: 64 << 20,
            date_order: DateOrderOption::Infer,
        }
    }
}

/// The records one artifact yielded.
#[derive(Debug)]
pub enum Records {
    Events(EventFileReport),
    Smtp {
        report: FileReport,
        sessions: Vec<SessionSummary>,
    },
    Queue(QueueExport),
    Setspn(SetspnOutput),
    W32tm(W32tmOutput),
    ReplicationSummary(ReplicationSummary),
    ReplicationStatus(Vec<ReplicationStatus>),
    Connectors(Vec<ConnectorAuth>),
    PortProbes(Vec<PortProbe>),
    DcLocator(DcLocator),
    Tickets(TicketCache),
}

impl Records {
    /// Problems the parser found inside the file.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            Records::Events(r) => r.problems.clone(),
            Records::Smtp { report, .. } => report.problems.clone(),
            Records::Queue(q) => q.problems.clone(),
            Records::Setspn(o) => o.problems.clone(),
            Records::W32tm(o) => o.problems.clone(),
            Records::ReplicationSummary(o) => o.problems.clone(),
            Records::DcLocator(o) => o.problems.clone(),
            Records::Tickets(o) => o.problems.clone(),
            Records::ReplicationStatus(_) | Records::Connectors(_) | Records::PortProbes(_) => {
                Vec::new()
            }
        }
    }

    /// True when the file yielded nothing usable at all.
    fn is_empty(&self) -> bool {
        match self {
            Records::Events(r) => r.records_read == 0,
            Records::Smtp { report, .. } => report.rows == 0,
            Records::Queue(q) => q.queues.is_empty() && q.messages.is_empty(),
            Records::Setspn(o) => {
                o.listings.is_empty() && o.duplicates.is_none() && o.query_outcome.is_none()
            }
            Records::W32tm(o) => o.status.is_none() && o.measurements.is_empty(),
            Records::ReplicationSummary(o) => o.rows.is_empty(),
            Records::ReplicationStatus(v) => v.is_empty(),
            Records::Connectors(v) => v.is_empty(),
            Records::PortProbes(v) => v.is_empty(),
            Records::DcLocator(o) => o.dc.is_none() && o.statuses.is_empty(),
            Records::Tickets(o) => o.tickets.is_empty() && o.errors.is_empty(),
        }
    }
}

/// Largest decoded text file read whole (queue exports, command outputs).
const MAX_TEXT_BYTES: u64 = 256 << 20;

/// One artifact after parsing.
#[derive(Debug)]
pub struct Ingested {
    /// The inventory row (status `error` when the parser could read nothing).
    pub row: Row,
    pub records: Option<Records>,
    pub problems: Vec<Problem>,
}

/// Parses one artifact with the parser for its kind.
pub fn ingest(
    artifact: &Artifact<'_>,
    content: &mut dyn Read,
    options: &IngestOptions,
) -> Ingested {
    let detection = &artifact.detection;
    let mut counted = CountingReader {
        inner: content,
        bytes: 0,
    };
    let records = match (detection.kind, detection.form) {
        (Kind::Evtx, _) => Some(Ok(Records::Events(read_evtx(
            artifact,
            &mut counted,
            options,
        )))),
        (Kind::EventExport, Form::EventXml) => {
            let text = text_reader(&mut counted, detection.encoding);
            Some(Ok(Records::Events(event_export::read_event_xml(text))))
        }
        (Kind::EventExport, Form::CliXml) => {
            let log = event_export::log_name_from_file_name(artifact.origin.file_name());
            let text = text_reader(&mut counted, detection.encoding);
            Some(Ok(Records::Events(event_export::read_clixml_event_log(
                text, log,
            ))))
        }
        (Kind::SmtpReceiveLog | Kind::SmtpSendLog, _) => {
            let hint = match detection.kind {
                Kind::SmtpSendLog => LogKind::Send,
                _ => LogKind::Receive,
            };
            let mut sessions = Vec::new();
            let mut reassembler = Reassembler::new();
            let reader = BufReader::with_capacity(
                1 << 20,
                utf8_reader(
                    &mut counted,
                    detection.encoding.unwrap_or(TextEncoding::Utf8),
                ),
            );
            let report = reassembler.feed(reader, Some(hint), |s| sessions.push(s));
            reassembler.finish(|s| sessions.push(s));
            Some(Ok(Records::Smtp { report, sessions }))
        }
        (Kind::QueueExport | Kind::MessageExport | Kind::TransportQueueLog, _) => {
            Some(read_text(&mut counted, detection.encoding).map(|text| {
                Records::Queue(parse_queue_export(&text, QueueExportOptions::default()))
            }))
        }
        (Kind::ReceiveConnectorExport, _) => {
            Some(read_text(&mut counted, detection.encoding).map(|text| {
                let (connectors, _) = receive_connector::parse(&text);
                Records::Connectors(connectors)
            }))
        }
        (Kind::Setspn, _) => Some(
            read_text(&mut counted, detection.encoding).map(|t| Records::Setspn(setspn::parse(&t))),
        ),
        (Kind::W32tm, _) => Some(
            read_text(&mut counted, detection.encoding)
                .map(|t| Records::W32tm(w32tm::parse(&t, options.date_order))),
        ),
        (Kind::Repadmin, _) => Some(read_text(&mut counted, detection.encoding).map(|t| {
            if repadmin::looks_like_replsummary(&t) {
                Records::ReplicationSummary(repadmin::parse_replsummary(&t))
            } else if repadmin::looks_like_showrepl_csv(&t) {
                Records::ReplicationStatus(repadmin::parse_showrepl_csv(&t).0)
            } else {
                Records::ReplicationStatus(repadmin::parse_showrepl(&t).0)
            }
        })),
        (Kind::TestNetconnection, _) => Some(
            read_text(&mut counted, detection.encoding)
                .map(|t| Records::PortProbes(test_netconnection::parse(&t).0)),
        ),
        (Kind::Portqry, _) => Some(
            read_text(&mut counted, detection.encoding)
                .map(|t| Records::PortProbes(portqry::parse(&t).0)),
        ),
        (Kind::Nltest, _) => Some(
            read_text(&mut counted, detection.encoding)
                .map(|t| Records::DcLocator(nltest::parse(&t))),
        ),
        (Kind::Klist, _) => Some(
            read_text(&mut counted, detection.encoding)
                .map(|t| Records::Tickets(klist::parse(&t, options.date_order))),
        ),
        _ => None,
    };
    // A gzip stream's size is known only once read to the end.
    let mut bytes = artifact.size;
    if bytes.is_none() {
        let _ = std::io::copy(&mut counted, &mut std::io::sink());
        bytes = Some(counted.bytes);
    }
    let mut row = Collector::row_for(artifact, &mut std::io::empty());
    row.bytes = bytes.unwrap_or(0);
    let (records, problems) = match records {
        Some(Ok(records)) => {
            let problems = records.problems();
            if records.is_empty() && !problems.is_empty() {
                row.status = Status::Error;
                row.reason = Some(problems_summary(&problems));
            } else if records.is_empty() {
                row.reason = Some("recognised, but nothing in it could be read".into());
            } else if !problems.is_empty() {
                row.reason = Some(problems_summary(&problems));
            }
            (Some(records), problems)
        }
        Some(Err(reason)) => {
            row.status = Status::Error;
            row.reason = Some(reason);
            (None, Vec::new())
        }
        None => (None, Vec::new()),
    };
    Ingested {
        row,
        records,
        problems,
    }
}

/// Counts the bytes a parser pulled through it.
struct CountingReader<'r> {
    inner: &'r mut dyn Read,
    bytes: u64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Reads a whole (small) text file, decoded to UTF-8; invalid UTF-8 is
/// replaced, not fatal.
fn read_text(content: &mut dyn Read, encoding: Option<TextEncoding>) -> Result<String, String> {
    let mut bytes = Vec::new();
    let mut reader =
        utf8_reader(content, encoding.unwrap_or(TextEncoding::Utf8)).take(MAX_TEXT_BYTES + 1);
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(format!(
            "larger than {} MiB of text: too large for an export of this kind",
            MAX_TEXT_BYTES >> 20
        ));
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn problems_summary(problems: &[Problem]) -> String {
    let first = problems
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    match problems.len() {
        0 => String::new(),
        1 => first,
        n => format!("{first} (and {} more problems)", n - 1),
    }
}

fn text_reader<'r>(
    content: &'r mut dyn Read,
    encoding: Option<TextEncoding>,
) -> BufReader<Box<dyn Read + 'r>> {
    BufReader::with_capacity(
        256 << 10,
        utf8_reader(content, encoding.unwrap_or(TextEncoding::Utf8)),
    )
}

fn read_evtx(
    artifact: &Artifact<'_>,
    content: &mut dyn Read,
    options: &IngestOptions,
) -> EventFileReport {
    let size = artifact.size.unwrap_or(0);
    let threads = if size >= options.big_file_bytes {
        options.threads.max(1)
    } else {
        1
    };
    let read_options = EvtxReadOptions { threads };
    match artifact.path {
        Some(path) => evtx::read_evtx_path(path, read_options),
        None => {
            // Out of an archive: the crate needs random access, so the entry
            // is read into memory (bounded by the per-entry limit).
            let mut bytes = Vec::with_capacity(size.min(1 << 30) as usize);
            match content.read_to_end(&mut bytes) {
                Ok(_) => evtx::read_evtx_bytes(&bytes, read_options),
                Err(e) => {
                    let mut report = EventFileReport::default();
                    report.problems.push(Problem::new(
                        exauth_parsers::problem::Location::File,
                        format!("cannot read: {e}"),
                    ));
                    report
                }
            }
        }
    }
}
