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

/// Problems kept per file; further ones are only counted. A file detected
/// by its head and then made of nothing but bad lines (a garbage file, an
/// export cut and glued to junk) would otherwise hold a problem a line: 2 GB
/// for 210 MB of junk after an `ipconfig` head. The first are kept: they say
/// where the trouble starts, and a user reads no further than that.
pub const PROBLEMS_KEPT: usize = 1000;

/// The problems of one file: the first [`PROBLEMS_KEPT`], and how many more
/// were found (counted, so the report's totals stay exact). Reads as a slice
/// of the kept ones, and is written as their list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<Problem>", into = "Vec<Problem>")]
pub struct Problems {
    kept: Vec<Problem>,
    more: u64,
}

impl Problems {
    pub const fn new() -> Self {
        Problems {
            kept: Vec::new(),
            more: 0,
        }
    }

    /// Keeps `problem`, or counts it once [`PROBLEMS_KEPT`] are kept.
    pub fn push(&mut self, problem: Problem) {
        if self.kept.len() < PROBLEMS_KEPT {
            self.kept.push(problem);
        } else {
            self.more += 1;
        }
    }

    /// `problem` first (the line that says what the whole file is), the
    /// last kept one counted instead when there is no room.
    pub fn insert_first(&mut self, problem: Problem) {
        if self.kept.len() >= PROBLEMS_KEPT {
            self.kept.pop();
            self.more += 1;
        }
        self.kept.insert(0, problem);
    }

    /// The problems of `other` after these: kept while there is room,
    /// counted after.
    pub fn append(&mut self, other: Problems) {
        self.extend(other.kept);
        self.more += other.more;
    }

    /// `n` problems found and not kept (a reader that bounds its own list
    /// counted them).
    pub fn count_more(&mut self, n: u64) {
        self.more += n;
    }

    /// Found beyond those kept, counted only.
    pub fn more(&self) -> u64 {
        self.more
    }

    /// Every problem found: kept and counted.
    pub fn found(&self) -> u64 {
        self.kept.len() as u64 + self.more
    }

    /// The kept problems.
    pub fn as_slice(&self) -> &[Problem] {
        &self.kept
    }

    /// The kept problems (what was only counted is gone).
    pub fn into_kept(self) -> Vec<Problem> {
        self.kept
    }
}

impl std::ops::Deref for Problems {
    type Target = [Problem];

    fn deref(&self) -> &[Problem] {
        &self.kept
    }
}

impl std::ops::DerefMut for Problems {
    /// The kept problems, to sort (what was only counted stays counted).
    fn deref_mut(&mut self) -> &mut [Problem] {
        &mut self.kept
    }
}

impl Extend<Problem> for Problems {
    fn extend<I: IntoIterator<Item = Problem>>(&mut self, problems: I) {
        for problem in problems {
            self.push(problem);
        }
    }
}

impl FromIterator<Problem> for Problems {
    fn from_iter<I: IntoIterator<Item = Problem>>(problems: I) -> Self {
        let mut out = Problems::new();
        out.extend(problems);
        out
    }
}

impl From<Vec<Problem>> for Problems {
    fn from(problems: Vec<Problem>) -> Self {
        problems.into_iter().collect()
    }
}

impl From<Problems> for Vec<Problem> {
    fn from(problems: Problems) -> Self {
        problems.kept
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;

    /// The kept problems.
    fn into_iter(self) -> Self::IntoIter {
        self.kept.into_iter()
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.kept.iter()
    }
}

impl PartialEq<Vec<Problem>> for Problems {
    fn eq(&self, other: &Vec<Problem>) -> bool {
        self.more == 0 && self.kept == *other
    }
}

impl<const N: usize> PartialEq<[Problem; N]> for Problems {
    fn eq(&self, other: &[Problem; N]) -> bool {
        self.more == 0 && self.kept == *other
    }
}

/// A count of lines as a problem line says it: `1 line`, `3,004 lines`.
pub fn lines(n: u64) -> String {
    format!("{} line{}", thousands(n), if n == 1 { "" } else { "s" })
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
    fn a_file_keeps_its_first_problems_and_counts_the_rest() {
        let line = |n: u64| Problem::new(Location::Line(n), "not a caption line");
        let mut problems: Problems = (1..=PROBLEMS_KEPT as u64 + 5).map(line).collect();
        assert_eq!(problems.len(), PROBLEMS_KEPT);
        assert_eq!(problems.more(), 5);
        assert_eq!(problems.found(), PROBLEMS_KEPT as u64 + 5);
        assert_eq!(problems[0], line(1));
        assert_eq!(problems.last(), Some(&line(PROBLEMS_KEPT as u64)));

        problems.insert_first(Problem::new(Location::File, "recognised but nothing read"));
        assert_eq!(problems.len(), PROBLEMS_KEPT);
        assert_eq!(problems.found(), PROBLEMS_KEPT as u64 + 6);
        assert_eq!(problems[0].location, Location::File);
        assert_eq!(problems[1], line(1));

        let mut first: Problems = vec![line(1)].into();
        first.append(problems);
        assert_eq!(first.len(), PROBLEMS_KEPT);
        assert_eq!(first.found(), PROBLEMS_KEPT as u64 + 7);
        assert_eq!(first[0], line(1));
        assert_eq!(first.clone().into_kept().len(), PROBLEMS_KEPT);
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3_004), "3,004");
        assert_eq!(thousands(199_999), "199,999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(lines(1), "1 line");
        assert_eq!(lines(3_004), "3,004 lines");
    }
}
