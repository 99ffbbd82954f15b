//! The events of one file as an event input takes them in (`.evtx`, events as
//! text): each batch's facts, identity hints and rows prepared together, a record
//! read before set aside, the facts handed to the pipeline a part at a time with
//! the record ids they claim, and the report's order — events by (time, record
//! id, EventID), reading order among equals — restored for the facts by a sort
//! of the facts alone and for the rows by a [`Sorter`] that holds a few MiB and
//! spools the rest: a file of any size costs the same memory.

use super::dedup::{Claim, EventsSeen};
use super::events::EventRecords;
use super::events::{encode_event_row_fast, event_evidence};
use super::spool::Sorter;
use super::{Extracted, IngestOptions, Place, RowSink};
use crate::evidence::{Evidence, IdentityHint};
use exauth_parsers::evtx::{self, event_order, EventFileReport, EventRecord};
use exauth_parsers::problem::{Location, Problem};
use std::collections::BTreeSet;
use std::io;

/// Reads a file's events through an [`EventStream`]: `read` runs the parser,
/// handing its batches of events (in reading order) to the callback it is
/// given; their facts go to `facts` (a part at a time past
/// [`IngestOptions::hand_over_at`]), their rows to the sink. The records that
/// come back hold no events.
pub(super) fn stream_events(
    place: Place<'_>,
    options: &IngestOptions,
    facts: &mut Extracted,
    rows: Option<(&mut dyn RowSink, Place<'_>)>,
    read: impl FnOnce(&mut dyn FnMut(Vec<EventRecord>)) -> EventFileReport,
) -> EventRecords {
    let row_place = rows.as_ref().map(|(sink, at)| (sink.encoding(), *at));
    let mut stream = EventStream::new(rows);
    let report = read(&mut |events| {
        stream.take(Some(Prepared::new(events, place, row_place)), Vec::new());
        if stream.evidence.len() >= options.hand_over_at && facts.hand_over.is_some() {
            stream.hand_over(facts);
        }
    });
    stream.close(report, facts)
}

/// Rows of one file held in memory while they are put in order.
const SORT_MEMORY: usize = 4 << 20;

/// [`event_order`] as bytes that compare the same way: time (sign flipped,
/// big-endian nanoseconds), record id, EventID, absent before present.
type OrderKey = [u8; 28];

fn order_key(event: &EventRecord) -> OrderKey {
    let (time, record, event_id) = event_order(event);
    let mut key = [0u8; 28];
    if let Some(t) = time {
        key[0] = 1;
        key[1..17].copy_from_slice(&(t.as_nanosecond() ^ i128::MIN).to_be_bytes());
    }
    if let Some(r) = record {
        key[17] = 1;
        key[18..26].copy_from_slice(&r.to_be_bytes());
    }
    key[26..28].copy_from_slice(&event_id.to_be_bytes());
    key
}

/// One chunk's events made ready on the thread that decoded them: per event,
/// what the walk needs to set a record read before aside and to order it, and
/// its facts, identity hints and row (encoded), all in one piece each.
pub(super) struct Prepared {
    events: Vec<PreparedEvent>,
    /// The (Computer, channel) pairs of the events.
    streams: Vec<(String, String)>,
    evidence: Vec<Evidence>,
    hints: Vec<IdentityHint>,
    rows: Vec<u8>,
}

struct PreparedEvent {
    record_id: Option<u64>,
    stream: usize,
    key: OrderKey,
    /// Where its facts, hints and row end in the chunk's.
    evidence_end: usize,
    hints_end: usize,
    row_end: usize,
}

impl Prepared {
    pub(super) fn new(
        mut events: Vec<EventRecord>,
        place: Place<'_>,
        rows: Option<(super::RowEncoding, Place<'_>)>,
    ) -> Prepared {
        let mut prepared = Prepared {
            events: Vec::with_capacity(events.len()),
            streams: Vec::new(),
            evidence: Vec::new(),
            hints: Vec::new(),
            rows: Vec::new(),
        };
        for event in &mut events {
            let stream = match prepared
                .streams
                .iter()
                .rposition(|(c, ch)| *c == event.computer && *ch == event.channel)
            {
                Some(at) => at,
                None => {
                    let pair = (event.computer.clone(), event.channel.clone());
                    prepared.streams.push(pair);
                    prepared.streams.len() - 1
                }
            };
            event_evidence(
                event,
                place.origin,
                place.server,
                &mut prepared.evidence,
                &mut prepared.hints,
            );
            if let Some((encoding, at)) = rows {
                encode_event_row_fast(encoding, event, at, &mut prepared.rows);
            }
            prepared.events.push(PreparedEvent {
                record_id: event.record_id,
                stream,
                key: order_key(event),
                evidence_end: prepared.evidence.len(),
                hints_end: prepared.hints.len(),
                row_end: prepared.rows.len(),
            });
        }
        prepared
    }
}

/// The events of one file as the walk takes them in: facts kept (with their
/// event's order), rows sorted on their way to the sink.
pub(super) struct EventStream<'r> {
    rows: Option<(&'r mut dyn RowSink, Sorter)>,
    /// The facts, in reading order, and their event's order with their index: sorting
    /// the small pairs, not the facts, puts them in order.
    pub(super) evidence: Vec<Evidence>,
    order: Vec<(OrderKey, usize)>,
    hints: BTreeSet<IdentityHint>,
    /// Records read so far: one read again is set aside (`ingest::dedup`).
    seen: EventsSeen,
    /// The runs of record ids closed since the facts were last handed over
    /// (see [`Run`]), and the one still growing.
    runs: Vec<Run>,
    run: Option<Run>,
}

/// Chunks whose record ids follow one another: what a file claims of its
/// log, for setting aside the records another file gave ([`Claim`],
/// `ingest::dedup`). A chunk claims the ids of the records read of it — a
/// gap (a record unreadable) ends a run and starts the next —, a chunk of
/// none claims nothing and ends the run. The same claims
/// whether the facts go at the end of the file or a part at a time: a part
/// claims the runs its chunks closed and what the growing run holds, which
/// grows on from there.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    first: u64,
    last: u64,
}

impl<'r> EventStream<'r> {
    pub(super) fn new<'p>(rows: Option<(&'r mut dyn RowSink, Place<'p>)>) -> Self {
        EventStream {
            rows: rows.map(|(sink, _)| (sink, Sorter::new(28, SORT_MEMORY))),
            evidence: Vec::new(),
            order: Vec::new(),
            hints: BTreeSet::new(),
            seen: EventsSeen::default(),
            runs: Vec::new(),
            run: None,
        }
    }

    /// True the first time the record of `event` is seen.
    fn first_time(&mut self, event: &PreparedEvent, streams: &[(String, String)]) -> bool {
        let (computer, channel) = streams
            .get(event.stream)
            .map_or(("", ""), |(c, ch)| (c.as_str(), ch.as_str()));
        self.seen.first_time_in(computer, channel, event.record_id)
    }

    /// Takes in one chunk: its events' facts when it has any, and its ids.
    pub(super) fn take(&mut self, prepared: Option<Prepared>, ids: evtx::ChunkIds) {
        self.run_on(ids);
        let Some(prepared) = prepared else {
            return;
        };
        let Prepared {
            events,
            streams,
            evidence,
            hints,
            rows,
        } = prepared;
        let mut evidence = evidence.into_iter();
        let (mut evidence_at, mut hints_at, mut row_at) = (0, 0, 0);
        for event in &events {
            let facts = evidence.by_ref().take(event.evidence_end - evidence_at);
            if self.first_time(event, &streams) {
                for e in facts {
                    self.order.push((event.key, self.evidence.len()));
                    self.evidence.push(e);
                }
                if let Some(hints) = hints.get(hints_at..event.hints_end) {
                    self.hints.extend(hints.iter().cloned());
                }
                if let (Some((_, sorter)), Some(row)) =
                    (&mut self.rows, rows.get(row_at..event.row_end))
                {
                    sorter.push(&event.key, row);
                }
            } else {
                facts.for_each(drop);
            }
            (evidence_at, hints_at, row_at) = (event.evidence_end, event.hints_end, event.row_end);
        }
    }

    /// The facts so far to the pipeline, with the claims of the chunks they
    /// come from: memory stays flat however many facts the file holds.
    pub(super) fn hand_over(&mut self, facts: &mut Extracted) {
        self.facts_to(facts);
        self.claim_runs(facts, false);
        facts.hand_over_so_far();
    }

    /// A chunk's ids, each range onto the run it follows or a new one.
    fn run_on(&mut self, ids: evtx::ChunkIds) {
        if ids.is_empty() {
            // Claims nothing, and the run before it ends.
            self.runs.extend(self.run.take());
        }
        for (first, last) in ids {
            if let Some(run) = self.run.as_mut() {
                if run.last.checked_add(1) == Some(first) {
                    run.last = last;
                    continue;
                }
            }
            self.runs.extend(self.run.take());
            self.run = Some(Run { first, last });
        }
    }

    /// The runs closed since the last hand-over and what the growing one
    /// holds (all of it at the end of the file, `at_end`), as claims filed
    /// under the file's streams so far ([`EventsSeen::claim_key`]; a claim
    /// sets aside the facts of its ids whatever their stream, and the ids of
    /// a run of chunks are one log's, whatever the Computer of each record).
    /// A part handed over keeps the claims filed under the streams it had:
    /// a copy of the file files its parts alike.
    fn claim_runs(&mut self, facts: &mut Extracted, at_end: bool) {
        if at_end {
            self.runs.extend(self.run.take());
        } else if let Some(run) = self.run.as_mut() {
            self.runs.push(*run);
            match run.last.checked_add(1) {
                // Holds nothing until the next chunk that follows it.
                Some(next) => run.first = next,
                None => self.run = None,
            }
        }
        let runs = std::mem::take(&mut self.runs);
        if let Some((computer, channel)) = self.seen.claim_key() {
            facts.claims.extend(
                runs.into_iter()
                    .filter(|run| run.first <= run.last)
                    .map(|run| Claim {
                        computer: computer.clone(),
                        channel: channel.clone(),
                        first: run.first,
                        last: run.last,
                    }),
            );
        }
    }

    /// The facts kept so far to `facts`, in the report's order of events.
    fn facts_to(&mut self, facts: &mut Extracted) {
        let mut order = std::mem::take(&mut self.order);
        // Among equal keys, reading order (the index): the report's own stable sort.
        order.sort_unstable();
        let mut evidence: Vec<Option<Evidence>> = std::mem::take(&mut self.evidence)
            .into_iter()
            .map(Some)
            .collect();
        facts.evidence.reserve(order.len());
        facts.evidence.extend(
            order
                .iter()
                .filter_map(|(_, i)| evidence.get_mut(*i)?.take()),
        );
    }

    /// The end of the file: what is left to `facts` and the rows to their
    /// sink; the report with the records set aside counted (and a problem if
    /// the rows could not be put in order), as the file's records.
    pub(super) fn close(self, mut report: EventFileReport, facts: &mut Extracted) -> EventRecords {
        report.duplicate_records += self.seen.set_aside;
        if let Err(e) = self.finish(facts) {
            report.problems.push(Problem::new(
                Location::File,
                format!("cannot put the rows in order: {e}"),
            ));
        }
        EventRecords(report)
    }

    /// The facts to `facts` and the rows to their sink, both in the report's
    /// order of events.
    fn finish(mut self, facts: &mut Extracted) -> io::Result<()> {
        self.facts_to(facts);
        self.claim_runs(facts, true);
        let EventStream { rows, hints, .. } = self;
        facts.hints.extend(hints);
        match rows {
            Some((sink, sorter)) => sorter.finish(&mut |row| sink.push_encoded(row)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_compare_as_the_report_orders() {
        use exauth_parsers::evtx::{EventDetails, EventLogEvent, Family, TimeProvenance};
        let event = |time: Option<&str>, record: Option<u64>, id: u16| EventRecord {
            time: time.map(|t| t.parse().unwrap()),
            time_provenance: TimeProvenance::NativeUtc,
            utc_offset_seconds: None,
            computer: String::new(),
            channel: String::new(),
            provider: String::new(),
            event_id: id,
            qualifiers: None,
            record_id: record,
            level: None,
            family: Family::EventLog,
            details: EventDetails::EventLog(EventLogEvent::default()),
            data: Vec::new(),
        };
        let events = [
            event(None, None, 7),
            event(None, Some(3), 1),
            event(Some("1969-12-31T23:59:59Z"), Some(9), 2),
            event(Some("1970-01-01T00:00:00Z"), None, 9),
            event(Some("1970-01-01T00:00:00Z"), Some(1), 9),
            event(Some("2026-11-26T07:00:00Z"), Some(1), 4),
            event(Some("2026-11-26T07:00:00Z"), Some(1), 5),
            event(Some("2026-11-26T07:00:00.000000001Z"), Some(0), 0),
        ];
        for a in &events {
            for b in &events {
                assert_eq!(
                    order_key(a).cmp(&order_key(b)),
                    event_order(a).cmp(&event_order(b))
                );
            }
        }
    }

    /// A System log whose machine was renamed twice (three Computers, one
    /// log's ids): its runs are claimed under the three names together; a
    /// chunk with an unreadable record claims the ids read around it; a
    /// chunk of none read ends the run.
    #[test]
    fn a_log_of_several_computers_claims_its_runs_under_all_their_names() {
        let mut stream = EventStream::new(None);
        for (computer, id) in [
            ("DESKTOP-8BGEHIF", 1),
            ("DESKTOP-3HCGNNO", 200),
            ("W10-1507-LTSB", 400),
        ] {
            assert!(stream.seen.first_time_in(computer, "System", Some(id)));
        }
        stream.run_on(vec![(1, 50), (52, 117)]);
        stream.run_on(vec![(118, 230)]);
        stream.run_on(Vec::new());
        stream.run_on(vec![(231, 355)]);
        let mut facts = Extracted::default();
        stream.claim_runs(&mut facts, true);
        let claimed: Vec<(&str, &str, u64, u64)> = facts
            .claims
            .iter()
            .map(|c| (c.computer.as_str(), c.channel.as_str(), c.first, c.last))
            .collect();
        let names = "DESKTOP-3HCGNNO\nDESKTOP-8BGEHIF\nW10-1507-LTSB";
        assert_eq!(
            claimed,
            [
                (names, "System", 1, 50),
                (names, "System", 52, 230),
                (names, "System", 231, 355)
            ]
        );
    }
}
