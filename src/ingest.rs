//! Ingest: hands each discovered artifact to the parser for its kind.
//!
//! The one place that maps a detected kind to a parser (one arm per kind).
//! Parsers get decoded UTF-8 text or, for `.evtx`, random access to the
//! bytes. What comes back is the parser's records plus the problems found;
//! the caller turns records into evidence (scan) or writes them (extract).

use crate::discover::Artifact;
use crate::inventory::{Collector, Row, Status};
use exauth_parsers::detect::{Detection, Form, Kind};
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
use exauth_parsers::problem::{Location, Problem};
use exauth_parsers::queue::{parse_queue_export, DateOrderOption, QueueExport, QueueExportOptions};
use exauth_parsers::signature::{scan_text, SignatureHit, SignatureScanner};
use exauth_parsers::smtp_log::{FileReport, LogKind, Reassembler, SessionSummary};
use std::io::{BufRead, BufReader, Read};

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
    /// Lines with a failure signature, from text read whole or from a text
    /// file no parser reads. The pipeline keeps them as evidence when the
    /// parser's records show no failure of their own.
    pub signatures: Vec<SignatureHit>,
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
    // Lines cut by `read_text` (reported with the parser's problems).
    let mut text_problems = Vec::new();
    // Failure-signature lines of text read whole (the net under the parsers).
    let mut signatures = Vec::new();
    // Characters the decoder could not decode (UTF-16 input only).
    let replaced = std::cell::Cell::new(0u64);
    let records = match (detection.kind, detection.form) {
        (Kind::EVTX, _) => Some(Ok(Records::Events(read_evtx(
            artifact,
            &mut counted,
            options,
        )))),
        (Kind::EVENT_EXPORT, Form::EventXml) => {
            let text = text_reader(decode(&mut counted, detection.encoding, &replaced));
            Some(Ok(Records::Events(event_export::read_event_xml(text))))
        }
        (Kind::EVENT_EXPORT, Form::CliXml) => {
            let log = event_export::log_name_from_file_name(artifact.origin.file_name());
            let text = text_reader(decode(&mut counted, detection.encoding, &replaced));
            Some(Ok(Records::Events(event_export::read_clixml_event_log(
                text, log,
            ))))
        }
        (Kind::SMTP_RECEIVE_LOG | Kind::SMTP_SEND_LOG, _) => {
            let hint = match detection.kind {
                Kind::SMTP_SEND_LOG => LogKind::Send,
                _ => LogKind::Receive,
            };
            let mut sessions = Vec::new();
            let mut reassembler = Reassembler::new();
            let reader = BufReader::with_capacity(
                1 << 20,
                decode(&mut counted, detection.encoding, &replaced),
            );
            let report = reassembler.feed(reader, Some(hint), |s| sessions.push(s));
            reassembler.finish(|s| sessions.push(s));
            Some(Ok(Records::Smtp { report, sessions }))
        }
        (Kind::QUEUE_EXPORT | Kind::MESSAGE_EXPORT | Kind::TRANSPORT_QUEUE_LOG, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|text| {
                let options = QueueExportOptions {
                    date_order: options.date_order,
                    ..QueueExportOptions::default()
                };
                Records::Queue(parse_queue_export(&text, options))
            }),
        ),
        (Kind::RECEIVE_CONNECTOR_EXPORT, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|text| {
                let (connectors, _) = receive_connector::parse(&text);
                Records::Connectors(connectors)
            }),
        ),
        (Kind::SETSPN, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|t| Records::Setspn(setspn::parse(&t))),
        ),
        (Kind::W32TM, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|t| Records::W32tm(w32tm::parse(&t, options.date_order))),
        ),
        (Kind::REPADMIN, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|t| {
                if repadmin::looks_like_replsummary(&t) {
                    Records::ReplicationSummary(repadmin::parse_replsummary(&t))
                } else if repadmin::looks_like_showrepl_csv(&t) {
                    Records::ReplicationStatus(repadmin::parse_showrepl_csv(&t).0)
                } else {
                    Records::ReplicationStatus(repadmin::parse_showrepl(&t).0)
                }
            }),
        ),
        (Kind::TEST_NETCONNECTION, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|t| Records::PortProbes(test_netconnection::parse(&t).0)),
        ),
        (Kind::PORTQRY, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|t| Records::PortProbes(portqry::parse(&t).0)),
        ),
        (Kind::NLTEST, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|t| Records::DcLocator(nltest::parse(&t))),
        ),
        (Kind::KLIST, _) => Some(
            read_text(
                decode(&mut counted, detection.encoding, &replaced),
                detection,
                &mut text_problems,
                &mut signatures,
            )
            .map(|t| Records::Tickets(klist::parse(&t, options.date_order))),
        ),
        (Kind::UNKNOWN | Kind::EXCHANGE_LOG_OTHER, _) if detection.encoding.is_some() => {
            // No parser reads these field by field (yet): their lines are
            // still searched for failure signatures, streaming.
            let reader = BufReader::with_capacity(
                256 << 10,
                decode(&mut counted, detection.encoding, &replaced),
            );
            match scan_signatures(reader) {
                Ok(hits) => signatures = hits,
                Err(e) => {
                    text_problems.push(Problem::new(Location::File, format!("cannot read: {e}")))
                }
            }
            None
        }
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
            let mut problems = text_problems;
            if replaced.get() > 0 {
                problems.push(Problem::new(
                    Location::File,
                    format!(
                        "{} characters could not be decoded as {} (lone surrogates, an odd byte count): shown as U+FFFD",
                        replaced.get(),
                        detection.encoding.map(|e| e.name()).unwrap_or("text")
                    ),
                ));
            }
            problems.extend(records.problems());
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
        None => (None, text_problems),
    };
    if !signatures.is_empty() && records.is_none() {
        let note = format!(
            "{} line{} with a failure signature (454 4.7.0, 451 5.7.3, 1035/2017 text) read from it",
            signatures.len(),
            if signatures.len() == 1 { "" } else { "s" }
        );
        row.reason = Some(match row.reason.take() {
            Some(reason) => format!("{reason}; {note}"),
            None => note,
        });
    }
    Ingested {
        row,
        records,
        problems,
        signatures,
    }
}

/// Longest line the signature scan of an unparsed file looks at; the rest of
/// a longer line is skipped while read (a hostile 200 MB line is never held).
const MAX_SCANNED_LINE: usize = 64 << 10;

/// Every failure-signature line of a text stream.
fn scan_signatures(mut reader: impl BufRead) -> std::io::Result<Vec<SignatureHit>> {
    let mut scanner = SignatureScanner::new();
    let mut line: Vec<u8> = Vec::new();
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if !line.is_empty() {
                scanner.line(&String::from_utf8_lossy(&line));
            }
            break;
        }
        let (take, newline) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        let room = MAX_SCANNED_LINE.saturating_sub(line.len());
        line.extend_from_slice(&buf[..take.min(room)]);
        reader.consume(take + usize::from(newline));
        if newline {
            scanner.line(&String::from_utf8_lossy(&line));
            line.clear();
        }
    }
    Ok(scanner.finish())
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

/// Longest line of a text file read whole (queue exports, command outputs)
/// that is kept whole. No real export comes near it; a longer line is cut
/// here, while read, so that one hostile line is never held (and copied by
/// the parsers) in full. JSON and CliXml are exempt: lines mean nothing to
/// them (`ConvertTo-Json -Compress` writes a whole export on one line); they
/// are bounded by [`MAX_TEXT_BYTES`] alone.
const MAX_TEXT_LINE: usize = 1 << 20;

/// Reads a whole (small) text file, decoded to UTF-8; invalid UTF-8 is
/// replaced, not fatal. Lines over [`MAX_TEXT_LINE`] are cut (a problem each).
fn read_text(
    decoded: impl Read,
    detection: &Detection,
    problems: &mut Vec<Problem>,
    signatures: &mut Vec<SignatureHit>,
) -> Result<String, String> {
    let line_cap = match detection.form {
        Form::Json | Form::CliXml => usize::MAX,
        _ => MAX_TEXT_LINE,
    };
    let reader = decoded.take(MAX_TEXT_BYTES + 1);
    let mut lines = LineCapper::new(line_cap);
    let bytes = lines
        .read_all(reader)
        .map_err(|e| format!("cannot read: {e}"))?;
    if lines.read > MAX_TEXT_BYTES {
        return Err(format!(
            "larger than {} MiB of text: too large for an export of this kind",
            MAX_TEXT_BYTES >> 20
        ));
    }
    problems.extend(lines.cut.into_iter().map(|(line, len)| {
        Problem::new(
            Location::Line(line),
            format!(
                "line of {len} bytes cut to its first {} KiB",
                line_cap >> 10
            ),
        )
    }));
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            problems.push(Problem::new(
                Location::Offset(e.utf8_error().valid_up_to() as u64),
                "invalid UTF-8 from here on is shown as U+FFFD",
            ));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    *signatures = scan_text(&text);
    Ok(text)
}

/// Copies text while dropping the bytes of each line past `cap`.
struct LineCapper {
    cap: usize,
    /// Bytes read (before cutting).
    read: u64,
    /// 1-based number of the current line and its length so far.
    line: u64,
    line_len: usize,
    /// (line number, full length) of every line cut.
    cut: Vec<(u64, usize)>,
}

impl LineCapper {
    fn new(cap: usize) -> Self {
        LineCapper {
            cap,
            read: 0,
            line: 1,
            line_len: 0,
            cut: Vec::new(),
        }
    }

    fn read_all(&mut self, mut reader: impl Read) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.read += n as u64;
            self.push(&buf[..n], &mut out);
        }
        self.end_line();
        Ok(out)
    }

    fn push(&mut self, mut chunk: &[u8], out: &mut Vec<u8>) {
        while !chunk.is_empty() {
            let (content, newline) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (&chunk[..i], true),
                None => (chunk, false),
            };
            let room = self.cap.saturating_sub(self.line_len);
            out.extend_from_slice(&content[..content.len().min(room)]);
            self.line_len = self.line_len.saturating_add(content.len());
            chunk = &chunk[content.len()..];
            if newline {
                out.push(b'\n');
                self.end_line();
                self.line += 1;
                chunk = &chunk[1..];
            }
        }
    }

    fn end_line(&mut self) {
        if self.line_len > self.cap {
            self.cut.push((self.line, self.line_len));
        }
        self.line_len = 0;
    }
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

fn text_reader<'r>(decoded: Box<dyn Read + 'r>) -> BufReader<Box<dyn Read + 'r>> {
    BufReader::with_capacity(256 << 10, decoded)
}

/// The content decoded to UTF-8. UTF-8 passes through (the parsers replace
/// invalid sequences themselves); for other encodings, the characters the
/// decoder had to replace are counted into `replaced`.
fn decode<'r>(
    content: &'r mut dyn Read,
    encoding: Option<TextEncoding>,
    replaced: &'r std::cell::Cell<u64>,
) -> Box<dyn Read + 'r> {
    let encoding = encoding.unwrap_or(TextEncoding::Utf8);
    let decoded = utf8_reader(content, encoding);
    match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => decoded,
        _ => Box::new(ReplacementCounter {
            inner: decoded,
            replaced,
            matched: 0,
        }),
    }
}

/// Counts U+FFFD (`EF BF BD`) in a UTF-8 stream, across read boundaries.
struct ReplacementCounter<'c, R> {
    inner: R,
    replaced: &'c std::cell::Cell<u64>,
    /// Bytes of `EF BF BD` matched at the end of the previous read.
    matched: usize,
}

impl<R: Read> Read for ReplacementCounter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        const FFFD: [u8; 3] = [0xEF, 0xBF, 0xBD];
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            self.matched = if b == FFFD[self.matched] {
                self.matched + 1
            } else if b == FFFD[0] {
                1
            } else {
                0
            };
            if self.matched == FFFD.len() {
                self.replaced.set(self.replaced.get() + 1);
                self.matched = 0;
            }
        }
        Ok(n)
    }
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
                    report
                        .problems
                        .push(Problem::new(Location::File, format!("cannot read: {e}")));
                    report
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_capper_cuts_long_lines_and_counts_them() {
        let mut capper = LineCapper::new(4);
        let input = b"abc\r\nabcdefgh\nxy\nlong-last-line";
        // Fed in small chunks, as a reader hands them over.
        let text = capper.read_all(std::io::Cursor::new(&input[..])).unwrap();
        assert_eq!(text, b"abc\r\nabcd\nxy\nlong");
        assert_eq!(capper.cut, vec![(2, 8), (4, 14)]);
        assert_eq!(capper.read, input.len() as u64);
    }

    #[test]
    fn replacement_counter_counts_across_reads() {
        let replaced = std::cell::Cell::new(0);
        let text = "a\u{FFFD}b\u{FFFD}\u{FFFD}c".as_bytes();
        // One byte per read: every sequence is split.
        let one_by_one = std::io::Read::chain(&text[..0], OneByte(text));
        let mut counter = ReplacementCounter {
            inner: one_by_one,
            replaced: &replaced,
            matched: 0,
        };
        let mut out = Vec::new();
        counter.read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
        assert_eq!(replaced.get(), 3);
    }

    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.is_empty()) {
                (Some((first, rest)), false) => {
                    buf[0] = *first;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn line_capper_keeps_short_text_byte_for_byte() {
        let mut capper = LineCapper::new(1 << 20);
        let input = "Identity : EX01\\3\r\n\r\nStatus   : Retry\r\n".as_bytes();
        let text = capper.read_all(input).unwrap();
        assert_eq!(text, input);
        assert!(capper.cut.is_empty());
    }
}
