//! Problems found in input: bad input is expected, not exceptional.
//!
//! A parser never aborts a whole file for one bad line or record. It records
//! a [`Problem`] naming where it happened and goes on with the next unit it
//! can read. The caller attaches the file's origin chain when reporting.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where in a file a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "at", content = "value")]
pub enum Location {
    /// The whole file (e.g. an unreadable header).
    File,
    /// A 1-based line number in the decoded text.
    Line(u64),
    /// A byte offset in the (decompressed) file.
    Offset(u64),
    /// A record number (e.g. an `.evtx` record id).
    Record(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Offset(n) => write!(f, "offset {n:#x}"),
            Location::Record(n) => write!(f, "record {n}"),
        }
    }
}

/// One problem in one file: what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub location: Location,
    pub message: String,
}

impl Problem {
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Problem {
            location,
            message: message.into(),
        }
    }
}

/// A count as a user reads it in a problem line: `3,004`, `199,999`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Location::File => f.write_str(&self.message),
            loc => write!(f, "{loc}: {}", self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3_004), "3,004");
        assert_eq!(thousands(199_999), "199,999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
