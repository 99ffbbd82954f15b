//! `w32tm /stripchart`, `/monitor` and `/query /status` output: clock
//! offsets against the peer or the PDC, and where the server takes its time.
//!
//! Streamed ([`Input::read_into`]): a stripchart left running for days holds
//! millions of offsets, one a line; the text is spooled and each offset
//! becomes a fact as it is read (the pipeline keeps a sample of them), so a
//! stripchart of any length reads in the same memory.

use super::diag::short;
use super::text::Content;
use super::{untimed, Extracted, IngestOptions, Input, Place, Records, RowSink, HAND_OVER_AT};
use crate::discover::Artifact;
use crate::evidence::Fact;
use crate::evidence::IdentityHint;
use crate::evidence::{Evidence, TimeBasis};
use crate::model::Source;
use crate::model::{ClockBasis, Role};
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::w32tm::{self, ClockMeasurement, ClockSourceKind, W32tmOutput};
use exauth_parsers::problem::Problems;
use std::net::IpAddr;

/// The input of w32tm outputs (one line in `ingest::INPUTS`).
pub struct W32tmInput;

impl Input for W32tmInput {
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::W32TM]
    }

    fn source(&self, _kind: Kind, _file_name: &str) -> Option<Source> {
        Some(Source::W32tm)
    }

    /// The whole output, every measurement kept (a text read whole: a
    /// transcript's part).
    fn read(
        &self,
        _artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let text = content.text()?;
        Ok(Box::new(W32tmRecords(w32tm::parse(
            &text,
            options.date_order,
        ))))
    }

    /// Streaming: the stripchart's offsets become facts as they are read;
    /// the records that come back hold the rest (monitor, status, source).
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
        let mut offsets = Offsets::default();
        let output = w32tm::read(&mut text, options.date_order, &mut |m| {
            offsets.push(&m, place, facts);
        });
        let records = W32tmRecords(output);
        records.extract(place, facts);
        Ok(Box::new(records))
    }
}

/// One w32tm output.
#[derive(Debug)]
pub struct W32tmRecords(pub W32tmOutput);

/// Clock measurements made facts, one at a time.
#[derive(Default)]
struct Offsets {
    /// A stripchart names its peer on every line: one hint for a run of
    /// lines naming the same peer at the same address.
    last_hint: Option<(String, IpAddr)>,
}

impl Offsets {
    fn push(&mut self, m: &ClockMeasurement, place: Place<'_>, out: &mut Extracted) {
        // A stripchart left running for days measures hundreds of
        // thousands of offsets; the pipeline keeps a sample of them.
        out.hand_over_when_holding(HAND_OVER_AT);
        let Some(offset) = m.offset_seconds else {
            return;
        };
        let (local, remote) = match m.kind {
            // /monitor: each host's offset from the reference (the PDC).
            ClockSourceKind::Monitor => (
                m.reference.as_deref().and_then(short),
                m.target.as_deref().and_then(short),
            ),
            _ => (
                place.server.map(str::to_string),
                m.target.as_deref().and_then(short),
            ),
        };
        let Some(local) = local else { return };
        if let (Some(target), Some(addr)) = (&m.target, m.target_address.as_deref()) {
            if let Ok(ip) = addr.split(':').next().unwrap_or(addr).parse() {
                let same = self
                    .last_hint
                    .as_ref()
                    .is_some_and(|(t, at)| t == target && *at == ip);
                if !same {
                    self.last_hint = Some((target.clone(), ip));
                    out.hints.push(IdentityHint::HostAt {
                        host: target.clone(),
                        ip,
                        role: Role::Unknown,
                    });
                }
            }
        }
        out.evidence.push(Evidence {
            server: Some(local),
            time: None,
            time_basis: TimeBasis::None,
            origin: crate::model::origin_at(place.origin, m.line),
            fact: Fact::ClockSample {
                basis: ClockBasis::W32tm,
                remote_server: remote,
                remote_ip: None,
                offset_s: offset,
            },
            local_time: m.sample_time,
            corrected: None,
            represents: 1,
        });
    }
}

impl Records for W32tmRecords {
    fn problems(&self) -> &Problems {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let push = |line: Option<u64>, fact: Fact, out: &mut Extracted| {
            out.evidence.push(untimed(place, line, fact))
        };
        let _ = &push;
        let mut offsets = Offsets::default();
        for m in &self.0.measurements {
            offsets.push(m, place, out);
        }
        // Where the clock takes its time from: `/query /status`, or
        // `/query /source` and `/query /configuration` alone. A local CMOS or
        // free-running clock, or `Type: NoSync`, is nobody's correction.
        let local = self
            .0
            .source_kind
            .as_ref()
            .is_some_and(|k| k.is_local_clock())
            || self.0.configured_type() == Some(&w32tm::TimeSyncType::NoSync);
        match &self.0.status {
            Some(status) => push(
                None,
                Fact::TimeSyncStatus {
                    source: status.source.clone(),
                    synchronized: status.synchronized,
                    local_clock: status.local_clock_source || local,
                },
                out,
            ),
            None if self.0.query_source.is_some() || self.0.configuration.is_some() => push(
                None,
                Fact::TimeSyncStatus {
                    source: self.0.query_source.clone(),
                    synchronized: None,
                    local_clock: local,
                },
                out,
            ),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exauth_parsers::queue::DateOrderOption;

    /// A stripchart of more offsets than an input holds before handing them
    /// over: every offset becomes a clock sample of EX02 against DC01, handed
    /// over a part at a time in line order, and the peer's address is hinted
    /// once, not once a line.
    #[test]
    fn a_long_stripchart_is_handed_over_in_parts_with_one_hint() {
        let samples = HAND_OVER_AT * 2 + 5;
        let mut text = String::from(
            "Tracking DC01.contoso.com [10.0.0.10:123].\nThe current time is 11/26/2026 4:11:00 AM.\n",
        );
        for i in 0..samples {
            let t = 4 * 3600 + 11 * 60 + 2 * i;
            text.push_str(&format!(
                "{:02}:{:02}:{:02}, -420.0000000s\n",
                t / 3600 % 24,
                t / 60 % 60,
                t % 60
            ));
        }
        let records = W32tmRecords(w32tm::parse(&text, DateOrderOption::Infer));
        let place = Place {
            origin: "EX02/EX02_w32tm-stripchart-DC01.txt",
            server: Some("EX02"),
        };
        let (parts, rest, hints) = crate::ingest::extract_in_parts(&records, place);
        assert_eq!(parts.len(), 2, "two full parts handed over while read");
        let all: Vec<Evidence> = parts.into_iter().flatten().chain(rest).collect();
        assert_eq!(all.len(), samples);
        for (i, e) in all.iter().enumerate() {
            assert_eq!(e.server.as_deref(), Some("EX02"));
            assert_eq!(e.origin, format!("{}:{}", place.origin, i + 3));
            assert!(
                matches!(&e.fact, Fact::ClockSample { basis: ClockBasis::W32tm, remote_server: Some(peer), offset_s, .. }
                    if peer == "DC01" && *offset_s == -420.0),
                "{:?}",
                e.fact
            );
        }
        assert_eq!(hints.len(), 1, "the peer's address hinted once");
    }
}
