//! `Format-List` text (`Get-Queue | fl`, `Get-ReceiveConnector | fl`,
//! `Test-NetConnection`): `Name : value` lines, names padded to a common
//! width, objects separated by blank lines.
//!
//! `Out-File` wraps long values (LastError!) at the output width and indents
//! the continuation to the value column, so a continuation is any indented
//! line that is not itself a property; it is joined to the previous value
//! without a separator after removing the indentation. That is exact for
//! both of Windows PowerShell's wrap modes (`StringManipulationHelper.GenerateLines`):
//! by character count (most cultures), and word by word (en, fr, de, it, pt,
//! es), where each word keeps its trailing space, so a line ends with the
//! space at the break. (A file whose trailing spaces an editor stripped
//! loses those spaces.) Objects are split where a
//! property name repeats rather than at blank lines alone, because posted
//! samples often have blank lines between every property. Lines that are
//! neither (e.g. `WARNING: …`) are kept as [`StrayLine`]s for the caller.
//!
//! The parser is fed line by line ([`FormatListParser::push_line`]), so it
//! streams and is reused by the `diag` module.

use super::{PropertyObject, PropertyValue};
use crate::problem::Location;
use serde::Serialize;

/// A line that is neither a property nor a continuation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StrayLine {
    pub line: u64,
    pub text: String,
}

/// Splits `Name   : value` into name, value and the value's column.
pub fn split_property_line(line: &str) -> Option<(&str, &str, usize)> {
    let first = line.chars().next()?;
    if first.is_whitespace() {
        return None;
    }
    let colon = line.find(':')?;
    let head = line.get(..colon)?;
    let name = head.trim_end();
    // FL pads names, so at least one blank precedes the colon.
    if name.is_empty() || name.len() == head.len() || name.contains('\t') {
        return None;
    }
    let after = line.get(colon + 1..)?;
    let value = after.strip_prefix(' ').unwrap_or(after);
    let column = line.get(..colon)?.chars().count() + 2;
    Some((name, value.trim_end_matches(['\r', '\n']), column))
}

/// Cheap content check: several `Name   : value` lines among the first ones.
pub fn looks_like(text_head: &str) -> bool {
    let mut props = 0;
    let mut others = 0;
    for line in text_head.lines().take(40) {
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        if split_property_line(line).is_some() {
            props += 1;
        } else if !line.starts_with(char::is_whitespace) {
            others += 1;
        }
    }
    props >= 3 && props > others
}

/// Line-fed `Format-List` reader.
#[derive(Debug, Default)]
pub struct FormatListParser {
    current: Option<PropertyObject>,
    value_column: usize,
    stray: Vec<StrayLine>,
}

impl FormatListParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line (1-based `line_no`); returns an object when this line
    /// starts the next one.
    pub fn push_line(&mut self, line_no: u64, line: &str) -> Option<PropertyObject> {
        let line = line.trim_end_matches(['\r', '\n']);
        let line = if line_no == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        if line.trim().is_empty() {
            return None;
        }
        if let Some((name, value, column)) = split_property_line(line) {
            let repeats = self
                .current
                .as_ref()
                .is_some_and(|o| o.properties.iter().any(|(n, _)| n == name));
            let done = if repeats { self.current.take() } else { None };
            let obj = self
                .current
                .get_or_insert_with(|| PropertyObject::new(Location::Line(line_no)));
            obj.properties
                .push((name.to_string(), PropertyValue::Text(value.to_string())));
            self.value_column = column;
            return done;
        }
        let indent = line.chars().take_while(|c| *c == ' ').count();
        let last = self
            .current
            .as_mut()
            .and_then(|o| o.properties.last_mut())
            .filter(|_| indent > 0);
        match last {
            Some((_, PropertyValue::Text(v))) => {
                let skip = indent.min(self.value_column);
                let rest: String = line.chars().skip(skip).collect();
                v.push_str(&rest);
            }
            _ => self.stray.push(StrayLine {
                line: line_no,
                text: line.to_string(),
            }),
        }
        None
    }

    /// Ends input; returns the last object, values trimmed.
    pub fn finish(&mut self) -> Option<PropertyObject> {
        self.current.take()
    }

    /// Lines that were neither properties nor continuations, so far.
    pub fn take_stray_lines(&mut self) -> Vec<StrayLine> {
        std::mem::take(&mut self.stray)
    }
}

/// Reads all objects of a `Format-List` text.
pub fn read_objects(text: &str) -> (Vec<PropertyObject>, Vec<StrayLine>) {
    let mut p = FormatListParser::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(o) = p.push_line(i as u64 + 1, line) {
            out.push(o);
        }
    }
    out.extend(p.finish());
    (out, p.take_stray_lines())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_values_are_joined_and_objects_split() {
        let text = "\r\n\r\nIdentity      : EX01\\3\r\nLastError     : [{LRT=};{LED=451 4.4.0 Primary tar\r\n                get IP address}]\r\nTlsDomain     :\r\n\r\nIdentity      : EX01\\4\r\nTlsDomain     : x\r\n";
        let (objs, stray) = read_objects(text);
        assert_eq!(objs.len(), 2);
        assert!(stray.is_empty());
        assert_eq!(
            objs[0].text(&["lasterror"]).as_deref(),
            Some("[{LRT=};{LED=451 4.4.0 Primary target IP address}]")
        );
        assert_eq!(objs[0].text(&["tlsdomain"]), None);
        assert_eq!(objs[1].text(&["identity"]).as_deref(), Some("EX01\\4"));
        assert_eq!(objs[1].location, Location::Line(8));
    }

    #[test]
    fn warning_lines_are_stray() {
        let (objs, stray) = read_objects(
            "WARNING: TCP connect to (10.0.0.10 : 88) failed\nComputerName     : dc01\nTcpTestSucceeded : False\n",
        );
        assert_eq!(objs.len(), 1);
        assert_eq!(stray.len(), 1);
        assert!(stray[0].text.starts_with("WARNING"));
    }
}
