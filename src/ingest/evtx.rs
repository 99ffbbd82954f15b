//! `.evtx`: the binary Windows event log, read with random access (from
//! disk, or from memory for an entry of an archive).

use super::events::{event_log_source, EventRecords};
use super::text::Content;
use super::{IngestOptions, Input, Records};
use crate::discover::Artifact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::evtx::{self, EventFileReport, EvtxReadOptions};
use exauth_parsers::problem::{Location, Problem};
use std::io::Read;

pub struct EvtxInput;

impl Input for EvtxInput {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::EVTX]
    }

    fn source(&self, _kind: Kind, file_name: &str) -> Option<Source> {
        Some(event_log_source(file_name))
    }

    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        Ok(Box::new(EventRecords(read_evtx(
            artifact,
            content.raw(),
            options,
        ))))
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
