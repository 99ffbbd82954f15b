//! Lines and quote-aware CSV fields over borrowed bytes: the hot path of the whole tool.
//!
//! Every byte of every protocol log passes through here, so nothing allocates per line or per
//! field: [`LineReader`] hands out slices of one reusable buffer (growing only for megabyte lines),
//! [`split_fields`] records spans with `memchr`, and [`RawRow`] decodes a field (doubled quotes,
//! invalid UTF-8) only when someone asks for it. The input is bytes, not `str`: protocol logs
//! are UTF-8, but a damaged file must not stop the parse, so text is decoded lossily on demand.

use super::header::{ColumnMap, FileHeader, HeaderLine};
use crate::problem::{Location, Problem};
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
        if line.get(pos) == Some(&b'"') {
            let content_start = pos + 1;
            let mut i = content_start;
            let mut escaped = false;
            let content_end;
            loop {
                match line.get(i..).and_then(|rest| memchr(b'"', rest)) {
                    None => {
                        content_end = line.len();
                        pos = line.len();
                        break;
                    }
                    Some(q) => {
                        let q = i + q;
                        if line.get(q + 1) == Some(&b'"') {
                            escaped = true;
                            i = q + 2;
                        } else {
                            content_end = q;
                            pos = q + 1;
                            break;
                        }
                    }
                }
            }
            out.push(FieldSpan {
                start: content_start,
                end: content_end,
                escaped,
            });
            // Anything between the closing quote and the next comma is dropped (malformed input).
            match line.get(pos..).and_then(|rest| memchr(b',', rest)) {
                Some(c) => pos += c + 1,
                None => return,
            }
        } else {
            match line.get(pos..).and_then(|rest| memchr(b',', rest)) {
                Some(c) => {
                    out.push(FieldSpan {
                        start: pos,
                        end: pos + c,
                        escaped: false,
                    });
                    pos += c + 1;
                }
                None => {
                    out.push(FieldSpan {
                        start: pos,
                        end: line.len(),
                        escaped: false,
                    });
                    return;
                }
            }
        }
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
    String::from_utf8_lossy(bytes).into_owned()
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
                return Some(RowItem::Problem(Problem::new(
                    at,
                    format!("read error, rest of file skipped: {e}"),
                )));
            }
        };
        let at = Location::Line(line.number);
        if let Some(len) = line.oversized {
            return Some(RowItem::Problem(Problem::new(
                at,
                format!("line of {len} bytes exceeds the line limit, skipped"),
            )));
        }
        if !line.terminated {
            if line.bytes.iter().all(u8::is_ascii_whitespace) {
                return None;
            }
            return Some(RowItem::Problem(Problem::new(
                at,
                format!(
                    "truncated last line ({} bytes, no line end), ignored",
                    line.bytes.len()
                ),
            )));
        }
        if line.bytes.first() == Some(&b'#') {
            let text = String::from_utf8_lossy(line.bytes);
            if self.header.apply(&text, &mut self.columns) == HeaderLine::Fields
                && !self.columns.is_usable()
            {
                return Some(RowItem::Problem(Problem::new(
                    at,
                    "#Fields lacks session-id or event; rows cannot be grouped",
                )));
            }
            return Some(RowItem::Header);
        }
        if line.bytes.is_empty() {
            return Some(RowItem::Header);
        }
        split_fields(line.bytes, &mut self.fields);
        if self.fields.len() < self.columns.required {
            return Some(RowItem::Problem(Problem::new(
                at,
                format!(
                    "row has {} fields, expected {}; skipped",
                    self.fields.len(),
                    self.columns.count
                ),
            )));
        }
        Some(RowItem::Row(RawRow {
            line: line.number,
            bytes: line.bytes,
            fields: &self.fields,
            columns: &self.columns,
        }))
    }
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
