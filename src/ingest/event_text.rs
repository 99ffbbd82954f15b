//! Events handed over as text: Event Viewer "Copy details as text" (English,
//! German, Dutch, French captions), Server 2003-style copies, `wevtutil qe
//! /f:text`, `Get-WinEvent`/`Get-EventLog` renderings and Event Viewer CSV —
//! the same catalogued events as an `.evtx`, from their captions, their
//! `Event Xml:` block when present, or their message text alone.
//!
//! Streamed ([`Input::read_into`]): the text is spooled (memory while small,
//! a temporary file beyond) and read twice, a line at a time — its dates
//! first, for the one day/month order of the file, then its events, whose
//! facts go as an `.evtx`'s go ([`EventStream`]). A text of any size reads in
//! the same memory.

use super::event_stream::stream_events;
use super::events::{event_log_source, EventRecords};
use super::text::Content;
use super::{Extracted, IngestOptions, Input, Place, Records, RowSink};
use crate::discover::Artifact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::event_text;

/// Events the parser hands over at a time.
const EVENTS_AT_A_TIME: usize = 1024;

pub struct EventTextInput;

impl Input for EventTextInput {
    fn kinds(&self) -> &'static [Kind] {
        &[event_text::KIND]
    }

    fn source(&self, _kind: Kind, file_name: &str) -> Option<Source> {
        Some(event_log_source(file_name))
    }

    /// The whole report, every catalogued event kept (a text read whole: a
    /// transcript's part).
    fn read(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let text = content.text()?;
        Ok(Box::new(EventRecords::new(event_text::parse(
            &text,
            options.date_order,
        ))))
    }

    /// Streaming: the records that come back hold no events.
    fn read_into(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        let mut text = content.spooled_text()?;
        let records = stream_events(place, options, facts, rows, |each| {
            event_text::read_events(&mut text, options.date_order, EVENTS_AT_A_TIME, each)
        });
        Ok(Box::new(records))
    }
}
