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
use crate::problem::{Location, Problem};

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

/// 1-based line numbers of byte offsets of one text, asked in increasing
/// order (the records of a CSV reader): each counts the line breaks since
/// the last, not since the start (counted from the start each time, a 20 MB
/// export of 67,000 queues took 29 s, by hand).
struct LineCursor<'t> {
    text: &'t [u8],
    /// Where counting stopped, and the line there.
    at: usize,
    line: u64,
}

impl<'t> LineCursor<'t> {
    fn new(text: &'t str) -> Self {
        LineCursor {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line of a byte offset.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut end = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // csv reports a record as starting at the line break left from the
        // previous one (CRLF): step over it.
        while matches!(self.text.get(end), Some(b'\r' | b'\n')) {
            end += 1;
        }
        if end < self.at {
            // Asked out of order: count from the start.
            (self.at, self.line) = (0, 1);
        }
        let between = self.text.get(self.at..end).unwrap_or(&[]);
        self.line += memchr::memchr_iter(b'\n', between).count() as u64;
        self.at = end;
        self.line
    }
}

/// Reads header + rows into objects (all values [`PropertyValue::Text`]).
/// A leading `#TYPE` line becomes every object's type name.
pub fn read_delimited(text: &str, delimiter: u8) -> (Vec<PropertyObject>, Vec<Problem>) {
    let text = text.trim_start_matches('\u{feff}');
    let mut problems = Vec::new();
    let (type_names, body, first_line) = match type_name(text) {
        Some(t) => {
            let body = text.split_once('\n').map(|(_, b)| b).unwrap_or("");
            (vec![t], body, 2u64)
        }
        None => (Vec::new(), text, 1u64),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut objects = Vec::new();
    let mut lines = LineCursor::new(body);
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let byte = e.position().map(|p| p.byte()).unwrap_or(0);
                let line = lines.line_at(byte) + first_line - 1;
                problems.push(Problem::new(
                    Location::Line(line),
                    format!("bad CSV row: {e}"),
                ));
                continue;
            }
        };
        let byte = record.position().map(|p| p.byte()).unwrap_or(0);
        let line = lines.line_at(byte) + first_line - 1;
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
        objects.push(obj);
    }
    if header.is_none() {
        problems.push(Problem::new(Location::File, "no CSV header row"));
    }
    (objects, problems)
}

/// Reads an `Export-Csv` file.
pub fn read_objects(text: &str) -> (Vec<PropertyObject>, Vec<Problem>) {
    read_delimited(text, b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cursor gives the line of every offset as counting from the start
    /// does, in order or not, CRLF or LF, a quoted field over two lines.
    #[test]
    fn line_cursor_counts_as_from_the_start() {
        let from_start = |text: &str, byte: usize| {
            let mut end = byte.min(text.len());
            while matches!(text.as_bytes().get(end), Some(b'\r' | b'\n')) {
                end += 1;
            }
            text.as_bytes()[..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
                + 1
        };
        for text in [
            "\"a\",\"b\"\r\n\"1\",\"two\r\nlines\"\r\n\r\n\"3\",\"x\"\r\n",
            "a,b\n1,2\n\n\n3,4",
            "",
        ] {
            let mut cursor = LineCursor::new(text);
            for byte in 0..=text.len() + 2 {
                assert_eq!(
                    cursor.line_at(byte as u64),
                    from_start(text, byte),
                    "{text:?} at {byte}"
                );
            }
            // Out of order.
            assert_eq!(cursor.line_at(0), from_start(text, 0));
        }
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
