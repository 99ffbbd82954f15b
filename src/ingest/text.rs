//! Reading an artifact's bytes for a parser: counted, decoded to UTF-8,
//! read whole with caps (queue exports, command outputs) or streamed, and
//! searched for failure signatures on the way (the net under the parsers).

use exauth_parsers::detect::{Detection, Form};
use exauth_parsers::encoding::{utf8_reader, TextEncoding};
use exauth_parsers::problem::{Location, Problem, Problems};
use exauth_parsers::reread::Reread;
use exauth_parsers::signature::{scan_text, SignatureHit, SignatureScanner};
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

/// An artifact's content as an input reads it.
pub struct Content<'c> {
    counted: CountingReader<'c>,
    encoding: Option<TextEncoding>,
    form: Form,
    /// Characters the decoder had to replace (UTF-16 input only).
    replaced: Cell<u64>,
    /// Lines cut while read whole.
    problems: Problems,
    signatures: Vec<SignatureHit>,
}

impl<'c> Content<'c> {
    pub fn new(raw: &'c mut dyn Read, detection: &Detection) -> Self {
        Content {
            counted: CountingReader {
                inner: raw,
                bytes: 0,
            },
            encoding: detection.encoding,
            form: detection.form,
            replaced: Cell::new(0),
            problems: Problems::new(),
            signatures: Vec::new(),
        }
    }

    /// The raw bytes (`.evtx`).
    pub fn raw(&mut self) -> &mut dyn Read {
        &mut self.counted
    }

    /// The content decoded to UTF-8, streamed through a buffer of
    /// `capacity` bytes.
    pub fn lines(&mut self, capacity: usize) -> BufReader<Box<dyn Read + '_>> {
        let Content {
            counted,
            encoding,
            replaced,
            ..
        } = self;
        BufReader::with_capacity(capacity, decode(counted, *encoding, replaced))
    }

    /// The whole content decoded to UTF-8 (at most [`MAX_TEXT_BYTES`]),
    /// searched for failure signatures. Lines over 1 MiB are cut (a problem
    /// each; not for JSON and CliXml, where lines mean nothing).
    pub fn text(&mut self) -> Result<String, String> {
        let Content {
            counted,
            encoding,
            form,
            replaced,
            problems,
            signatures,
        } = self;
        let text = read_text(decode(counted, *encoding, replaced), *form, problems)?;
        *signatures = scan_text(&text);
        Ok(text)
    }

    /// The content decoded to UTF-8 as [`Content::text`] gives it — lines
    /// over 1 MiB cut, invalid UTF-8 replaced, failure signatures searched —
    /// but spooled, not held: in memory while small, in a temporary file
    /// beyond [`SPOOL_IN_MEMORY`]. No size limit: an input that reads it a
    /// line at a time, from its start as often as it needs (events as text:
    /// one pass for the dates, one for the events), holds none of it whole.
    pub fn spooled_text(&mut self) -> Result<SpooledText, String> {
        let line_cap = line_cap(self.form);
        let mut decoded = decode(&mut self.counted, self.encoding, &self.replaced);
        let mut spool = tempfile::spooled_tempfile(SPOOL_IN_MEMORY);
        let mut lines = LineCapper::new(line_cap);
        let mut utf8 = Utf8Repair::default();
        let mut scan = SignatureLines::default();
        let mut buf = vec![0u8; 256 << 10];
        let (mut capped, mut text) = (Vec::new(), String::new());
        let mut at_end = false;
        while !at_end {
            let n = match decoded.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("cannot read: {e}")),
            };
            capped.clear();
            text.clear();
            if n == 0 {
                at_end = true;
                lines.end_line();
                utf8.finish(&mut text);
            } else {
                lines.read += n as u64;
                lines.push(&buf[..n], &mut capped);
                utf8.push(&capped, &mut text);
            }
            scan.push(&text, at_end);
            std::io::Write::write_all(&mut spool, text.as_bytes())
                .map_err(|e| format!("cannot spool the text to a temporary file: {e}"))?;
        }
        drop(decoded);
        self.problems.extend(cut_line_problems(lines.cut, line_cap));
        self.problems
            .extend(utf8.first_invalid.map(invalid_utf8_problem));
        self.signatures = scan.scanner.finish();
        Ok(SpooledText(spool))
    }

    /// Searches the content, streaming, for failure-signature lines (a
    /// text no parser reads).
    pub fn scan_signatures(&mut self) {
        let reader = self.lines(256 << 10);
        match scan_signatures(reader) {
            Ok(hits) => self.signatures = hits,
            Err(e) => self.problems.push(super::cannot_read(e)),
        }
    }

    /// Bytes read (the whole content, read to its end when its size was not
    /// known before: a gzip stream), the problems met while reading, the
    /// failure signatures found, and how many characters were replaced.
    pub fn finish(mut self, size: Option<u64>) -> Finished {
        let bytes = match size {
            Some(size) => size,
            None => {
                let _ = std::io::copy(&mut self.counted, &mut std::io::sink());
                self.counted.bytes
            }
        };
        Finished {
            bytes,
            problems: self.problems,
            signatures: self.signatures,
            replaced: self.replaced.get(),
            encoding: self.encoding,
        }
    }
}

/// What reading an artifact left besides its records.
pub struct Finished {
    pub bytes: u64,
    pub problems: Problems,
    pub signatures: Vec<SignatureHit>,
    pub replaced: u64,
    pub encoding: Option<TextEncoding>,
}

impl Finished {
    /// The problem that says characters were replaced, if any were.
    pub fn replaced_problem(&self) -> Option<Problem> {
        (self.replaced > 0).then(|| {
            Problem::new(
                Location::File,
                format!(
                    "{} characters could not be decoded as {} (lone surrogates, an odd byte count): shown as U+FFFD",
                    self.replaced,
                    self.encoding.map(|e| e.name()).unwrap_or("text")
                ),
            )
        })
    }
}

/// Counts the bytes a parser pulled through it.
struct CountingReader<'r> {
    inner: &'r mut dyn Read,
    bytes: u64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Longest line of a text file read whole (queue exports, command outputs)
/// that is kept whole. No real export comes near it; a longer line is cut
/// here, while read, so that one hostile line is never held (and copied by
/// the parsers) in full. JSON and CliXml are exempt: lines mean nothing to
/// them (`ConvertTo-Json -Compress` writes a whole export on one line); they
/// are bounded by [`MAX_TEXT_BYTES`] alone.
const MAX_TEXT_LINE: usize = 1 << 20;

/// Reads a whole (small) text file, decoded to UTF-8; invalid UTF-8 is
/// replaced, not fatal. Lines over [`MAX_TEXT_LINE`] are cut (a problem each).
fn read_text(decoded: impl Read, form: Form, problems: &mut Problems) -> Result<String, String> {
    let line_cap = line_cap(form);
    let reader = decoded.take(MAX_TEXT_BYTES + 1);
    let mut lines = LineCapper::new(line_cap);
    let bytes = lines
        .read_all(reader)
        .map_err(|e| format!("cannot read: {e}"))?;
    if lines.read > MAX_TEXT_BYTES {
        return Err(too_large());
    }
    problems.extend(cut_line_problems(lines.cut, line_cap));
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            problems.push(invalid_utf8_problem(e.utf8_error().valid_up_to() as u64));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    Ok(text)
}

/// The longest line of a text of `form` kept whole ([`MAX_TEXT_LINE`]; JSON
/// and CliXml, whose lines mean nothing, are not cut).
fn line_cap(form: Form) -> usize {
    match form {
        Form::Json | Form::CliXml => usize::MAX,
        _ => MAX_TEXT_LINE,
    }
}

/// Why a text over [`MAX_TEXT_BYTES`] is not read whole.
fn too_large() -> String {
    format!(
        "larger than {} MiB of text: too large for an export of this kind",
        MAX_TEXT_BYTES >> 20
    )
}

/// A problem per line cut by [`LineCapper`].
fn cut_line_problems(cut: Vec<(u64, usize)>, line_cap: usize) -> impl Iterator<Item = Problem> {
    cut.into_iter().map(move |(line, len)| {
        Problem::new(
            Location::Line(line),
            format!(
                "line of {len} bytes cut to its first {} KiB",
                line_cap >> 10
            ),
        )
    })
}

/// The problem of a text whose bytes stop being UTF-8 at `offset`.
fn invalid_utf8_problem(offset: u64) -> Problem {
    Problem::new(
        Location::Offset(offset),
        "invalid UTF-8 from here on is shown as U+FFFD",
    )
}

/// A text spooled by [`Content::spooled_text`], read again from its start
/// as often as asked.
pub struct SpooledText(tempfile::SpooledTempFile);

/// Decoded text a spool holds in memory; beyond it, a temporary file
/// (unnamed: the operating system removes it when the process ends).
pub const SPOOL_IN_MEMORY: usize = 4 << 20;

impl SpooledText {
    /// Its first 4,096 characters (what format detection looks at).
    pub fn head(&mut self) -> Result<String, String> {
        // 4 bytes a character at most: a character the cut splits comes after
        // the first 4,096.
        let mut head = Vec::new();
        self.read_from_start()
            .and_then(|text| text.take(4096 * 4).read_to_end(&mut head))
            .map_err(|e| format!("cannot read the spooled text: {e}"))?;
        Ok(String::from_utf8_lossy(&head).chars().take(4096).collect())
    }
}

impl SpooledText {
    /// The whole text, for a parser that needs it whole (at most
    /// [`MAX_TEXT_BYTES`], as [`Content::text`]): what was spooled before an
    /// input knew which of its forms the text is.
    pub fn into_text(mut self) -> Result<String, String> {
        let mut bytes = Vec::new();
        self.read_from_start()
            .and_then(|text| text.take(MAX_TEXT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| format!("cannot read the spooled text: {e}"))?;
        if bytes.len() as u64 > MAX_TEXT_BYTES {
            return Err(too_large());
        }
        // Spooled as valid UTF-8 (invalid sequences replaced on the way).
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}

impl Reread for SpooledText {
    fn read_from_start(&mut self) -> std::io::Result<Box<dyn BufRead + '_>> {
        self.0.seek(SeekFrom::Start(0))?;
        Ok(Box::new(BufReader::with_capacity(256 << 10, &mut self.0)))
    }
}

/// Bytes made UTF-8 as they stream by, invalid sequences replaced as
/// [`String::from_utf8_lossy`] replaces them in the whole text (a sequence
/// cut by a read is completed by the next), and where the first was.
#[derive(Default)]
struct Utf8Repair {
    /// The start of a sequence the last piece ended in (at most 3 bytes).
    pending: Vec<u8>,
    /// Bytes taken in before `pending`.
    offset: u64,
    first_invalid: Option<u64>,
}

impl Utf8Repair {
    fn push(&mut self, bytes: &[u8], out: &mut String) {
        let joined;
        let mut rest = if self.pending.is_empty() {
            bytes
        } else {
            let mut pending = std::mem::take(&mut self.pending);
            pending.extend_from_slice(bytes);
            joined = pending;
            &joined[..]
        };
        loop {
            match std::str::from_utf8(rest) {
                Ok(valid) => {
                    out.push_str(valid);
                    self.offset += rest.len() as u64;
                    return;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // `valid_up_to` bytes are UTF-8: never the default.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    self.offset += valid.len() as u64;
                    match e.error_len() {
                        Some(len) => {
                            self.first_invalid.get_or_insert(self.offset);
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.offset += len as u64;
                            rest = &after[len..];
                        }
                        None => {
                            self.pending.extend_from_slice(after);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The end of the text: a sequence left unfinished is one replacement.
    fn finish(&mut self, out: &mut String) {
        if !self.pending.is_empty() {
            self.first_invalid.get_or_insert(self.offset);
            out.push(char::REPLACEMENT_CHARACTER);
            self.offset += self.pending.len() as u64;
            self.pending.clear();
        }
    }
}

/// The lines of text streaming by, searched for failure signatures as
/// [`scan_text`] searches a whole text (lines split as [`str::lines`] splits
/// them), a line handed to the scanner in pieces: none is held whole (a JSON
/// export on one line is scanned in windows, as `scan_text` scans it).
#[derive(Default)]
struct SignatureLines {
    scanner: SignatureScanner,
    /// The last piece ended in `\r`, held back: a `\n` next drops it.
    carriage_return: bool,
    /// The last piece ended inside a line, given to the scanner in pieces.
    mid_line: bool,
}

impl SignatureLines {
    fn push(&mut self, mut text: &str, at_end: bool) {
        if self.carriage_return && !text.is_empty() {
            self.carriage_return = false;
            if !text.starts_with('\n') {
                self.scanner.piece("\r");
            }
        }
        while let Some(i) = memchr::memchr(b'\n', text.as_bytes()) {
            let (line, rest) = text.split_at(i);
            let line = line.strip_suffix('\r').unwrap_or(line);
            if std::mem::take(&mut self.mid_line) {
                self.scanner.piece(line);
                self.scanner.end_line();
            } else {
                // A whole line in this piece: scanned where it lies.
                self.scanner.line(line);
            }
            text = &rest[1..];
        }
        if let Some(line) = text.strip_suffix('\r').filter(|_| !at_end) {
            self.carriage_return = true;
            text = line;
        }
        self.mid_line = true;
        self.scanner.piece(text);
        if at_end {
            if std::mem::take(&mut self.carriage_return) {
                // The last line keeps a `\r` it ends in (as `str::lines`).
                self.scanner.piece("\r");
            }
            self.scanner.end_last_line();
        }
    }
}

/// Copies text while dropping the bytes of each line past `cap`.
struct LineCapper {
    cap: usize,
    /// Bytes read (before cutting).
    read: u64,
    /// 1-based number of the current line and its length so far.
    line: u64,
    line_len: usize,
    /// (line number, full length) of every line cut.
    cut: Vec<(u64, usize)>,
}

impl LineCapper {
    fn new(cap: usize) -> Self {
        LineCapper {
            cap,
            read: 0,
            line: 1,
            line_len: 0,
            cut: Vec::new(),
        }
    }

    fn read_all(&mut self, mut reader: impl Read) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.read += n as u64;
            self.push(&buf[..n], &mut out);
        }
        self.end_line();
        Ok(out)
    }

    fn push(&mut self, mut chunk: &[u8], out: &mut Vec<u8>) {
        while !chunk.is_empty() {
            let (content, newline) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (&chunk[..i], true),
                None => (chunk, false),
            };
            let room = self.cap.saturating_sub(self.line_len);
            out.extend_from_slice(&content[..content.len().min(room)]);
            self.line_len = self.line_len.saturating_add(content.len());
            chunk = &chunk[content.len()..];
            if newline {
                out.push(b'\n');
                self.end_line();
                self.line += 1;
                chunk = &chunk[1..];
            }
        }
    }

    fn end_line(&mut self) {
        if self.line_len > self.cap {
            self.cut.push((self.line, self.line_len));
        }
        self.line_len = 0;
    }
}

/// Longest line the signature scan of an unparsed file looks at; the rest of
/// a longer line is skipped while read (a hostile 200 MB line is never held).
const MAX_SCANNED_LINE: usize = 64 << 10;

/// Every failure-signature line of a text stream.
fn scan_signatures(mut reader: impl BufRead) -> std::io::Result<Vec<SignatureHit>> {
    let mut scanner = SignatureScanner::new();
    let mut line: Vec<u8> = Vec::new();
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if !line.is_empty() {
                scanner.line(&String::from_utf8_lossy(&line));
            }
            break;
        }
        let (take, newline) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        let room = MAX_SCANNED_LINE.saturating_sub(line.len());
        line.extend_from_slice(&buf[..take.min(room)]);
        reader.consume(take + usize::from(newline));
        if newline {
            scanner.line(&String::from_utf8_lossy(&line));
            line.clear();
        }
    }
    Ok(scanner.finish())
}

/// Largest decoded text file read whole (queue exports, command outputs).
const MAX_TEXT_BYTES: u64 = 256 << 20;

/// The content decoded to UTF-8. UTF-8 passes through (the parsers replace
/// invalid sequences themselves); for other encodings, the characters the
/// decoder had to replace are counted into `replaced`.
fn decode<'r>(
    content: &'r mut dyn Read,
    encoding: Option<TextEncoding>,
    replaced: &'r std::cell::Cell<u64>,
) -> Box<dyn Read + 'r> {
    let encoding = encoding.unwrap_or(TextEncoding::Utf8);
    let decoded = utf8_reader(content, encoding);
    match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => decoded,
        _ => Box::new(ReplacementCounter {
            inner: decoded,
            replaced,
            matched: 0,
        }),
    }
}

/// Counts U+FFFD (`EF BF BD`) in a UTF-8 stream, across read boundaries.
struct ReplacementCounter<'c, R> {
    inner: R,
    replaced: &'c std::cell::Cell<u64>,
    /// Bytes of `EF BF BD` matched at the end of the previous read.
    matched: usize,
}

impl<R: Read> Read for ReplacementCounter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        const FFFD: [u8; 3] = [0xEF, 0xBF, 0xBD];
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            self.matched = if b == FFFD[self.matched] {
                self.matched + 1
            } else if b == FFFD[0] {
                1
            } else {
                0
            };
            if self.matched == FFFD.len() {
                self.replaced.set(self.replaced.get() + 1);
                self.matched = 0;
            }
        }
        Ok(n)
    }
}

/// Hands over at most `at_a_time` bytes a read (tests: reads that cut lines,
/// line ends and characters anywhere).
#[cfg(test)]
pub(crate) struct Trickle<'b> {
    pub bytes: &'b [u8],
    pub at_a_time: usize,
}

#[cfg(test)]
impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.at_a_time.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_capper_cuts_long_lines_and_counts_them() {
        let mut capper = LineCapper::new(4);
        let input = b"abc\r\nabcdefgh\nxy\nlong-last-line";
        // Fed in small chunks, as a reader hands them over.
        let text = capper.read_all(std::io::Cursor::new(&input[..])).unwrap();
        assert_eq!(text, b"abc\r\nabcd\nxy\nlong");
        assert_eq!(capper.cut, vec![(2, 8), (4, 14)]);
        assert_eq!(capper.read, input.len() as u64);
    }

    #[test]
    fn replacement_counter_counts_across_reads() {
        let replaced = std::cell::Cell::new(0);
        let text = "a\u{FFFD}b\u{FFFD}\u{FFFD}c".as_bytes();
        // One byte per read: every sequence is split.
        let one_by_one = std::io::Read::chain(&text[..0], OneByte(text));
        let mut counter = ReplacementCounter {
            inner: one_by_one,
            replaced: &replaced,
            matched: 0,
        };
        let mut out = Vec::new();
        counter.read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
        assert_eq!(replaced.get(), 3);
    }

    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.is_empty()) {
                (Some((first, rest)), false) => {
                    buf[0] = *first;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    /// Bytes made UTF-8 piece by piece give what the whole gives, however
    /// they are cut: the same replacements, the same first invalid offset.
    #[test]
    fn utf8_repair_cut_anywhere_equals_the_whole() {
        let texts: [&[u8]; 6] = [
            "plain ascii, é, ü, 日本, 🦀".as_bytes(),
            b"bad \xff byte and \xc3\x28 pair",
            b"cut at the end \xe6\x97",
            b"\xf0\x9f\xa6 three of four then ok \xf0\x9f\xa6\x80",
            b"\xed\xa0\x80 surrogate, \xc0\xaf overlong",
            b"",
        ];
        for text in texts {
            let whole = String::from_utf8_lossy(text);
            let first = std::str::from_utf8(text)
                .err()
                .map(|e| e.valid_up_to() as u64);
            let cuts: Vec<Vec<&[u8]>> = (0..=text.len())
                .map(|at| vec![&text[..at], &text[at..]])
                .chain(std::iter::once(text.chunks(1).collect()))
                .collect();
            for pieces in cuts {
                let mut repair = Utf8Repair::default();
                let mut out = String::new();
                for piece in &pieces {
                    repair.push(piece, &mut out);
                }
                repair.finish(&mut out);
                assert_eq!(out, whole, "{pieces:?}");
                assert_eq!(repair.first_invalid, first, "{pieces:?}");
            }
        }
    }

    /// The spool's signature search gives what the whole text's gives
    /// however the bytes come — a `\r\n` split between reads, a lone `\r`, a
    /// last line of `\r` — and a one-line JSON export of megabytes is
    /// searched without a line cut or held.
    #[test]
    fn spooled_signatures_are_the_whole_texts_however_the_bytes_come() {
        use exauth_parsers::detect::{Disposition, Kind};
        let lines = "a\r\n454 4.7.0 Temporary authentication failure\r\nx\ry 451 5.7.3 Cannot achieve Exchange Server authentication\r\n\r";
        let mut json = String::from("[");
        let mut failed = false;
        while json.len() < 3 * exauth_parsers::signature::SCAN_WINDOW {
            if json.len() > 3 << 19 && !std::mem::replace(&mut failed, true) {
                json.push_str(r#"{"Identity":"EX01\\9","LastError":"[{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\"};{IP=10.1.2.12}]"},"#);
            }
            json.push_str(r#"{"Identity":"EX01\\7","Status":"Ready","MessageCount":0},"#);
        }
        json.push_str("{}]");
        for (text, form) in [(lines.to_string(), Form::Other), (json, Form::Json)] {
            let detection = Detection {
                kind: Kind::new("queue-export"),
                form,
                encoding: Some(TextEncoding::Utf8),
                disposition: Disposition::Used,
                reason: None,
            };
            let mut raw = text.as_bytes();
            let mut whole = Content::new(&mut raw, &detection);
            let read = whole.text().unwrap();
            assert!(read == text);
            assert!(!whole.signatures.is_empty());
            for at_a_time in [1, 2, 3, 4096, 1 << 20] {
                if at_a_time < 4 && text.len() > 1000 {
                    continue;
                }
                let mut raw = Trickle {
                    bytes: text.as_bytes(),
                    at_a_time,
                };
                let mut spooled = Content::new(&mut raw, &detection);
                spooled.spooled_text().unwrap();
                assert_eq!(
                    spooled.signatures, whole.signatures,
                    "{at_a_time} at a time"
                );
                assert!(spooled.problems.is_empty());
            }
        }
    }

    /// The spooled text is the text read whole: the same string, problems
    /// and failure signatures — CRLF, a line over the cap, invalid UTF-8
    /// (cut by the reads), a spool past memory into its file, UTF-16.
    #[test]
    fn spooled_text_is_the_text_read_whole() {
        use exauth_parsers::detect::{Disposition, Kind};
        let event = "Description:\r\nInbound authentication failed with error TimeSkew for Receive connector Default EX02. The authentication mechanism is ExchangeAuth. The source IP address of the client who tried to authenticate to Microsoft Exchange is [10.0.1.11].\r\n";
        let mut long = Vec::new();
        long.extend_from_slice(event.as_bytes());
        long.extend(std::iter::repeat_n(b'x', MAX_TEXT_LINE + 10));
        long.extend_from_slice(b"\r\nbad \xff here\r\n");
        long.extend_from_slice(event.repeat(30_000).as_bytes()); // past SPOOL_IN_MEMORY
        long.extend_from_slice(
            b"last line, no newline: 454 4.7.0 Temporary authentication failure\r",
        );
        assert!(long.len() > SPOOL_IN_MEMORY);
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in event.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        for (bytes, encoding) in [
            (long, TextEncoding::Utf8),
            (utf16, TextEncoding::Utf16LeBom),
        ] {
            let detection = Detection {
                kind: Kind::new("event-text"),
                form: Form::Other,
                encoding: Some(encoding),
                disposition: Disposition::Used,
                reason: None,
            };
            let mut raw = &bytes[..];
            let mut whole = Content::new(&mut raw, &detection);
            let text = whole.text().unwrap();
            let mut raw = &bytes[..];
            let mut spooled = Content::new(&mut raw, &detection);
            let mut spool = spooled.spooled_text().unwrap();
            let mut again = String::new();
            spool
                .read_from_start()
                .unwrap()
                .read_to_string(&mut again)
                .unwrap();
            assert!(again == text, "the spool differs from the text");
            assert_eq!(spooled.problems, whole.problems);
            if encoding == TextEncoding::Utf8 {
                // The line cut, the invalid byte.
                assert_eq!(whole.problems.len(), 2, "{:?}", whole.problems);
            }
            assert_eq!(spooled.signatures, whole.signatures);
            assert!(!whole.signatures.is_empty());
            // Read again, the same.
            let mut twice = String::new();
            spool
                .read_from_start()
                .unwrap()
                .read_to_string(&mut twice)
                .unwrap();
            assert!(twice == text);
            let (whole, spooled) = (whole.finish(None), spooled.finish(None));
            assert_eq!(
                (whole.bytes, whole.replaced),
                (spooled.bytes, spooled.replaced)
            );
        }
    }

    #[test]
    fn line_capper_keeps_short_text_byte_for_byte() {
        let mut capper = LineCapper::new(1 << 20);
        let input = "Identity : EX01\\3\r\n\r\nStatus   : Retry\r\n".as_bytes();
        let text = capper.read_all(input).unwrap();
        assert_eq!(text, input);
        assert!(capper.cut.is_empty());
    }
}
