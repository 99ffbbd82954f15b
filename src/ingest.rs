//! Ingest: hands each discovered artifact to the parser for its kind.
//!
//! The one place that maps a detected kind to a parser (one arm per kind).
//! Parsers get decoded UTF-8 text or, for `.evtx`, random access to the
//! bytes. What comes back is the parser's records plus the problems found;
//! the caller turns records into evidence (scan) or writes them (extract).

use crate::discover::Artifact;
use crate::inventory::{Collector, Row, Status};
use exauth_parsers::detect::{Form, Kind};
use exauth_parsers::encoding::{utf8_reader, TextEncoding};
use exauth_parsers::evtx::{self, EventFileReport, EvtxReadOptions};
use exauth_parsers::problem::Problem;
use exauth_parsers::event_export;
use std::io::{BufReader, Read};

/// How to run the parsers.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Threads a single large `.evtx` may use (the run's thread count).
    pub threads: usize,
    /// Files at least this large get `threads` workers; smaller ones one
    /// (they are already read in parallel with each other).
    pub big_file_bytes: u64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            threads: 1,
            big_file_bytes: 64 << 20,
        }
    }
}

/// The records one artifact yielded.
#[derive(Debug)]
pub enum Records {
    Events(EventFileReport),
}

/// One artifact after parsing.
#[derive(Debug)]
pub struct Ingested {
    /// The inventory row (status `error` when the parser could read nothing).
    pub row: Row,
    pub records: Option<Records>,
    pub problems: Vec<Problem>,
}

/// Parses one artifact with the parser for its kind.
pub fn ingest(artifact: &Artifact<'_>, content: &mut dyn Read, options: &IngestOptions) -> Ingested {
    let detection = &artifact.detection;
    let records = match (detection.kind, detection.form) {
        (Kind::Evtx, _) => Some(Records::Events(read_evtx(artifact, content, options))),
        (Kind::EventExport, Form::EventXml) => {
            let text = text_reader(content, detection.encoding);
            Some(Records::Events(event_export::read_event_xml(text)))
        }
        (Kind::EventExport, Form::CliXml) => {
            let log = event_export::log_name_from_file_name(artifact.origin.file_name());
            let text = text_reader(content, detection.encoding);
            Some(Records::Events(event_export::read_clixml_event_log(text, log)))
        }
        _ => None,
    };
    let mut row = Collector::row_for(artifact, &mut std::io::empty());
    let problems = match &records {
        Some(Records::Events(report)) => report.problems.clone(),
        None => Vec::new(),
    };
    if let Some(Records::Events(report)) = &records {
        if report.records_read == 0 && !report.problems.is_empty() {
            row.status = Status::Error;
            row.reason = Some(problems_summary(&report.problems));
        } else if !report.problems.is_empty() {
            row.reason = Some(format!(
                "{} records read; {}",
                report.records_read,
                problems_summary(&report.problems)
            ));
        }
    }
    Ingested {
        row,
        records,
        problems,
    }
}

fn problems_summary(problems: &[Problem]) -> String {
    let first = problems.first().map(ToString::to_string).unwrap_or_default();
    match problems.len() {
        0 => String::new(),
        1 => first,
        n => format!("{first} (and {} more problems)", n - 1),
    }
}

fn text_reader<'r>(content: &'r mut dyn Read, encoding: Option<TextEncoding>) -> BufReader<Box<dyn Read + 'r>> {
    BufReader::with_capacity(256 << 10, utf8_reader(content, encoding.unwrap_or(TextEncoding::Utf8)))
}

fn read_evtx(artifact: &Artifact<'_>, content: &mut dyn Read, options: &IngestOptions) -> EventFileReport {
    let size = artifact.size.unwrap_or(0);
    let threads = if size >= options.big_file_bytes { options.threads.max(1) } else { 1 };
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
