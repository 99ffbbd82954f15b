//! A small generic reader for PowerShell CLIXML (`Export-Clixml`).
//!
//! ExchangeLogCollector saves `Get-Queue`, `Get-ReceiveConnector` and
//! `Get-EventLog` objects this way, so this reader knows nothing about
//! queues: it turns the serialization format (`<Objs Version=…
//! xmlns="http://schemas.microsoft.com/powershell/2004/04">`) into
//! [`CliObject`]s — type names (`Deserialized.` prefixes kept), `ToString`,
//! the primitive value of enums, and properties from `<Props>` and `<MS>` —
//! and is meant to be reused by any module that reads CliXml.
//!
//! Handled: primitives (`S`, `I32`, `DT` with its offset, `B`, `G`, `Db`, …),
//! `<Nil/>`, `<TN RefId>`/`<TNRef>` type-name sharing, `<Ref RefId>`
//! references to earlier objects, collections (`LST`, `IE`, `STK`, `QUE`),
//! dictionaries (`DCT`), and the `_xHHHH_` escapes CliXml uses for control
//! characters in strings and names. Top-level objects stream one by one
//! ([`CliXmlReader`]); an XML error ends the file with a [`Problem`] (XML
//! cannot be resynchronised reliably). Nesting deeper than [`MAX_DEPTH`] is
//! skipped with a problem naming its line, so hostile input cannot exhaust
//! the stack; `<Ref>`s copy at most [`MAX_REF_VALUES`] values into one
//! document, so a chain of objects that each reference the one before twice
//! (a billion laughs without a DOCTYPE) cannot exhaust memory, and the
//! objects a `<Ref>` may name are the latest within [`MAX_KEPT_FOR_REFS`]
//! values, so a document of any size streams in bounded memory.

use super::json_export::parse_ms_date;
use super::local_time::{parse_local_datetime, DateOrder, ExportedTime};
use super::{PropertyObject, PropertyValue};
use crate::problem::{thousands, Location, Problem, Problems};
use crate::text_runs::{text_run_cut, TextRuns};
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read};

/// Deepest element nesting that is interpreted; deeper content is skipped.
pub const MAX_DEPTH: usize = 64;

/// Values the `<Ref>`s of one document may copy in all (each copies the
/// whole object it names); later ones are not followed.
pub const MAX_REF_VALUES: u64 = 1_000_000;

/// Values the objects kept for later `<Ref>`s may hold in all: a `<Ref>` names
/// an object written earlier in the same document — in exports, one shared by
/// neighbouring objects — so the latest are kept and the oldest let go,
/// and a document of thousands of queues is not held whole.
pub const MAX_KEPT_FOR_REFS: u64 = 100_000;

/// One CliXml value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum CliValue {
    Null,
    /// `S`, `C` is rendered as its character, `URI`, `XD`, `SBK`, `Version`…
    String(String),
    Bool(bool),
    /// `I16`, `I32`, `I64`, `U16`, `U32`, `U64` (if it fits), `By`, `SB`.
    Integer(i64),
    /// `Db`, `Sg`, `D`.
    Number(f64),
    /// `DT`, e.g. `2026-11-26T10:40:05.1234567+01:00`.
    DateTime(ExportedTime),
    /// `TS` as printed (`PT1M30S`).
    Duration(String),
    /// `G`.
    Guid(String),
    Object(Box<CliObject>),
    /// A primitive tag this reader does not interpret, with its text.
    Other {
        tag: String,
        text: String,
    },
}

/// One `<Obj>`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CliObject {
    pub ref_id: Option<String>,
    /// Most derived first, e.g. `Deserialized.Microsoft.Exchange.Data.…`.
    pub type_names: Vec<String>,
    pub to_string: Option<String>,
    /// The primitive content of enums and wrapped primitives (`<I32>3</I32>`).
    pub value: Option<CliValue>,
    /// `<Props>` and `<MS>` members, in file order.
    pub properties: Vec<(String, CliValue)>,
    /// Items of `LST`/`IE`/`STK`/`QUE`.
    pub items: Vec<CliValue>,
    /// Entries of `DCT`.
    pub entries: Vec<(CliValue, CliValue)>,
}

impl CliObject {
    /// First property with this name (exact, then case-insensitive).
    pub fn property(&self, name: &str) -> Option<&CliValue> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .or_else(|| {
                self.properties
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v)
    }

    /// Flattens into a [`PropertyObject`] for the record mappers.
    pub fn to_property_object(&self, location: Location) -> PropertyObject {
        PropertyObject {
            type_names: self.type_names.clone(),
            properties: self
                .properties
                .iter()
                .map(|(n, v)| (n.clone(), v.to_property_value()))
                .collect(),
            location,
        }
    }
}

impl CliValue {
    /// Display text: strings, numbers, an object's `ToString`.
    pub fn as_text(&self) -> Option<String> {
        match self {
            CliValue::String(s) | CliValue::Guid(s) | CliValue::Duration(s) => Some(s.clone()),
            CliValue::Other { text, .. } => Some(text.clone()),
            CliValue::Integer(i) => Some(i.to_string()),
            CliValue::Number(n) => Some(n.to_string()),
            CliValue::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            CliValue::Object(o) => o
                .to_string
                .clone()
                .or_else(|| o.value.as_ref().and_then(CliValue::as_text)),
            CliValue::DateTime(t) => Some(t.local.to_string()),
            CliValue::Null => None,
        }
    }

    /// Maps to the generic property model used by the record mappers.
    pub fn to_property_value(&self) -> PropertyValue {
        match self {
            CliValue::Null => PropertyValue::Null,
            CliValue::String(s) | CliValue::Guid(s) | CliValue::Duration(s) => {
                PropertyValue::Text(s.clone())
            }
            CliValue::Other { text, .. } => PropertyValue::Text(text.clone()),
            CliValue::Bool(b) => PropertyValue::Bool(*b),
            CliValue::Integer(i) => PropertyValue::Integer(*i),
            CliValue::Number(n) => PropertyValue::Number(*n),
            CliValue::DateTime(t) => PropertyValue::Time(*t),
            CliValue::Object(o) => {
                if !o.items.is_empty() {
                    PropertyValue::List(o.items.iter().map(CliValue::to_property_value).collect())
                } else if o.to_string.is_none() && o.value.is_none() && o.properties.is_empty() {
                    PropertyValue::List(Vec::new())
                } else {
                    PropertyValue::Enum {
                        text: o
                            .to_string
                            .clone()
                            .or_else(|| o.value.as_ref().and_then(|v| v.as_text())),
                        value: match &o.value {
                            Some(CliValue::Integer(i)) => Some(*i),
                            _ => None,
                        },
                    }
                }
            }
        }
    }
}

/// Decodes CliXml's `_xHHHH_` escapes (`_x000A_` = newline, `_x005F_` = `_`).
pub fn decode_escapes(s: &str) -> String {
    if !s.contains("_x") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("_x") {
        out.push_str(rest.get(..pos).unwrap_or(""));
        let tail = rest.get(pos..).unwrap_or("");
        let decoded = tail
            .get(2..6)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .filter(|_| tail.as_bytes().get(6) == Some(&b'_'))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = tail.get(7..).unwrap_or("");
            }
            None => {
                out.push_str("_x");
                rest = tail.get(2..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// Cheap content check: a CliXml root element near the start.
pub fn looks_like(text_head: &str) -> bool {
    text_head.contains("<Objs") && text_head.contains("schemas.microsoft.com/powershell/2004/04")
}

fn parse_primitive(tag: &str, text: String) -> CliValue {
    let t = text.trim();
    match tag {
        "S" | "URI" | "XD" | "SBK" | "Version" | "SS" | "PR" => {
            CliValue::String(decode_escapes(&text))
        }
        "C" => t
            .parse::<u32>()
            .ok()
            .and_then(char::from_u32)
            .map(|c| CliValue::String(c.to_string()))
            .unwrap_or(CliValue::Other {
                tag: tag.to_string(),
                text,
            }),
        "B" => CliValue::Bool(t.eq_ignore_ascii_case("true")),
        "I16" | "I32" | "I64" | "U16" | "U32" | "U64" | "By" | "SB" => match t.parse() {
            Ok(i) => CliValue::Integer(i),
            Err(_) => CliValue::Other {
                tag: tag.to_string(),
                text,
            },
        },
        "Db" | "Sg" | "D" => match t.parse() {
            Ok(n) => CliValue::Number(n),
            Err(_) => CliValue::Other {
                tag: tag.to_string(),
                text,
            },
        },
        "DT" => match parse_local_datetime(t, DateOrder::YearMonthDay).or_else(|| parse_ms_date(t))
        {
            Some(dt) => CliValue::DateTime(dt),
            None => CliValue::Other {
                tag: tag.to_string(),
                text,
            },
        },
        "TS" => CliValue::Duration(t.to_string()),
        "G" => CliValue::Guid(t.to_string()),
        _ => CliValue::Other {
            tag: tag.to_string(),
            text,
        },
    }
}

/// A start tag, owned.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    empty: bool,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

enum Ev {
    Open(Tag),
    Close,
    Text(String),
    Eof,
}

/// The input, counting the line ends handed out so far: a problem found
/// right after an element was read names the element's line.
struct Lines<R> {
    /// The text with every run without markup cut at 1 MiB (a string of
    /// junk held 327 MB for 48 MB): [`TextRuns`].
    inner: BufReader<TextRuns<R>>,
    ends: u64,
}

impl<R: BufRead> Lines<R> {
    /// Line ends read, those cut with a text run included.
    fn line_ends(&self) -> u64 {
        self.ends + self.inner.get_ref().line_ends_dropped()
    }
}

impl<R: BufRead> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.ends += memchr::memchr_iter(b'\n', buf.get(..n).unwrap_or_default()).count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // What is consumed is buffered: looking at it again reads nothing.
        if let Ok(buf) = self.inner.fill_buf() {
            let used = buf.get(..amt).unwrap_or(buf);
            self.ends += memchr::memchr_iter(b'\n', used).count() as u64;
        }
        self.inner.consume(amt);
    }
}

/// The objects a later `<Ref>` may name, by `RefId`: the latest, within
/// [`MAX_KEPT_FOR_REFS`] values, the oldest let go first.
#[derive(Debug, Default)]
struct Referable {
    /// Each object with the values it holds and when it was kept.
    objects: HashMap<String, (CliObject, u64, u64)>,
    /// (when kept, `RefId`), oldest first; an entry whose object was kept
    /// again since is stale.
    order: VecDeque<(u64, String)>,
    /// Values the kept objects hold.
    kept: u64,
    kept_so_far: u64,
    /// Objects let go.
    let_go: u64,
}

impl Referable {
    fn insert(&mut self, id: String, object: CliObject, weight: u64) {
        self.kept_so_far += 1;
        let when = self.kept_so_far;
        if let Some((_, before, _)) = self.objects.insert(id.clone(), (object, weight, when)) {
            self.kept -= before;
        }
        self.kept += weight;
        self.order.push_back((when, id));
        if self.order.len() > 2 * self.objects.len() + 64 {
            // A `RefId` used again and again (no exporter writes that) leaves
            // stale entries: dropped, so that the order stays as small as
            // the objects kept.
            let objects = &self.objects;
            self.order
                .retain(|(when, id)| objects.get(id).is_some_and(|(_, _, kept)| kept == when));
        }
        // The object just kept stays, however large (it is in memory anyway,
        // the value being read).
        while self.kept > MAX_KEPT_FOR_REFS && self.order.len() > 1 {
            let Some((when, id)) = self.order.pop_front() else {
                break;
            };
            if self
                .objects
                .get(&id)
                .is_some_and(|(_, _, kept)| *kept == when)
            {
                if let Some((_, weight, _)) = self.objects.remove(&id) {
                    self.kept -= weight;
                    self.let_go += 1;
                }
            }
        }
    }

    fn get(&self, id: &str) -> Option<(&CliObject, u64)> {
        self.objects.get(id).map(|(o, weight, _)| (o, *weight))
    }
}

/// Something refused more than once in a document: where first, how often.
#[derive(Debug, Clone, Copy)]
struct Refusals {
    first_line: u64,
    count: u64,
}

/// Streams the top-level values of a CliXml document.
pub struct CliXmlReader<R: BufRead> {
    reader: Reader<Lines<R>>,
    buf: Vec<u8>,
    type_names: HashMap<String, Vec<String>>,
    /// Objects with a `RefId` a later `<Ref>` may name.
    referable: Referable,
    in_root: bool,
    done: bool,
    record: u64,
    problems: Problems,
    /// Values read or copied by `<Ref>`s so far; of them copied.
    values: u64,
    copied: u64,
    too_deep: Option<Refusals>,
    refs_refused: Option<Refusals>,
    /// `<Ref>`s to objects let go from [`Referable`].
    refs_let_go: Option<Refusals>,
    /// The cut text run's problem was said.
    cut_reported: bool,
}

type Step<T> = Result<T, Problem>;

impl<R: BufRead> CliXmlReader<R> {
    pub fn new(input: R) -> Self {
        CliXmlReader {
            reader: Reader::from_reader(Lines {
                inner: BufReader::new(TextRuns::new(input)),
                ends: 0,
            }),
            buf: Vec::new(),
            type_names: HashMap::new(),
            referable: Referable::default(),
            in_root: false,
            done: false,
            record: 0,
            problems: Problems::new(),
            values: 0,
            copied: 0,
            too_deep: None,
            refs_refused: None,
            refs_let_go: None,
            cut_reported: false,
        }
    }

    /// Problems met so far (non-fatal ones, e.g. dangling `<Ref>`s, content
    /// nested too deep).
    pub fn take_problems(&mut self) -> Problems {
        let refused = [
            (
                self.too_deep.take(),
                format!("nesting deeper than {MAX_DEPTH} levels: not read"),
            ),
            (
                self.refs_refused.take(),
                format!(
                    "<Ref>s copy more than {} values: not followed",
                    thousands(MAX_REF_VALUES)
                ),
            ),
            (
                self.refs_let_go.take(),
                format!(
                    "<Ref> to an object written before the last {} values: not followed",
                    thousands(MAX_KEPT_FOR_REFS)
                ),
            ),
        ];
        for (refusals, what) in refused {
            let Some(r) = refusals else { continue };
            let more = match r.count {
                0 | 1 => String::new(),
                n => format!(" (and {} more places)", thousands(n - 1)),
            };
            self.problems.push(Problem::new(
                Location::Line(r.first_line),
                format!("{what}{more}"),
            ));
        }
        let runs = self.reader.get_ref().inner.get_ref();
        if let Some(problem) = text_run_cut(runs.dropped().filter(|_| !self.cut_reported), "object")
        {
            self.cut_reported = true;
            self.problems.push(problem);
        }
        std::mem::take(&mut self.problems)
    }

    /// The line the reader has come to (the end of the element just read).
    fn line(&self) -> u64 {
        self.reader.get_ref().line_ends() + 1
    }

    fn refuse(refusals: &mut Option<Refusals>, line: u64) {
        match refusals {
            Some(r) => r.count += 1,
            None => {
                *refusals = Some(Refusals {
                    first_line: line,
                    count: 1,
                })
            }
        }
    }

    fn xml_problem(&self, e: impl std::fmt::Display) -> Problem {
        Problem::new(
            Location::Offset(self.reader.buffer_position()),
            format!("CliXml: {e}"),
        )
    }

    fn next_ev(&mut self) -> Step<Ev> {
        loop {
            self.buf.clear();
            let ev = self
                .reader
                .read_event_into(&mut self.buf)
                .map_err(|e| Problem::new(Location::Offset(0), e.to_string()));
            let ev = match ev {
                Ok(ev) => ev,
                Err(p) => return Err(self.xml_problem(p.message)),
            };
            let tag = |e: &quick_xml::events::BytesStart<'_>, empty| {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let attrs = e
                    .attributes()
                    .flatten()
                    .map(|a| {
                        let k = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                        let v = a
                            .unescape_value()
                            .map(|v| v.into_owned())
                            .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
                        (k, v)
                    })
                    .collect();
                Tag { name, attrs, empty }
            };
            return Ok(match ev {
                Event::Start(e) => Ev::Open(tag(&e, false)),
                Event::Empty(e) => Ev::Open(tag(&e, true)),
                Event::End(_) => Ev::Close,
                Event::Text(t) => Ev::Text(
                    t.xml10_content()
                        .map(|c| c.into_owned())
                        .unwrap_or_default(),
                ),
                Event::CData(t) => Ev::Text(String::from_utf8_lossy(&t).into_owned()),
                Event::GeneralRef(r) => {
                    let s = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            let name = String::from_utf8_lossy(&r).into_owned();
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .map(str::to_string)
                                .unwrap_or_else(|| format!("&{name};"))
                        }
                    };
                    Ev::Text(s)
                }
                Event::Eof => Ev::Eof,
                Event::DocType(_) => {
                    self.problems.push(Problem::new(
                        Location::Offset(self.reader.buffer_position()),
                        "DOCTYPE ignored: entities it declares are never expanded",
                    ));
                    continue;
                }
                _ => continue,
            });
        }
    }

    /// Skips to the end of the element just opened.
    fn skip(&mut self) -> Step<()> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next_ev()? {
                Ev::Open(t) if !t.empty => depth += 1,
                Ev::Close => depth -= 1,
                Ev::Eof => return Err(self.xml_problem("unexpected end of file")),
                _ => {}
            }
        }
        Ok(())
    }

    /// Text content up to the element's end (nested elements skipped).
    fn text_content(&mut self) -> Step<String> {
        let mut text = String::new();
        loop {
            match self.next_ev()? {
                Ev::Text(t) => text.push_str(&t),
                Ev::Open(t) if !t.empty => self.skip()?,
                Ev::Open(_) => {}
                Ev::Close => return Ok(text),
                Ev::Eof => return Err(self.xml_problem("unexpected end of file")),
            }
        }
    }

    fn read_value(&mut self, tag: Tag, depth: usize) -> Step<CliValue> {
        if depth > MAX_DEPTH {
            let line = self.line();
            Self::refuse(&mut self.too_deep, line);
            if !tag.empty {
                self.skip()?;
            }
            return Ok(CliValue::Null);
        }
        self.values += 1;
        match tag.name.as_str() {
            "Nil" => {
                if !tag.empty {
                    self.skip()?;
                }
                Ok(CliValue::Null)
            }
            "Ref" => {
                if !tag.empty {
                    self.skip()?;
                }
                let id = tag.attr("RefId").unwrap_or_default().to_string();
                match self.referable.get(&id) {
                    Some((_, weight)) if self.copied + weight > MAX_REF_VALUES => {
                        let line = self.line();
                        Self::refuse(&mut self.refs_refused, line);
                        Ok(CliValue::Null)
                    }
                    Some((o, weight)) => {
                        let value = CliValue::Object(Box::new(o.clone()));
                        self.copied += weight;
                        self.values += weight;
                        Ok(value)
                    }
                    None if self.referable.let_go > 0 => {
                        let line = self.line();
                        Self::refuse(&mut self.refs_let_go, line);
                        Ok(CliValue::Null)
                    }
                    None => {
                        self.problems.push(
                            self.xml_problem(format!("<Ref RefId=\"{id}\"> to no earlier object")),
                        );
                        Ok(CliValue::Null)
                    }
                }
            }
            "Obj" => self
                .read_object(&tag, depth)
                .map(|o| CliValue::Object(Box::new(o))),
            name => {
                let text = if tag.empty {
                    String::new()
                } else {
                    self.text_content()?
                };
                Ok(parse_primitive(name, text))
            }
        }
    }

    fn read_type_names(&mut self, tag: &Tag) -> Step<Vec<String>> {
        let mut names = Vec::new();
        if !tag.empty {
            loop {
                match self.next_ev()? {
                    Ev::Open(t) if t.name == "T" && !t.empty => {
                        names.push(decode_escapes(self.text_content()?.trim()))
                    }
                    Ev::Open(t) if !t.empty => self.skip()?,
                    Ev::Close => break,
                    Ev::Eof => return Err(self.xml_problem("unexpected end of file")),
                    _ => {}
                }
            }
        }
        if let Some(id) = tag.attr("RefId") {
            self.type_names.insert(id.to_string(), names.clone());
        }
        Ok(names)
    }

    /// Children of `Props`/`MS`/`LST`…: values, named by their `N` attribute.
    fn read_children(&mut self, depth: usize) -> Step<Vec<(Option<String>, CliValue)>> {
        let mut out = Vec::new();
        loop {
            match self.next_ev()? {
                Ev::Open(t) => {
                    let name = t.attr("N").map(decode_escapes);
                    let v = self.read_value(t, depth + 1)?;
                    out.push((name, v));
                }
                Ev::Close => return Ok(out),
                Ev::Eof => return Err(self.xml_problem("unexpected end of file")),
                Ev::Text(_) => {}
            }
        }
    }

    /// `<DCT><En><S N="Key">…</S><I32 N="Value">…</I32></En>…</DCT>`.
    fn read_dict(&mut self, depth: usize) -> Step<Vec<(CliValue, CliValue)>> {
        let mut entries = Vec::new();
        loop {
            match self.next_ev()? {
                Ev::Open(t) if t.name == "En" && !t.empty => {
                    let mut key = CliValue::Null;
                    let mut value = CliValue::Null;
                    for (n, v) in self.read_children(depth + 1)? {
                        match n.as_deref() {
                            Some("Key") => key = v,
                            Some("Value") => value = v,
                            _ => {}
                        }
                    }
                    entries.push((key, value));
                }
                Ev::Open(t) if !t.empty => self.skip()?,
                Ev::Close => return Ok(entries),
                Ev::Eof => return Err(self.xml_problem("unexpected end of file")),
                _ => {}
            }
        }
    }

    fn read_object(&mut self, tag: &Tag, depth: usize) -> Step<CliObject> {
        // This object was counted when its value was read: it holds itself
        // and every value read or copied until its end.
        let first = self.values;
        let mut obj = CliObject {
            ref_id: tag.attr("RefId").map(str::to_string),
            ..CliObject::default()
        };
        if !tag.empty {
            loop {
                let child = match self.next_ev()? {
                    Ev::Open(t) => t,
                    Ev::Close => break,
                    Ev::Eof => return Err(self.xml_problem("unexpected end of file")),
                    Ev::Text(_) => continue,
                };
                match child.name.as_str() {
                    "TN" => obj.type_names = self.read_type_names(&child)?,
                    "TNRef" => {
                        if !child.empty {
                            self.skip()?;
                        }
                        let id = child.attr("RefId").unwrap_or_default();
                        obj.type_names = self.type_names.get(id).cloned().unwrap_or_default();
                    }
                    "ToString" => {
                        obj.to_string = Some(if child.empty {
                            String::new()
                        } else {
                            decode_escapes(&self.text_content()?)
                        })
                    }
                    "Props" | "MS" if !child.empty => {
                        for (n, v) in self.read_children(depth)? {
                            obj.properties.push((n.unwrap_or_default(), v));
                        }
                    }
                    "LST" | "IE" | "STK" | "QUE" if !child.empty => {
                        obj.items
                            .extend(self.read_children(depth)?.into_iter().map(|(_, v)| v));
                    }
                    "DCT" if !child.empty => obj.entries = self.read_dict(depth)?,
                    "Props" | "MS" | "LST" | "IE" | "STK" | "QUE" | "DCT" => {}
                    _ => obj.value = Some(self.read_value(child, depth + 1)?),
                }
            }
        }
        if let Some(id) = &obj.ref_id {
            let weight = self.values - first + 1;
            self.referable.insert(id.clone(), obj.clone(), weight);
        }
        Ok(obj)
    }

    /// The next top-level value, `None` at the end. After an XML error the
    /// reader returns that problem once and then ends.
    pub fn next_value(&mut self) -> Option<Result<(u64, CliValue), Problem>> {
        if self.done {
            return None;
        }
        loop {
            let ev = match self.next_ev() {
                Ok(ev) => ev,
                Err(p) => {
                    self.done = true;
                    return Some(Err(p));
                }
            };
            match ev {
                Ev::Open(t) if !self.in_root => {
                    if t.name == "Objs" && !t.empty {
                        self.in_root = true;
                    } else if !t.empty {
                        if let Err(p) = self.skip() {
                            self.done = true;
                            return Some(Err(p));
                        }
                    }
                }
                Ev::Open(t) => {
                    self.record += 1;
                    let r = self.read_value(t, 1).map(|v| (self.record, v));
                    if r.is_err() {
                        self.done = true;
                    }
                    return Some(r);
                }
                Ev::Close if self.in_root => {
                    self.done = true;
                    return None;
                }
                Ev::Eof => {
                    self.done = true;
                    if !self.in_root {
                        return Some(Err(Problem::new(Location::File, "no <Objs> root element")));
                    }
                    return Some(Err(self.xml_problem("unexpected end of file")));
                }
                _ => {}
            }
        }
    }
}

impl<R: BufRead> Iterator for CliXmlReader<R> {
    /// (record number, value) or a problem.
    type Item = Result<(u64, CliValue), Problem>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_value()
    }
}

/// Reads all top-level objects of a CliXml text as [`PropertyObject`]s
/// (non-object values are skipped with a problem).
pub fn read_objects(text: &str) -> (Vec<PropertyObject>, Problems) {
    super::gather(text, &mut each_object)
}

/// Hands over each top-level object of a CliXml export as it is read (an
/// `Export-Clixml` of thousands of queues or messages is never held whole;
/// the objects a later `<Ref>` may name are kept within
/// [`MAX_KEPT_FOR_REFS`]). Errors reading the text are problems, as XML
/// errors are: the objects before them stay.
pub fn each_object(
    text: &mut dyn BufRead,
    object: &mut dyn FnMut(PropertyObject),
) -> (Problems, io::Result<()>) {
    let mut reader = CliXmlReader::new(text);
    let mut problems = Problems::new();
    while let Some(item) = reader.next_value() {
        match item {
            Ok((n, CliValue::Object(o))) => object(o.to_property_object(Location::Record(n))),
            Ok((n, _)) => problems.push(Problem::new(
                Location::Record(n),
                "top-level CliXml value is not an object",
            )),
            Err(p) => problems.push(p),
        }
    }
    problems.extend(reader.take_problems());
    (problems, Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0">
      <T>Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo</T>
      <T>Deserialized.System.Object</T>
    </TN>
    <ToString>EX01\7</ToString>
    <Props>
      <S N="Identity">EX01\7</S>
      <Obj N="Status" RefId="1">
        <TN RefId="1"><T>Deserialized.Microsoft.Exchange.Data.QueueViewer.QueueStatus</T><T>Deserialized.System.Enum</T></TN>
        <ToString>Retry</ToString>
        <I32>3</I32>
      </Obj>
      <I32 N="MessageCount">4</I32>
      <DT N="LastRetryTime">2026-11-26T10:40:05.1234567+01:00</DT>
      <S N="Note">line1_x000A_line2 &amp; x_x005F_y</S>
      <Nil N="TlsDomain" />
      <Obj N="Priorities" RefId="2"><TN RefId="2"><T>System.Int32[]</T></TN><LST><I32>0</I32><I32>1</I32></LST></Obj>
    </Props>
  </Obj>
  <Obj RefId="3">
    <TNRef RefId="0" />
    <Props><Ref N="Status" RefId="1" /></Props>
  </Obj>
</Objs>"#;

    #[test]
    fn reads_generic_objects() {
        assert!(looks_like(DOC));
        let values: Vec<_> = CliXmlReader::new(DOC.as_bytes()).collect();
        assert_eq!(values.len(), 2);
        let Some(Ok((_, CliValue::Object(first)))) = values.first() else {
            panic!("first value not an object: {values:?}");
        };
        assert_eq!(first.type_names.len(), 2);
        assert_eq!(first.to_string.as_deref(), Some("EX01\\7"));
        let status = first.property("Status").and_then(CliValue::as_text);
        assert_eq!(status.as_deref(), Some("Retry"));
        assert_eq!(first.property("MessageCount"), Some(&CliValue::Integer(4)));
        assert_eq!(
            first.property("Note"),
            Some(&CliValue::String("line1\nline2 & x_y".into()))
        );
        match first.property("LastRetryTime") {
            Some(CliValue::DateTime(t)) => assert_eq!(t.utc_offset_seconds, Some(3600)),
            other => panic!("{other:?}"),
        }
        let Some(Ok((_, CliValue::Object(second)))) = values.get(1) else {
            panic!("second value not an object");
        };
        assert_eq!(second.type_names, first.type_names);
        let po = second.to_property_object(Location::Record(2));
        assert_eq!(
            po.get(&["status"]),
            Some(&PropertyValue::Enum {
                text: Some("Retry".into()),
                value: Some(3)
            })
        );
        let (objs, problems) = read_objects(DOC);
        assert_eq!(objs.len(), 2);
        assert!(problems.is_empty());
        assert_eq!(
            objs[0].get(&["priorities"]).map(|v| v.as_items().0),
            Some(vec!["0".to_string(), "1".to_string()])
        );
    }

    const OBJS: &str =
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">";

    /// Issue 18: 100,000 nested `<Obj>` are neither a stack overflow nor a
    /// silent nothing: one problem line names where the nesting went too deep.
    #[test]
    fn nesting_too_deep_is_a_problem_naming_its_line() {
        let deep = 100_000;
        let doc = format!(
            "{OBJS}\r\n<Obj RefId=\"0\"><Props><S N=\"Identity\">EX01\\3</S></Props></Obj>\r\n{}{}\r\n</Objs>\r\n",
            "<Obj RefId=\"1\">".repeat(deep),
            "</Obj>".repeat(deep)
        );
        let (objs, problems) = read_objects(&doc);
        assert_eq!(objs.len(), 2, "the objects around it are read");
        let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["line 3: nesting deeper than 64 levels: not read"]);
    }

    /// Issue 18: `<Ref>`s that each copy an object referencing the one
    /// before twice double at every link; the copies stop at a bound.
    #[test]
    fn references_that_double_at_every_link_stop_at_a_bound() {
        let mut doc = format!(
            "{OBJS}\n<Obj RefId=\"0\"><Props><S N=\"Identity\">EX01\\3</S></Props></Obj>\n"
        );
        for i in 1..40 {
            doc.push_str(&format!(
                "<Obj RefId=\"{i}\"><Props><Ref N=\"a\" RefId=\"{}\"/><Ref N=\"b\" RefId=\"{}\"/></Props></Obj>\n",
                i - 1,
                i - 1
            ));
        }
        doc.push_str("</Objs>\n");
        let (objs, problems) = read_objects(&doc);
        assert_eq!(objs.len(), 40);
        let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(
            texts[0]
                .starts_with("line 19: <Ref>s copy more than 1,000,000 values: not followed (and "),
            "{texts:?}"
        );
    }

    #[test]
    fn broken_xml_becomes_problem() {
        let (objs, problems) = read_objects(
            "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj RefId=\"0\"><Props><S N=\"a\">x</S>",
        );
        assert!(objs.is_empty());
        assert_eq!(problems.len(), 1);
    }

    /// A document of thousands of objects streams without keeping them all
    /// for `<Ref>`s: a `<Ref>` to a neighbour is followed, one to an object
    /// far back is not, and says so once with how often.
    #[test]
    fn refs_name_the_latest_objects_only() {
        let props: String = (0..50)
            .map(|p| format!("<I32 N=\"P{p}\">{p}</I32>"))
            .collect();
        let mut doc = format!(
            "{OBJS}\n<Obj RefId=\"0\"><ToString>shared</ToString><Props><S N=\"Identity\">EX01\\1</S></Props></Obj>\n"
        );
        for i in 1..3000 {
            doc.push_str(&format!(
                "<Obj RefId=\"{i}\"><Props><S N=\"Identity\">EX01\\{i}</S>{props}</Props></Obj>\n"
            ));
        }
        for _ in 0..2 {
            doc.push_str("<Obj RefId=\"a\"><Props><Ref N=\"Shared\" RefId=\"0\"/><Ref N=\"Before\" RefId=\"2999\"/></Props></Obj>\n");
        }
        doc.push_str("</Objs>\n");
        let mut reader = CliXmlReader::new(doc.as_bytes());
        let mut objects = 0;
        while let Some(Ok(_)) = reader.next_value() {
            objects += 1;
            assert!(reader.referable.kept <= MAX_KEPT_FOR_REFS + 60);
        }
        assert_eq!(objects, 3002);
        let (objs, problems) = read_objects(&doc);
        let last = &objs[objs.len() - 1];
        assert!(last
            .get(&["shared"])
            .is_some_and(|v| *v == PropertyValue::Null));
        let before = last.get(&["before"]);
        assert!(
            before.is_some_and(|v| *v != PropertyValue::Null),
            "the neighbour followed: {:?}",
            last.properties
        );
        let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            ["line 3002: <Ref> to an object written before the last 100,000 values: not followed (and 1 more places)"]
        );
    }

    /// One `RefId` written again and again: each object replaces the one
    /// before for `<Ref>`s, and nothing grows with the document.
    #[test]
    fn a_ref_id_used_again_and_again_keeps_one_object() {
        let mut doc = format!("{OBJS}\n");
        for i in 0..10_000 {
            doc.push_str(&format!(
                "<Obj RefId=\"0\"><Props><S N=\"Identity\">EX01\\{i}</S></Props></Obj>\n"
            ));
        }
        doc.push_str(
            "<Obj RefId=\"1\"><Props><Ref N=\"Last\" RefId=\"0\"/></Props></Obj>\n</Objs>\n",
        );
        let mut reader = CliXmlReader::new(doc.as_bytes());
        let mut last = None;
        while let Some(value) = reader.next_value() {
            assert!(
                reader.referable.order.len() <= 66,
                "{}",
                reader.referable.order.len()
            );
            last = Some(value);
        }
        let Some(Ok((_, CliValue::Object(last)))) = last else {
            panic!("the last object: {last:?}")
        };
        let Some(CliValue::Object(named)) = last.property("Last") else {
            panic!("the <Ref> not followed: {:?}", last.property("Last"))
        };
        let identity = named.property("Identity").and_then(CliValue::as_text);
        assert_eq!(
            identity.as_deref(),
            Some("EX01\\9999"),
            "the latest object so named"
        );
    }
}
