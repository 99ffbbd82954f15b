//! `Format-List` text (`Get-Queue | fl`, `Get-ReceiveConnector | fl`,
//! `Test-NetConnection`): `Name : value` lines, names padded to a common
//! width, objects separated by blank lines.
//!
//! `Out-File` wraps long values (LastError!) at the output width and indents
//! the continuation to the value column, so a continuation is any indented
//! line that is not itself a property. How the pieces are joined back is
//! decided per break, by what the file shows (module `wrap`): exactly as found
//! when the blank at the break survived (or the break cut a word), with one
//! blank when a copy, a mail or an editor stripped it. Objects are split
//! where a property name repeats rather than at blank lines alone, because
//! posted samples often have blank lines between every property.
//!
//! Lines that are neither (e.g. `WARNING: …`, or a caption someone mangled)
//! are kept as [`StrayLine`]s for the caller, and so are the indented lines
//! that follow them (they are not continuations of the property before);
//! they never end the object being read, so the properties after them still
//! belong to it. Given the captions an object may have
//! ([`read_objects_with`]), mangled captions that still name one of them are
//! read as that property and reported as a [`CaptionRepair`].
//!
//! The parser is fed line by line ([`FormatListParser::push_line`]), so it
//! streams; a streamed object is joined with what the lines so far say about
//! the wrapping, while [`read_objects`] decides once from the whole text.

mod wrap;

use super::{normalize_name, same_name, PropertyObject, PropertyValue};
use crate::problem::{Location, PROBLEMS_KEPT};
use crate::reread::{each_line, Reread};
use rustc_hash::FxHashSet;
use serde::Serialize;
use std::io::{self, BufRead};
use std::ops::ControlFlow;
use wrap::{Model, Piece};

/// A line that is neither a property nor a continuation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StrayLine {
    pub line: u64,
    pub text: String,
}

/// Lines of an object not kept past [`VALUE_CAP`] or [`PROPERTIES_CAP`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CutLines {
    /// The first line not kept.
    pub line: u64,
    /// The property whose value ran past [`VALUE_CAP`]; `None`: the object
    /// ran past [`PROPERTIES_CAP`].
    pub property: Option<String>,
    /// Lines not kept from `line` on.
    pub lines: u64,
}

impl CutLines {
    /// As a problem line reads it.
    pub fn message(&self) -> String {
        let what = match &self.property {
            Some(name) => format!("the value of {name} runs past {} MiB", VALUE_CAP >> 20),
            None => format!("an object has more than {PROPERTIES_CAP} properties"),
        };
        format!(
            "{what} here: {} not kept",
            crate::problem::lines(self.lines)
        )
    }
}

/// Most text one property keeps: a LastError, a recipient list or a
/// connector's RemoteIPRanges run to a few KiB; indented junk after an
/// export would be a continuation of its last value (241 MB for 50 MB).
pub const VALUE_CAP: usize = 1 << 20;
/// Most properties one object keeps (`Get-Message | fl` prints about 60,
/// `Get-ReceiveConnector | fl` about 80): lines shaped `Name : value` with
/// ever new names never end an object, and each looked through all before
/// it (quadratic: 50 MB did not end in 4 minutes).
pub const PROPERTIES_CAP: usize = 512;

/// A mangled caption line that was read as a known property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptionRepair {
    pub line: u64,
    /// The line as found.
    pub text: String,
    /// The property it was read as.
    pub read_as: String,
    /// What was wrong with it.
    pub why: &'static str,
}

/// Everything [`read_objects_with`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatListRead {
    pub objects: Vec<PropertyObject>,
    /// The first [`PROBLEMS_KEPT`] stray lines.
    pub stray: Vec<StrayLine>,
    /// The first [`PROBLEMS_KEPT`] captions repaired.
    pub repairs: Vec<CaptionRepair>,
    /// The first [`PROBLEMS_KEPT`] runs of lines not kept.
    pub cut: Vec<CutLines>,
    /// Stray lines and repairs past those kept, counted only: a looped
    /// output prints a prompt or a date a run, and junk glued to an export
    /// is a stray line a line; kept, they grew with the bytes (274 MB for
    /// 100 MB of junk after a `Get-ReceiveConnector | fl`).
    pub not_kept: u64,
}

impl FormatListRead {
    /// The runs of lines not kept, as problems naming their first line.
    pub fn cut_problems(&self) -> impl Iterator<Item = crate::problem::Problem> + '_ {
        self.cut
            .iter()
            .map(|c| crate::problem::Problem::new(Location::Line(c.line), c.message()))
    }
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

/// Wrapped values looked at to infer how a file was wrapped.
const SAMPLE: usize = 256;

#[derive(Debug)]
struct Prop {
    name: String,
    pieces: Vec<Piece>,
    /// Bytes of its pieces' text.
    bytes: usize,
}

/// An object whose wrapped values are not joined yet.
#[derive(Debug)]
struct Building {
    location: Location,
    props: Vec<Prop>,
    /// The names in `props`: whether a name repeats (the next object) is
    /// asked at every caption line, and junk shaped `Name : value` makes
    /// hundreds of them.
    names: FxHashSet<String>,
    /// Value columns of its caption lines, with counts.
    columns: Vec<(usize, usize)>,
}

impl Building {
    fn new(line_no: u64) -> Self {
        Building {
            location: Location::Line(line_no),
            props: Vec::new(),
            names: FxHashSet::default(),
            columns: Vec::new(),
        }
    }

    fn note_column(&mut self, column: usize) {
        match self.columns.iter_mut().find(|(c, _)| *c == column) {
            Some((_, n)) => *n += 1,
            None => self.columns.push((column, 1)),
        }
    }

    /// The value column most of its captions agree on.
    fn column(&self) -> Option<usize> {
        self.columns
            .iter()
            .max_by_key(|(c, n)| (*n, std::cmp::Reverse(*c)))
            .map(|(c, _)| *c)
    }

    fn has(&self, normalized: &str) -> bool {
        self.props.iter().any(|p| same_name(&p.name, normalized))
    }

    fn wrapped(&self) -> impl Iterator<Item = &[Piece]> {
        self.props
            .iter()
            .filter(|p| p.pieces.len() > 1)
            .map(|p| p.pieces.as_slice())
    }

    fn resolve(self, model: Option<Model>) -> PropertyObject {
        let mut o = PropertyObject::new(self.location);
        o.properties = self
            .props
            .into_iter()
            .map(|p| {
                let value = if p.pieces.len() == 1 {
                    p.pieces.into_iter().map(Piece::into_seg).collect()
                } else {
                    wrap::join(&p.pieces, model)
                };
                (p.name, PropertyValue::Text(value))
            })
            .collect();
        o
    }
}

/// Line-fed `Format-List` reader.
#[derive(Debug, Default)]
pub struct FormatListParser {
    current: Option<Building>,
    stray: Vec<StrayLine>,
    repairs: Vec<CaptionRepair>,
    cut: Vec<CutLines>,
    /// Stray lines, repairs and runs of cut lines past [`PROBLEMS_KEPT`] of
    /// each, counted.
    not_kept: u64,
    /// Captions objects may have: (normalized, as printed).
    known: Vec<(String, String)>,
    /// The last non-blank line was stray: its continuations go with it.
    in_stray: bool,
    /// Streaming: wrapped values seen so far, and the model they gave.
    sample: Vec<Vec<Piece>>,
    model: Option<Model>,
    model_from: usize,
}

impl FormatListParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// A reader that knows which captions objects may have, and so reads
    /// mangled ones that still name one of them (see [`CaptionRepair`]).
    pub fn with_captions(captions: &[&str]) -> Self {
        FormatListParser {
            known: captions
                .iter()
                .map(|c| (normalize_name(c), c.to_string()))
                .collect(),
            ..Self::default()
        }
    }

    /// Feeds one line (1-based `line_no`); returns an object when this line
    /// starts the next one.
    pub fn push_line(&mut self, line_no: u64, line: &str) -> Option<PropertyObject> {
        let done = self.push(line_no, line)?;
        Some(self.resolve_streaming(done))
    }

    /// Ends input; returns the last object.
    pub fn finish(&mut self) -> Option<PropertyObject> {
        let done = self.current.take()?;
        Some(self.resolve_streaming(done))
    }

    /// Lines that were neither properties nor continuations, so far.
    pub fn take_stray_lines(&mut self) -> Vec<StrayLine> {
        std::mem::take(&mut self.stray)
    }

    /// Mangled captions read as known properties, so far.
    pub fn take_repairs(&mut self) -> Vec<CaptionRepair> {
        std::mem::take(&mut self.repairs)
    }

    fn resolve_streaming(&mut self, b: Building) -> PropertyObject {
        for v in b.wrapped() {
            if self.sample.len() < SAMPLE {
                self.sample.push(v.to_vec());
            }
        }
        let n = self.sample.len();
        // Inferred again each time the sample doubles.
        if n > 0 && n >= 2 * self.model_from {
            let values: Vec<&[Piece]> = self.sample.iter().map(Vec::as_slice).collect();
            self.model = wrap::infer(&values);
            self.model_from = n;
        }
        b.resolve(self.model)
    }

    /// Reads one line; returns the previous object when this line starts
    /// the next one.
    fn push(&mut self, line_no: u64, line: &str) -> Option<Building> {
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
            // `LastError :454…`: read, and reported where captions are known.
            let glued = !self.known.is_empty()
                && !value.is_empty()
                && line
                    .split_once(':')
                    .is_some_and(|(_, after)| !after.starts_with(char::is_whitespace));
            let why = glued.then_some("caption without the blank after its colon");
            return self.property(line_no, line, name, value, column, why);
        }
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if indent == 0 {
            if let Some((name, value, column, why)) = self.relaxed_caption(line) {
                return self.property(line_no, line, name, value, column, Some(why));
            }
            return self.stray_line(line_no, line);
        }
        let column = self.current.as_ref().and_then(Building::column);
        let visual = line
            .chars()
            .take_while(|c| c.is_whitespace())
            .fold(0, |w, c| if c == '\t' { (w / 8 + 1) * 8 } else { w + 1 });
        if column.is_some_and(|c| visual < c) || self.in_stray {
            if let Some((name, value, _)) = split_property_line(body) {
                if self.is_caption_name(name) {
                    let column = indent + body.len() - value.len();
                    let why = "caption line starts with blanks";
                    return self.property(line_no, line, name, value, column, Some(why));
                }
            }
        }
        if self.in_stray {
            return self.stray_line(line_no, line);
        }
        let Some(prop) = self.current.as_mut().and_then(|b| b.props.last_mut()) else {
            return self.stray_line(line_no, line);
        };
        let spaces = line
            .get(..indent)
            .is_some_and(|i| i.bytes().all(|b| b == b' '));
        let seg = match column {
            Some(c) if spaces && indent >= c => line.get(c..).unwrap_or(body),
            _ => body,
        };
        if prop.bytes + seg.len() > VALUE_CAP {
            let name = prop.name.clone();
            self.cut_line(line_no, Some(name));
            return None;
        }
        prop.bytes += seg.len();
        prop.pieces.push(Piece::new(line, seg));
        None
    }

    /// Line `line_no` not kept: one more in the run of the same cut, or the
    /// first of a new one.
    fn cut_line(&mut self, line_no: u64, property: Option<String>) {
        if let Some(c) = self.cut.last_mut().filter(|c| c.property == property) {
            c.lines += 1;
        } else if self.cut.len() < PROBLEMS_KEPT {
            self.cut.push(CutLines {
                line: line_no,
                property,
                lines: 1,
            });
        } else {
            self.not_kept += 1;
        }
    }

    fn stray_line(&mut self, line_no: u64, line: &str) -> Option<Building> {
        if self.stray.len() < PROBLEMS_KEPT {
            self.stray.push(StrayLine {
                line: line_no,
                text: line.to_string(),
            });
        } else {
            self.not_kept += 1;
        }
        self.in_stray = true;
        None
    }

    /// Starts a property (and ends the object when its name repeats).
    fn property(
        &mut self,
        line_no: u64,
        line: &str,
        name: &str,
        value: &str,
        column: usize,
        why: Option<&'static str>,
    ) -> Option<Building> {
        self.in_stray = false;
        let (name, why) = match self.known_caption(name) {
            Some((known, exact)) if known != name => {
                let why = why.unwrap_or(if exact {
                    "caption spelled apart"
                } else {
                    "caption misspelt"
                });
                (known, Some(why))
            }
            _ => (name.to_string(), why),
        };
        if let Some(why) = why {
            if self.repairs.len() < PROBLEMS_KEPT {
                self.repairs.push(CaptionRepair {
                    line: line_no,
                    text: line.to_string(),
                    read_as: name.clone(),
                    why,
                });
            } else {
                self.not_kept += 1;
            }
        }
        // A repeated name starts the next object, unless the line is a
        // mangled one: that never ends the record.
        let repeats = why.is_none()
            && self
                .current
                .as_ref()
                .is_some_and(|b| b.names.contains(&name));
        let done = if repeats { self.current.take() } else { None };
        let b = self.current.get_or_insert_with(|| Building::new(line_no));
        if b.props.len() >= PROPERTIES_CAP {
            self.cut_line(line_no, None);
            return done;
        }
        b.names.insert(name.clone());
        b.props.push(Prop {
            name,
            pieces: vec![Piece::new(line, value)],
            bytes: value.len(),
        });
        if why.is_none() {
            b.note_column(column);
        }
        done
    }

    /// The known caption `name` stands for: itself, the same letters
    /// otherwise spaced or cased (`true`), or a near miss (`false`) that the
    /// object being read does not have yet.
    fn known_caption(&self, name: &str) -> Option<(String, bool)> {
        // Normalized once, not once for each known caption.
        let n = normalize_name(name);
        if let Some((_, k)) = self.known.iter().find(|(kn, _)| *kn == n) {
            return Some((k.clone(), true));
        }
        let chars = n.chars().count();
        // An object past its properties keeps no more: no near miss to
        // look for (each look is a distance to every known caption).
        if chars < 6
            || self
                .current
                .as_ref()
                .is_some_and(|b| b.props.len() >= PROPERTIES_CAP)
        {
            return None;
        }
        let limit = if chars >= 10 { 2 } else { 1 };
        let mut near = self.known.iter().filter(|(kn, _)| {
            // Lengths further apart than the limit are further apart still.
            kn.chars().count().abs_diff(chars) <= limit
                && osa_distance(&n, kn) <= limit
                && !self.current.as_ref().is_some_and(|b| b.has(kn))
        });
        match (near.next(), near.next()) {
            (Some((_, k)), None) => Some((k.clone(), false)),
            _ => None,
        }
    }

    /// A caption-like name: known, or (with no list) a bare identifier.
    fn is_caption_name(&self, name: &str) -> bool {
        if self.known.is_empty() {
            name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric())
        } else {
            self.known_caption(name).is_some()
        }
    }

    /// An unindented line inside an object that is not a caption as
    /// `Format-List` writes it but names a known property: `Name: value`
    /// (no blank before the colon) or `Name    value` (colon lost).
    fn relaxed_caption<'l>(
        &self,
        line: &'l str,
    ) -> Option<(&'l str, &'l str, usize, &'static str)> {
        if self.known.is_empty() || self.current.is_none() {
            return None;
        }
        let plausible = |name: &str| {
            name.len() <= 48
                && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
                && name.split_whitespace().count() <= 2
                && self.known_caption(name).is_some()
        };
        if let Some((name, rest)) = line.split_once(':') {
            let name = name.trim_end();
            if plausible(name) {
                let value = rest.strip_prefix(' ').unwrap_or(rest);
                let column = line.len() - value.len();
                return Some((
                    name,
                    value,
                    column,
                    "caption without the blank before its colon",
                ));
            }
        }
        let (name, rest) = line.split_once("  ")?;
        let value = rest.trim_start();
        if plausible(name) && !name.contains(' ') && !value.is_empty() {
            let column = line.len() - value.len();
            return Some((name, value, column, "caption without its colon"));
        }
        None
    }
}

/// Optimal string alignment distance (edits and adjacent swaps).
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        if let Some(first) = row.first_mut() {
            *first = i;
        }
    }
    if let Some(row) = d.first_mut() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Reads all objects of a `Format-List` text.
pub fn read_objects(text: &str) -> (Vec<PropertyObject>, Vec<StrayLine>) {
    let read = read_objects_with(text, &[]);
    (read.objects, read.stray)
}

/// Reads all objects of a `Format-List` text whose objects have (some of)
/// `captions`; wrapped values are joined by what the whole text shows.
pub fn read_objects_with(text: &str, captions: &[&str]) -> FormatListRead {
    // Reading memory cannot fail.
    let wrapping = wrapping_of(&mut text.as_bytes(), captions).unwrap_or_default();
    let mut objects = Vec::new();
    let (mut read, _) = each_object(&mut text.as_bytes(), captions, wrapping, &mut |o| {
        objects.push(o)
    });
    read.objects = objects;
    read
}

/// How a `Format-List` text's values were wrapped, as [`read_objects_with`]
/// decides it from the whole text: by its first wrapped values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wrapping(Option<Model>);

/// The [`Wrapping`] of a text, read up to its first [`SAMPLE`] wrapped values
/// (a first pass over a text read in passes: [`crate::reread`]).
pub fn wrapping_of(text: &mut dyn BufRead, captions: &[&str]) -> io::Result<Wrapping> {
    let mut p = FormatListParser::with_captions(captions);
    let mut sample: Vec<Vec<Piece>> = Vec::new();
    let take = |b: &Building, sample: &mut Vec<Vec<Piece>>| {
        for v in b.wrapped() {
            if sample.len() < SAMPLE {
                sample.push(v.to_vec());
            }
        }
    };
    each_line(text, &mut |n, line| {
        if let Some(b) = p.push(n, line) {
            take(&b, &mut sample);
        }
        if sample.len() < SAMPLE {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    })?;
    if let Some(b) = p.current.take() {
        take(&b, &mut sample);
    }
    let values: Vec<&[Piece]> = sample.iter().map(Vec::as_slice).collect();
    Ok(Wrapping(wrap::infer(&values)))
}

/// Every object of a text, its values joined by `wrapping`, to `each` as soon
/// as it ends; the lines that were neither properties nor continuations and
/// the captions repaired (`objects` left empty), and the error that cut the
/// text short, if one did.
pub fn each_object(
    text: &mut dyn BufRead,
    captions: &[&str],
    wrapping: Wrapping,
    each: &mut dyn FnMut(PropertyObject),
) -> (FormatListRead, io::Result<()>) {
    let mut p = FormatListParser::with_captions(captions);
    let read = each_line(text, &mut |n, line| {
        if let Some(b) = p.push(n, line) {
            each(b.resolve(wrapping.0));
        }
        ControlFlow::Continue(())
    });
    if let Some(b) = p.current.take() {
        each(b.resolve(wrapping.0));
    }
    let found = FormatListRead {
        objects: Vec::new(),
        stray: p.take_stray_lines(),
        repairs: p.take_repairs(),
        cut: std::mem::take(&mut p.cut),
        not_kept: std::mem::take(&mut p.not_kept),
    };
    (found, read)
}

/// Every object of a text read again from its start, in two passes: how
/// its values were wrapped ([`wrapping_of`]), then each object to `each` as
/// it ends ([`each_object`]); what else was found (`objects` left empty),
/// or the error that cut the text short.
pub fn each_object_in_passes(
    text: &mut dyn Reread,
    captions: &[&str],
    each: &mut dyn FnMut(PropertyObject),
) -> io::Result<FormatListRead> {
    let wrapping = wrapping_of(&mut *text.read_from_start()?, captions)?;
    let (found, read) = each_object(&mut *text.read_from_start()?, captions, wrapping, each);
    read.map(|()| found)
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

    /// Indented junk after a value would continue it forever: the value
    /// keeps 1 MiB, the lines past it are one run counted, and the next
    /// object is read.
    #[test]
    fn a_value_past_its_cap_is_cut_and_counted() {
        // Indented 16, the value's column 13: 28 bytes of value a line.
        let junk = "                continued junk 0123456789\r\n";
        let lines = VALUE_CAP / 28 + 1_000;
        let text = format!(
            "Identity   : EX01\\3\r\nLastError  : 451 4.4.0\r\n{}\r\nIdentity   : EX01\\4\r\nLastError  :\r\n",
            junk.repeat(lines)
        );
        let read = read_objects_with(&text, &[]);
        assert_eq!(read.objects.len(), 2);
        let value = read.objects[0].text(&["lasterror"]).unwrap();
        assert!(
            value.starts_with("451 4.4.0") && value.len() <= VALUE_CAP,
            "{}",
            value.len()
        );
        assert_eq!(
            read.objects[1].text(&["identity"]).as_deref(),
            Some("EX01\\4")
        );
        let [cut] = read.cut.as_slice() else {
            panic!("{:?}", read.cut)
        };
        let kept = (VALUE_CAP - "451 4.4.0".len()) / 28;
        assert_eq!(cut.line, 3 + kept as u64);
        assert_eq!(cut.lines, (lines - kept) as u64);
        assert!(cut
            .message()
            .starts_with("the value of LastError runs past 1 MiB here: "));
    }

    /// Lines shaped `Name : value` with ever new names never end an object:
    /// it keeps its first [`PROPERTIES_CAP`], the rest is one run counted,
    /// and a name said again still starts the next object.
    #[test]
    fn an_object_past_its_properties_is_cut_and_the_next_read() {
        let junk: String = (0..2_000)
            .map(|i| format!("Junk{i:08} : value\r\n"))
            .collect();
        let text =
            format!("Identity : EX01\\3\r\n{junk}Identity : EX01\\4\r\nStatus   : Retry\r\n");
        let read = read_objects_with(&text, &["Identity", "Status", "LastError"]);
        assert_eq!(read.objects.len(), 2);
        assert_eq!(read.objects[0].properties.len(), PROPERTIES_CAP);
        assert_eq!(read.objects[1].text(&["status"]).as_deref(), Some("Retry"));
        let [cut] = read.cut.as_slice() else {
            panic!("{:?}", read.cut)
        };
        assert_eq!(cut.line, PROPERTIES_CAP as u64 + 1);
        assert_eq!(cut.lines, 2_001 - PROPERTIES_CAP as u64);
        assert_eq!(cut.property, None);
        assert!(cut
            .message()
            .starts_with("an object has more than 512 properties here: "));
    }

    #[test]
    fn osa() {
        assert_eq!(osa_distance("lasterorr", "lasterror"), 1);
        assert_eq!(osa_distance("lasteror", "lasterror"), 1);
        assert_eq!(osa_distance("messagecount", "messagecount"), 0);
        assert_eq!(osa_distance("", "ab"), 2);
    }
}
