//! One value's text bounded, for the readers that hold a value whole.
//!
//! An XML reader holds a text node whole until the next `<`, a JSON reader
//! a string until its closing quote, a CSV reader a quoted field (over
//! lines) until its quote: an export glued to junk (or a hostile file)
//! whose junk lands inside one value is one value as long as the junk,
//! held two to four times (the reader's buffer, the decoded text, the
//! record). 50 MB of junk inside an `<EventData>` peaked at 138 MB, inside
//! a CliXml string at 420 MB, a JSON string at 232 MB, a CSV field whose
//! quote never closed at 735 MB. Each adapter here passes the bytes through
//! while a value stays within [`TEXT_RUN_CAP`] and drops the rest of it,
//! counting what it dropped, with the syntax kept valid so the reader reads
//! what follows as before: [`TextRuns`] (XML, CliXml), [`JsonStrings`],
//! [`CsvFields`]. No event, queue, message or connector holds a megabyte in
//! one value, so nothing a reader keeps is lost.

use crate::problem::{thousands, Location, Problem};
use memchr::{memchr, memrchr};
use std::io::{self, BufRead, Read};

/// Most bytes a run of text without `<` keeps.
pub const TEXT_RUN_CAP: usize = 1 << 20;

/// The problem of an XML or CliXml export whose text runs [`TextRuns`] cut:
/// where the first cut began and the bytes dropped (`dropped`), and what no
/// `holder` (an event, an object) holds that much text of.
pub fn text_run_cut(dropped: Option<(u64, u64)>, holder: &str) -> Option<Problem> {
    let (at, bytes) = dropped?;
    Some(Problem::new(
        Location::Offset(at),
        format!(
            "text without markup runs past {} MiB here: {} bytes not read (no {holder} holds that much text)",
            TEXT_RUN_CAP >> 20,
            thousands(bytes)
        ),
    ))
}

/// Tests: everything `reader` gives, asked `read_size` bytes at a time.
#[cfg(test)]
fn read_in_pieces(reader: &mut impl Read, read_size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0; read_size];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Most bytes copied by one step: at most half the cap, so a run that
/// starts inside a step ends inside it within the cap, and only a step's
/// first run (the one going on from the step before) can run past it.
const STEP: usize = 64 << 10;

/// `inner`'s bytes with every run without `<` cut at `cap`.
#[derive(Debug)]
pub struct TextRuns<R> {
    inner: R,
    cap: usize,
    /// Bytes since the last `<` passed through.
    run: usize,
    /// Bytes taken from `inner`.
    offset: u64,
    /// Offset of the first byte dropped, and bytes dropped in all.
    first_dropped: Option<u64>,
    dropped: u64,
    /// Line ends among the bytes dropped.
    line_ends_dropped: u64,
}

impl<R: BufRead> TextRuns<R> {
    pub fn new(inner: R) -> Self {
        Self::with_cap(inner, TEXT_RUN_CAP)
    }

    pub fn with_cap(inner: R, cap: usize) -> Self {
        TextRuns {
            inner,
            cap: cap.max(1),
            run: 0,
            offset: 0,
            first_dropped: None,
            dropped: 0,
            line_ends_dropped: 0,
        }
    }

    /// The offset of the first byte dropped and how many were, if any.
    pub fn dropped(&self) -> Option<(u64, u64)> {
        self.first_dropped.map(|at| (at, self.dropped))
    }

    /// Bytes dropped so far: what a position counted in the bytes passed
    /// through lacks. (Dropped bytes lie inside a megabyte of text without
    /// markup, so a reader reading ahead of the element it reports has no
    /// element between its position and the drop.)
    pub fn bytes_dropped(&self) -> u64 {
        self.dropped
    }

    /// Line ends among the bytes dropped so far (see [`Self::bytes_dropped`]).
    pub fn line_ends_dropped(&self) -> u64 {
        self.line_ends_dropped
    }

    fn drop_bytes(&mut self, n: usize) {
        if let Ok(data) = self.inner.fill_buf() {
            let dropped = data.get(..n).unwrap_or(data);
            self.line_ends_dropped += memchr::memchr_iter(b'\n', dropped).count() as u64;
        }
        self.first_dropped.get_or_insert(self.offset);
        self.dropped += n as u64;
        self.offset += n as u64;
        self.inner.consume(n);
    }
}

/// Whether `inner` has more bytes, once `written` were handed out by this
/// read: an error after some were is left for the next read to meet.
fn more<R: BufRead>(inner: &mut R, written: usize) -> io::Result<bool> {
    loop {
        match inner.fill_buf() {
            Ok(data) => return Ok(!data.is_empty()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if written == 0 => return Err(e),
            Err(_) => return Ok(false),
        }
    }
}

impl<R: BufRead> Read for TextRuns<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            if !more(&mut self.inner, written)? {
                break;
            }
            let data = self.inner.fill_buf()?;
            if self.run >= self.cap {
                // Past the cap: dropped up to the next `<`.
                let len = data.len();
                let skip = memchr(b'<', data).unwrap_or(len);
                if skip > 0 {
                    self.drop_bytes(skip);
                }
                if skip < len {
                    self.run = 0;
                }
                continue;
            }
            let room = (out.len() - written)
                .min(data.len())
                .min(STEP.min(self.cap / 2).max(1));
            let chunk = &data[..room];
            let lead = memchr(b'<', chunk).unwrap_or(room);
            let take = if self.run + lead > self.cap {
                self.cap - self.run
            } else {
                room
            };
            let taken = &chunk[..take];
            out[written..written + take].copy_from_slice(taken);
            self.run = match memrchr(b'<', taken) {
                Some(last) => take - last - 1,
                None => self.run + take,
            };
            written += take;
            self.offset += take as u64;
            self.inner.consume(take);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(text: &[u8], cap: usize, read_size: usize) -> (Vec<u8>, Option<(u64, u64)>) {
        let mut runs = TextRuns::with_cap(io::BufReader::with_capacity(7, text), cap);
        let out = read_in_pieces(&mut runs, read_size);
        (out, runs.dropped())
    }

    #[test]
    fn a_cut_is_said_where_it_began_with_the_bytes_dropped() {
        assert!(text_run_cut(None, "event").is_none());
        let p = text_run_cut(Some((4_096, 40_000_000)), "event").unwrap();
        assert_eq!(p.location, Location::Offset(4_096));
        assert_eq!(
            p.message,
            "text without markup runs past 1 MiB here: 40,000,000 bytes not read (no event holds that much text)"
        );
    }

    #[test]
    fn runs_within_the_cap_pass_unchanged() {
        let text = b"<a>hello</a><b x=\"1\">world</b>";
        for read_size in [1, 3, 64] {
            assert_eq!(through(text, 16, read_size), (text.to_vec(), None));
        }
    }

    #[test]
    fn a_run_past_the_cap_is_cut_and_the_markup_after_it_kept() {
        let text = b"<a>0123456789</a><b>xy</b>0123456789";
        for read_size in [1, 4, 64] {
            // A run counts from its `<`: `a>0123` and `/b>012` reach the cap.
            let (out, dropped) = through(text, 6, read_size);
            assert_eq!(out, b"<a>0123</a><b>xy</b>012", "{read_size}");
            // Six dropped after `<a>0123`, seven at the end.
            assert_eq!(dropped, Some((7, 13)), "{read_size}");
        }
        // Read in one go: a run inside the buffer is cut as well.
        let text = b"<a>012\n345\n678\n</a>";
        let mut runs = TextRuns::with_cap(&text[..], 6);
        let mut out = Vec::new();
        runs.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"<a>012\n</a>");
        assert_eq!((runs.bytes_dropped(), runs.line_ends_dropped()), (8, 2));
    }
}

/// `inner`'s bytes (JSON) with every string cut at `cap` bytes: a JSON
/// reader holds a string whole, and a 50 MB string (an export glued to
/// junk inside a value) peaked at 232 MB. The string stays valid JSON: it
/// is cut at a character boundary and never inside an escape, and its
/// closing quote is kept. No queue or message holds a megabyte in one
/// value, so nothing a reader keeps is lost.
#[derive(Debug)]
pub struct JsonStrings<R> {
    inner: R,
    cap: usize,
    /// Inside a string: the bytes of it passed through.
    string: Option<usize>,
    /// Bytes of an escape still to pass whole (`\n`: 1 after the `\`,
    /// `\u00e9`: 5).
    escape: u8,
    /// Past the cap: dropping up to the closing quote (`true` right after a
    /// `\`).
    dropping: Option<bool>,
    offset: u64,
    first_dropped: Option<u64>,
    dropped: u64,
}

impl<R: BufRead> JsonStrings<R> {
    pub fn new(inner: R) -> Self {
        Self::with_cap(inner, TEXT_RUN_CAP)
    }

    pub fn with_cap(inner: R, cap: usize) -> Self {
        JsonStrings {
            inner,
            cap: cap.max(1),
            string: None,
            escape: 0,
            dropping: None,
            offset: 0,
            first_dropped: None,
            dropped: 0,
        }
    }

    /// The offset of the first byte dropped and how many were, if any.
    pub fn dropped(&self) -> Option<(u64, u64)> {
        self.first_dropped.map(|at| (at, self.dropped))
    }

    /// Passes `n` bytes of what `fill_buf` holds to `out`.
    fn pass(&mut self, out: &mut [u8], n: usize) -> io::Result<()> {
        let data = self.inner.fill_buf()?;
        out[..n].copy_from_slice(&data[..n]);
        self.offset += n as u64;
        self.inner.consume(n);
        Ok(())
    }
}

impl<R: BufRead> Read for JsonStrings<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            if !more(&mut self.inner, written)? {
                break;
            }
            let data = self.inner.fill_buf()?;
            let room = (out.len() - written).min(data.len());
            if let Some(after_backslash) = self.dropping {
                // Dropped up to the closing quote, which passes.
                let mut skip = 0;
                let mut escaped = after_backslash;
                let mut closed = false;
                while skip < data.len() {
                    match (escaped, data[skip]) {
                        (true, _) => escaped = false,
                        (false, b'\\') => escaped = true,
                        (false, b'"') => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                    skip += 1;
                }
                self.first_dropped.get_or_insert(self.offset);
                self.dropped += skip as u64;
                self.offset += skip as u64;
                self.inner.consume(skip);
                self.dropping = (!closed).then_some(escaped);
                if closed {
                    self.string = Some(0);
                }
                continue;
            }
            let n = match self.string {
                None => {
                    // Outside strings: up to and with the next opening quote.
                    match memchr(b'"', &data[..room]) {
                        Some(q) => {
                            self.string = Some(0);
                            q + 1
                        }
                        None => room,
                    }
                }
                Some(_) if self.escape > 0 => {
                    let n = room.min(usize::from(self.escape));
                    if data[..n].first() == Some(&b'u') && self.escape == 1 {
                        // `\u`: four hex digits follow.
                        self.escape = 5;
                    }
                    self.escape -= n as u8;
                    if let Some(s) = self.string.as_mut() {
                        *s += n;
                    }
                    n
                }
                Some(len) => {
                    match memchr::memchr2(b'"', b'\\', &data[..room]) {
                        Some(at) if len + at <= self.cap => {
                            // Plain bytes, then the quote (the string ends)
                            // or the backslash (an escape starts).
                            if data[at] == b'"' {
                                self.string = None;
                            } else {
                                self.string = Some(len + at + 1);
                                self.escape = 1;
                            }
                            at + 1
                        }
                        found if len + found.unwrap_or(room) <= self.cap => {
                            self.string = Some(len + room);
                            room
                        }
                        _ => {
                            // Past the cap: what fits, cut at a character's
                            // start; the rest dropped.
                            let mut take = self.cap.saturating_sub(len).min(room);
                            while take > 0 && data.get(take).is_some_and(|b| b & 0xC0 == 0x80) {
                                take -= 1;
                            }
                            self.dropping = Some(false);
                            self.string = Some(self.cap);
                            if take == 0 {
                                continue;
                            }
                            take
                        }
                    }
                }
            };
            self.pass(&mut out[written..], n)?;
            written += n;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    fn through(text: &str, cap: usize, read_size: usize) -> (String, Option<(u64, u64)>) {
        let mut strings =
            JsonStrings::with_cap(io::BufReader::with_capacity(5, text.as_bytes()), cap);
        let out = read_in_pieces(&mut strings, read_size);
        (String::from_utf8(out).unwrap(), strings.dropped())
    }

    #[test]
    fn strings_within_the_cap_pass_unchanged() {
        let text = r#"[{"a":"hello \"you\"","b":"\u00e9t\u00e9","c":12}]"#;
        for read_size in [1, 3, 64] {
            assert_eq!(through(text, 16, read_size), (text.to_string(), None));
        }
    }

    #[test]
    fn a_string_past_the_cap_is_cut_valid_and_the_rest_read() {
        let text = r#"[{"a":"0123456789\"x","b":"éééé","c":"ab\u00e9cd"}]"#;
        for read_size in [1, 2, 7, 64] {
            let (out, dropped) = through(text, 6, read_size);
            // Never inside an escape nor a character; the quotes kept.
            assert_eq!(
                out, r#"[{"a":"012345","b":"ééé","c":"ab\u00e9"}]"#,
                "{read_size}"
            );
            let value: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(value[0]["c"], "abé");
            // `6789\"x` (7), `é` (2), `cd` (2).
            assert_eq!(dropped, Some((13, 11)), "{read_size}");
        }
    }
}

/// `inner`'s bytes (CSV, `delimiter`-separated) with every quoted field cut
/// at `cap` bytes: a CSV reader holds a field whole, and a quoted field runs
/// over lines until its closing quote. An export whose quote never closes
/// (a row cut and glued to junk) was one field as long as the junk: 735 MB
/// for 54 MB. Quotes are read as `csv` reads them (opening a field only at
/// its start, `""` a quote inside one); past the cap the field's bytes are
/// dropped up to its closing quote, which passes, so the rows after it
/// read as before. Line ends dropped are counted by where they were
/// ([`CsvFields::line_ends_dropped_before`]), so rows keep their lines.
#[derive(Debug)]
pub struct CsvFields<R> {
    inner: R,
    delimiter: u8,
    cap: usize,
    /// At the start of a field (a quote there opens it).
    field_start: bool,
    /// Inside a quoted field: its bytes passed through.
    quoted: Option<usize>,
    /// Inside a quoted field, the byte before was a quote: `""` (a quote in
    /// the field) or the field's end, which the next byte tells.
    quote_seen: bool,
    /// Past the cap: dropping; a quote read there held back until the next
    /// byte tells whether it ends the field.
    dropping: bool,
    held_quote: bool,
    /// Bytes passed through.
    offset: u64,
    first_dropped: Option<u64>,
    dropped: u64,
    /// (offset passed through, line ends dropped before it), one entry a cut.
    line_ends: Vec<(u64, u64)>,
}

impl<R: BufRead> CsvFields<R> {
    pub fn new(inner: R, delimiter: u8) -> Self {
        Self::with_cap(inner, delimiter, TEXT_RUN_CAP)
    }

    pub fn with_cap(inner: R, delimiter: u8, cap: usize) -> Self {
        CsvFields {
            inner,
            delimiter,
            cap: cap.max(1),
            field_start: true,
            quoted: None,
            quote_seen: false,
            dropping: false,
            held_quote: false,
            offset: 0,
            first_dropped: None,
            dropped: 0,
            line_ends: Vec::new(),
        }
    }

    /// The offset (in the bytes read, not passed through) of the first
    /// byte dropped and how many were, if any.
    pub fn dropped(&self) -> Option<(u64, u64)> {
        self.first_dropped.map(|at| (at, self.dropped))
    }

    /// Bytes dropped so far.
    pub fn bytes_dropped(&self) -> u64 {
        self.dropped
    }

    /// Line ends dropped before `offset` of the bytes passed through: what a
    /// line counted in them lacks.
    pub fn line_ends_dropped_before(&self, offset: u64) -> u64 {
        self.line_ends
            .iter()
            .take_while(|(at, _)| *at <= offset)
            .last()
            .map_or(0, |(_, n)| *n)
    }

    /// `n` bytes dropped, `line_ends` of them line ends.
    fn note_dropped(&mut self, n: u64, line_ends: u64) {
        self.first_dropped.get_or_insert(self.offset + self.dropped);
        self.dropped += n;
        if line_ends > 0 {
            let before = self.line_ends.last().map_or(0, |(_, n)| *n);
            match self.line_ends.last_mut() {
                Some((at, n)) if *at == self.offset => *n += line_ends,
                _ => self.line_ends.push((self.offset, before + line_ends)),
            }
        }
    }

    /// Passes a quote held back to `out` (see [`CsvFields::dropping`]).
    fn pass_held_quote(&mut self, out: &mut [u8]) {
        out[0] = b'"';
        self.offset += 1;
        self.dropping = false;
        self.quoted = None;
        self.quote_seen = false;
        self.field_start = false;
    }
}

impl<R: BufRead> Read for CsvFields<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            if !more(&mut self.inner, written)? {
                if std::mem::take(&mut self.held_quote) {
                    // The text ends right after the field's closing quote.
                    self.pass_held_quote(&mut out[written..]);
                    written += 1;
                }
                break;
            }
            if self.dropping {
                let data = self.inner.fill_buf()?;
                if std::mem::take(&mut self.held_quote) {
                    if data[0] == b'"' {
                        // `""`: a quote inside the field, dropped with it.
                        self.inner.consume(1);
                        self.note_dropped(2, 0);
                    } else {
                        // The field's closing quote passes.
                        self.pass_held_quote(&mut out[written..]);
                        written += 1;
                    }
                    continue;
                }
                // Dropped up to the next quote, which is held back.
                let len = data.len();
                let skip = memchr(b'"', data).unwrap_or(len);
                let line_ends = memchr::memchr_iter(b'\n', &data[..skip]).count() as u64;
                if skip < len {
                    self.held_quote = true;
                    self.inner.consume(skip + 1);
                } else {
                    self.inner.consume(skip);
                }
                self.note_dropped(skip as u64, line_ends);
                continue;
            }
            let data = self.inner.fill_buf()?;
            let room = (out.len() - written).min(data.len());
            let mut n = 0;
            while n < room {
                let b = data[n];
                match self.quoted {
                    Some(len) if self.quote_seen => {
                        self.quote_seen = false;
                        if b == b'"' {
                            self.quoted = Some(len + 1);
                        } else {
                            // Closed: the field goes on unquoted, or ends.
                            self.quoted = None;
                            self.field_start = b == self.delimiter || b == b'\n' || b == b'\r';
                        }
                    }
                    Some(_) if b == b'"' => self.quote_seen = true,
                    Some(len) if len >= self.cap => {
                        self.dropping = true;
                        break;
                    }
                    Some(len) => self.quoted = Some(len + 1),
                    None if b == b'"' && self.field_start => {
                        self.quoted = Some(0);
                        self.field_start = false;
                    }
                    None => {
                        self.field_start = b == self.delimiter || b == b'\n' || b == b'\r';
                    }
                }
                n += 1;
            }
            out[written..written + n].copy_from_slice(&data[..n]);
            written += n;
            self.offset += n as u64;
            self.inner.consume(n);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    fn through(
        text: &str,
        cap: usize,
        read_size: usize,
    ) -> (String, CsvFields<io::BufReader<&[u8]>>) {
        let mut fields =
            CsvFields::with_cap(io::BufReader::with_capacity(5, text.as_bytes()), b',', cap);
        let out = read_in_pieces(&mut fields, read_size);
        (String::from_utf8(out).unwrap(), fields)
    }

    #[test]
    fn fields_within_the_cap_pass_unchanged() {
        let text = "\"a\",\"b \"\"c\"\"\",d\"e\r\n\"two\nlines\",x\r\n";
        for read_size in [1, 3, 64] {
            let (out, fields) = through(text, 16, read_size);
            assert_eq!(out, text);
            assert_eq!(fields.dropped(), None);
        }
    }

    #[test]
    fn a_field_past_the_cap_is_cut_and_the_rows_after_it_read() {
        // The second row's field runs over three lines, with a `""` in it.
        let text = "\"h1\",\"h2\"\r\n\"1\",\"0123456789\r\nab\"\"c\r\nxyz\"\r\n\"2\",\"ok\"\r\n";
        for read_size in [1, 2, 7, 64] {
            let (out, fields) = through(text, 6, read_size);
            assert_eq!(
                out, "\"h1\",\"h2\"\r\n\"1\",\"012345\"\r\n\"2\",\"ok\"\r\n",
                "{read_size}"
            );
            // `6789\r\nab""c\r\nxyz`: 16 bytes, two line ends, after 22 passed.
            assert_eq!(fields.dropped(), Some((22, 16)), "{read_size}");
            assert_eq!(fields.line_ends_dropped_before(21), 0);
            assert_eq!(fields.line_ends_dropped_before(23), 2);
            let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(out.as_bytes())
                .records()
                .map(Result::unwrap)
                .collect();
            assert_eq!(rows.len(), 3);
            assert_eq!(&rows[2][1], "ok");
        }
    }
}
