//! Event exports in text: event XML (`wevtutil qe /f:xml`, Event Viewer
//! "Save as XML") and CliXml of `Get-EventLog`. Streamed: their catalogued
//! events go as they are read, as an `.evtx`'s ([`EventStream`]).

use super::event_stream::stream_events;
use super::events::{event_log_source, EventRecords};
use super::text::Content;
use super::{Extracted, IngestOptions, Input, Place, Records, RowSink};
use crate::discover::Artifact;
use crate::model::Source;
use exauth_parsers::detect::{Form, Kind};
use exauth_parsers::event_export;

/// Events the parser hands over at a time.
const EVENTS_AT_A_TIME: usize = 1024;

pub struct EventExportInput;

impl Input for EventExportInput {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::EVENT_EXPORT]
    }

    fn source(&self, _kind: Kind, file_name: &str) -> Option<Source> {
        Some(event_log_source(file_name))
    }

    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        _options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let report = match artifact.detection.form {
            Form::CliXml => {
                let log = event_export::log_name_from_file_name(artifact.origin.file_name());
                event_export::read_clixml_event_log(content.lines(256 << 10), log)
            }
            _ => event_export::read_event_xml(content.lines(256 << 10)),
        };
        Ok(Box::new(EventRecords::new(report)))
    }

    /// Streaming: the records that come back hold no events.
    fn read_into(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        let input = content.lines(256 << 10);
        let records = stream_events(place, options, facts, rows, |each| {
            match artifact.detection.form {
                Form::CliXml => {
                    let log = event_export::log_name_from_file_name(artifact.origin.file_name());
                    event_export::read_clixml_event_log_each(input, log, EVENTS_AT_A_TIME, each)
                }
                _ => event_export::read_event_xml_each(input, EVENTS_AT_A_TIME, each),
            }
        });
        Ok(Box::new(records))
    }
}
