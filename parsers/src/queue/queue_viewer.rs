//! The Exchange 2007/2010 Queue Viewer "Export List" (EMC Toolbox).
//!
//! Tab- or comma-delimited text whose first row holds the *on-screen column
//! captions* ("Next Hop Domain", "Last Error" — localized, not property
//! names), cells quoted when they contain a space, comma, tab, newline or
//! quote (quotes doubled), dates as displayed on the console. Captions are
//! matched to properties by [`super::normalize_name`] (spaces and case
//! ignored), which is all the mapping English captions need.

use super::{normalize_name, PropertyObject};
use crate::problem::Problems;
use crate::reread::first_line_without_byte_order_marks;
use std::io::{self, BufRead, Read};

const KNOWN_CAPTIONS: &[&str] = &[
    "identity",
    "nexthopdomain",
    "deliverytype",
    "status",
    "messagecount",
    "lasterror",
    "nextretrytime",
    "lastretrytime",
    "fromaddress",
    "subject",
    "datereceived",
    "sourceip",
    "queueid",
    "queue",
    "size",
];

fn header_cells(first: &str) -> (u8, Vec<String>) {
    let delimiter = if first.contains('\t') { b'\t' } else { b',' };
    let cells = first
        .split(delimiter as char)
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect();
    (delimiter, cells)
}

/// Cheap content check: a delimited header row of captions, some with
/// spaces, at least two of them known queue/message captions.
pub fn looks_like(text_head: &str) -> bool {
    let Some(first) = text_head.trim_start_matches('\u{feff}').lines().next() else {
        return false;
    };
    if first.starts_with('#') {
        return false;
    }
    let (_, cells) = header_cells(first);
    let known = cells
        .iter()
        .filter(|c| KNOWN_CAPTIONS.contains(&normalize_name(c).as_str()))
        .count();
    cells.len() >= 3 && known >= 2 && cells.iter().any(|c| c.contains(' '))
}

/// Reads the export; the delimiter is taken from the header row.
pub fn read_objects(text: &str) -> (Vec<PropertyObject>, Problems) {
    super::gather(text, &mut each_object)
}

/// [`read_objects`] streaming: each row's object as it is read; the problems
/// met, and the error that cut the text short, if one did.
pub fn each_object(
    text: &mut dyn BufRead,
    object: &mut dyn FnMut(PropertyObject),
) -> (Problems, io::Result<()>) {
    let first = match first_line_without_byte_order_marks(text) {
        Ok(first) => first,
        Err(e) => return (Problems::new(), Err(e)),
    };
    let (delimiter, _) = header_cells(String::from_utf8_lossy(&first).trim_end());
    // The header row given back before the rest.
    let mut whole = io::Cursor::new(first).chain(text);
    super::csv_export::each_delimited(&mut whole, delimiter, object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_export_with_captions() {
        let text = "Identity\tDelivery Type\tStatus\tMessage Count\tNext Hop Domain\tLast Error\r\nEX01\\11225\tSmtpRelayToRemoteAdSite\tRetry\t12\t\"site:shandong; version: 14\"\t\"451 4.4.0 Primary target IP address responded with: \"\"454 4.7.0 Temporary authentication failure.\"\"\"\r\n";
        assert!(looks_like(text));
        let (objs, problems) = read_objects(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(objs.len(), 1);
        assert_eq!(
            objs[0].text(&["nexthopdomain"]).as_deref(),
            Some("site:shandong; version: 14")
        );
        assert_eq!(objs[0].text(&["messagecount"]).as_deref(), Some("12"));
    }
}
