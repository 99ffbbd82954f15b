//! Lines and quote-aware CSV fields over borrowed bytes: the hot path of the whole tool.
//!
//! Every byte of every protocol log passes through here, so nothing allocates per line or per
//! field: [`LineReader`] hands out slices of one reusable buffer (growing only for megabyte lines),
//! [`split_fields`] records spans with `memchr`, and [`RawRow`] decodes a field (doubled quotes,
//! invalid UTF-8) only when someone asks for it. The input is bytes, not `str`: protocol logs
//! are UTF-8, but a damaged file must not stop the parse, so text is decoded lossily on demand.

use super::header::{ColumnMap, FileHeader, HeaderLine};
use crate::problem::{thousands, Location, Problem};
use memchr::memchr;
use std::borrow::Cow;
use std::io::{self, Read};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const INITIAL_BUFFER: usize = 256 * 1024;
/// Lines longer than this are skipped (reported) instead of growing the buffer further.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024 * 1024;

/// One line, without its line end (`\n` or `\r\n`) and without a leading UTF-8 BOM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    pub bytes: &'a [u8],
    /// False for a last line that the file ends in the middle of (no line end).
    pub terminated: bool,
    /// Set (with the line's full length) when the line exceeded the limit and its bytes were dropped.
    pub oversized: Option<u64>,
}

/// Streams lines out of any reader through one reusable buffer.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes after `start` already known to hold no `\n`.
    scanned: usize,
    eof: bool,
    line_number: u64,
    max_line: usize,
    /// Bytes of the current oversized line that were dropped.
    dropped: u64,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        Self::with_max_line(inner, DEFAULT_MAX_LINE)
    }

    pub fn with_max_line(inner: R, max_line: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; INITIAL_BUFFER.min(max_line.max(1024))],
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            line_number: 0,
            max_line: max_line.max(1024),
            dropped: 0,
        }
    }

    /// Number of the last line returned.
    pub fn line_number(&self) -> u64 {
        self.line_number
    }

    /// The next line, `Ok(None)` at end of input. Read errors are returned as they come.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            let from = self.start + self.scanned;
            if let Some(pos) = self.buf.get(from..self.end).and_then(|b| memchr(b'\n', b)) {
                let line_end = from + pos;
                let line_start = self.start;
                self.start = line_end + 1;
                self.scanned = 0;
                self.line_number += 1;
                if self.dropped > 0 {
                    let total = self.dropped + (line_end - line_start) as u64;
                    self.dropped = 0;
                    return Ok(Some(Line {
                        number: self.line_number,
                        bytes: &[],
                        terminated: true,
                        oversized: Some(total),
                    }));
                }
                let bytes = self.buf.get(line_start..line_end).unwrap_or_default();
                return Ok(Some(make_line(self.line_number, bytes, true)));
            }
            self.scanned = self.end - self.start;
            if self.eof {
                if self.start >= self.end && self.dropped == 0 {
                    return Ok(None);
                }
                let line_start = self.start;
                self.start = self.end;
                self.scanned = 0;
                self.line_number += 1;
                if self.dropped > 0 {
                    let total = self.dropped + (self.end - line_start) as u64;
                    self.dropped = 0;
                    return Ok(Some(Line {
                        number: self.line_number,
                        bytes: &[],
                        terminated: false,
                        oversized: Some(total),
                    }));
                }
                let bytes = self.buf.get(line_start..self.end).unwrap_or_default();
                return Ok(Some(make_line(self.line_number, bytes, false)));
            }
            self.fill()?;
        }
    }

    /// Hands the buffered bytes from the start of each unread line to `f` (with the line's
    /// number) until `f` declines (returns `None`; the line stays unread) or nothing is left;
    /// reads nothing. `f` takes a complete line and returns its length including its `\n`, so it
    /// can find the line end while splitting it: the hot loop passes over each byte once. Lines it
    /// takes must be lines [`LineReader::next_line`] would give whole (see
    /// [`split_standard_line`]).
    #[inline(always)]
    pub(crate) fn take_buffered(&mut self, mut f: impl FnMut(u64, &[u8]) -> Option<usize>) {
        if self.dropped > 0 {
            return;
        }
        let Some(buffered) = self.buf.get(..self.end) else {
            return;
        };
        // Kept in locals while `f` runs: as fields behind `&mut self` they were stored and
        // loaded again at every line.
        let mut start = self.start;
        let mut number = self.line_number;
        while let Some(rest) = buffered.get(start..) {
            match f(number + 1, rest) {
                Some(len) if len > 0 && len <= rest.len() => {
                    number += 1;
                    start += len;
                }
                _ => break,
            }
        }
        if start != self.start {
            self.scanned = 0;
        }
        self.start = start;
        self.line_number = number;
    }

    /// Makes room and reads more bytes; sets `eof` when the reader is exhausted.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= self.max_line {
                // One line fills the whole allowed buffer: drop what we have, keep looking for its end.
                self.dropped += self.end as u64;
                self.end = 0;
                self.scanned = 0;
            } else {
                let new_len = (self.buf.len() * 2).min(self.max_line);
                self.buf.resize(new_len, 0);
            }
        }
        loop {
            let free = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.inner.read(free) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Treat the rest of the input as gone; what we have is still returned.
                    self.eof = true;
                    return Err(e);
                }
            }
        }
    }
}

#[inline(always)]
fn make_line(number: u64, mut bytes: &[u8], terminated: bool) -> Line<'_> {
    if let Some(rest) = bytes.strip_suffix(b"\r") {
        bytes = rest;
    }
    if let Some(rest) = bytes.strip_prefix(BOM) {
        bytes = rest;
    }
    Line {
        number,
        bytes,
        terminated,
        oversized: None,
    }
}

/// Where one CSV field sits in its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldSpan {
    /// Content start (after an opening quote).
    pub start: usize,
    /// Content end (before a closing quote).
    pub end: usize,
    /// Content holds doubled quotes (`""`) that must be collapsed.
    pub escaped: bool,
}

/// Splits one line into CSV field spans (cleared first). Quoted fields may hold commas and doubled
/// quotes; a quote inside an unquoted field is literal; an unterminated quote runs to the end of
/// the line. Never fails: whatever the bytes, some spans come out.
pub fn split_fields(line: &[u8], out: &mut Vec<FieldSpan>) {
    out.clear();
    if memchr(b'"', line).is_none() {
        // Fast path, the common case: no quoting anywhere.
        let mut start = 0;
        for comma in memchr::memchr_iter(b',', line) {
            out.push(FieldSpan {
                start,
                end: comma,
                escaped: false,
            });
            start = comma + 1;
        }
        out.push(FieldSpan {
            start,
            end: line.len(),
            escaped: false,
        });
        return;
    }
    let mut pos = 0;
    loop {
        let (span, next) = next_field(line, pos);
        out.push(span);
        match next {
            Some(n) => pos = n,
            None => return,
        }
    }
}

/// The field starting at `pos`, and where the next one starts (`None` when this was the last).
/// The one definition of the field grammar, shared by [`split_fields`] and [`LazyFields`].
fn next_field(line: &[u8], pos: usize) -> (FieldSpan, Option<usize>) {
    if line.get(pos) != Some(&b'"') {
        return match line.get(pos..).and_then(find_comma) {
            Some(c) => (
                FieldSpan {
                    start: pos,
                    end: pos + c,
                    escaped: false,
                },
                Some(pos + c + 1),
            ),
            None => (
                FieldSpan {
                    start: pos.min(line.len()),
                    end: line.len(),
                    escaped: false,
                },
                None,
            ),
        };
    }
    let content_start = pos + 1;
    let mut i = content_start;
    let mut escaped = false;
    let (content_end, after) = loop {
        match line.get(i..).and_then(|rest| memchr(b'"', rest)) {
            None => break (line.len(), line.len()),
            Some(q) => {
                let q = i + q;
                if line.get(q + 1) == Some(&b'"') {
                    escaped = true;
                    i = q + 2;
                } else {
                    break (q, q + 1);
                }
            }
        }
    };
    let span = FieldSpan {
        start: content_start,
        end: content_end,
        escaped,
    };
    // Anything between the closing quote and the next comma is dropped (malformed input).
    let next = line
        .get(after..)
        .and_then(|rest| memchr(b',', rest))
        .map(|c| after + c + 1);
    (span, next)
}

/// `b` in each of a word's 8 bytes, for [`zero_bytes`] searches.
pub(crate) const fn every_byte(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// The zero bytes of `x` flagged (their high bit set), for searching 8 bytes at a time: a word
/// XORed with [`every_byte`] of the byte sought has zeros where it is. The lowest flagged byte is
/// always a true zero (a borrow can flag the byte above a zero, never one below), so the first
/// match is at `trailing_zeros() / 8`.
#[inline(always)]
pub(crate) fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(every_byte(1)) & !x & every_byte(0x80)
}

/// Position of the first `,` in `bytes`. The fields before `data` are short, where memchr's setup
/// costs more than the search, so the first 64 bytes are searched a word (8 bytes) at a time.
#[inline(always)]
pub(crate) fn find_comma(bytes: &[u8]) -> Option<usize> {
    const WORDS_FIRST: usize = 64;
    let mut i = 0;
    while i < WORDS_FIRST {
        let Some(Ok(word)) = bytes.get(i..i + 8).map(<[u8; 8]>::try_from) else {
            // Fewer than 8 bytes left.
            let tail = bytes.get(i..).unwrap_or_default();
            return tail.iter().position(|&b| b == b',').map(|p| i + p);
        };
        let zeros = zero_bytes(u64::from_le_bytes(word) ^ every_byte(b','));
        if zeros != 0 {
            return Some(i + (zeros.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr(b',', bytes.get(i..)?).map(|p| i + p)
}

/// The columns up to `event` of a row in the standard layout (`date-time,connector-id,session-id,
/// sequence-number,local-endpoint,remote-endpoint,event,data,context`, every Exchange version's),
/// found in one pass over the line's first ~110 bytes. Kept as the line and where its fields end
/// (a few registers, where slices and spans of every field made each row move 300 bytes); the
/// fields are sliced when asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StandardHead<'a> {
    line: &'a [u8],
    connector_end: u32,
    seq_end: u32,
    local_end: u32,
    remote_end: u32,
    pub(crate) event: u8,
    /// The sequence number's value when it was read with its end ([`short_sequence_number`]);
    /// `None` leaves [`StandardHead::sequence_number`] to be parsed.
    pub(crate) seq: Option<u32>,
    /// Where `data` starts: the rest of the line is not looked at here.
    pub(crate) data_start: usize,
    /// Whether the connector, and the endpoints, are the [`PreviousRow`]'s (found by comparing,
    /// so [`PreviousRow::remember`] need not compare again).
    same_connector: bool,
    same_endpoints: bool,
}

impl<'a> StandardHead<'a> {
    fn field(&self, start: u32, end: u32) -> &'a [u8] {
        self.line
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    pub(crate) fn date_time(&self) -> &'a [u8; 24] {
        self.line.first_chunk::<24>().unwrap_or(&[0; 24])
    }

    pub(crate) fn connector(&self) -> &'a [u8] {
        self.field(25, self.connector_end)
    }

    pub(crate) fn session_id(&self) -> &'a [u8; 16] {
        self.line
            .get(self.connector_end as usize + 1..)
            .and_then(<[u8]>::first_chunk::<16>)
            .unwrap_or(&[0; 16])
    }

    pub(crate) fn sequence_number(&self) -> &'a [u8] {
        self.field(self.connector_end + 18, self.seq_end)
    }

    pub(crate) fn local_endpoint(&self) -> &'a [u8] {
        self.field(self.seq_end + 1, self.local_end)
    }

    pub(crate) fn remote_endpoint(&self) -> &'a [u8] {
        self.field(self.local_end + 1, self.remote_end)
    }

    /// `local-endpoint,remote-endpoint,`: both endpoints with the commas after them.
    pub(crate) fn endpoints(&self) -> &'a [u8] {
        self.field(self.seq_end + 1, self.remote_end + 1)
    }

    /// The spans [`split_fields`] gives for the first seven fields.
    pub(crate) fn spans(&self) -> [FieldSpan; 7] {
        let span = |start: u32, end: u32| FieldSpan {
            start: start as usize,
            end: end as usize,
            escaped: false,
        };
        let id_start = self.connector_end + 1;
        [
            span(0, 24),
            span(25, self.connector_end),
            span(id_start, id_start + 16),
            span(id_start + 17, self.seq_end),
            span(self.seq_end + 1, self.local_end),
            span(self.local_end + 1, self.remote_end),
            span(self.remote_end + 1, self.remote_end + 2),
        ]
    }
}

/// What the row split before leaves for the next one: its connector and its endpoints. A file's
/// rows mostly share one connector, and a session's rows its two endpoints; comparing them costs
/// less than searching the commas after three fields of varying length (a search whose end the
/// processor cannot predict). Same result either way: what is kept was split from a row, so it
/// holds no line end and starts with no quote, the connector holds no comma and the endpoints
/// exactly the two that end them.
#[derive(Debug, Default)]
pub(crate) struct PreviousRow {
    connector: Vec<u8>,
    /// `local-endpoint,remote-endpoint,`, as [`StandardHead::endpoints`].
    endpoints: Vec<u8>,
    /// Where the comma after the local endpoint sits in `endpoints`.
    local_len: usize,
}

impl PreviousRow {
    /// Keeps what `head` has that the next row may share.
    #[inline(always)]
    pub(crate) fn remember(&mut self, head: &StandardHead<'_>) {
        if !head.same_connector {
            self.connector.clear();
            self.connector.extend_from_slice(head.connector());
        }
        if !head.same_endpoints {
            self.endpoints.clear();
            self.endpoints.extend_from_slice(head.endpoints());
            self.local_len = head.local_endpoint().len();
        }
    }
}

/// Splits the first seven fields of a standard-layout row whose fixed-width columns have their
/// usual shape: a 24-byte time, a 16-byte session id, unquoted fields and a one-byte event
/// followed by a comma. `None` for anything else, which then takes the general path. The time
/// and session id are not looked into here: once the caller has accepted them as a time and 16
/// hex digits (so they hold no comma), every span equals what [`split_fields`] finds, and both
/// paths read the same values.
#[inline(always)]
pub(crate) fn split_standard(line: &[u8]) -> Option<StandardHead<'_>> {
    split_standard_after(line, &PreviousRow::default())
}

/// [`split_standard`] given what the row before left ([`PreviousRow`]; its default for none).
#[inline(always)]
pub(crate) fn split_standard_after<'a>(
    line: &'a [u8],
    previous: &PreviousRow,
) -> Option<StandardHead<'a>> {
    if line.get(24) != Some(&b',') {
        return None;
    }
    let connector = previous.connector.as_slice();
    let after = 25 + connector.len();
    let same_connector = !connector.is_empty()
        && line.get(after) == Some(&b',')
        && line
            .get(25..after)
            .is_some_and(|field| same_short_bytes(field, connector));
    let connector_end = if same_connector {
        after
    } else {
        unquoted_field_end(line, 25)?
    };
    let id_end = connector_end + 17;
    if line.get(id_end) != Some(&b',') {
        return None;
    }
    let (seq_end, seq) = match short_sequence_number(line, id_end + 1) {
        Some((end, value)) => (end, Some(value)),
        None => (unquoted_field_end(line, id_end + 1)?, None),
    };
    let local_start = seq_end + 1;
    let endpoints = previous.endpoints.as_slice();
    let same_endpoints = !endpoints.is_empty()
        && line
            .get(local_start..local_start + endpoints.len())
            .is_some_and(|fields| same_short_bytes(fields, endpoints));
    let (local_end, remote_end) = if same_endpoints {
        (
            local_start + previous.local_len,
            local_start + endpoints.len() - 1,
        )
    } else {
        let local_end = unquoted_field_end(line, local_start)?;
        (local_end, unquoted_field_end(line, local_end + 1)?)
    };
    let event_at = remote_end + 1;
    let [event, b','] = *line.get(event_at..event_at + 2)? else {
        return None;
    };
    if matches!(event, b'"' | b',' | b'\n') {
        return None;
    }
    let offset = |at: usize| u32::try_from(at).ok();
    Some(StandardHead {
        line,
        connector_end: offset(connector_end)?,
        seq_end: offset(seq_end)?,
        local_end: offset(local_end)?,
        remote_end: offset(remote_end)?,
        event,
        seq,
        data_start: event_at + 2,
        same_connector,
        same_endpoints,
    })
}

/// A standard-layout row at the start of `rest` (buffered bytes, the row's line end somewhere
/// after it), `previous` what the row before left ([`split_standard_after`]): its split,
/// its line as [`LineReader::next_line`] gives it (no `\r\n`), and the line's length with its
/// `\n`. The line end is searched only after `event`, the columns before it having been checked
/// for line ends while they were split. `None` when the row is not of the usual shape or its
/// line end is not buffered yet.
#[inline(always)]
pub(crate) fn split_standard_line_after<'a>(
    rest: &'a [u8],
    previous: &PreviousRow,
    newline: &NewlineFinder,
) -> Option<(StandardHead<'a>, &'a [u8], usize)> {
    let head = split_standard_after(rest, previous)?;
    let newline = head.data_start + newline.find(rest.get(head.data_start..)?)?;
    let line = rest.get(..newline)?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // `data` and `context` are two fields: a tail with more commas than they
    // and the surplus a context may hold could be a malformed row, which the
    // general path counts exactly (quotes respected) and reports. Only long
    // tails can hold that many commas, so short ones are never scanned.
    let tail = line.get(head.data_start..).unwrap_or_default();
    if tail.len() > MAX_SURPLUS_FIELDS + 1
        && memchr::memchr_iter(b',', tail)
            .nth(MAX_SURPLUS_FIELDS + 1)
            .is_some()
    {
        return None;
    }
    Some((head, line, newline + 1))
}

/// The sequence number starting at `start` when it is 1 to 7 digits and a comma (a session's
/// rows number from 0: every row Exchange writes but those of sessions past ten million rows):
/// where its comma is and its value, from one 8-byte load and no loop. Its comma was searched,
/// then its digits parsed a byte at a time: the parse alone was 3.2 % of a scan's instructions
/// (callgrind by hand on four servers of the 20-server collection, 2026-12-07).
#[inline(always)]
pub(crate) fn short_sequence_number(line: &[u8], start: usize) -> Option<(usize, u32)> {
    let word = u64::from_le_bytes(*line.get(start..)?.first_chunk::<8>()?);
    // A digit's byte becomes its value; every other byte is 10 or more, or has its high bit.
    let values = word ^ every_byte(b'0');
    let not_digit = (((values & every_byte(0x7f)) + every_byte(0x76)) | values) & every_byte(0x80);
    let len = (not_digit.trailing_zeros() / 8) as usize;
    if len == 0 || len == 8 || line.get(start + len) != Some(&b',') {
        return None;
    }
    // The digits moved to the word's top bytes (the first at the highest place of eight, zeros
    // before it), then added up in pairs, fours and eights: no sum exceeds its lane.
    let mut v = values << (8 * (8 - len));
    v = (v.wrapping_mul(10).wrapping_add(v >> 8)) & 0x00ff_00ff_00ff_00ff;
    v = (v.wrapping_mul(100).wrapping_add(v >> 16)) & 0x0000_ffff_0000_ffff;
    v = (v.wrapping_mul(10_000).wrapping_add(v >> 32)) & 0xffff_ffff;
    Some((start + len, v as u32))
}

/// `a == b` for the fields a row shares with the row before ([`PreviousRow`]: a connector
/// name, two endpoints; 10 to 60 bytes), compared 16 bytes at a time in line. `==` on slices
/// calls `memcmp`, whose call and dispatch on the length cost more than the comparison at these
/// sizes: two calls a row were 5.7 % of a one-thread scan's samples on the 20-server collection
/// (`perf record` by hand, 2026-12-07).
#[inline(always)]
pub fn same_short_bytes(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    if len >= 16 {
        // The first and last 16 bytes (all of them up to 32), then any between.
        if a.first_chunk::<16>() != b.first_chunk::<16>()
            || a.last_chunk::<16>() != b.last_chunk::<16>()
        {
            return false;
        }
        let mut at = 16;
        while at + 16 < len {
            let chunk_a = a.get(at..).and_then(<[u8]>::first_chunk::<16>);
            if chunk_a != b.get(at..).and_then(<[u8]>::first_chunk::<16>) {
                return false;
            }
            at += 16;
        }
        return true;
    }
    if len >= 8 {
        return a.first_chunk::<8>() == b.first_chunk::<8>()
            && a.last_chunk::<8>() == b.last_chunk::<8>();
    }
    if len >= 4 {
        return a.first_chunk::<4>() == b.first_chunk::<4>()
            && a.last_chunk::<4>() == b.last_chunk::<4>();
    }
    a == b
}

/// [`split_standard_line_after`] with no row before.
#[cfg(test)]
pub(crate) fn split_standard_line(rest: &[u8]) -> Option<(StandardHead<'_>, &[u8], usize)> {
    split_standard_line_after(rest, &PreviousRow::default(), &NewlineFinder::new())
}

/// The search for a row's line end, set up once: [`memchr`] sets its searcher up again on every
/// call (the byte spread over vector registers, a call through a pointer chosen for the
/// processor), which for a row's tail of a few dozen bytes is most of the search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewlineFinder {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::memchr::One>,
}

impl NewlineFinder {
    pub(crate) fn new() -> Self {
        NewlineFinder {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::x86_64::avx2::memchr::One::new(b'\n'),
        }
    }

    /// Where the first `\n` of `haystack` is, as [`memchr`] says.
    #[inline(always)]
    pub(crate) fn find(&self, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(one) = &self.avx2 {
            return one.find(haystack);
        }
        memchr(b'\n', haystack)
    }
}

/// Fields a row may have beyond the columns `#Fields` names: an unquoted
/// `context` (the last column) with commas of its own spills into a few more
/// (FORMATS.md: "CONTEXT field can contain additional commas"). A row with
/// more is not one Exchange wrote: it is reported and skipped.
pub const MAX_SURPLUS_FIELDS: usize = 64;

/// The number of fields of a row that has more than its columns and
/// [`MAX_SURPLUS_FIELDS`] allow; `None` for every other row. A line shorter
/// than that many fields need commas is never split.
fn too_many_fields(line: &[u8], columns: &ColumnMap) -> Option<usize> {
    let allowed = columns.count + MAX_SURPLUS_FIELDS;
    if line.len() < allowed {
        return None;
    }
    let mut fields = 1;
    let mut pos = 0;
    while let (_, Some(next)) = next_field(line, pos) {
        fields += 1;
        pos = next;
    }
    (fields > allowed).then_some(fields)
}

/// End of the unquoted field starting at `start`; `None` for a quoted one, the line's last, or
/// one a line end comes before a comma in.
#[inline(always)]
fn unquoted_field_end(line: &[u8], start: usize) -> Option<usize> {
    let tail = line.get(start..)?;
    if tail.first() == Some(&b'"') {
        return None;
    }
    find_comma_in_line(tail).map(|c| start + c)
}

/// [`find_comma`] that gives up at a `\n`: position of the first `,` when no `\n` comes before it.
#[inline(always)]
fn find_comma_in_line(bytes: &[u8]) -> Option<usize> {
    const WORDS_FIRST: usize = 64;
    let comma_at = |p: usize| (bytes.get(p) == Some(&b',')).then_some(p);
    let mut i = 0;
    while i < WORDS_FIRST {
        let Some(Ok(word)) = bytes.get(i..i + 8).map(<[u8; 8]>::try_from) else {
            let tail = bytes.get(i..).unwrap_or_default();
            let p = tail.iter().position(|&b| b == b',' || b == b'\n')?;
            return comma_at(i + p);
        };
        let word = u64::from_le_bytes(word);
        // The lowest byte flagged in either mask is a true zero of its mask, so the lowest of
        // both is the first comma or newline.
        let zeros = zero_bytes(word ^ every_byte(b',')) | zero_bytes(word ^ every_byte(b'\n'));
        if zeros != 0 {
            return comma_at(i + (zeros.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let p = memchr::memchr2(b',', b'\n', bytes.get(i..)?)?;
    comma_at(i + p)
}

/// Fields of one line split on demand, left to right, with exactly the spans [`split_fields`]
/// gives: the reassembler needs the columns up to `event` of every row but the long `data` and
/// `context` of few rows, so the rest of a line is never scanned unless someone asks.
pub(crate) struct LazyFields<'a, 'b> {
    line: &'a [u8],
    /// Start of the next unsplit field; `None` once the last field is split.
    next: Option<usize>,
    spans: &'b mut Vec<FieldSpan>,
}

impl<'a, 'b> LazyFields<'a, 'b> {
    pub(crate) fn new(line: &'a [u8], spans: &'b mut Vec<FieldSpan>) -> Self {
        spans.clear();
        LazyFields {
            line,
            next: Some(0),
            spans,
        }
    }

    /// Lazy fields of a line whose first fields are already split (`spans`, the next one starting
    /// at `next`), as [`split_standard`] leaves them.
    pub(crate) fn presplit(
        line: &'a [u8],
        spans: &'b mut Vec<FieldSpan>,
        split: &[FieldSpan],
        next: usize,
    ) -> Self {
        spans.clear();
        spans.extend_from_slice(split);
        LazyFields {
            line,
            next: Some(next),
            spans,
        }
    }

    /// Splits one more field; false when the last one is already split.
    ///
    /// The unquoted field is pushed straight from registers; a quoted one goes through
    /// [`next_field`] out of line (merging both into one returned value made every push reload
    /// a just-written stack slot, a store-forwarding stall that cost more than the search).
    #[inline(always)]
    fn split_one(&mut self) -> bool {
        let Some(pos) = self.next else {
            return false;
        };
        let line = self.line;
        if line.get(pos) == Some(&b'"') {
            self.split_quoted(pos);
            return true;
        }
        let (end, next) = match line.get(pos..).and_then(find_comma) {
            Some(c) => (pos + c, Some(pos + c + 1)),
            None => (line.len(), None),
        };
        self.spans.push(FieldSpan {
            start: pos,
            end,
            escaped: false,
        });
        self.next = next;
        true
    }

    #[cold]
    #[inline(never)]
    fn split_quoted(&mut self, pos: usize) {
        let (span, next) = next_field(self.line, pos);
        self.spans.push(span);
        self.next = next;
    }

    /// The span of field `index`, splitting up to it; `None` when the line has fewer fields.
    #[inline(always)]
    pub(crate) fn get(&mut self, index: usize) -> Option<FieldSpan> {
        while self.spans.len() <= index {
            if !self.split_one() {
                return None;
            }
        }
        self.spans.get(index).copied()
    }

    /// Splits the first `n` fields (the columns up to `event`, which every row needs); false when
    /// the line has fewer.
    #[inline]
    pub(crate) fn split_to(&mut self, n: usize) -> bool {
        while self.spans.len() < n {
            if !self.split_one() {
                return false;
            }
        }
        true
    }

    /// True when the line has more than `n` fields.
    pub(crate) fn more_than(&mut self, n: usize) -> bool {
        self.get(n).is_some()
    }

    /// Number of fields (splits the whole line).
    pub(crate) fn count(&mut self) -> usize {
        while self.split_one() {}
        self.spans.len()
    }

    /// Raw bytes of a field without unescaping: for fields that never hold quotes.
    #[inline(always)]
    pub(crate) fn plain(&mut self, index: Option<usize>) -> &'a [u8] {
        let line = self.line;
        index
            .and_then(|i| self.get(i))
            .and_then(|s| line.get(s.start..s.end))
            .unwrap_or_default()
    }

    /// Content of a field, doubled quotes collapsed.
    pub(crate) fn column(&mut self, index: Option<usize>) -> Cow<'a, [u8]> {
        match index.and_then(|i| self.get(i)) {
            Some(span) => field_bytes(self.line, span),
            None => Cow::Borrowed(&[]),
        }
    }

    /// [`RawRow::context`] over lazily split fields.
    pub(crate) fn context(&mut self, columns: &ColumnMap) -> Cow<'a, [u8]> {
        let Some(index) = columns.context else {
            return Cow::Borrowed(&[]);
        };
        if columns.context_is_last() && self.more_than(columns.count) {
            if let Some(span) = self.get(index) {
                return Cow::Borrowed(self.line.get(span.start..).unwrap_or_default());
            }
        }
        self.column(Some(index))
    }
}

/// The content of one field: borrowed unless doubled quotes had to be collapsed.
pub fn field_bytes<'a>(line: &'a [u8], span: FieldSpan) -> Cow<'a, [u8]> {
    let raw = line.get(span.start..span.end).unwrap_or_default();
    if !span.escaped {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw.get(i).copied().unwrap_or_default();
        out.push(b);
        i += if b == b'"' && raw.get(i + 1) == Some(&b'"') {
            2
        } else {
            1
        };
    }
    Cow::Owned(out)
}

/// Lossy UTF-8 text of a byte field (replacement characters for invalid bytes).
pub fn text(bytes: &[u8]) -> String {
    text_borrowed(bytes).into_owned()
}

/// [`text`], borrowed when the bytes are valid UTF-8: the usual case, checked a word at a time
/// (the lossy decoder goes byte by byte even over valid text).
pub(crate) fn text_borrowed(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(valid) => Cow::Borrowed(valid),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// One data row, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct RawRow<'a> {
    pub line: u64,
    pub bytes: &'a [u8],
    pub fields: &'a [FieldSpan],
    pub columns: &'a ColumnMap,
}

impl<'a> RawRow<'a> {
    fn column(&self, index: Option<usize>) -> Cow<'a, [u8]> {
        match index.and_then(|i| self.fields.get(i)) {
            Some(span) => field_bytes(self.bytes, *span),
            None => Cow::Borrowed(&[]),
        }
    }

    /// Raw bytes of a column without unescaping: for fields that never hold quotes.
    fn plain(&self, index: Option<usize>) -> &'a [u8] {
        index
            .and_then(|i| self.fields.get(i))
            .and_then(|s| self.bytes.get(s.start..s.end))
            .unwrap_or_default()
    }

    pub fn date_time(&self) -> &'a [u8] {
        self.plain(self.columns.date_time)
    }
    pub fn connector_id(&self) -> Cow<'a, [u8]> {
        self.column(self.columns.connector_id)
    }
    pub fn session_id(&self) -> &'a [u8] {
        self.plain(self.columns.session_id)
    }
    pub fn sequence_number(&self) -> &'a [u8] {
        self.plain(self.columns.sequence_number)
    }
    pub fn local_endpoint(&self) -> &'a [u8] {
        self.plain(self.columns.local_endpoint)
    }
    pub fn remote_endpoint(&self) -> &'a [u8] {
        self.plain(self.columns.remote_endpoint)
    }
    /// The event character (`+ - > < *`), 0 when the column is empty.
    pub fn event(&self) -> u8 {
        self.plain(self.columns.event)
            .first()
            .copied()
            .unwrap_or_default()
    }
    pub fn data(&self) -> Cow<'a, [u8]> {
        self.column(self.columns.data)
    }
    /// The context column; when it is the last column and the row has surplus (unquoted) commas,
    /// everything from the context's start to the end of the line.
    pub fn context(&self) -> Cow<'a, [u8]> {
        let Some(index) = self.columns.context else {
            return Cow::Borrowed(&[]);
        };
        if self.fields.len() > self.columns.count && self.columns.context_is_last() {
            if let Some(span) = self.fields.get(index) {
                let raw = self.bytes.get(span.start..).unwrap_or_default();
                return Cow::Borrowed(raw);
            }
        }
        self.column(Some(index))
    }
}

/// What [`RowReader::next_item`] found.
#[derive(Debug)]
pub enum RowItem<'a> {
    /// A data row.
    Row(RawRow<'a>),
    /// A `#` line was applied to [`RowReader::header`].
    Header,
    /// Something was wrong with a line (or the reader); the row, if any, was skipped.
    Problem(Problem),
}

/// Lines → header updates and data rows, for one file.
pub struct RowReader<R> {
    lines: LineReader<R>,
    header: FileHeader,
    columns: ColumnMap,
    fields: Vec<FieldSpan>,
    done: bool,
}

impl<R: Read> RowReader<R> {
    pub fn new(reader: R) -> Self {
        Self::from_lines(LineReader::new(reader))
    }

    pub fn from_lines(lines: LineReader<R>) -> Self {
        RowReader {
            lines,
            header: FileHeader::default(),
            columns: ColumnMap::default(),
            fields: Vec::with_capacity(16),
            done: false,
        }
    }

    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    pub fn columns(&self) -> &ColumnMap {
        &self.columns
    }

    pub fn line_number(&self) -> u64 {
        self.lines.line_number()
    }

    /// The next row, header line or problem; `None` at end of input (or after a read error).
    pub fn next_item(&mut self) -> Option<RowItem<'_>> {
        let (line, columns, fields) = match self.next_line_item()? {
            LineItem::Data {
                line,
                columns,
                fields,
            } => (line, columns, fields),
            LineItem::Header => return Some(RowItem::Header),
            LineItem::Problem(p) => return Some(RowItem::Problem(p)),
        };
        split_fields(line.bytes, fields);
        if fields.len() < columns.required {
            return Some(RowItem::Problem(short_row(
                line.number,
                fields.len(),
                columns,
            )));
        }
        Some(RowItem::Row(RawRow {
            line: line.number,
            bytes: line.bytes,
            fields,
            columns,
        }))
    }

    /// [`LineReader::take_buffered`]: complete lines already read, for a caller that handles data
    /// rows itself and declines every other line (header lines then come from
    /// [`RowReader::next_line_item`]).
    #[inline(always)]
    pub(crate) fn take_buffered_lines(&mut self, f: impl FnMut(u64, &[u8]) -> Option<usize>) {
        if !self.done {
            self.lines.take_buffered(f);
        }
    }

    /// The next data line (not yet split), header line or problem: the part of
    /// [`RowReader::next_item`] before field splitting, for callers that split lazily.
    pub(crate) fn next_line_item(&mut self) -> Option<LineItem<'_>> {
        if self.done {
            return None;
        }
        let next_number = self.lines.line_number() + 1;
        let line = match self.lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                let at = Location::Line(next_number);
                return Some(LineItem::Problem(Problem::new(
                    at,
                    format!("read error, rest of file skipped: {e}"),
                )));
            }
        };
        let at = Location::Line(line.number);
        if let Some(len) = line.oversized {
            return Some(LineItem::Problem(Problem::new(
                at,
                format!("line of {len} bytes exceeds the line limit, skipped"),
            )));
        }
        if !line.terminated {
            if line.bytes.iter().all(u8::is_ascii_whitespace) {
                return None;
            }
            return Some(LineItem::Problem(Problem::new(
                at,
                format!(
                    "truncated last line ({} bytes, no line end), ignored",
                    line.bytes.len()
                ),
            )));
        }
        match line.bytes.first() {
            Some(b'#') => {
                let text = String::from_utf8_lossy(line.bytes);
                if self.header.apply(&text, &mut self.columns) == HeaderLine::Fields
                    && !self.columns.is_usable()
                {
                    return Some(LineItem::Problem(Problem::new(
                        at,
                        "#Fields lacks session-id or event; rows cannot be grouped",
                    )));
                }
                Some(LineItem::Header)
            }
            None => Some(LineItem::Header),
            Some(_) => {
                if let Some(fields) = too_many_fields(line.bytes, &self.columns) {
                    let named = if self.header.fields.is_empty() {
                        "a protocol-log row has"
                    } else {
                        "the header names"
                    };
                    return Some(LineItem::Problem(Problem::new(
                        at,
                        format!(
                            "{} fields where {named} {}; row skipped",
                            thousands(fields as u64),
                            self.columns.count
                        ),
                    )));
                }
                Some(LineItem::Data {
                    line,
                    columns: &self.columns,
                    fields: &mut self.fields,
                })
            }
        }
    }
}

/// What [`RowReader::next_line_item`] found.
pub(crate) enum LineItem<'a> {
    /// A data line, the column map in force for it, and a buffer for its field spans.
    Data {
        line: Line<'a>,
        columns: &'a ColumnMap,
        fields: &'a mut Vec<FieldSpan>,
    },
    /// A `#` line (applied to the header) or an empty line.
    Header,
    Problem(Problem),
}

/// The problem for a row with fewer fields than its columns up to `event` need.
pub(crate) fn short_row(line: u64, fields: usize, columns: &ColumnMap) -> Problem {
    Problem::new(
        Location::Line(line),
        format!(
            "row has {fields} fields, expected {}; skipped",
            columns.count
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<String> {
        let mut spans = Vec::new();
        split_fields(line.as_bytes(), &mut spans);
        spans
            .iter()
            .map(|s| text(&field_bytes(line.as_bytes(), *s)))
            .collect()
    }

    /// The sequence number read from one load ends and is worth what searching its comma and
    /// parsing its digits give, and leaves to them every field it does not read (fewer than 8
    /// bytes to load, 8 digits or more, no comma after the digits).
    #[test]
    fn short_sequence_numbers_read_as_searched_and_parsed() {
        let searched = |line: &[u8], start: usize| {
            let end = unquoted_field_end(line, start)?;
            let digits = line.get(start..end)?;
            let short = !digits.is_empty() && digits.len() < 8;
            let value = digits.iter().try_fold(0u32, |v, &c| {
                c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
            })?;
            short.then_some((end, value))
        };
        let mut fields: Vec<String> = Vec::new();
        for digits in [
            "", "0", "7", "10", "99", "123", "4096", "65535", "1234567", "12345678",
        ] {
            for after in [
                ",",
                ",x,y,z,w",
                ",,,,,,,,",
                "\n,,,,,,,,",
                "a,,,,,,,,",
                " ,,,,,,,,",
                "",
            ] {
                fields.push(format!("{digits}{after}"));
            }
        }
        for odd in [
            "1/2,,,,,,,",
            "1:2,,,,,,,",
            "9\u{ff}1,,,,,,",
            "-1,,,,,,,",
            "\"12\",,,,,",
        ] {
            fields.push(odd.to_string());
        }
        for field in &fields {
            for lead in ["", "x,", "abcdefgh,"] {
                let line = format!("{lead}{field}");
                let start = lead.len();
                // Read only with 8 bytes to load; the rest is left to the search.
                let expected = searched(line.as_bytes(), start).filter(|_| line.len() >= start + 8);
                assert_eq!(
                    short_sequence_number(line.as_bytes(), start),
                    expected,
                    "{line:?} from {start}"
                );
            }
        }
        assert_eq!(short_sequence_number(b"1234567,,", 0), Some((7, 1_234_567)));
        assert_eq!(short_sequence_number(b"0,,,,,,,,", 0), Some((1, 0)));
        assert_eq!(short_sequence_number(b"12345678,", 0), None);
        // Values of 1 to 7 digits, in steps that change each place.
        for n in (0..10_000_000u32).step_by(7_919) {
            let line = format!("{n},,,,,,,,");
            let got = short_sequence_number(line.as_bytes(), 0);
            assert_eq!(got, Some((n.to_string().len(), n)), "{n}");
        }
    }

    /// The in-line comparison says what `==` says at every length it has a branch for and
    /// past them, for equal bytes and for one byte changed at every place.
    #[test]
    fn short_bytes_compare_as_slices_do() {
        for len in 0..80 {
            let a: Vec<u8> = (0..len).map(|i| b'0' + (i % 43) as u8).collect();
            assert!(same_short_bytes(&a, &a.clone()), "equal at {len}");
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_short_bytes(&a, &b), "byte {at} of {len} changed");
            }
            let longer = [a.as_slice(), b"x"].concat();
            assert!(!same_short_bytes(&a, &longer), "{len} against {}", len + 1);
            assert!(!same_short_bytes(&longer, &a), "{} against {len}", len + 1);
        }
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(fields("a,b,,c"), ["a", "b", "", "c"]);
        assert_eq!(fields(r#"a,"b,c",d"#), ["a", "b,c", "d"]);
        assert_eq!(fields(r#"a,"say ""hi""",d"#), ["a", r#"say "hi""#, "d"]);
        assert_eq!(fields(r#"a,"""",b"#), ["a", r#"""#, "b"]);
        assert_eq!(fields(r#"a,"open,b"#), ["a", "open,b"]);
        assert_eq!(fields(r#"a,x"y,b"#), ["a", r#"x"y"#, "b"]);
        assert_eq!(fields(r#"a,"q"junk,b"#), ["a", "q", "b"]);
        assert_eq!(fields(""), [""]);
        assert_eq!(fields(r#"a,"""#), ["a", ""]);
        assert_eq!(fields("a,\"\"\""), ["a", "\""]);
    }

    /// Every way of asking [`LazyFields`] gives the spans [`split_fields`] gives.
    fn assert_lazy_matches(line: &[u8]) {
        let mut all = Vec::new();
        split_fields(line, &mut all);
        let mut spans = Vec::new();
        let mut lazy = LazyFields::new(line, &mut spans);
        assert_eq!(
            lazy.count(),
            all.len(),
            "{:?}",
            String::from_utf8_lossy(line)
        );
        assert_eq!(spans, all, "{:?}", String::from_utf8_lossy(line));
        for n in 0..=all.len() + 1 {
            let mut spans = Vec::new();
            let mut lazy = LazyFields::new(line, &mut spans);
            assert_eq!(lazy.split_to(n), n <= all.len());
            assert_eq!(lazy.get(n), all.get(n).copied());
            assert_eq!(lazy.more_than(n), all.len() > n);
        }
    }

    #[test]
    fn lazy_fields_split_like_split_fields() {
        let long = format!("{},x", "a".repeat(100));
        let quoted_long = format!("\"{}\",\"{}\"", "b,".repeat(50), "c".repeat(70));
        for line in [
            "",
            ",",
            ",,",
            "a",
            "a,b,,c",
            r#"a,"b,c",d"#,
            r#"a,"say ""hi""",d"#,
            r#"a,"""",b"#,
            r#"a,"open,b"#,
            r#"a,x"y,b"#,
            r#"a,"q"junk,b"#,
            r#"a,"q"junk"#,
            r#"a,"""#,
            "a,\"\"\"",
            "\"",
            "1234567,",
            "12345678,",
            "123456789,",
            "2024-05-06T10:00:01.100Z,EX\\Default ,08DC6D1A2B3C4D5E,12,10.0.0.12:25,10.0.0.11:51000,>,250-AUTH NTLM,",
            long.as_str(),
            quoted_long.as_str(),
        ] {
            assert_lazy_matches(line.as_bytes());
        }
        // A comma at every offset around the word-at-a-time limit (64 bytes) and word edges.
        for at in 0..80 {
            let mut line = vec![b'x'; 90];
            line[at] = b',';
            assert_lazy_matches(&line);
            line[at + 3] = b',';
            assert_lazy_matches(&line);
        }
    }

    proptest::proptest! {
        #[test]
        fn newline_finder_agrees_with_memchr(
            bytes in proptest::collection::vec(
                proptest::sample::select(&b"\n,a\x0B\x8A\xFF\x00"[..]), 0..300),
            start in 0usize..300,
        ) {
            let bytes = bytes.get(start.min(bytes.len())..).unwrap_or_default();
            assert_eq!(NewlineFinder::new().find(bytes), memchr(b'\n', bytes));
        }
    }

    proptest::proptest! {
        #[test]
        fn lazy_fields_agree_with_split_fields_on_any_line(
            line in proptest::collection::vec(proptest::sample::select(&b",\"a \xFF"[..]), 0..150)
        ) {
            assert_lazy_matches(&line);
        }
    }

    /// When [`split_standard`] accepts a line whose time and id have the usual shape, its spans
    /// are the first seven [`split_fields`] gives, and `data` starts where the eighth does.
    fn assert_standard_matches(line: &[u8]) {
        let Some(head) = split_standard(line) else {
            return;
        };
        let shaped = |b: &[u8]| !b.contains(&b',') && !b.contains(&b'"');
        if !shaped(head.date_time()) || !shaped(head.session_id()) {
            return;
        }
        assert_standard_matches_with(line, &head);
    }

    fn assert_standard_matches_with(line: &[u8], head: &StandardHead<'_>) {
        let mut all = Vec::new();
        split_fields(line, &mut all);
        assert_eq!(
            &all[..7],
            &head.spans()[..],
            "{:?}",
            String::from_utf8_lossy(line)
        );
        assert_eq!((all.len() > 7, all[6].end + 1), (true, head.data_start));
        let event = line[all[6].start..all[6].end].first().copied();
        assert_eq!(event, Some(head.event));
        assert_eq!(&line[all[4].start..all[4].end], head.local_endpoint());
        assert_eq!(&line[all[5].start..all[5].end], head.remote_endpoint());
        assert_eq!(&line[all[1].start..all[1].end], head.connector());
        assert_eq!(&line[all[3].start..all[3].end], head.sequence_number());
    }

    #[test]
    fn standard_split_matches_split_fields() {
        let row = "2024-05-06T10:00:01.100Z,EX\\Default ,08DC6D1A2B3C4D5E,12,10.0.0.12:25,10.0.0.11:51000,>,250-AUTH NTLM,";
        let head = split_standard(row.as_bytes()).unwrap();
        assert_eq!(head.session_id(), b"08DC6D1A2B3C4D5E");
        assert_eq!(head.sequence_number(), b"12");
        assert_eq!(head.event, b'>');
        assert_eq!(&row.as_bytes()[head.data_start..], b"250-AUTH NTLM,");
        assert_standard_matches(row.as_bytes());
        // Quoted columns, a missing event comma, a longer event: the general path's.
        for other in [
            "2024-05-06T10:00:01.100Z,\"EX,Default\",08DC6D1A2B3C4D5E,12,a,b,>,x,",
            "2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,12,\"a\",b,>,x,",
            "2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,12,a,b,>",
            "2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,12,a,b,>>,x",
            "2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5,12,a,b,>,x",
        ] {
            assert!(split_standard(other.as_bytes()).is_none(), "{other}");
        }
    }

    proptest::proptest! {
        #[test]
        fn standard_split_agrees_with_split_fields_on_any_row(
            middle in proptest::collection::vec(proptest::sample::select(&b",\"a1>+ "[..]), 0..60),
            tail in proptest::collection::vec(proptest::sample::select(&b",\"a "[..]), 0..20),
        ) {
            let mut line = b"2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,".to_vec();
            line.extend_from_slice(&middle);
            line.extend_from_slice(&tail);
            assert_standard_matches(&line);
        }
    }

    proptest::proptest! {
        /// What the row before left (its connector and endpoints) changes nothing but the
        /// speed, whatever it is next to the row's own (equal, a prefix of it, longer, another,
        /// none).
        #[test]
        fn standard_split_after_a_row_agrees_with_the_plain_split(
            connector in proptest::collection::vec(proptest::sample::select(&b"ab \\\n\"\xFF"[..]), 0..12),
            local in proptest::collection::vec(proptest::sample::select(&b"1.:,\"\n"[..]), 0..8),
            remote in proptest::collection::vec(proptest::sample::select(&b"1.:,\"\n"[..]), 0..8),
            rest in proptest::collection::vec(proptest::sample::select(&b",\"a1>+ \n"[..]), 0..40),
            previous_connector in proptest::collection::vec(proptest::sample::select(&b"ab \\\xFF"[..]), 0..12),
            previous_local in proptest::collection::vec(proptest::sample::select(&b"1.:\""[..]), 0..8),
            previous_remote in proptest::collection::vec(proptest::sample::select(&b"1.:\""[..]), 0..8),
            same_connector in proptest::bool::ANY,
            same_endpoints in proptest::bool::ANY,
        ) {
            let mut line = b"2024-05-06T10:00:01.100Z,".to_vec();
            line.extend_from_slice(&connector);
            line.extend_from_slice(b",08DC6D1A2B3C4D5E,12,");
            line.extend_from_slice(&local);
            line.push(b',');
            line.extend_from_slice(&remote);
            line.push(b',');
            line.extend_from_slice(&rest);
            let key = |h: Option<StandardHead<'_>>| h.map(|h| (h.spans(), h.data_start, h.event));
            let (previous_connector, previous_local, previous_remote) = (
                if same_connector { connector } else { previous_connector },
                if same_endpoints { local } else { previous_local },
                if same_endpoints { remote } else { previous_remote },
            );
            // What a row leaves was split from it: no line end, no leading quote, no comma
            // (the endpoints keep exactly the two after them).
            let split_from_a_row = |f: &[u8]| {
                !f.contains(&b'\n') && !f.contains(&b',') && f.first() != Some(&b'"')
            };
            proptest::prop_assume!(!previous_connector.contains(&b'\n'));
            proptest::prop_assume!(previous_connector.first() != Some(&b'"'));
            proptest::prop_assume!(split_from_a_row(&previous_local));
            proptest::prop_assume!(split_from_a_row(&previous_remote));
            let mut endpoints = previous_local.clone();
            endpoints.push(b',');
            endpoints.extend_from_slice(&previous_remote);
            endpoints.push(b',');
            let previous = PreviousRow {
                connector: previous_connector,
                endpoints,
                local_len: previous_local.len(),
            };
            proptest::prop_assert_eq!(
                key(split_standard_after(&line, &previous)),
                key(split_standard(&line))
            );
        }
    }

    /// Over buffered bytes, [`split_standard_line`] takes exactly the line [`LineReader`] gives
    /// (a line end inside the columns before `event` makes it decline), split as
    /// [`split_fields`] splits it.
    fn assert_standard_lines_match(buffer: &[u8]) {
        let mut reader = LineReader::new(buffer);
        let mut start = 0;
        while let Some(line) = reader.next_line().unwrap() {
            let rest = &buffer[start..];
            let next = start
                + line.bytes.len()
                + 1
                + usize::from(rest.get(line.bytes.len()) == Some(&b'\r'));
            if let Some((head, taken, len)) = split_standard_line(rest) {
                let shaped = |b: &[u8]| !b.iter().any(|c| b",\"\n".contains(c));
                if shaped(head.date_time()) && shaped(head.session_id()) {
                    assert_eq!(taken, line.bytes, "{:?}", String::from_utf8_lossy(rest));
                    assert_eq!(start + len, next);
                    assert!(line.terminated);
                    assert_standard_matches_with(line.bytes, &head);
                }
            }
            start = next.min(buffer.len());
        }
    }

    #[test]
    fn standard_lines_end_where_lines_end() {
        let row = "2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,12,10.0.0.12:25,10.0.0.11:51000,>,250-AUTH NTLM,";
        let buffer = format!(
            "{row}\r\n{row}\n2024-05-06T10:00:01.100Z,EX\n08DC6D1A2B3C4D5E,1,a,b,>,x\n{row}"
        );
        let (_, line, len) = split_standard_line(buffer.as_bytes()).unwrap();
        assert_eq!((line, len), (row.as_bytes(), row.len() + 2));
        assert_standard_lines_match(buffer.as_bytes());
        // Not terminated yet: left for the reader to refill.
        assert!(split_standard_line(row.as_bytes()).is_none());
    }

    proptest::proptest! {
        #[test]
        fn standard_lines_agree_with_line_reader(
            middle in proptest::collection::vec(proptest::sample::select(&b",\"a1>\n\r "[..]), 0..80),
            second in proptest::collection::vec(proptest::sample::select(&b",\"a1>\n "[..]), 0..40),
        ) {
            // A valid sequence number first, so that most rows get as far as their endpoints.
            let mut buffer = b"2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,1,".to_vec();
            buffer.extend_from_slice(&middle);
            buffer.extend_from_slice(b"\n2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,2,");
            buffer.extend_from_slice(&second);
            buffer.push(b'\n');
            assert_standard_lines_match(&buffer);
        }
    }

    /// Issue 18: a row with thousands of fields beyond `#Fields` is a problem
    /// naming its line, whichever path reads it; a context with a few commas
    /// of its own, and commas inside quotes, are not.
    #[test]
    fn rows_with_far_more_fields_than_the_header_names_are_problems() {
        let head = "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n";
        let row =
            "2024-05-06T10:00:01.100Z,EX,08DC6D1A2B3C4D5E,12,10.0.0.12:25,10.0.0.11:51000,*,,";
        let junk = ",x".repeat(2995);
        let quoted = format!(",\"{}\"", ",".repeat(500));
        let input = format!(
            "{head}{row}TLS, with, commas\r\n{row}bad{junk}\r\n{row}ok{quoted}\r\n{row}last\r\n"
        );
        let mut rows = RowReader::new(input.as_bytes());
        let mut seen = Vec::new();
        while let Some(item) = rows.next_item() {
            match item {
                RowItem::Row(r) => seen.push(format!("row {}", r.line)),
                RowItem::Problem(p) => seen.push(p.to_string()),
                RowItem::Header => {}
            }
        }
        assert_eq!(
            seen,
            [
                "row 2",
                "line 3: 3,004 fields where the header names 9; row skipped",
                "row 4",
                "row 5"
            ]
        );
        // The fast path declines the long row (the general path reports
        // it) and takes the others.
        let bad = format!("{row}bad{junk}\n");
        assert!(split_standard_line(bad.as_bytes()).is_none());
        let ok = format!("{row}TLS, with, commas\n");
        assert!(split_standard_line(ok.as_bytes()).is_some());
        let columns = ColumnMap::default();
        // `row` has its 9 fields; each comma more is one more.
        let at_limit = format!("{row}{}", ",".repeat(MAX_SURPLUS_FIELDS));
        assert_eq!(too_many_fields(at_limit.as_bytes(), &columns), None);
        let over = format!("{row}{}", ",".repeat(MAX_SURPLUS_FIELDS + 1));
        assert_eq!(
            too_many_fields(over.as_bytes(), &columns),
            Some(9 + MAX_SURPLUS_FIELDS + 1)
        );
    }

    #[test]
    fn lines_strip_bom_and_crlf_and_flag_truncation() {
        let input = b"\xEF\xBB\xBF#Software: x\r\nrow1\nrow2\r\npartial";
        let mut r = LineReader::new(&input[..]);
        let l = r.next_line().unwrap().unwrap();
        assert_eq!(
            (l.number, l.bytes, l.terminated),
            (1, &b"#Software: x"[..], true)
        );
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"row1");
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"row2");
        let last = r.next_line().unwrap().unwrap();
        assert_eq!(
            (last.number, last.bytes, last.terminated),
            (4, &b"partial"[..], false)
        );
        assert!(r.next_line().unwrap().is_none());
    }

    #[test]
    fn long_lines_grow_the_buffer_and_oversized_ones_are_skipped() {
        let mut input = vec![b'x'; 3 * 1024 * 1024];
        input.extend_from_slice(b"\nshort\n");
        let mut r = LineReader::new(&input[..]);
        assert_eq!(r.next_line().unwrap().unwrap().bytes.len(), 3 * 1024 * 1024);
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"short");

        let mut r = LineReader::with_max_line(&input[..], 4096);
        let big = r.next_line().unwrap().unwrap();
        assert_eq!(big.oversized, Some(3 * 1024 * 1024));
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"short");
    }
}
