//! Events handed over as text: Event Viewer "Copy details as text" (English,
//! German, Dutch, French captions), Server 2003-style copies, `wevtutil qe
//! /f:text`, `Get-WinEvent`/`Get-EventLog` renderings and Event Viewer CSV —
//! the same catalogued events as an `.evtx`, from their captions, their
//! `Event Xml:` block when present, or their message text alone.

use super::events::{event_log_source, EventRecords};
use super::text::Content;
use super::{IngestOptions, Input, Records};
use crate::discover::Artifact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::event_text;

pub struct EventTextInput;

impl Input for EventTextInput {
    fn kinds(&self) -> &'static [Kind] {
        &[event_text::KIND]
    }

    fn source(&self, _kind: Kind, file_name: &str) -> Option<Source> {
        Some(event_log_source(file_name))
    }

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
}
