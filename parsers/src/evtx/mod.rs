//! Windows event evidence from `.evtx` files: the catalogued events, typed, and counts
//! of everything else.
//!
//! Why not just render every record with the evtx crate: a DC's Security log is
//! millions of records, almost none of which matter to an authentication diagnosis.
//! [`read`] walks the chunks itself (in the crate's chunk order, with the crate's chunk
//! headers, into reused buffers), reads each record's template-instance substitution
//! array with a small BinXML reader ([`binxml`]), decides from provider + EventID (and,
//! for successful authentication audits, four data items) whether the record is
//! catalogued ([`catalog`]), and only then decodes it ([`records`]). A record that is
//! only counted costs no allocation. Records whose shape the fast reader does not
//! understand are rendered by the crate and read from its JSON, so
//! nothing readable is lost. Broken files (bad chunk magic, bad CRCs, truncation,
//! zero-size records, broken string caches) become [`Problem`](crate::problem::Problem)s, never panics.
//!
//! Output is deterministic: events are sorted by (time, record id), counts by
//! (provider, EventID), whatever the thread timing.

mod binxml;
pub mod catalog;
mod read;
pub mod records;
mod zones;

pub use catalog::{
    audit_success, classify, is_counted_success, AuditOutcome, AuditSuccess, Family,
    AUDIT_OUTCOME_ITEMS,
};
pub use read::{
    read_evtx_bytes, read_evtx_path, read_evtx_reader, read_evtx_reader_each,
    read_evtx_reader_mapped, ChunkIds, EvtxReadOptions, MapEvents,
};
pub use records::{
    extract_ntstatus, kerberos_error_name, parse_bias_zone, parse_kerberos_time, strip_ipv4_mapped,
    DfsrEvent, DirectoryServiceEvent, EventDetails, EventLogEvent, EventRecord,
    ExchangeTransportEvent, KdcEvent, KerberosClientEvent, LsaSrvEvent, NetlogonEvent,
    SchannelEvent, SecurityAuditEvent, TimeProvenance, TimeServiceEvent,
};
pub use zones::windows_zone_to_iana;

use crate::problem::Problems;
pub(crate) use binxml::parse_number;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// One `<Data>` item of an event: named (manifest events) or positional (classic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataItem {
    pub name: Option<String>,
    pub value: String,
}

/// How many events one (provider, EventID) pair had.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EventCount {
    pub provider: String,
    pub event_id: u16,
    pub count: u64,
}

/// Everything read from one event source (an `.evtx` file, an event XML or CliXml export).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventFileReport {
    /// Records (events) read, catalogued or not.
    pub records_read: u64,
    /// Catalogued events, sorted by (time, record id).
    pub events: Vec<EventRecord>,
    /// Catalogued events per (provider, EventID).
    pub catalogued_counts: Vec<EventCount>,
    /// All other events per (provider, EventID).
    pub other_counts: Vec<EventCount>,
    /// Successful authentication audits of catalogued pairs that were only counted, per
    /// (provider, EventID) (see [`is_counted_success`]).
    pub counted_successes: Vec<EventCount>,
    /// Records that needed the crate's rendering because the fast reader could not read them.
    pub rendered_fallbacks: u64,
    /// What was skipped or damaged, with where.
    pub problems: Problems,
    /// Chunks that repeat, byte for byte, a chunk read before them in the file: set aside
    /// unread (their records are the ones read already).
    pub repeated_chunks: u64,
    /// The records those chunks hold (as read from the chunk they repeat): not counted again.
    pub duplicate_records: u64,
    /// The EventRecordIDs of the file, first to last, when the records read are exactly
    /// every id in that range (no gap, none read twice, none the fast reader left to the
    /// crate's rendering): what the file holds (`.evtx` only). Copies of a log are told
    /// apart chunk by chunk ([`ChunkIds`]), which a file with gaps has too.
    pub record_ids: Option<(u64, u64)>,
}

/// The fields every input produces before the catalog decision; decoded into an
/// [`EventRecord`] only when catalogued.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RawEvent {
    pub provider: String,
    pub event_source_name: Option<String>,
    pub event_id: u16,
    pub qualifiers: Option<u16>,
    pub level: Option<u8>,
    pub time: Option<Timestamp>,
    pub utc_offset_seconds: Option<i32>,
    pub record_id: Option<u64>,
    pub channel: String,
    pub computer: String,
    pub data: Vec<DataItem>,
    /// `<Binary>` as hex text.
    pub binary: Option<String>,
    /// Rendered message text (CliXml only).
    pub message: Option<String>,
}

impl RawEvent {
    /// Set the EventID from a raw number: the low 16 bits; a full classic message id
    /// also gives the Qualifiers (high 16 bits) when they are not given separately.
    pub(crate) fn set_event_id(&mut self, raw: u64) {
        self.event_id = (raw & 0xFFFF) as u16;
        let high = ((raw >> 16) & 0xFFFF) as u16;
        if high != 0 && self.qualifiers.is_none() {
            self.qualifiers = Some(high);
        }
    }
}

/// The order of a report's events: by (time, record id, EventID); a stable sort by it
/// keeps reading order among equals. [`read_evtx_reader_each`] hands events over
/// unsorted; a caller that needs the report's order sorts them by this.
pub fn event_order(event: &EventRecord) -> (Option<Timestamp>, Option<u64>, u16) {
    (event.time, event.record_id, event.event_id)
}

/// Accumulates events and counts from any input, then produces a sorted report.
#[derive(Debug, Default)]
pub(crate) struct ReportBuilder {
    pub records_read: u64,
    pub events: Vec<EventRecord>,
    pub catalogued: Counts,
    pub other: Counts,
    pub successes: Counts,
    pub rendered_fallbacks: u64,
    pub problems: Problems,
    pub repeated_chunks: u64,
    pub duplicate_records: u64,
    pub ids: IdSpan,
    /// The ids of the records read, while one chunk is read (a chunk's builder
    /// only: a file's merges none), for [`ChunkIds`].
    pub chunk_ids: Vec<u64>,
}

/// The record ids read, as their smallest, largest and number (see
/// [`EventFileReport::record_ids`]).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdSpan {
    pub min: u64,
    pub max: u64,
    pub count: u64,
    /// Some records were read without their id being noted.
    pub unknown: bool,
}

impl IdSpan {
    pub(crate) fn see(&mut self, id: u64) {
        if self.count == 0 {
            (self.min, self.max) = (id, id);
        } else {
            self.min = self.min.min(id);
            self.max = self.max.max(id);
        }
        self.count += 1;
    }

    fn merge(&mut self, other: IdSpan) {
        if other.count > 0 {
            if self.count == 0 {
                (self.min, self.max) = (other.min, other.max);
            } else {
                self.min = self.min.min(other.min);
                self.max = self.max.max(other.max);
            }
            self.count += other.count;
        }
        self.unknown |= other.unknown;
    }

    /// The range, when `records` ids were read and they fill it.
    fn dense(&self, records: u64) -> Option<(u64, u64)> {
        let span = self.max.checked_sub(self.min)?.checked_add(1)?;
        (!self.unknown && self.count > 0 && self.count == records && span == self.count)
            .then_some((self.min, self.max))
    }
}

impl ReportBuilder {
    /// The ids of a chunk's records read, as the sorted, disjoint ranges they
    /// fill ([`ChunkIds`]).
    pub(crate) fn chunk_ranges(&mut self) -> ChunkIds {
        let mut ids = std::mem::take(&mut self.chunk_ids);
        ids.sort_unstable();
        ids.dedup();
        let mut ranges: ChunkIds = Vec::new();
        for id in ids {
            match ranges.last_mut() {
                Some((_, last)) if last.checked_add(1) == Some(id) => *last = id,
                _ => ranges.push((id, id)),
            }
        }
        ranges
    }

    pub(crate) fn count_other(&mut self, provider: &str, event_id: u16) {
        self.records_read += 1;
        bump(&mut self.other, provider, event_id);
    }

    pub(crate) fn count_success(&mut self, provider: &str, event_id: u16) {
        self.records_read += 1;
        bump(&mut self.successes, provider, event_id);
    }

    /// Count an event and, when catalogued, decode and keep it (a computer-account
    /// success with only the items the rule read, see [`catalog`]).
    pub(crate) fn add(&mut self, mut raw: RawEvent, provenance: TimeProvenance) {
        let family = classify(&raw.provider, raw.event_id);
        if family == Some(Family::SecurityAudit) {
            let outcome = audit_outcome(&raw.data);
            match audit_success(&raw.provider, raw.event_id, &outcome) {
                Some(AuditSuccess::Counted) => {
                    self.count_success(&raw.provider, raw.event_id);
                    return;
                }
                Some(AuditSuccess::ComputerAccount) => {
                    let items = outcome_items(&outcome);
                    raw.data = items;
                    raw.binary = None;
                }
                Some(AuditSuccess::SmtpService) | None => {}
            }
        }
        match family {
            Some(family) => {
                self.records_read += 1;
                bump(&mut self.catalogued, &raw.provider, raw.event_id);
                self.events.push(records::decode(raw, family, provenance));
            }
            None => self.count_other(&raw.provider, raw.event_id),
        }
    }

    pub(crate) fn merge(&mut self, other: ReportBuilder) {
        self.records_read += other.records_read;
        self.events.extend(other.events);
        for (mine, theirs) in [
            (&mut self.catalogued, other.catalogued),
            (&mut self.other, other.other),
            (&mut self.successes, other.successes),
        ] {
            for (provider, ids) in theirs {
                let entry = mine.entry(provider).or_default();
                for (id, n) in ids {
                    *entry.entry(id).or_default() += n;
                }
            }
        }
        self.rendered_fallbacks += other.rendered_fallbacks;
        self.problems.extend(other.problems);
        self.ids.merge(other.ids);
    }

    pub(crate) fn finish(mut self) -> EventFileReport {
        self.problems.sort_by_key(|p| p.location);
        self.events.sort_by_key(event_order);
        let counts = |m: Counts| {
            m.into_iter()
                .flat_map(|(provider, ids)| {
                    ids.into_iter().map(move |(event_id, count)| EventCount {
                        provider: provider.clone(),
                        event_id,
                        count,
                    })
                })
                .collect()
        };
        EventFileReport {
            records_read: self.records_read,
            events: self.events,
            catalogued_counts: counts(self.catalogued),
            other_counts: counts(self.other),
            counted_successes: counts(self.successes),
            rendered_fallbacks: self.rendered_fallbacks,
            problems: self.problems,
            repeated_chunks: self.repeated_chunks,
            duplicate_records: self.duplicate_records,
            record_ids: self.ids.dense(self.records_read),
        }
    }
}

/// The items [`is_counted_success`] reads, from decoded data items: the first item of
/// each name, as [`records`] looks fields up.
fn audit_outcome(data: &[DataItem]) -> AuditOutcome<'_> {
    AuditOutcome::from_items(AUDIT_OUTCOME_ITEMS.map(|name| {
        data.iter()
            .find(|d| {
                d.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .map(|d| d.value.as_str())
    }))
}

/// The items of an outcome as data items (the data of a computer-account success), named
/// as in [`AUDIT_OUTCOME_ITEMS`], in that order, absent ones left out.
pub(crate) fn outcome_items(outcome: &AuditOutcome<'_>) -> Vec<DataItem> {
    let values = [
        outcome.status,
        outcome.service_name,
        outcome.target_user_name,
        outcome.ip_address,
    ];
    AUDIT_OUTCOME_ITEMS
        .iter()
        .zip(values)
        .filter_map(|(name, value)| {
            value.map(|value| DataItem {
                name: Some((*name).to_string()),
                value: value.to_string(),
            })
        })
        .collect()
}

/// Counts per provider, then per EventID (nested so lookups need no allocation).
pub(crate) type Counts = BTreeMap<String, BTreeMap<u16, u64>>;

fn bump(map: &mut Counts, provider: &str, event_id: u16) {
    match map.get_mut(provider) {
        Some(ids) => *ids.entry(event_id).or_default() += 1,
        None => {
            map.entry(provider.to_string())
                .or_default()
                .insert(event_id, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk's ids read, in any order and once more, as the ranges they
    /// fill; none read, none claimed.
    #[test]
    fn chunk_ids_read_become_the_ranges_they_fill() {
        let mut chunk = ReportBuilder {
            chunk_ids: vec![7, 3, 4, 5, 9, 10, 4, u64::MAX, u64::MAX - 1],
            ..ReportBuilder::default()
        };
        assert_eq!(
            chunk.chunk_ranges(),
            [(3, 5), (7, 7), (9, 10), (u64::MAX - 1, u64::MAX)]
        );
        assert!(chunk.chunk_ranges().is_empty(), "taken");
    }
}
