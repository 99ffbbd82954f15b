//! Queue exports (Get-Queue in any form, TRANSPORTQUEUE logs) → queue facts.

use super::{Evidence, Fact, TimeBasis};
use crate::evidence::from_events::IdentityHint;
use crate::model::{canonical_ip, Role};
use exauth_parsers::problem::Location;
use exauth_parsers::queue::{QueueExport, SmtpResponse};

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
    export: &QueueExport,
    artifact_origin: &str,
    fallback_server: Option<&str>,
    out: &mut Vec<Evidence>,
    hints: &mut Vec<IdentityHint>,
) {
    for queue in &export.queues {
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
        });
    }
}
