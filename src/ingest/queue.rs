//! Queue exports (Get-Queue / Get-Message in any form: Format-List,
//! Export-Csv, JSON, CliXml, Queue Viewer lists; TRANSPORTQUEUE logs) →
//! one fact per queue with a last error.

use super::text::Content;
use super::{Extracted, IngestOptions, Input, Place, Records, RowSink};
use crate::discover::Artifact;
use crate::evidence::{Evidence, Fact, IdentityHint, TimeBasis};
use crate::model::Source;
use crate::model::{canonical_ip, Role};
use exauth_parsers::detect::Kind;
use exauth_parsers::problem::{Location, Problems};
use exauth_parsers::queue::records::not_a_queue_export;
use exauth_parsers::queue::{parse_queue_export, ExportForm, QueueExportOptions};
use exauth_parsers::queue::{QueueExport, QueueRecord, SmtpResponse};

pub struct QueueInput;

impl Input for QueueInput {
    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::QUEUE_EXPORT,
            Kind::MESSAGE_EXPORT,
            Kind::TRANSPORT_QUEUE_LOG,
        ]
    }

    fn source(&self, kind: Kind, _file_name: &str) -> Option<Source> {
        (kind != Kind::MESSAGE_EXPORT).then_some(Source::QueueExport)
    }

    fn read(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let text = content.text()?;
        Ok(Box::new(QueueRecords(parse_queue_export(
            &text,
            export_options(options),
        ))))
    }

    /// Streaming, every form (a `Get-Message` of a queue thousands of
    /// messages deep, in `Format-List`, `Export-Csv`, JSON — one line or many
    /// —, CliXml, a Queue Viewer list; the queue log): spooled and read in
    /// passes, its facts handed over as they come.
    fn read_into(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        _rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        let mut text = content.spooled_text()?;
        let Some(form) = ExportForm::detect(&text.head()?) else {
            return Ok(Box::new(QueueRecords(not_a_queue_export())));
        };
        let mut read = 0;
        let export = form.read_in_passes(
            &mut text,
            export_options(options),
            QUEUES_AT_A_TIME,
            &mut |queues, messages| {
                read += queues.len() + messages.len();
                queue_evidence(
                    &queues,
                    place.origin,
                    place.server,
                    &mut facts.evidence,
                    &mut facts.hints,
                );
                facts.hand_over_when_holding(options.hand_over_at);
            },
        );
        Ok(Box::new(StreamedQueues {
            problems: export.problems,
            read,
        }))
    }
}

/// Queues and messages the parser hands over at a time.
const QUEUES_AT_A_TIME: usize = 256;

fn export_options(options: &IngestOptions) -> QueueExportOptions {
    QueueExportOptions {
        date_order: options.date_order,
        ..QueueExportOptions::default()
    }
}

/// What a streamed export leaves once its facts are out: its problems and
/// how many queues and messages it held.
#[derive(Debug)]
struct StreamedQueues {
    problems: Problems,
    read: usize,
}

impl Records for StreamedQueues {
    fn problems(&self) -> &Problems {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.read == 0
    }

    fn extract(&self, _place: Place<'_>, _out: &mut Extracted) {}
}

/// The queues and messages of one export.
#[derive(Debug)]
pub struct QueueRecords(pub QueueExport);

impl Records for QueueRecords {
    fn problems(&self) -> &Problems {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.queues.is_empty() && self.0.messages.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        queue_evidence(
            &self.0.queues,
            place.origin,
            place.server,
            &mut out.evidence,
            &mut out.hints,
        );
    }
}

/// `451 4.4.0` (codes only) or the whole response with its text.
pub fn response_text(response: &SmtpResponse, with_text: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(code) = response.code {
        parts.push(code.to_string());
    }
    if let Some(enhanced) = &response.enhanced_code {
        parts.push(enhanced.to_string());
    }
    if with_text || parts.is_empty() {
        let text = response
            .text
            .trim()
            .trim_end_matches('.')
            .trim_end_matches(':');
        if !text.is_empty() {
            parts.push(text.to_string());
        }
    }
    parts.join(" ")
}

/// One fact per queue that has a last error.
pub fn queue_evidence(
    queues: &[QueueRecord],
    artifact_origin: &str,
    fallback_server: Option<&str>,
    out: &mut Vec<Evidence>,
    hints: &mut Vec<IdentityHint>,
) {
    for queue in queues {
        let Some(last_error) = &queue.last_error else {
            continue;
        };
        let server = queue
            .server
            .as_deref()
            .map(crate::model::short_name)
            .or_else(|| fallback_server.map(str::to_string));
        if let (Some(fqdn), Some(ip)) = (&last_error.fqdn, last_error.ip) {
            hints.push(IdentityHint::HostAt {
                host: fqdn.clone(),
                ip: canonical_ip(ip),
                role: Role::Exchange,
            });
        }
        let description = last_error.description.as_ref();
        let outer = description.map(|d| response_text(&d.outer, false));
        let inner = description
            .and_then(|d| d.inner.as_ref())
            .map(|r| response_text(r, true));
        let local_time = last_error.retry_time.or(queue.last_retry_time);
        let (time, time_basis) = match queue.snapshot_time {
            Some(t) => (Some(t), TimeBasis::NativeUtc),
            None => (
                None,
                if local_time.is_some() {
                    TimeBasis::ServerLocal
                } else {
                    TimeBasis::None
                },
            ),
        };
        let origin = match queue.location {
            Location::Line(n) => format!("{artifact_origin}:{n}"),
            Location::Record(n) => format!("{artifact_origin}#object {n}"),
            _ => artifact_origin.to_string(),
        };
        out.push(Evidence {
            server,
            time,
            time_basis,
            origin,
            fact: Fact::QueueLastError {
                queue: queue.identity.clone().unwrap_or_default(),
                next_hop: queue.next_hop_domain.clone(),
                target_ip: last_error.target_ip().map(canonical_ip),
                target_fqdn: last_error.fqdn.clone(),
                outer,
                inner,
                truncated: last_error.truncated,
                retry_count: queue.retry_count,
            },
            local_time: if queue.snapshot_time.is_some() {
                None
            } else {
                local_time
            },
            corrected: None,
            represents: 1,
        });
    }
}
