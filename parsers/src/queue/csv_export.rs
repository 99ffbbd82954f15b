//! `Export-Csv` of queues/messages (and the shared CSV reading used by the
//! Queue Viewer export).
//!
//! Windows PowerShell writes `#TYPE <type name>` first (unless
//! `-NoTypeInformation`; PowerShell 6+ omits it), then a header of property
//! names, then rows with every field double-quoted and quotes doubled.
//! Collections come out as their type name (`System.Int32[]`), dates in the
//! exporting host's culture — both are left as text here and interpreted by
//! [`super::records`]. Quoted fields may span lines, so a real CSV reader
//! (the `csv` crate) does the splitting.

use super::{PropertyObject, PropertyValue};
use crate::problem::{Location, Problem, Problems};
use crate::reread::first_line_without_byte_order_marks;
use crate::text_runs::{CsvFields, TEXT_RUN_CAP};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// The `#TYPE` name, if the first line carries one.
pub fn type_name(text: &str) -> Option<String> {
    let first = text.trim_start_matches('\u{feff}').lines().next()?;
    first
        .strip_prefix("#TYPE")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Cheap content check: `#TYPE …`, or a header line of quoted names.
pub fn looks_like(text_head: &str) -> bool {
    let t = text_head.trim_start_matches('\u{feff}');
    if t.starts_with("#TYPE ") {
        return true;
    }
    let Some(first) = t.lines().next() else {
        return false;
    };
    let first = first.trim_end();
    // Export-Csv headers are property names: quoted, comma-separated, no spaces.
    first.starts_with('"')
        && first.ends_with('"')
        && first.contains("\",\"")
        && !first.contains(' ')
}

/// The line breaks of a stream as it is read: the offsets of its `\r` and
/// `\n` bytes not yet passed, for the line of a record's byte offset.
#[derive(Default)]
struct Breaks {
    /// (offset, is `\n`), in order.
    pending: VecDeque<(u64, bool)>,
    read: u64,
}

/// A reader that notes the line breaks that pass through it.
struct NotingBreaks<R> {
    inner: R,
    breaks: Rc<RefCell<Breaks>>,
}

impl<R: Read> Read for NotingBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        let base = breaks.read;
        for i in memchr::memchr2_iter(b'\r', b'\n', buf.get(..n).unwrap_or_default()) {
            let newline = buf.get(i) == Some(&b'\n');
            breaks.pending.push_back((base + i as u64, newline));
        }
        breaks.read += n as u64;
        Ok(n)
    }
}

/// 1-based line numbers of the byte offsets of a stream's records, asked in
/// increasing order: each counts the line breaks since the last (counted
/// from the start of the text for every record, a 20 MB export of 67,000
/// queues took 29 s, by hand).
struct LineCursor {
    breaks: Rc<RefCell<Breaks>>,
    line: u64,
}

impl LineCursor {
    /// The line of a byte offset the reader has read past.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut breaks = self.breaks.borrow_mut();
        // csv reports a record as starting at the line break left from the
        // previous one (CRLF): the line breaks right at it are stepped over.
        let mut end = byte;
        while let Some(&(at, newline)) = breaks.pending.front() {
            if at < end {
            } else if at == end {
                end += 1;
            } else {
                break;
            }
            self.line += u64::from(newline);
            breaks.pending.pop_front();
        }
        self.line
    }
}

/// Reads header + rows into objects (all values [`PropertyValue::Text`]).
/// A leading `#TYPE` line becomes every object's type name.
pub fn read_delimited(text: &str, delimiter: u8) -> (Vec<PropertyObject>, Problems) {
    super::gather(text, &mut |t, object| each_delimited(t, delimiter, object))
}

/// [`read_delimited`] streaming: every object to `each` as its row is read;
/// the problems met, and the error that cut the text short, if one did.
pub fn each_delimited(
    text: &mut dyn BufRead,
    delimiter: u8,
    each: &mut dyn FnMut(PropertyObject),
) -> (Problems, io::Result<()>) {
    let mut problems = Problems::new();
    // The first line: a `#TYPE`, or the first of the rows (given back).
    let first = match first_line_without_byte_order_marks(text) {
        Ok(first) => first,
        Err(e) => return (problems, Err(e)),
    };
    let type_names: Vec<String> = type_name(&String::from_utf8_lossy(&first))
        .into_iter()
        .collect();
    let (given_back, first_line) = if type_names.is_empty() {
        (first, 1u64)
    } else {
        (Vec::new(), 2u64)
    };
    let breaks = Rc::new(RefCell::new(Breaks::default()));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(NotingBreaks {
            inner: CsvFields::new(io::Cursor::new(given_back).chain(text), delimiter),
            breaks: breaks.clone(),
        });
    let mut lines = LineCursor { breaks, line: 1 };
    let mut header: Option<Vec<String>> = None;
    let mut record = csv::StringRecord::new();
    let mut result = Ok(());
    // Bytes of quoted fields cut so far (see [`CsvFields`]).
    let mut cut = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    result = Err(io::Error::other(e.to_string()));
                    break;
                }
                let byte = e.position().map(|p| p.byte()).unwrap_or(0);
                let line = lines.line_at(byte) + first_line - 1
                    + reader.get_ref().inner.line_ends_dropped_before(byte);
                problems.push(Problem::new(
                    Location::Line(line),
                    format!("bad CSV row: {e}"),
                ));
                continue;
            }
        }
        let byte = record.position().map(|p| p.byte()).unwrap_or(0);
        let fields = &reader.get_ref().inner;
        let line = lines.line_at(byte) + first_line - 1 + fields.line_ends_dropped_before(byte);
        if fields.bytes_dropped() > cut {
            problems.push(field_cut(line, fields.bytes_dropped() - cut));
            cut = fields.bytes_dropped();
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let Some(names) = header.as_ref() else {
            header = Some(record.iter().map(|f| f.trim().to_string()).collect());
            continue;
        };
        if record.len() != names.len() {
            problems.push(Problem::new(
                Location::Line(line),
                format!(
                    "row has {} fields, header has {}",
                    record.len(),
                    names.len()
                ),
            ));
        }
        let mut obj = PropertyObject::new(Location::Line(line));
        obj.type_names.clone_from(&type_names);
        for (name, value) in names.iter().zip(record.iter()) {
            obj.properties
                .push((name.clone(), PropertyValue::Text(value.to_string())));
        }
        each(obj);
    }
    if header.is_none() && result.is_ok() {
        problems.push(Problem::new(Location::File, "no CSV header row"));
    }
    (problems, result)
}

/// The problem of a row whose quoted field was cut (see [`CsvFields`]).
pub(crate) fn field_cut(line: u64, bytes: u64) -> Problem {
    Problem::new(
        Location::Line(line),
        format!(
            "a quoted field runs past {} MiB in this row: {} bytes of it not read (its quote never closed, or junk inside it)",
            TEXT_RUN_CAP >> 20,
            crate::problem::thousands(bytes)
        ),
    )
}

/// Reads an `Export-Csv` file.
pub fn read_objects(text: &str) -> (Vec<PropertyObject>, Problems) {
    read_delimited(text, b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows are placed on the line they start on, read a byte at a time or
    /// whole: CRLF or LF, a quoted field over two lines, blank lines, a
    /// `#TYPE` line and byte order marks before it.
    #[test]
    fn rows_are_placed_on_their_lines() {
        let crlf = "\u{feff}\u{feff}#TYPE T\r\n\"A\",\"B\"\r\n\"1\",\"two\r\nlines\"\r\n\r\n\r\n\"3\",\"x\"\r\n\"4\",\"y\"";
        let lf = crlf.replace("\r\n", "\n");
        for text in [crlf, lf.as_str()] {
            let (objects, problems) = read_delimited(text, b',');
            assert!(problems.is_empty(), "{problems:?}");
            let lines: Vec<Location> = objects.iter().map(|o| o.location).collect();
            let want = [3, 7, 8].map(Location::Line);
            assert_eq!(lines, want, "{text:?}");
            let mut one_by_one = io::BufReader::with_capacity(1, text.as_bytes());
            let mut streamed = Vec::new();
            let _ = each_delimited(&mut one_by_one, b',', &mut |o| streamed.push(o.location));
            assert_eq!(streamed, want, "{text:?}");
        }
    }

    /// A row whose quoted field never closes until far below: the field
    /// keeps 1 MiB, the row a problem saying so at its line, and the rows
    /// after it keep their lines.
    #[test]
    fn a_field_past_the_cap_is_cut_and_the_rows_after_keep_their_lines() {
        let junk = "junk line\r\n".repeat(200_000); // 2.2 MB, 200,000 line ends
        let text = format!("#TYPE Q\r\n\"Identity\",\"LastError\"\r\n\"EX01\\3\",\"{junk}\"\r\n\"EX01\\4\",\"451 4.4.0\"\r\n");
        let (objects, problems) = read_objects(&text);
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].location, Location::Line(3));
        let kept = objects[0].text(&["lasterror"]).unwrap();
        assert!(
            kept.len() <= TEXT_RUN_CAP && kept.starts_with("junk line"),
            "{}",
            kept.len()
        );
        assert_eq!(objects[1].location, Location::Line(3 + 200_000 + 1));
        assert_eq!(
            objects[1].text(&["lasterror"]).as_deref(),
            Some("451 4.4.0")
        );
        let [p] = problems.as_slice() else {
            panic!("{problems:?}")
        };
        assert_eq!(p.location, Location::Line(3));
        assert!(
            p.message
                .starts_with("a quoted field runs past 1 MiB in this row: "),
            "{}",
            p.message
        );
    }

    #[test]
    fn type_line_header_and_doubled_quotes() {
        let text = "#TYPE Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo\r\n\"Identity\",\"LastError\",\"MessageCountsPerPriority\"\r\n\"EX01\\7\",\"451 4.4.0 Primary target IP address responded with: \"\"454 4.7.0 Temporary authentication failure.\"\"\",\"System.Int32[]\"\r\n";
        assert!(looks_like(text));
        let (objs, problems) = read_objects(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(objs.len(), 1);
        assert_eq!(
            objs[0].type_names,
            ["Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo"]
        );
        assert_eq!(objs[0].location, Location::Line(3));
        assert!(objs[0]
            .text(&["lasterror"])
            .is_some_and(|t| t.contains("\"454 4.7.0 Temporary authentication failure.\"")));
    }
}
