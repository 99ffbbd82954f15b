//! Records read twice inside one artifact, set aside before they become
//! evidence: an event whose (Computer, channel, EventRecordID) was read
//! earlier in the same file — a chunk repeated with other bytes around it,
//! an XML export that lists a record twice. (A chunk repeated byte for byte
//! is set aside by the `.evtx` reader before it is even read.)
//!
//! Memory is bounded by ranges, not ids: the record ids of a log run on one
//! after another, so a stream's ids seen are a handful of ranges however
//! many records it has. A hostile file of scattered ids stops being
//! remembered at [`MAX_RANGES`] ranges a stream: what comes after is read
//! (never set aside on a guess).

use exauth_parsers::evtx::EventRecord;
use exauth_parsers::problem::thousands;
use std::collections::BTreeMap;

/// Ranges of ids kept per stream.
pub const MAX_RANGES: usize = 1 << 16;

/// A set of ids as inclusive ranges.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IdRanges {
    /// Start → end (inclusive), disjoint and not touching.
    ranges: BTreeMap<u64, u64>,
}

impl IdRanges {
    pub fn contains(&self, id: u64) -> bool {
        self.ranges
            .range(..=id)
            .next_back()
            .is_some_and(|(_, end)| id <= *end)
    }

    /// Adds `id`; false when it was there already. Once [`MAX_RANGES`]
    /// ranges are held, an id that would need a new one is not remembered.
    pub fn insert(&mut self, id: u64) -> bool {
        let before = self.ranges.range(..=id).next_back().map(|(s, e)| (*s, *e));
        if let Some((_, end)) = before {
            if id <= end {
                return false;
            }
        }
        let joins_before = before.filter(|(_, end)| end.checked_add(1) == Some(id));
        let after = id
            .checked_add(1)
            .and_then(|next| self.ranges.get(&next).map(|end| (next, *end)));
        match (joins_before, after) {
            (Some((start, _)), Some((next, end))) => {
                self.ranges.remove(&next);
                self.ranges.insert(start, end);
            }
            (Some((start, _)), None) => {
                self.ranges.insert(start, id);
            }
            (None, Some((next, end))) => {
                self.ranges.remove(&next);
                self.ranges.insert(id, end);
            }
            (None, None) if self.ranges.len() < MAX_RANGES => {
                self.ranges.insert(id, id);
            }
            (None, None) => {}
        }
        true
    }

    /// The ranges, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().map(|(s, e)| (*s, *e))
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// The events of one artifact seen so far, per (Computer, channel) as the
/// records spell them.
#[derive(Debug, Default)]
pub struct EventsSeen {
    streams: Vec<(String, String, IdRanges)>,
    /// Events set aside as seen before.
    pub set_aside: u64,
}

impl EventsSeen {
    /// True the first time an event's record is seen; an event without a
    /// record id is always new.
    pub fn first_time(&mut self, event: &EventRecord) -> bool {
        let Some(id) = event.record_id else {
            return true;
        };
        let at = match self.streams.iter().position(|(computer, channel, _)| {
            *computer == event.computer && *channel == event.channel
        }) {
            Some(at) => at,
            None => {
                self.streams.push((
                    event.computer.clone(),
                    event.channel.clone(),
                    IdRanges::default(),
                ));
                self.streams.len() - 1
            }
        };
        let new = self.streams[at].2.insert(id);
        if !new {
            self.set_aside += 1;
        }
        new
    }
}

/// The coverage words for events set aside in one file: `3,012 duplicate
/// events (same EventRecordID) set aside`, and how many whole chunks
/// repeated others.
pub fn events_note(events: u64, chunks: u64) -> Option<String> {
    if events == 0 && chunks == 0 {
        return None;
    }
    let mut note = format!(
        "{} duplicate event{} (same EventRecordID) set aside",
        thousands(events),
        if events == 1 { "" } else { "s" }
    );
    if chunks > 0 {
        note.push_str(&format!(
            ": {} chunk{} repeating earlier ones",
            thousands(chunks),
            if chunks == 1 { "" } else { "s" }
        ));
    }
    Some(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_order_are_one_range() {
        let mut ids = IdRanges::default();
        for id in 1..=100_000 {
            assert!(ids.insert(id));
        }
        assert_eq!(ids.len(), 1);
        assert!(!ids.insert(50_000));
        assert!(ids.contains(1) && ids.contains(100_000) && !ids.contains(100_001));
    }

    #[test]
    fn ranges_join_from_both_sides() {
        let mut ids = IdRanges::default();
        for id in [10, 12, 14, 11, 13, 9, 15, u64::MAX, 0] {
            assert!(ids.insert(id), "{id}");
        }
        assert_eq!(
            ids.iter().collect::<Vec<_>>(),
            [(0, 0), (9, 15), (u64::MAX, u64::MAX)]
        );
        for id in [0, 9, 12, 15, u64::MAX] {
            assert!(!ids.insert(id), "{id}");
        }
    }

    #[test]
    fn scattered_ids_stop_being_remembered_never_set_aside() {
        let mut ids = IdRanges::default();
        for i in 0..(MAX_RANGES as u64 + 10) {
            assert!(ids.insert(i * 2));
        }
        assert_eq!(ids.len(), MAX_RANGES);
        // Beyond the cap: still new, never a guess.
        let late = (MAX_RANGES as u64 + 5) * 2;
        assert!(ids.insert(late));
        assert!(ids.insert(late));
    }

    fn event(computer: &str, channel: &str, record: Option<u64>) -> EventRecord {
        use exauth_parsers::evtx::{EventDetails, EventLogEvent, Family, TimeProvenance};
        EventRecord {
            time: None,
            time_provenance: TimeProvenance::NativeUtc,
            utc_offset_seconds: None,
            computer: computer.into(),
            channel: channel.into(),
            provider: String::new(),
            event_id: 4771,
            qualifiers: None,
            record_id: record,
            level: None,
            family: Family::EventLog,
            details: EventDetails::EventLog(EventLogEvent::default()),
            data: Vec::new(),
        }
    }

    /// A record is the same record only on the same Computer and channel:
    /// forwarded events of two machines share ids.
    #[test]
    fn a_record_is_keyed_by_computer_channel_and_id() {
        let mut seen = EventsSeen::default();
        let events = [
            (event("DC01.contoso.com", "Security", Some(7)), true),
            (event("DC01.contoso.com", "Security", Some(7)), false),
            (event("DC02.contoso.com", "Security", Some(7)), true),
            (event("DC01.contoso.com", "System", Some(7)), true),
            (event("DC01.contoso.com", "Security", None), true),
            (event("DC01.contoso.com", "Security", None), true),
            (event("DC01.contoso.com", "Security", Some(8)), true),
            (event("DC01.contoso.com", "Security", Some(8)), false),
        ];
        for (i, (e, new)) in events.iter().enumerate() {
            assert_eq!(seen.first_time(e), *new, "event {i}");
        }
        assert_eq!(seen.set_aside, 2);
    }

    #[test]
    fn notes() {
        assert_eq!(events_note(0, 0), None);
        assert_eq!(
            events_note(3012, 2).as_deref(),
            Some("3,012 duplicate events (same EventRecordID) set aside: 2 chunks repeating earlier ones")
        );
        assert_eq!(
            events_note(1, 0).as_deref(),
            Some("1 duplicate event (same EventRecordID) set aside")
        );
    }
}
