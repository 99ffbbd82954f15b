//! Windows events handed over as text: the same typed records as from `.evtx`.
//!
//! Why: an admin rarely attaches an `.evtx`. They paste what Event Viewer's "Copy
//! details as text" gives (in the UI language: English, German, Dutch, French
//! captions), a Server 2003-style copy (sometimes flattened onto one line, as
//! KB979174 prints it), `wevtutil qe /f:text`, `Get-WinEvent`/`Get-EventLog |
//! Format-List`, Event Viewer's "Save As" CSV, or a bare `Time:/ID:/Level:/Source:/
//! Machine:/Message:` rendering — several events per paste, between prompts and other
//! output, with edits (FORMATS.md §7.1–7.6, §7.12).
//!
//! Each event becomes a `RawEvent` and goes through the same catalog and decoder as
//! an `.evtx` record ([`crate::evtx`]), so downstream code cannot tell the inputs
//! apart:
//!
//! * an `Event Xml:` block that parses wins (UTC `SystemTime`, `<Data>` items), read by
//!   [`crate::event_export::read_event_xml`]; a damaged one still gives its
//!   `SystemTime` and the like, and the rest comes from the captions;
//! * otherwise provider and EventID come from the captions, and the insertion strings
//!   from the **message text**, matched against the catalogued templates
//!   (`message.rs`); with no captions the message alone names the event.
//!
//! Times: Event Viewer's `Date:`, 2003's `Date:`+`Time:`, `TimeCreated`,
//! `TimeGenerated` and the CSV's "Date and Time" are the rendering machine's local
//! time in its regional format with no zone: [`TimeProvenance::LocalUnzoned`], the
//! day/month order decided once per text ([`DateOrderInference`]); [`local_time`]
//! gives them back as an [`ExportedTime`]. `wevtutil`'s `Date:` is UTC.
//!
//! Bad input becomes [`Problem`]s with line numbers; the rest is still read.

mod captions;
mod message;

use crate::detect::{Disposition, Format, Kind};
use crate::event_export::read_event_xml;
use crate::evtx::{
    classify, event_order, DataItem, EventFileReport, EventRecord, Family, RawEvent, ReportBuilder,
    TimeProvenance,
};
use crate::problem::{Location, Problem, Problems};
use crate::queue::local_time::{
    parse_local_datetime, DateOrder, DateOrderInference, DateOrderOption, ExportedTime,
};
use crate::reread::{each_line, first_line_without_byte_order_marks, Reread};
use crate::text_runs::CsvFields;
use captions::{split_caption, Cap};
use jiff::Timestamp;
use std::io::{self, BufRead};
use std::ops::ControlFlow;

/// Events as text: Event Viewer "Copy details as text" (any caption
/// language), Server 2003-style copies, `wevtutil qe /f:text`,
/// `Get-WinEvent`/`Get-EventLog` renderings, Event Viewer CSV.
pub const KIND: Kind = Kind::new("event-text");

/// This format's line in the registry (`detect::FORMATS`).
pub const FORMAT: Format = Format {
    kinds: &[KIND],
    describes:
        "`Log Name:`/`Protokollname:`/`Event Type:`/`Event[0]:`/`TimeCreated :`: events as text",
    detect: |head| {
        (head.encoding.is_some() && looks_like(head.text)).then_some((
            KIND,
            crate::detect::Form::Other,
            Disposition::Used,
            None,
        ))
    },
    name_prefix: None,
};

/// The wall-clock time of an event whose text carried no zone
/// ([`TimeProvenance::LocalUnzoned`]), to be placed in a zone by the caller.
pub fn local_time(record: &EventRecord) -> Option<ExportedTime> {
    if record.time_provenance != TimeProvenance::LocalUnzoned {
        return None;
    }
    let t = record.time?;
    Some(ExportedTime::server_local(
        t.to_zoned(jiff::tz::TimeZone::UTC).datetime(),
    ))
}

// ---------------------------------------------------------------------------
// Detection

/// Property names of `Get-WinEvent`/`Get-EventLog` objects in `Format-List`.
const PS_PROPERTIES: &[&str] = &[
    "timecreated",
    "providername",
    "id",
    "message",
    "index",
    "entrytype",
    "instanceid",
    "eventid",
    "machinename",
    "source",
    "logname",
    "recordid",
    "level",
    "leveldisplayname",
    "version",
    "qualifiers",
    "category",
    "categorynumber",
    "replacementstrings",
    "timegenerated",
    "timewritten",
    "username",
];

/// The properties an event object's Format-List can begin with (`fl`, `fl *`,
/// `Select-Object *`, and a few a trimmed paste may start at); other cmdlets' objects
/// (`Get-Queue`, `Get-Message`) do not begin with these.
const LIST_STARTS: &[&str] = &[
    "timecreated",
    "providername",
    "message",
    "index",
    "entrytype",
    "instanceid",
    "eventid",
    "id",
    "logname",
];

/// `Name   : value` of Format-List: name at column 0, blanks, colon.
fn fl_property(line: &str) -> Option<(String, &str)> {
    let first = line.chars().next()?;
    if first.is_whitespace() {
        return None;
    }
    let colon = line.find(':')?;
    let head = line.get(..colon)?;
    let name = head.trim_end();
    if name.is_empty() || name.len() == head.len() || name.contains(char::is_whitespace) {
        return None;
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let value = line.get(colon + 1..)?;
    let value = value.strip_prefix(' ').unwrap_or(value);
    Some((name.to_ascii_lowercase(), value))
}

/// Cheap content check over the first few KiB of decoded text: does it hold event text
/// in one of the forms this module reads? Event XML (`<Event xmlns=…`, `<Events>`),
/// other cmdlets' Format-List and protocol logs are not claimed.
pub fn looks_like(head_text: &str) -> bool {
    let text = head_text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('<') {
        return false;
    }
    if csv_columns(first_line(text)).is_some() {
        return true;
    }
    let mut caps: Vec<Cap> = Vec::new();
    let mut ps: Vec<String> = Vec::new();
    let mut wevtutil = false;
    for raw in text.lines().take(80) {
        let line = captions::decode_entities(raw.trim_end());
        if captions::is_wevtutil_header(&line) {
            wevtutil = true;
        }
        if let Some(pieces) = captions::split_inline(&line) {
            caps.extend(
                pieces
                    .iter()
                    .filter_map(|p| split_caption(p))
                    .map(|c| c.cap),
            );
        } else if let Some(c) = split_caption(&line) {
            caps.push(c.cap);
        }
        if let Some((name, _)) = fl_property(&line) {
            if PS_PROPERTIES.contains(&name.as_str()) {
                ps.push(name);
            }
        }
        if let Some(rest) = line.strip_prefix("   ProviderName: ") {
            if !rest.trim().is_empty() {
                ps.push("table".into());
            }
        }
    }
    let has = |c: Cap| caps.contains(&c);
    let has_ps = |n: &str| ps.iter().any(|p| p == n);
    let viewer_caps = [
        Cap::Source,
        Cap::Date,
        Cap::EventId,
        Cap::TaskCategory,
        Cap::Level,
        Cap::Keywords,
        Cap::User,
        Cap::Computer,
        Cap::Description,
    ];
    let others = viewer_caps.iter().filter(|c| has(**c)).count();
    let viewer = (has(Cap::LogName) && others >= 2)
        || (has(Cap::EventId) && has(Cap::Source) && (has(Cap::Computer) || has(Cap::Date)));
    let server2003 = has(Cap::EventType) && has(Cap::EventId);
    let minimal = has(Cap::Time) && has(Cap::Id) && has(Cap::Source) && has(Cap::Message);
    let win_event = has_ps("timecreated") && has_ps("providername") && has_ps("id");
    let event_log = (has_ps("index") && has_ps("entrytype") && has_ps("instanceid"))
        || (has_ps("eventid") && has_ps("entrytype") && has_ps("source"));
    let table = has_ps("table") && text.contains("TimeCreated") && text.contains("Id");
    viewer || server2003 || wevtutil || minimal || win_event || event_log || table
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}

// ---------------------------------------------------------------------------
// One event as read from text, before decoding

/// Which form an event came in (decides how its time is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Form {
    #[default]
    Viewer,
    Server2003,
    Wevtutil,
    Minimal,
    WinEvent,
    EventLog,
    Csv,
}

#[derive(Debug, Default)]
struct TextEvent {
    line: u64,
    form: Form,
    provider: Option<String>,
    /// The EventID caption's text and line.
    event_id: Option<(String, u64)>,
    /// `InstanceId`: the full classic message id.
    instance_id: Option<String>,
    channel: Option<String>,
    computer: Option<String>,
    level: Option<String>,
    keywords: Option<String>,
    date: Option<(String, u64)>,
    /// 2003 style: the separate `Time:` line.
    time: Option<String>,
    record_id: Option<u64>,
    qualifiers: Option<u16>,
    message: String,
    message_line: Option<u64>,
    xml: Option<(String, u64)>,
    binary: Option<String>,
    /// `ReplacementStrings` of Get-EventLog, as printed.
    replacement_strings: Option<String>,
    seen: Vec<Cap>,
}

impl TextEvent {
    fn new(line: u64, form: Form) -> Self {
        TextEvent {
            line,
            form,
            ..Default::default()
        }
    }

    /// Appends a line of the message; false (nothing kept) past
    /// [`FIELD_CAP`].
    fn push_message(&mut self, text: &str, line: u64) -> bool {
        if self.message_line.is_none() {
            if text.trim().is_empty() {
                return true;
            }
            self.message_line = Some(line);
        }
        if self.message.is_empty() {
            return append_capped(&mut self.message, text);
        }
        if !append_capped(&mut self.message, "\n") {
            return false;
        }
        if append_capped(&mut self.message, text) {
            return true;
        }
        self.message.pop();
        false
    }

    /// The date text to parse (2003: date and time joined).
    fn date_text(&self) -> Option<String> {
        let (d, _) = self.date.as_ref()?;
        let mut s = d.trim().to_string();
        if let Some(t) = &self.time {
            s.push(' ');
            s.push_str(t.trim());
        }
        Some(normalize_time_dots(&s))
    }

    /// Set a caption's value (captions an event does not keep are only noted).
    fn set(&mut self, cap: Cap, value: &str, line: u64) {
        let v = value.trim();
        let some = || (!v.is_empty()).then(|| v.to_string());
        match cap {
            Cap::LogName => self.channel = some(),
            Cap::Source => self.provider = some(),
            Cap::Date => self.date = some().map(|d| (d, line)),
            Cap::Time => {
                if self.form == Form::Minimal {
                    self.date = some().map(|d| (d, line));
                } else {
                    self.time = some();
                }
            }
            Cap::EventId | Cap::Id => self.event_id = some().map(|d| (d, line)),
            Cap::Level | Cap::EventType => self.level = some(),
            Cap::Keywords => self.keywords = some(),
            Cap::Computer => self.computer = some(),
            Cap::Description | Cap::Message => {
                // One line: within the cap (lines are cut at 1 MiB).
                self.push_message(v, line);
            }
            _ => {}
        }
        self.seen.push(cap);
    }
}

/// Finnish-style `07.06.2022 19.16.46`: dots in the time part become colons.
fn normalize_time_dots(s: &str) -> String {
    let mut parts: Vec<String> = s.split(' ').map(str::to_string).collect();
    for p in parts.iter_mut().skip(1) {
        let fields: Vec<&str> = p.split('.').collect();
        if (fields.len() == 2 || fields.len() == 3)
            && fields
                .iter()
                .all(|f| !f.is_empty() && f.len() <= 2 && f.bytes().all(|b| b.is_ascii_digit()))
        {
            *p = fields.join(":");
        }
    }
    parts.join(" ")
}

// ---------------------------------------------------------------------------
// Reading the caption forms and Format-List, line by line

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Header,
    Description,
    Xml,
    Data,
    List,
    /// `Get-WinEvent` default table rows.
    Table,
}

/// Most text an event keeps in one field (its description, its XML, its
/// binary data, a list property): a real event's message is at most 32 KiB
/// (31,839 characters), its XML a few. Past this the text that follows is
/// not this event's (an export glued to junk, a caption lost) and kept, it
/// grew with the bytes: 865 MB for 210 MB of junk after a description.
const FIELD_CAP: usize = 1 << 20;
/// Most properties a `Format-List` event keeps (`Get-WinEvent | fl` prints
/// about twenty): junk lines shaped `name : value` each made one.
const LIST_PROPERTIES_CAP: usize = 256;

/// Appends `text` to `field` unless that takes it past [`FIELD_CAP`]; false
/// (nothing appended) when it would.
fn append_capped(field: &mut String, text: &str) -> bool {
    if field.len() + text.len() > FIELD_CAP {
        return false;
    }
    field.push_str(text);
    true
}

struct LineReader {
    state: State,
    current: Option<TextEvent>,
    /// Format-List: properties of the object being read.
    props: Vec<(String, String, u64)>,
    done: Vec<TextEvent>,
    problems: Problems,
    pending_wevtutil: bool,
    /// `Get-WinEvent` table: the group's provider and the header's columns.
    table_provider: Option<String>,
    table: Option<TableColumns>,
    /// The current event began with a caption that other output also prints
    /// (`Source:`, `Time:`); it is dropped, without a problem, unless a second caption
    /// follows.
    tentative: bool,
    /// The current event's lines not kept past [`FIELD_CAP`] or
    /// [`LIST_PROPERTIES_CAP`]: the first one's number and how many.
    cut: Option<(u64, u64)>,
}

/// One line of a text (1-based number `n`), flattened caption lines split into
/// pieces, each handed to `each` with the line's number.
fn expand_line(n: u64, raw: &str, each: &mut dyn FnMut(u64, &str)) {
    let line = raw.trim_end();
    let line = if n == 1 {
        line.trim_start_matches('\u{feff}')
    } else {
        line
    };
    match captions::split_inline(&captions::decode_entities(line)) {
        Some(pieces) => pieces.iter().for_each(|p| each(n, p)),
        None => each(n, line),
    }
}

impl LineReader {
    fn new() -> Self {
        LineReader {
            state: State::Idle,
            current: None,
            props: Vec::new(),
            done: Vec::new(),
            problems: Problems::new(),
            pending_wevtutil: false,
            table_provider: None,
            table: None,
            tentative: false,
            cut: None,
        }
    }

    /// Line `n` of the current event not kept (see [`FIELD_CAP`]).
    fn cut_line(&mut self, n: u64) {
        let (_, lines) = self.cut.get_or_insert((n, 0));
        *lines += 1;
    }

    /// The problem of the event that ended, if lines of it were not kept.
    fn report_cut(&mut self) {
        if let Some((first, lines)) = self.cut.take() {
            self.problems.push(Problem::new(
                Location::Line(first),
                format!(
                    "an event's text runs past {} MiB here: {} not kept (no event is this long; what follows is likely not part of it)",
                    FIELD_CAP >> 20,
                    crate::problem::lines(lines),
                ),
            ));
        }
    }

    fn finish_current(&mut self) {
        self.report_cut();
        if std::mem::take(&mut self.tentative) {
            self.current = None;
        }
        if let Some(mut e) = self.current.take() {
            if let Some((xml, _)) = e.xml.as_mut() {
                if xml.trim().is_empty() {
                    e.xml = None;
                }
            }
            self.done.push(e);
        }
        self.state = State::Idle;
    }

    fn start(&mut self, line: u64, form: Form) {
        self.finish_current();
        self.tentative = false;
        let form = if self.pending_wevtutil {
            Form::Wevtutil
        } else {
            form
        };
        self.pending_wevtutil = false;
        self.current = Some(TextEvent::new(line, form));
        self.state = State::Header;
    }

    /// Reads the lines of a text, each event to `each` as soon as it ends; the
    /// problems met, and the error that cut the text short, if one did.
    fn read(
        mut self,
        reader: &mut dyn BufRead,
        each: &mut dyn FnMut(TextEvent),
    ) -> (Problems, io::Result<()>) {
        let read = each_line(reader, &mut |n, raw| {
            expand_line(n, raw, &mut |n, piece| {
                self.line(n, piece);
                self.done.drain(..).for_each(&mut *each);
            });
            ControlFlow::Continue(())
        });
        self.finish_list();
        self.finish_current();
        self.done.drain(..).for_each(each);
        (self.problems, read)
    }

    fn line(&mut self, n: u64, raw: &str) {
        if self.state == State::Xml {
            return self.xml_line(n, raw);
        }
        if self.state == State::List && self.list_line(n, raw) {
            return;
        }
        let decoded = captions::decode_entities(raw);
        let line: &str = &decoded;
        if captions::is_wevtutil_header(line) {
            self.finish_current();
            self.pending_wevtutil = true;
            return;
        }
        let cap = split_caption(line);
        // Captions that begin an event, whatever the state.
        if let Some(c) = &cap {
            let form = match c.cap {
                Cap::LogName => Some(Form::Viewer),
                Cap::EventType => Some(Form::Server2003),
                _ => None,
            };
            let repeat = self.state == State::Header
                && self
                    .current
                    .as_ref()
                    .is_some_and(|e| e.seen.contains(&c.cap));
            if let Some(form) = form {
                if c.indent <= 2 {
                    self.start(n, form);
                    self.header_caption(n, c.cap, c.value);
                    return;
                }
            }
            if repeat {
                let form = self.current.as_ref().map_or(Form::Viewer, |e| e.form);
                self.start(n, form);
                self.header_caption(n, c.cap, c.value);
                return;
            }
        }
        match self.state {
            State::Header => self.header_line(n, line),
            State::Description => self.description_line(n, line),
            State::Data => self.data_line(n, line),
            State::Table => self.table_line(n, line),
            State::Idle | State::List => self.idle_line(n, line),
            State::Xml => {}
        }
    }

    fn header_caption(&mut self, n: u64, cap: Cap, value: &str) {
        let Some(e) = self.current.as_mut() else {
            return;
        };
        match cap {
            Cap::Description | Cap::Message => {
                e.set(cap, value, n);
                self.state = State::Description;
            }
            Cap::EventXml => {
                e.seen.push(cap);
                e.xml = Some((value.to_string(), n));
                self.state = State::Xml;
            }
            Cap::Data => {
                e.seen.push(cap);
                e.binary = Some(String::new());
                self.state = State::Data;
            }
            _ => e.set(cap, value, n),
        }
    }

    fn header_line(&mut self, n: u64, line: &str) {
        if let Some(c) = split_caption(line) {
            self.tentative = false;
            return self.header_caption(n, c.cap, c.value);
        }
        if line.trim().is_empty() {
            return;
        }
        if self.tentative {
            // Not an event after all (`Source: time.nist.gov` of w32tm, …).
            self.tentative = false;
            self.current = None;
            self.state = State::Idle;
            return self.idle_line(n, line);
        }
        if line.trim_start().starts_with("<Event") || line.trim_start().starts_with("&lt;Event") {
            if let Some(e) = self.current.as_mut() {
                e.xml = Some((String::new(), n));
            }
            self.state = State::Xml;
            return self.xml_line(n, line);
        }
        if captions::is_prompt(line) {
            return self.finish_current();
        }
        let captions_seen = self.current.as_ref().map_or(0, |e| e.seen.len());
        if captions_seen >= 3 {
            // No `Description:` caption (a frequent edit): the text is the description.
            self.state = State::Description;
            self.description_line(n, line);
        } else {
            self.problems.push(Problem::new(
                Location::Line(n),
                "line inside an event's captions is not a caption; ignored",
            ));
        }
    }

    fn description_line(&mut self, n: u64, line: &str) {
        let form = self.current.as_ref().map_or(Form::Viewer, |e| e.form);
        if let Some(c) = split_caption(line) {
            match c.cap {
                Cap::EventXml if c.indent == 0 => {
                    return self.header_caption(n, c.cap, c.value);
                }
                Cap::Data if form == Form::Server2003 && c.indent == 0 => {
                    return self.header_caption(n, c.cap, c.value);
                }
                Cap::Time if form == Form::Minimal && c.indent == 0 => {
                    self.start(n, Form::Minimal);
                    return self.header_caption(n, c.cap, c.value);
                }
                _ => {}
            }
        }
        let t = line.trim_start();
        if t.starts_with("<Event") || t.starts_with("&lt;Event") {
            if let Some(e) = self.current.as_mut() {
                e.xml = Some((String::new(), n));
            }
            self.state = State::Xml;
            return self.xml_line(n, line);
        }
        if captions::is_prompt(line) {
            return self.finish_current();
        }
        if let Some(e) = self.current.as_mut() {
            if !e.push_message(line, n) {
                self.cut_line(n);
            }
        }
    }

    fn xml_line(&mut self, n: u64, raw: &str) {
        // A new event ends an XML block cut short.
        if let Some(c) = split_caption(raw) {
            if captions::starts_event(c.cap) && c.indent <= 2 {
                self.finish_current();
                return self.line(n, raw);
            }
        }
        if captions::is_wevtutil_header(raw) || captions::is_prompt(raw) {
            self.finish_current();
            return self.line(n, raw);
        }
        let Some(e) = self.current.as_mut() else {
            self.state = State::Idle;
            return;
        };
        let xml = e.xml.get_or_insert_with(|| (String::new(), n));
        if xml.0.trim().is_empty() {
            xml.1 = n;
        }
        if !append_capped(&mut xml.0, raw) || !append_capped(&mut xml.0, "\n") {
            self.cut_line(n);
        }
        if raw.contains("</Event>") || raw.contains("&lt;/Event&gt;") {
            self.finish_current();
        }
    }

    fn data_line(&mut self, n: u64, line: &str) {
        let t = line.trim();
        if t.is_empty() {
            return;
        }
        let hex = data_hex(t);
        match (hex, self.current.as_mut()) {
            (Some(hex), Some(e)) => {
                if !append_capped(e.binary.get_or_insert_with(String::new), &hex) {
                    self.cut_line(n);
                }
            }
            _ => {
                self.finish_current();
                self.line(n, line);
            }
        }
    }

    fn idle_line(&mut self, n: u64, line: &str) {
        if self.table_start(line) {
            return;
        }
        if let Some(c) = split_caption(line) {
            // The minimal rendering starts with `Time:`.
            if c.cap == Cap::Time
                && c.indent == 0
                && c.value.bytes().next().is_some_and(|b| b.is_ascii_digit())
            {
                self.start(n, Form::Minimal);
                self.tentative = true;
                return self.header_caption(n, c.cap, c.value);
            }
            // A copy whose `Log Name:` line was left out.
            if c.cap == Cap::Source && c.indent == 0 && fl_property(line).is_none() {
                self.start(n, Form::Viewer);
                self.tentative = true;
                return self.header_caption(n, c.cap, c.value);
            }
        }
        if let Some((name, value)) = fl_property(line) {
            if LIST_STARTS.contains(&name.as_str()) {
                self.finish_current();
                self.props.clear();
                self.props.push((name, value.to_string(), n));
                self.state = State::List;
            }
        }
    }

    /// `   ProviderName: X` (a table group) or the table's header line.
    fn table_start(&mut self, line: &str) -> bool {
        if let Some(p) = line.strip_prefix("   ProviderName: ") {
            self.finish_current();
            self.table_provider = Some(p.trim().to_string()).filter(|p| !p.is_empty());
            self.table = None;
            return true;
        }
        if self.table_provider.is_some() {
            if let Some(cols) = TableColumns::from_header(line) {
                self.table = Some(cols);
                self.state = State::Table;
                return true;
            }
        }
        false
    }

    fn table_line(&mut self, n: u64, line: &str) {
        let t = line.trim();
        if t.is_empty() || t.bytes().all(|b| b == b'-' || b == b' ') {
            return;
        }
        if self.table_start(line) {
            return;
        }
        let row = self.table.as_ref().and_then(|c| c.row(line));
        match row {
            Some((time, id, level, message)) => {
                let mut e = TextEvent::new(n, Form::WinEvent);
                e.provider = self.table_provider.clone();
                e.date = Some((time, n));
                e.event_id = Some((id, n));
                e.level = Some(level).filter(|l| !l.is_empty());
                e.push_message(&message, n);
                self.done.push(e);
            }
            None => {
                self.state = State::Idle;
                self.table = None;
                self.table_provider = None;
                self.line(n, line);
            }
        }
    }

    /// One line while reading a Format-List object; false when the line ended the
    /// object and must be read again as something else.
    fn list_line(&mut self, n: u64, raw: &str) -> bool {
        if raw.trim().is_empty() {
            return true;
        }
        if let Some((name, value)) = fl_property(raw) {
            if self.props.iter().any(|(p, _, _)| *p == name) {
                self.finish_list();
                self.state = State::List;
            }
            if self.props.len() < LIST_PROPERTIES_CAP {
                self.props.push((name, value.to_string(), n));
            } else {
                self.cut_line(n);
            }
            return true;
        }
        if raw.starts_with(char::is_whitespace) {
            if let Some((_, v, _)) = self.props.last_mut() {
                // Out-File wraps at the width keeping a word's trailing blank; a line
                // of its own (messages are multi-line) starts after a newline.
                let kept = (v.ends_with(' ') || append_capped(v, "\n"))
                    && append_capped(v, raw.trim_start());
                if !kept {
                    self.cut_line(n);
                }
            }
            return true;
        }
        self.finish_list();
        false
    }

    fn finish_list(&mut self) {
        if self.state != State::List {
            return;
        }
        self.report_cut();
        self.state = State::Idle;
        let props = std::mem::take(&mut self.props);
        let Some(&(_, _, line)) = props.first() else {
            return;
        };
        let get = |name: &str| {
            props
                .iter()
                .find(|(p, _, _)| p == name)
                .map(|(_, v, l)| (v.trim().to_string(), *l))
                .filter(|(v, _)| !v.is_empty())
        };
        let form = if get("instanceid").is_some() || get("entrytype").is_some() {
            Form::EventLog
        } else {
            Form::WinEvent
        };
        let mut e = TextEvent::new(line, form);
        e.provider = get("providername").or_else(|| get("source")).map(|v| v.0);
        e.event_id = get("id").or_else(|| get("eventid"));
        e.instance_id = get("instanceid").map(|v| v.0);
        e.channel = get("logname").map(|v| v.0);
        e.computer = get("machinename").map(|v| v.0);
        e.level = get("leveldisplayname")
            .or_else(|| get("entrytype"))
            .or_else(|| get("level"))
            .map(|v| v.0);
        e.date = get("timecreated").or_else(|| get("timegenerated"));
        e.record_id = get("recordid")
            .or_else(|| get("index"))
            .and_then(|v| v.0.parse().ok());
        e.qualifiers = get("qualifiers").and_then(|v| v.0.parse().ok());
        e.replacement_strings = get("replacementstrings").map(|v| v.0);
        if let Some((m, l)) = props
            .iter()
            .find(|(p, _, _)| p == "message")
            .map(|(_, v, l)| (v.clone(), *l))
        {
            e.push_message(&m, l);
        }
        let is_event = e.event_id.is_some()
            || e.instance_id.is_some()
            || (e.provider.is_some() && e.message_line.is_some());
        if is_event {
            self.done.push(e);
        }
    }
}

/// Where the columns of `Get-WinEvent`'s default table start (in characters):
/// `TimeCreated                     Id LevelDisplayName Message`. `Id` is right
/// aligned, so a row's id is the last word before the level column.
#[derive(Debug, Clone, Copy)]
struct TableColumns {
    level: usize,
    message: usize,
}

impl TableColumns {
    fn from_header(line: &str) -> Option<TableColumns> {
        let chars: Vec<char> = line.chars().collect();
        let find = |word: &str| {
            let w: Vec<char> = word.chars().collect();
            chars.windows(w.len()).position(|x| x == w.as_slice())
        };
        if !line.trim_start().starts_with("TimeCreated") {
            return None;
        }
        let id = find(" Id ")?;
        let level = find("LevelDisplayName")?;
        let message = find("Message")?;
        (id < level && level < message).then_some(TableColumns { level, message })
    }

    /// (time, id, level, message) of a row.
    fn row(&self, line: &str) -> Option<(String, String, String, String)> {
        let chars: Vec<char> = line.chars().collect();
        let head: String = chars.iter().take(self.level).collect();
        let (time, id) = head.trim_end().rsplit_once(' ')?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || time.trim().is_empty() {
            return None;
        }
        let level: String = chars
            .iter()
            .skip(self.level)
            .take(self.message.saturating_sub(self.level))
            .collect();
        let message: String = chars.iter().skip(self.message).collect();
        Some((
            time.trim().to_string(),
            id.to_string(),
            level.trim().to_string(),
            message.trim().to_string(),
        ))
    }
}

/// `0000: 5e 00 00 c0` (bytes) or `0000: c000005e` (DWORDs, little-endian in the
/// record) of a 2003-style `Data:` section, as hex of the bytes.
fn data_hex(line: &str) -> Option<String> {
    let (offset, rest) = line.split_once(':')?;
    if offset.len() != 4 || !offset.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = String::new();
    for token in rest.split_whitespace() {
        if !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            break;
        }
        match token.len() {
            2 => out.push_str(token),
            8 => {
                for i in (0..4).rev() {
                    out.push_str(token.get(i * 2..i * 2 + 2)?);
                }
            }
            _ => break,
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Event Viewer "Save As" CSV

/// Column roles of an Event Viewer CSV header.
#[derive(Debug, Clone, Copy, Default)]
struct CsvColumns {
    level: Option<usize>,
    date: usize,
    source: usize,
    event_id: usize,
    description: Option<usize>,
    len: usize,
}

fn csv_role(name: &str) -> Option<&'static str> {
    let n = name.trim().trim_matches('"').to_lowercase();
    Some(match n.as_str() {
        "level" | "ebene" | "niveau" | "type" => "level",
        "date and time" | "datum und uhrzeit" | "datum en tijd" | "date et heure" => "date",
        "source" | "quelle" | "bron" => "source",
        "event id"
        | "ereignis-id"
        | "gebeurtenis-id"
        | "id de l'événement"
        | "id de l’événement" => "id",
        "task category" | "aufgabenkategorie" | "taakcategorie" | "catégorie de la tâche" => {
            "task"
        }
        "description" | "beschreibung" | "beschrijving" | "message" => "description",
        _ => return None,
    })
}

/// The columns of an Event Viewer CSV header line, or `None`.
fn csv_columns(header: &str) -> Option<CsvColumns> {
    let header = header.trim_start_matches('\u{feff}');
    let delimiter = if header.contains('\t') { '\t' } else { ',' };
    let names: Vec<&str> = header.split(delimiter).collect();
    if names.len() < 4 {
        return None;
    }
    let mut cols = CsvColumns {
        len: names.len(),
        ..Default::default()
    };
    let (mut date, mut source, mut id) = (None, None, None);
    for (i, name) in names.iter().enumerate() {
        match csv_role(name) {
            Some("level") => cols.level = Some(i),
            Some("date") => date = Some(i),
            Some("source") => source = Some(i),
            Some("id") => id = Some(i),
            Some("description") => cols.description = Some(i),
            _ => {}
        }
    }
    cols.date = date?;
    cols.source = source?;
    cols.event_id = id?;
    Some(cols)
}

/// Reads the rows of an Event Viewer CSV (the header line included), each event to
/// `each`; the problems met.
fn read_csv(
    reader: &mut dyn BufRead,
    delimiter: u8,
    cols: CsvColumns,
    each: &mut dyn FnMut(TextEvent),
) -> Problems {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(CsvFields::new(reader, delimiter));
    let mut problems = Problems::new();
    let mut row = csv::StringRecord::new();
    // Bytes of quoted fields cut so far (see [`CsvFields`]).
    let mut cut = 0;
    // csv counts the lines it reads; those of a cut field's rest are not.
    let line_of = |reader: &csv::Reader<CsvFields<&mut dyn BufRead>>, p: &csv::Position| {
        p.line() + reader.get_ref().line_ends_dropped_before(p.byte())
    };
    loop {
        match reader.read_record(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_of(&reader, p));
                let io = matches!(e.kind(), csv::ErrorKind::Io(_));
                problems.push(Problem::new(
                    Location::Line(line),
                    format!("CSV row unreadable: {e}"),
                ));
                if io {
                    break;
                }
                continue;
            }
        }
        let line = row.position().map_or(0, |p| line_of(&reader, p));
        let dropped = reader.get_ref().bytes_dropped();
        if dropped > cut {
            problems.push(crate::queue::csv_export::field_cut(line, dropped - cut));
            cut = dropped;
        }
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let field = |i: usize| row.get(i).map(str::trim).filter(|v| !v.is_empty());
        let mut e = TextEvent::new(line, Form::Csv);
        e.level = cols.level.and_then(field).map(str::to_string);
        e.date = field(cols.date).map(|d| (d.to_string(), line));
        e.provider = field(cols.source).map(str::to_string);
        e.event_id = field(cols.event_id).map(|d| (d.to_string(), line));
        // The description is the named column, else everything after the header's.
        let desc: Vec<&str> = match cols.description {
            Some(i) => row.get(i).into_iter().collect(),
            None => row.iter().skip(cols.len).collect(),
        };
        let desc = desc.join(",");
        e.push_message(&desc, line);
        each(e);
    }
    problems
}

// ---------------------------------------------------------------------------
// From text event to typed record

/// Read every event in a text (see the module documentation), in the report's
/// order.
pub fn parse(text: &str, date_order: DateOrderOption) -> EventFileReport {
    let mut events = Vec::new();
    let mut report = read_events(&mut text.as_bytes(), date_order, usize::MAX, &mut |batch| {
        events.extend(batch)
    });
    events.sort_by_key(event_order);
    report.events = events;
    report
}

/// Reads the events of a text, read from its start as many times as asked: a
/// first pass observes the dates (one day/month order for the whole text), a
/// second reads the events, which go to `each` in reading order
/// `batch` at a time as they are read (unsorted: [`event_order`] is the report's
/// order). Nothing of the text is held but an event and a batch: a text of any
/// size reads in the same memory. The report that comes back counts them and
/// holds the problems; its `events` are empty.
pub fn read_events(
    text: &mut dyn Reread,
    date_order: DateOrderOption,
    batch: usize,
    each: &mut dyn FnMut(Vec<EventRecord>),
) -> EventFileReport {
    let mut builder = ReportBuilder::default();
    let form = match text
        .read_from_start()
        .and_then(|mut text| text_form(&mut *text))
    {
        Ok(form) => form,
        Err(e) => return cannot_read(builder, e),
    };
    // One day/month order for the whole text.
    let mut inference = DateOrderInference::new();
    let observed = text.read_from_start().and_then(|mut text| {
        let (_, read) = text_events(&mut *text, form, &mut |e| {
            if let Some(d) = e.date_text() {
                inference.observe(&d);
            }
        });
        read
    });
    if let Err(e) = observed {
        return cannot_read(builder, e);
    }
    let choice = inference.decide(date_order);
    let mut problems = Problems::new();
    let read = text.read_from_start().and_then(|mut text| {
        let (found, read) = text_events(&mut *text, form, &mut |e| {
            finish_event(e, choice.order, &mut builder);
            if builder.events.len() >= batch {
                each(std::mem::take(&mut builder.events));
            }
        });
        problems = found;
        read
    });
    if !builder.events.is_empty() {
        each(std::mem::take(&mut builder.events));
    }
    if let Err(e) = read {
        problems.push(Problem::new(
            Location::File,
            format!("cannot read the text again: {e}; the events after it were not read"),
        ));
    }
    if choice.conflicting {
        problems.push(Problem::new(
            Location::File,
            "dates disagree on day/month order (mixed regional formats); the majority order was used",
        ));
    }
    builder.problems.extend(problems);
    builder.finish()
}

/// The report of a text that could not be read.
fn cannot_read(mut builder: ReportBuilder, e: io::Error) -> EventFileReport {
    builder
        .problems
        .push(Problem::new(Location::File, format!("cannot read: {e}")));
    builder.finish()
}

/// How a text holds its events: an Event Viewer CSV (its header's columns and
/// delimiter), from its first line that is not blank, or lines of text.
#[derive(Debug, Clone, Copy)]
enum TextForm {
    Csv(CsvColumns, u8),
    Lines,
}

fn text_form(text: &mut dyn BufRead) -> io::Result<TextForm> {
    let mut form = TextForm::Lines;
    each_line(text, &mut |_, line| {
        if line.trim().is_empty() {
            return ControlFlow::Continue(());
        }
        if let Some(cols) = csv_columns(line) {
            let delimiter = if line.contains('\t') { b'\t' } else { b',' };
            form = TextForm::Csv(cols, delimiter);
        }
        ControlFlow::Break(())
    })?;
    Ok(form)
}

/// The text events of a text in `form`, each to `each` as soon as it is read;
/// the problems met, and the error that cut the text short, if one did.
fn text_events(
    text: &mut dyn BufRead,
    form: TextForm,
    each: &mut dyn FnMut(TextEvent),
) -> (Problems, io::Result<()>) {
    match form {
        TextForm::Csv(cols, delimiter) => match first_line_without_byte_order_marks(text) {
            Ok(first) => {
                let mut rows = io::Read::chain(io::Cursor::new(first), text);
                (read_csv(&mut rows, delimiter, cols, each), Ok(()))
            }
            Err(e) => (Problems::new(), Err(e)),
        },
        TextForm::Lines => LineReader::new().read(text, each),
    }
}

/// The provider name as the catalog knows it: Event Viewer may show a manifest
/// provider without its `Microsoft-Windows-` prefix.
fn catalog_provider(provider: &str, id: u16) -> String {
    if classify(provider, id).is_none() {
        let long = format!("Microsoft-Windows-{provider}");
        if classify(&long, id).is_some() {
            return long;
        }
    }
    provider.to_string()
}

fn same_family(a: &str, b: &str, id: u16) -> bool {
    let (a, b) = (catalog_provider(a, id), catalog_provider(b, id));
    a.eq_ignore_ascii_case(&b)
        || matches!((classify(&a, id), classify(&b, id)), (Some(x), Some(y)) if x == y)
}

/// Level number from a level name in any of the known languages, or a number.
fn level_number(text: &str) -> Option<u8> {
    let t = text.trim().to_lowercase();
    if let Ok(n) = t.parse::<u8>() {
        return Some(n);
    }
    Some(match t.as_str() {
        "critical" | "kritisch" | "kritiek" | "critique" => 1,
        "error" | "fehler" | "fout" | "erreur" | "ошибка" => 2,
        "warning" | "warnung" | "waarschuwing" | "avertissement" | "предупреждение" => {
            3
        }
        "information" | "informationen" | "informatie" | "informations" | "сведения" => 4,
        "verbose" | "ausführlich" | "uitgebreid" | "détaillé" | "подробности" => 5,
        "audit success" | "audit failure" | "success audit" | "failure audit" | "successaudit"
        | "failureaudit" => 0,
        _ => return None,
    })
}

/// What a damaged `Event Xml:` block still tells: `SystemTime` and System elements.
#[derive(Debug, Default)]
struct XmlScraps {
    time: Option<Timestamp>,
    provider: Option<String>,
    event_id: Option<u64>,
    qualifiers: Option<u16>,
    level: Option<u8>,
    record_id: Option<u64>,
    channel: Option<String>,
    computer: Option<String>,
}

fn attr_value<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let at = xml.find(&format!("{name}="))? + name.len() + 1;
    let rest = xml.get(at..)?;
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = rest.get(1..)?;
    rest.get(..rest.find(quote)?)
}

fn element_text<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = xml.find(&format!("<{name}"))?;
    let rest = xml.get(open + name.len() + 1..)?;
    // `<EventID>` or `<EventID Qualifiers=…>`, not `<EventIDx>`.
    if !rest.starts_with(['>', ' ']) {
        return None;
    }
    let gt = rest.find('>')?;
    let body = rest.get(gt + 1..)?;
    let end = body.find('<')?;
    Some(body.get(..end)?.trim())
}

fn scrape_xml(xml: &str) -> XmlScraps {
    XmlScraps {
        time: attr_value(xml, "SystemTime").and_then(|t| t.trim().parse().ok()),
        provider: attr_value(xml, "Provider Name").map(str::to_string),
        event_id: element_text(xml, "EventID").and_then(crate::evtx::parse_number),
        qualifiers: attr_value(xml, "Qualifiers").and_then(|q| q.trim().parse().ok()),
        level: element_text(xml, "Level").and_then(|l| l.parse().ok()),
        record_id: element_text(xml, "EventRecordID").and_then(|r| r.parse().ok()),
        channel: element_text(xml, "Channel")
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        computer: element_text(xml, "Computer")
            .filter(|c| !c.is_empty())
            .map(str::to_string),
    }
}

/// An `Event Xml:` block that reads cleanly: its events go to the report as they are.
fn merge_xml(xml: &str, builder: &mut ReportBuilder) -> Result<(), String> {
    let xml = if xml.trim_start().starts_with("&lt;") {
        captions::decode_entities(xml).into_owned()
    } else {
        xml.to_string()
    };
    let report = read_event_xml(xml.as_bytes());
    if let Some(p) = report.problems.first() {
        return Err(p.message.clone());
    }
    if report.records_read == 0 {
        return Err("no complete <Event>".into());
    }
    builder.records_read += report.records_read;
    builder.events.extend(report.events);
    for (counts, list) in [
        (&mut builder.catalogued, report.catalogued_counts),
        (&mut builder.other, report.other_counts),
        (&mut builder.successes, report.counted_successes),
    ] {
        for c in list {
            *counts
                .entry(c.provider)
                .or_default()
                .entry(c.event_id)
                .or_default() += c.count;
        }
    }
    Ok(())
}

fn finish_event(mut e: TextEvent, order: DateOrder, builder: &mut ReportBuilder) {
    let mut scraps = XmlScraps::default();
    if let Some((xml, xml_line)) = e.xml.take() {
        match merge_xml(&xml, builder) {
            Ok(()) => return,
            Err(why) => {
                builder.problems.push(Problem::new(
                    Location::Line(xml_line),
                    format!(
                        "Event Xml block incomplete or damaged ({why}); the event was read from its captions and message"
                    ),
                ));
                scraps = scrape_xml(&xml);
            }
        }
    }
    let message = strip_boilerplate(&e.message);
    let normalized = message::normalize(&message);

    // Provider and EventID: captions decide, then the XML scraps, then the message.
    let mut raw = RawEvent::default();
    let mut id_known = false;
    if let Some(instance) = &e.instance_id {
        match crate::evtx::parse_number(instance) {
            Some(n) => {
                raw.set_event_id(n);
                id_known = true;
            }
            None => builder.problems.push(Problem::new(
                Location::Line(e.line),
                format!("InstanceId `{instance}` is not a number"),
            )),
        }
    }
    if !id_known {
        if let Some((text, line)) = &e.event_id {
            match text.trim().parse::<u64>() {
                Ok(n) => {
                    raw.set_event_id(n);
                    id_known = true;
                }
                Err(_) => builder.problems.push(Problem::new(
                    Location::Line(*line),
                    format!("Event ID `{text}` is not a number"),
                )),
            }
        }
    }
    if !id_known {
        if let Some(n) = scraps.event_id {
            raw.set_event_id(n);
            id_known = true;
        }
    }
    let mut provider = e.provider.clone().or(scraps.provider.clone());
    let recognised = message::recognise(&normalized);
    // The template chosen by matching it keeps what the match extracted (it
    // was matched twice: to choose it, then for its insertion strings).
    let mut extracted = None;
    let mut matching = |t: &'static message::Template| {
        let x = message::extract(t.text, &normalized)?;
        extracted = Some(x);
        Some(t)
    };
    let template = match (&provider, id_known) {
        (Some(p), true) => {
            let p = catalog_provider(p, raw.event_id);
            message::templates_for(raw.event_id, |tp| same_family(tp, &p, raw.event_id))
                .into_iter()
                .find_map(&mut matching)
        }
        (Some(p), false) => recognised.filter(|t| same_family(t.provider, p, t.id)),
        (None, true) => recognised.filter(|t| t.id == raw.event_id).or_else(|| {
            message::TEMPLATES
                .iter()
                .filter(|t| t.id == raw.event_id)
                .find_map(&mut matching)
        }),
        (None, false) => recognised,
    };
    if let (Some(p), Some(r), true) = (&provider, recognised, id_known) {
        if e.event_id.is_some() && (r.id != raw.event_id || !same_family(r.provider, p, r.id)) {
            builder.problems.push(Problem::new(
                Location::Line(e.message_line.unwrap_or(e.line)),
                format!(
                    "the captions name {p} {} but the message is the text of {} {}; the captions were used",
                    raw.event_id, r.provider, r.id
                ),
            ));
        }
    }
    if let Some(t) = template {
        if !id_known {
            raw.set_event_id(u64::from(t.id));
            id_known = true;
        }
        if provider.is_none() {
            provider = Some(t.provider.to_string());
        }
    }
    let Some(provider) = provider.filter(|_| id_known) else {
        builder.problems.push(Problem::new(
            Location::Line(e.line),
            "event without a usable source and Event ID, and a message exauth does not recognise; skipped",
        ));
        return;
    };
    raw.provider = catalog_provider(&provider, raw.event_id);
    raw.qualifiers = raw.qualifiers.or(e.qualifiers).or(scraps.qualifiers);
    raw.channel = e.channel.clone().or(scraps.channel).unwrap_or_default();
    raw.computer = e.computer.clone().or(scraps.computer).unwrap_or_default();
    raw.record_id = e.record_id.or(scraps.record_id);
    raw.level = e.level.as_deref().and_then(level_number).or(scraps.level);
    if e.keywords
        .as_deref()
        .is_some_and(|k| k.to_ascii_lowercase().contains("audit"))
    {
        raw.level = Some(0);
    }
    if !message.trim().is_empty() {
        raw.message = Some(message.clone());
    }
    raw.binary = e.binary.take().filter(|b| !b.is_empty());

    // Insertion strings from the message, else Get-EventLog's ReplacementStrings.
    let family = classify(&raw.provider, raw.event_id);
    let msg_line = e.message_line.unwrap_or(e.line);
    match template.and_then(|t| extracted.or_else(|| message::extract(t.text, &normalized))) {
        Some(x) => {
            if !x.complete && family.is_some() {
                builder.problems.push(Problem::new(
                    Location::Line(msg_line),
                    format!(
                        "message of {} {} ends before its template does; the fields after the cut are missing",
                        raw.provider, raw.event_id
                    ),
                ));
            }
            raw.data = x
                .items
                .into_iter()
                .map(|value| DataItem { name: None, value })
                .collect();
        }
        None => {
            let from_list = e
                .replacement_strings
                .as_deref()
                .map(crate::queue::split_braced_list)
                .filter(|(items, cut)| !cut && !items.is_empty());
            if let Some((items, _)) = from_list {
                raw.data = items
                    .into_iter()
                    .map(|value| DataItem { name: None, value })
                    .collect();
            } else if family.is_some()
                && !normalized.is_empty()
                && message::TEMPLATES.iter().any(|t| {
                    t.id == raw.event_id && same_family(t.provider, &raw.provider, raw.event_id)
                })
            {
                builder.problems.push(Problem::new(
                    Location::Line(msg_line),
                    format!(
                        "message does not match the text of {} {}; its details are left empty",
                        raw.provider, raw.event_id
                    ),
                ));
            }
        }
    }
    if family == Some(Family::Netlogon) && raw.binary.is_none() {
        let reason_at = if raw.event_id == 5722 { 3 } else { 2 };
        raw.binary = raw
            .data
            .get(reason_at - 1)
            .and_then(|d| message::ntstatus_of_reason(&d.value))
            .map(|code| {
                code.to_le_bytes()
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect()
            });
    }

    // Time: the XML's SystemTime, else the caption date.
    let provenance = if let Some(t) = scraps.time {
        raw.time = Some(t);
        TimeProvenance::NativeUtc
    } else {
        resolve_date(&e, order, &mut raw, builder)
    };
    builder.add(raw, provenance);
}

fn resolve_date(
    e: &TextEvent,
    order: DateOrder,
    raw: &mut RawEvent,
    builder: &mut ReportBuilder,
) -> TimeProvenance {
    let (Some(text), Some((_, line))) = (e.date_text(), e.date.as_ref()) else {
        return TimeProvenance::Unknown;
    };
    if let Ok(t) = text.trim().parse::<Timestamp>() {
        raw.time = Some(t);
        return TimeProvenance::NativeUtc;
    }
    // A value the file's order cannot read may be decisive the other way round
    // (`26-11-2024` in a paste that is otherwise month first).
    let other = match order {
        DateOrder::MonthDayYear => DateOrder::DayMonthYear,
        _ => DateOrder::MonthDayYear,
    };
    let parsed = parse_local_datetime(&text, order).or_else(|| parse_local_datetime(&text, other));
    match parsed {
        Some(t) => match t.utc_offset_seconds {
            Some(offset) => {
                raw.time = t.to_timestamp(&jiff::tz::TimeZone::UTC);
                if offset == 0 {
                    TimeProvenance::NativeUtc
                } else {
                    raw.utc_offset_seconds = Some(offset);
                    TimeProvenance::ServerLocal
                }
            }
            None => {
                raw.time = t
                    .local
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .ok()
                    .map(|z| z.timestamp());
                TimeProvenance::LocalUnzoned
            }
        },
        None => {
            builder.problems.push(Problem::new(
                Location::Line(*line),
                format!("date `{text}` is not a date exauth can read; the event has no time"),
            ));
            TimeProvenance::Unknown
        }
    }
}

/// The 2003-style footer, glued to the description or on its own line.
fn strip_boilerplate(message: &str) -> String {
    const FOOTER: &str = "For more information, see Help and Support Center at";
    match message.find(FOOTER) {
        Some(at) => message.get(..at).unwrap_or(message).trim_end().to_string(),
        None => message.trim().to_string(),
    }
}

#[cfg(test)]
mod tests;
