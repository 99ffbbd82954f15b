//! A narrow BinXML reader: just enough to find *where* an event's System fields and
//! EventData values sit in a record, without building an XML tree.
//!
//! Why not the evtx crate's rendering? Rendering every record to JSON costs most of a
//! parse, and nearly every record of a DC's Security log is noise for us. A record is a
//! `TemplateInstance`: a reference to a template definition (stored once per chunk) plus
//! a substitution array. We compile each template definition once per chunk into a list
//! of [`Slot`]s (e.g. "substitution 3 is `EventID`", "`Provider/@Name` is the literal
//! `MSExchangeTransport`"), then per record read only the descriptor array and the few
//! values that decide whether the record matters. Anything this reader does not
//! understand returns an error, and the caller falls back to the crate's rendering.
//!
//! Layout reference: MS-EVEN6 §2.2 (BinXML tokens, substitution value types). All reads
//! are bounds-checked; chunk offsets come from untrusted input.

use super::catalog::AUDIT_OUTCOME_ITEMS;
use jiff::Timestamp;
use std::fmt::Write as _;
use std::rc::Rc;

/// Why the fast reader gave up on a record (the caller then renders it with the crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

type Res<T> = Result<T, Unsupported>;

/// Deepest nesting of BinXML fragments inside substitution values we follow.
const MAX_DEPTH: usize = 4;

/// A bounds-checked little-endian reader over a chunk, positioned by chunk offset.
#[derive(Clone)]
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Cursor { data, pos }
    }
    fn bytes(&mut self, n: usize) -> Res<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(Unsupported("offset overflow"))?;
        let slice = self
            .data
            .get(self.pos..end)
            .ok_or(Unsupported("read past end of chunk"))?;
        self.pos = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Res<u8> {
        Ok(self.bytes(1)?.first().copied().unwrap_or(0))
    }
    fn u16(&mut self) -> Res<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Res<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn le_u64(b: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(..8)?.try_into().ok()?))
}

/// Read a BinXML name (`u32 next, u16 hash, u16 chars, UTF-16, NUL`) at chunk offset
/// `offset`: its UTF-16 bytes. When the name is stored inline (at the cursor), the
/// cursor skips it.
fn read_name<'a>(cur: &mut Cursor<'a>) -> Res<&'a [u8]> {
    let offset = cur.u32()? as usize;
    let mut name = Cursor::new(cur.data, offset);
    let _next = name.u32()?;
    let _hash = name.u16()?;
    let chars = name.u16()? as usize;
    let bytes = name.bytes(chars * 2)?;
    if offset == cur.pos {
        cur.pos = name.pos + 2; // trailing NUL
    }
    Ok(bytes)
}

/// Decode UTF-16LE, lossy, without trailing NULs.
pub(crate) fn utf16_to_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() / 2);
    push_utf16(bytes, &mut s);
    s
}

/// Append UTF-16LE text (lossy, without trailing NULs) to `buf`. Text that is all ASCII
/// (nearly every name, address and number in a Security log) is copied through a small
/// stack buffer instead of being decoded a character at a time.
fn push_utf16(bytes: &[u8], buf: &mut String) {
    let even = bytes.get(..bytes.len() & !1).unwrap_or_default();
    if even.chunks_exact(2).all(|c| c[1] == 0 && c[0] < 0x80) {
        let mut ascii = [0u8; 64];
        for piece in even.chunks(ascii.len() * 2) {
            let n = piece.len() / 2;
            for (dst, unit) in ascii.iter_mut().zip(piece.chunks_exact(2)) {
                *dst = unit[0];
            }
            if let Ok(text) = std::str::from_utf8(ascii.get(..n).unwrap_or_default()) {
                buf.push_str(text);
            }
        }
    } else {
        let units = even
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        buf.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
    }
    while buf.ends_with('\0') {
        buf.pop();
    }
}

/// Compare UTF-16LE bytes with an ASCII string, ignoring ASCII case (no allocation).
fn utf16_eq_ignore_case(bytes: &[u8], ascii: &str) -> bool {
    let mut units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    for b in ascii.bytes() {
        match units.next() {
            Some(u) if u < 0x80 && (u as u8).eq_ignore_ascii_case(&b) => {}
            _ => return false,
        }
    }
    units.all(|u| u == 0)
}

/// What a position in an event means to us.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    Provider,
    EventSourceName,
    EventId,
    Qualifiers,
    Level,
    TimeCreated,
    RecordId,
    Channel,
    Computer,
    /// `EventData/Data` (named or positional) or a `UserData` leaf element.
    Data(Option<String>),
    Binary,
    /// A BinXML fragment value: decode it recursively, inside `EventData` or not.
    Nested {
        in_event_data: bool,
    },
}

/// Where a field's text comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Literal(String),
    Subst(u16),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slot {
    pub field: Field,
    pub parts: Vec<Part>,
}

/// A template definition compiled to the slots we read, with the slots every record
/// asks for (EventID, provider) found once at compile time.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompiledTemplate {
    pub slots: Vec<Slot>,
    event_id: Option<usize>,
    provider: Option<usize>,
    /// What [`RecordView::find_audit_outcome`] visits, in slot order: the first `Data`
    /// slot of each [`AUDIT_OUTCOME_ITEMS`] name (with the name's index) and every nested
    /// fragment (without).
    audit_lookups: Vec<(usize, Option<usize>)>,
}

impl CompiledTemplate {
    fn indexed(mut self) -> Self {
        let first = |field: &Field| self.slots.iter().position(|s| &s.field == field);
        self.event_id = first(&Field::EventId);
        self.provider = first(&Field::Provider);
        let mut seen = [false; AUDIT_OUTCOME_ITEMS.len()];
        for (index, slot) in self.slots.iter().enumerate() {
            match &slot.field {
                Field::Data(Some(name)) => {
                    let wanted = AUDIT_OUTCOME_ITEMS
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(name));
                    if let Some(item) = wanted {
                        if !std::mem::replace(&mut seen[item], true) {
                            self.audit_lookups.push((index, Some(item)));
                        }
                    }
                }
                Field::Nested { .. } => self.audit_lookups.push((index, None)),
                _ => {}
            }
        }
        self
    }
    fn slot(&self, index: Option<usize>) -> Option<&Slot> {
        self.slots.get(index?)
    }
}

struct Frame {
    name: String,
    text: Vec<Part>,
    data_name: Option<String>,
    provider_name: Vec<Part>,
    source_name: Vec<Part>,
    qualifiers: Vec<Part>,
    system_time: Vec<Part>,
    has_children: bool,
}

impl Frame {
    fn new(name: String) -> Self {
        Frame {
            name,
            text: Vec::new(),
            data_name: None,
            provider_name: Vec::new(),
            source_name: Vec::new(),
            qualifiers: Vec::new(),
            system_time: Vec::new(),
            has_children: false,
        }
    }
}

/// Substitution value type of a BinXML fragment (`BinXmlType`).
const TYPE_BINXML: u8 = 0x21;

/// What a token stream (template definition body or literal fragment) says, token by
/// token, as far as compiling it goes: a compiled template depends on these alone.
#[derive(Clone, Copy)]
enum Token<'a> {
    /// An element starts: its name (UTF-16).
    Open(&'a [u8]),
    /// Its attributes end.
    AttributesEnd,
    /// An element ends.
    Close,
    /// An attribute: its name.
    Attribute(&'a [u8]),
    /// Literal text (a string value or CDATA).
    Text(&'a [u8]),
    Subst {
        index: u16,
        value_type: u8,
    },
    CharRef(u16),
    /// An entity reference: its name.
    Entity(&'a [u8]),
}

impl Token<'_> {
    /// Append the token to `out`, one way per token (see [`TemplateCache`]).
    fn write(self, out: &mut Vec<u8>) {
        let (tag, bytes): (u8, &[u8]) = match self {
            Token::Open(name) => (1, name),
            Token::AttributesEnd => (2, &[]),
            Token::Close => (3, &[]),
            Token::Attribute(name) => (4, name),
            Token::Text(text) => (5, text),
            Token::Subst { index, value_type } => {
                out.push(6);
                out.extend_from_slice(&index.to_le_bytes());
                out.push(value_type);
                return;
            }
            Token::CharRef(c) => {
                out.push(7);
                out.extend_from_slice(&c.to_le_bytes());
                return;
            }
            Token::Entity(name) => (8, name),
        };
        out.push(tag);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
}

/// Walk a token stream from `start` to `end` (or its end token), handing each token to
/// `visit`.
fn walk_tokens<'a>(
    data: &'a [u8],
    start: usize,
    end: usize,
    has_dep_id: bool,
    mut visit: impl FnMut(Token<'a>) -> Res<()>,
) -> Res<()> {
    let mut cur = Cursor::new(data, start);
    while cur.pos < end {
        let token = cur.u8()?;
        let seen = match token {
            0x00 => break,
            0x0f => {
                cur.bytes(3)?;
                continue;
            }
            0x01 | 0x41 => {
                if has_dep_id {
                    cur.u16()?;
                }
                let _size = cur.u32()?;
                let name = read_name(&mut cur)?;
                if token == 0x41 {
                    cur.u32()?;
                }
                Token::Open(name)
            }
            0x02 => Token::AttributesEnd,
            0x03 | 0x04 => Token::Close,
            0x06 | 0x46 => Token::Attribute(read_name(&mut cur)?),
            0x05 | 0x45 => {
                let value_type = cur.u8()?;
                if value_type != 0x01 {
                    return Err(Unsupported("non-string literal value"));
                }
                let chars = cur.u16()? as usize;
                Token::Text(cur.bytes(chars * 2)?)
            }
            0x0d | 0x0e => {
                let index = cur.u16()?;
                let value_type = cur.u8()?;
                Token::Subst { index, value_type }
            }
            0x07 | 0x47 => {
                let chars = cur.u16()? as usize;
                Token::Text(cur.bytes(chars * 2)?)
            }
            0x08 | 0x48 => Token::CharRef(cur.u16()?),
            0x09 | 0x49 => Token::Entity(read_name(&mut cur)?),
            0x0a => {
                read_name(&mut cur)?;
                continue;
            }
            0x0b => {
                let chars = cur.u16()? as usize;
                cur.bytes(chars * 2)?;
                continue;
            }
            _ => return Err(Unsupported("unexpected token in template")),
        };
        visit(seen)?;
    }
    Ok(())
}

/// Compile a token stream (template definition body or literal fragment). `prefix` is
/// the element path the fragment sits in (for nested fragments).
fn compile(
    data: &[u8],
    start: usize,
    end: usize,
    has_dep_id: bool,
    prefix: &[&str],
) -> Res<CompiledTemplate> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut attr: Option<String> = None;
    let mut out = CompiledTemplate::default();
    let in_section = |stack: &[Frame], section: &str| {
        prefix.contains(&section) || stack.iter().any(|f| f.name == section)
    };
    walk_tokens(data, start, end, has_dep_id, |token| {
        match token {
            Token::Open(name) => {
                if let Some(parent) = stack.last_mut() {
                    parent.has_children = true;
                }
                stack.push(Frame::new(utf16_to_string(name)));
                attr = None;
            }
            Token::AttributesEnd => attr = None,
            Token::Close => {
                attr = None;
                let frame = stack.pop().ok_or(Unsupported("unbalanced element end"))?;
                finish_frame(frame, &stack, prefix, &mut out);
            }
            Token::Attribute(name) => attr = Some(utf16_to_string(name)),
            Token::Text(text) => push_part(
                &mut stack,
                attr.as_deref(),
                Part::Literal(utf16_to_string(text)),
            ),
            Token::Subst { index, value_type } => {
                if value_type == TYPE_BINXML && attr.is_none() {
                    let in_event_data = in_section(&stack, "EventData");
                    out.slots.push(Slot {
                        field: Field::Nested { in_event_data },
                        parts: vec![Part::Subst(index)],
                    });
                    if let Some(frame) = stack.last_mut() {
                        frame.has_children = true;
                    }
                } else {
                    push_part(&mut stack, attr.as_deref(), Part::Subst(index));
                }
            }
            Token::CharRef(c) => {
                let text = char::from_u32(u32::from(c)).unwrap_or('?').to_string();
                push_part(&mut stack, attr.as_deref(), Part::Literal(text));
            }
            Token::Entity(name) => {
                let text = match utf16_to_string(name).as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                };
                push_part(&mut stack, attr.as_deref(), Part::Literal(text.to_string()));
            }
        }
        Ok(())
    })?;
    Ok(out.indexed())
}

fn push_part(stack: &mut [Frame], attr: Option<&str>, part: Part) {
    let Some(frame) = stack.last_mut() else {
        return;
    };
    match attr {
        None => frame.text.push(part),
        Some("Name") if frame.name == "Data" => {
            if let Part::Literal(s) = part {
                frame.data_name.get_or_insert_with(String::new).push_str(&s);
            }
        }
        Some("Name") if frame.name == "Provider" => frame.provider_name.push(part),
        Some("EventSourceName") if frame.name == "Provider" => frame.source_name.push(part),
        Some("Qualifiers") if frame.name == "EventID" => frame.qualifiers.push(part),
        Some("SystemTime") if frame.name == "TimeCreated" => frame.system_time.push(part),
        Some(_) => {}
    }
}

fn finish_frame(frame: Frame, parents: &[Frame], prefix: &[&str], out: &mut CompiledTemplate) {
    let under = |name: &str| prefix.contains(&name) || parents.iter().any(|f| f.name == name);
    let mut push = |field: Field, parts: Vec<Part>| out.slots.push(Slot { field, parts });
    match frame.name.as_str() {
        "Provider" => {
            if !frame.provider_name.is_empty() {
                push(Field::Provider, frame.provider_name);
            }
            if !frame.source_name.is_empty() {
                push(Field::EventSourceName, frame.source_name);
            }
        }
        "TimeCreated" => push(Field::TimeCreated, frame.system_time),
        "EventID" if under("System") => {
            push(Field::EventId, frame.text);
            if !frame.qualifiers.is_empty() {
                push(Field::Qualifiers, frame.qualifiers);
            }
        }
        "Level" if under("System") => push(Field::Level, frame.text),
        "EventRecordID" if under("System") => push(Field::RecordId, frame.text),
        "Channel" if under("System") => push(Field::Channel, frame.text),
        "Computer" if under("System") => push(Field::Computer, frame.text),
        "Data" if under("EventData") => push(Field::Data(frame.data_name), frame.text),
        "Binary" if under("EventData") => push(Field::Binary, frame.text),
        name if under("UserData") && !frame.has_children => {
            push(Field::Data(Some(name.to_string())), frame.text)
        }
        _ => {}
    }
}

/// One substitution value: its type byte and bytes, plus where they start in the chunk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Value<'a> {
    pub value_type: u8,
    pub bytes: &'a [u8],
    pub offset: usize,
}

/// Parse a `TemplateInstance` whose token (0x0c) is at `cur.pos`: its substitution
/// values go into `values` (cleared first); returns the definition's chunk offset.
fn read_instance<'a>(cur: &mut Cursor<'a>, values: &mut Vec<Value<'a>>) -> Res<u32> {
    if cur.u8()? != 0x0c {
        return Err(Unsupported("not a template instance"));
    }
    let _unknown = cur.u8()?;
    let _template_id = cur.u32()?;
    let def_offset = cur.u32()?;
    if def_offset as usize == cur.pos {
        // Definition stored inline, right here: skip it.
        let _next = cur.u32()?;
        cur.bytes(16)?;
        let size = cur.u32()? as usize;
        cur.bytes(size)?;
    }
    let count = cur.u32()? as usize;
    if count > 4096 {
        return Err(Unsupported("implausible substitution count"));
    }
    let descriptors = cur.bytes(count * 4)?;
    values.clear();
    values.reserve(count);
    for descriptor in descriptors.chunks_exact(4) {
        let size = usize::from(u16::from_le_bytes([descriptor[0], descriptor[1]]));
        let offset = cur.pos;
        let bytes = cur.bytes(size)?;
        values.push(Value {
            value_type: descriptor[2],
            bytes,
            offset,
        });
    }
    Ok(def_offset)
}

/// Where the token stream of the template definition at `def_offset` in `chunk` starts
/// and ends.
fn definition_body(chunk: &[u8], def_offset: u32) -> Res<(usize, usize)> {
    let mut cur = Cursor::new(chunk, def_offset as usize);
    let _next = cur.u32()?;
    cur.bytes(16)?;
    let size = cur.u32()? as usize;
    let start = cur.pos;
    Ok((start, start.saturating_add(size).min(chunk.len())))
}

/// Compile the template definition at `def_offset` in `chunk`; `in_event_data` when it
/// is the definition of a fragment nested inside `EventData`.
fn compile_definition(chunk: &[u8], def_offset: u32, in_event_data: bool) -> Res<CompiledTemplate> {
    let (start, end) = definition_body(chunk, def_offset)?;
    let prefix: &[&str] = if in_event_data { &["EventData"] } else { &[] };
    compile(chunk, start, end, true, prefix)
}

/// Templates compiled at most once per chunk, and once for a run of chunks where the
/// same definitions come back: a chunk's cache is keyed by definition offset and
/// whether the definition is used inside `EventData` (nested fragments), a lookup one
/// hash of a small key; a definition new to the chunk is looked up by what it says (its
/// tokens, names spelled out: what compiling it depends on, whatever the offsets in
/// it), which costs a walk of its tokens instead of building the template.
#[derive(Default)]
pub(crate) struct TemplateCache {
    compiled: rustc_hash::FxHashMap<(u32, bool), Res<Rc<CompiledTemplate>>>,
    /// Tokens (after whether inside `EventData`) → template, for the chunks of the run.
    known: rustc_hash::FxHashMap<Vec<u8>, Rc<CompiledTemplate>>,
    tokens: Vec<u8>,
}

/// Templates a cache keeps across chunks (a chunk holds a few dozen at most).
const KNOWN_TEMPLATES: usize = 1024;

impl TemplateCache {
    /// Forget the chunk's offsets (the templates stay known): before the next chunk.
    pub(crate) fn next_chunk(&mut self) {
        self.compiled.clear();
    }

    fn get(
        &mut self,
        chunk: &[u8],
        def_offset: u32,
        in_event_data: bool,
    ) -> Res<Rc<CompiledTemplate>> {
        if let Some(template) = self.compiled.get(&(def_offset, in_event_data)) {
            return template.clone();
        }
        let template = self.known_or_compile(chunk, def_offset, in_event_data);
        self.compiled
            .insert((def_offset, in_event_data), template.clone());
        template
    }

    fn known_or_compile(
        &mut self,
        chunk: &[u8],
        def_offset: u32,
        in_event_data: bool,
    ) -> Res<Rc<CompiledTemplate>> {
        let (start, end) = definition_body(chunk, def_offset)?;
        let tokens = &mut self.tokens;
        tokens.clear();
        tokens.push(u8::from(in_event_data));
        let walked = walk_tokens(chunk, start, end, true, |token| {
            token.write(tokens);
            Ok(())
        });
        if walked.is_err() {
            // Compiling gives the same error.
            return compile_definition(chunk, def_offset, in_event_data).map(Rc::new);
        }
        if let Some(template) = self.known.get(self.tokens.as_slice()) {
            return Ok(Rc::clone(template));
        }
        let template = Rc::new(compile_definition(chunk, def_offset, in_event_data)?);
        if self.known.len() < KNOWN_TEMPLATES {
            self.known.insert(self.tokens.clone(), Rc::clone(&template));
        }
        Ok(template)
    }
}

/// A record's BinXML, reduced to what we read: a compiled template with its values.
pub(crate) struct RecordView<'a> {
    chunk: &'a [u8],
    template: Rc<CompiledTemplate>,
    values: Vec<Value<'a>>,
}

/// Open the record whose BinXML is `chunk[offset..offset + len]`. `values` is a buffer
/// to reuse (get it back with [`RecordView::into_values`]): reading a record allocates
/// nothing once the chunk's templates are compiled.
pub(crate) fn open_record<'a>(
    chunk: &'a [u8],
    offset: usize,
    len: usize,
    cache: &mut TemplateCache,
    mut values: Vec<Value<'a>>,
) -> Res<RecordView<'a>> {
    let end = offset.saturating_add(len).min(chunk.len());
    let mut cur = Cursor::new(chunk, offset);
    if chunk.get(offset) == Some(&0x0f) {
        cur.bytes(4)?;
    }
    if chunk.get(cur.pos) == Some(&0x0c) {
        let def_offset = read_instance(&mut cur, &mut values)?;
        let template = cache.get(chunk, def_offset, false)?;
        return Ok(RecordView {
            chunk,
            template,
            values,
        });
    }
    // A literal tree (no template): compile it as it stands.
    let template = compile(chunk, cur.pos, end, false, &[])?;
    values.clear();
    Ok(RecordView {
        chunk,
        template: Rc::new(template),
        values,
    })
}

/// Open a BinXML fragment held in a substitution value (type 0x21).
fn open_fragment<'a>(
    chunk: &'a [u8],
    v: &Value<'a>,
    in_event_data: bool,
    cache: &mut TemplateCache,
    mut values: Vec<Value<'a>>,
) -> Res<RecordView<'a>> {
    let mut cur = Cursor::new(chunk, v.offset);
    let end = v.offset + v.bytes.len();
    if v.bytes.first() == Some(&0x0f) {
        cur.bytes(4)?;
    }
    values.clear();
    let template = if chunk.get(cur.pos) == Some(&0x0c) {
        let def_offset = read_instance(&mut cur, &mut values)?;
        cache.get(chunk, def_offset, in_event_data)?
    } else {
        let prefix: &[&str] = if in_event_data { &["EventData"] } else { &[] };
        Rc::new(compile(chunk, cur.pos, end, false, prefix)?)
    };
    Ok(RecordView {
        chunk,
        template,
        values,
    })
}

impl<'a> RecordView<'a> {
    /// The value buffer, for the next record.
    pub(crate) fn into_values(self) -> Vec<Value<'a>> {
        self.values
    }

    fn text_of(&self, parts: &[Part]) -> String {
        let mut s = String::new();
        self.write_text(parts, &mut s);
        s
    }

    fn write_text(&self, parts: &[Part], buf: &mut String) {
        for part in parts {
            match part {
                Part::Literal(l) => buf.push_str(l),
                Part::Subst(i) => {
                    if let Some(v) = self.values.get(*i as usize) {
                        push_value(v, buf);
                    }
                }
            }
        }
    }

    fn number_of(&self, parts: &[Part]) -> Option<u64> {
        match parts {
            [Part::Subst(i)] => value_as_u64(self.values.get(*i as usize)?),
            _ => parse_number(&self.text_of(parts)),
        }
    }

    /// The EventID (raw number), when the top-level template names it (the usual case).
    pub(crate) fn event_id(&self) -> Option<u64> {
        self.number_of(&self.template.slot(self.template.event_id)?.parts)
    }

    /// Write the provider name into `buf`; false when the template does not name it.
    pub(crate) fn write_provider(&self, buf: &mut String) -> bool {
        match self.template.slot(self.template.provider) {
            Some(slot) => {
                self.write_text(&slot.parts, buf);
                true
            }
            None => false,
        }
    }

    /// The provider name's UTF-16 bytes, when it is a single string substitution (so that
    /// a caller can tell "same provider as the last record" without decoding it).
    pub(crate) fn provider_bytes(&self) -> Option<&'a [u8]> {
        match self.template.slot(self.template.provider)?.parts.as_slice() {
            [Part::Subst(i)] => self
                .values
                .get(*i as usize)
                .filter(|v| v.value_type == 0x01)
                .map(|v| v.bytes),
            _ => None,
        }
    }

    /// Whether the provider is one of `names` (ASCII, case-insensitive), without
    /// allocating when the name is a single string substitution.
    pub(crate) fn provider_is_any(
        &self,
        names: impl Iterator<Item = &'static str>,
    ) -> Option<bool> {
        let slot = self.template.slot(self.template.provider)?;
        let mut names = names;
        match slot.parts.as_slice() {
            [Part::Subst(i)] => {
                let v = self.values.get(*i as usize)?;
                if v.value_type != 0x01 {
                    return None;
                }
                Some(names.any(|n| utf16_eq_ignore_case(v.bytes, n)))
            }
            parts => {
                let text = self.text_of(parts);
                Some(names.any(|n| n.eq_ignore_ascii_case(&text)))
            }
        }
    }

    /// The text of the first data item named `AUDIT_OUTCOME_ITEMS[i]` (ASCII
    /// case-insensitive), as [`decode`](Self::decode) would produce it, written into
    /// `texts[i]` (cleared first) with `found[i]` set; nothing else is decoded. `spare`
    /// is a value buffer to reuse for a nested fragment. `Err` when the record's shape is
    /// not plain enough to be sure which item comes first (an array value under a wanted
    /// name, fragments in fragments): the caller then decodes the record.
    pub(crate) fn find_audit_outcome(
        &self,
        cache: &mut TemplateCache,
        texts: &mut [String; 4],
        found: &mut [bool; 4],
        spare: &mut Vec<Value<'a>>,
    ) -> Res<()> {
        for (text, found) in texts.iter_mut().zip(found.iter_mut()) {
            text.clear();
            *found = false;
        }
        self.find_audit_outcome_in(cache, texts, found, spare, 0)
    }

    fn find_audit_outcome_in(
        &self,
        cache: &mut TemplateCache,
        texts: &mut [String; 4],
        found: &mut [bool; 4],
        spare: &mut Vec<Value<'a>>,
        depth: usize,
    ) -> Res<()> {
        for &(index, item) in &self.template.audit_lookups {
            let Some(slot) = self.template.slots.get(index) else {
                continue;
            };
            match item {
                Some(i) => {
                    if found.get(i) != Some(&false) {
                        continue;
                    }
                    let array = slot.parts.iter().any(|p| match p {
                        Part::Subst(s) => self
                            .values
                            .get(*s as usize)
                            .is_some_and(|v| v.value_type & 0x80 != 0),
                        Part::Literal(_) => false,
                    });
                    if array {
                        return Err(Unsupported("array value under a wanted name"));
                    }
                    if let (Some(text), Some(flag)) = (texts.get_mut(i), found.get_mut(i)) {
                        self.write_text(&slot.parts, text);
                        *flag = true;
                    }
                }
                None => {
                    let (Field::Nested { in_event_data }, Some(v)) =
                        (&slot.field, self.nested_value(slot))
                    else {
                        continue;
                    };
                    if depth >= 1 {
                        return Err(Unsupported("fragments in fragments"));
                    }
                    let values = std::mem::take(spare);
                    let view = open_fragment(self.chunk, v, *in_event_data, cache, values)?;
                    let result = view.find_audit_outcome_in(cache, texts, found, spare, depth + 1);
                    *spare = view.into_values();
                    result?;
                }
            }
        }
        Ok(())
    }

    /// The non-empty BinXML value a `Nested` slot refers to.
    fn nested_value(&self, slot: &Slot) -> Option<&Value<'a>> {
        let Some(Part::Subst(i)) = slot.parts.first() else {
            return None;
        };
        self.values
            .get(*i as usize)
            .filter(|v| !v.bytes.is_empty() && v.value_type == TYPE_BINXML)
    }

    /// Decode the System fields of the record's own template (not its data, not nested
    /// fragments): all a computer-account success keeps besides the items the rule read.
    pub(crate) fn decode_system(&self, out: &mut super::RawEvent) {
        for slot in &self.template.slots {
            match &slot.field {
                Field::Data(_) | Field::Binary | Field::Nested { .. } => {}
                _ => self.decode_system_slot(slot, out),
            }
        }
    }

    fn decode_system_slot(&self, slot: &Slot, out: &mut super::RawEvent) {
        match &slot.field {
            Field::Provider => out.provider = self.text_of(&slot.parts),
            Field::EventSourceName => out.event_source_name = Some(self.text_of(&slot.parts)),
            Field::EventId => {
                let n = self.number_of(&slot.parts);
                out.set_event_id(n.unwrap_or(0));
            }
            Field::Qualifiers => {
                out.qualifiers = self
                    .number_of(&slot.parts)
                    .and_then(|n| u16::try_from(n).ok())
            }
            Field::Level => {
                out.level = self
                    .number_of(&slot.parts)
                    .and_then(|n| u8::try_from(n).ok())
            }
            Field::RecordId => out.record_id = self.number_of(&slot.parts),
            Field::TimeCreated => out.time = self.time_of(&slot.parts),
            Field::Channel => out.channel = self.text_of(&slot.parts),
            Field::Computer => out.computer = self.text_of(&slot.parts),
            Field::Data(_) | Field::Binary | Field::Nested { .. } => {}
        }
    }

    /// Decode everything we keep, following nested fragments.
    pub(crate) fn decode(
        &self,
        cache: &mut TemplateCache,
        out: &mut super::RawEvent,
        depth: usize,
    ) -> Res<()> {
        out.data.reserve(self.template.slots.len());
        for slot in &self.template.slots {
            match &slot.field {
                Field::Provider
                | Field::EventSourceName
                | Field::EventId
                | Field::Qualifiers
                | Field::Level
                | Field::RecordId
                | Field::TimeCreated
                | Field::Channel
                | Field::Computer => self.decode_system_slot(slot, out),
                Field::Data(name) => match slot.parts.as_slice() {
                    // A classic event without insertion strings: the optional `<Data>`
                    // of the ReportEvent template has a NULL value and is not rendered
                    // (the crate's rendering shows no Data either).
                    [Part::Subst(i)]
                        if name.is_none()
                            && self
                                .values
                                .get(*i as usize)
                                .is_some_and(|v| v.value_type == 0x00) => {}
                    // An array value renders as one `<Data>` per element.
                    [Part::Subst(i)]
                        if self
                            .values
                            .get(*i as usize)
                            .is_some_and(|v| v.value_type & 0x80 != 0) =>
                    {
                        if let Some(v) = self.values.get(*i as usize) {
                            for value in array_elements(v) {
                                out.data.push(super::DataItem {
                                    name: name.clone(),
                                    value,
                                });
                            }
                        }
                    }
                    // A substitution with no value (NullType) renders no
                    // element, as the evtx crate and Windows show it: a
                    // classic event without insertion strings has no <Data>.
                    [Part::Subst(i)]
                        if self
                            .values
                            .get(*i as usize)
                            .is_some_and(|v| v.value_type == 0) => {}
                    parts => out.data.push(super::DataItem {
                        name: name.clone(),
                        value: self.text_of(parts),
                    }),
                },
                Field::Binary => out.binary = Some(self.text_of(&slot.parts)),
                Field::Nested { in_event_data } => {
                    let Some(v) = self.nested_value(slot) else {
                        continue;
                    };
                    if depth >= MAX_DEPTH {
                        return Err(Unsupported("fragments nested too deep"));
                    }
                    let view = open_fragment(self.chunk, v, *in_event_data, cache, Vec::new())?;
                    view.decode(cache, out, depth + 1)?;
                }
            }
        }
        Ok(())
    }

    fn time_of(&self, parts: &[Part]) -> Option<Timestamp> {
        match parts {
            [Part::Subst(i)] => {
                let v = self.values.get(*i as usize)?;
                match v.value_type {
                    0x11 => filetime_to_timestamp(le_u64(v.bytes)?),
                    0x12 => systemtime_to_timestamp(v.bytes),
                    _ => self.text_of(parts).parse().ok(),
                }
            }
            _ => self.text_of(parts).parse().ok(),
        }
    }
}

/// Windows FILETIME (100 ns since 1601-01-01 UTC) to a timestamp.
pub(crate) fn filetime_to_timestamp(ft: u64) -> Option<Timestamp> {
    const EPOCH_DIFF: i128 = 116_444_736_000_000_000;
    let ns = (i128::from(ft) - EPOCH_DIFF) * 100;
    Timestamp::from_nanosecond(ns).ok()
}

fn systemtime_to_timestamp(b: &[u8]) -> Option<Timestamp> {
    let w = |i: usize| -> Option<i16> {
        i16::try_from(u16::from_le_bytes([*b.get(i * 2)?, *b.get(i * 2 + 1)?])).ok()
    };
    let dt = jiff::civil::DateTime::new(
        w(0)?,
        i8::try_from(w(1)?).ok()?,
        i8::try_from(w(3)?).ok()?,
        i8::try_from(w(4)?).ok()?,
        i8::try_from(w(5)?).ok()?,
        i8::try_from(w(6)?).ok()?,
        i32::from(w(7)?) * 1_000_000,
    )
    .ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Parse `123`, `0x7b`, `-5` as a number (negative values wrap into two's complement).
pub(crate) fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if let Some(neg) = s.strip_prefix('-') {
        return neg.parse::<i64>().ok().map(|n| (-n) as u64);
    }
    s.parse().ok()
}

fn value_as_u64(v: &Value<'_>) -> Option<u64> {
    let b = v.bytes;
    Some(match v.value_type {
        0x03 => *b.first()? as i8 as i64 as u64,
        0x04 => u64::from(*b.first()?),
        0x05 => i16::from_le_bytes(b.get(..2)?.try_into().ok()?) as i64 as u64,
        0x06 => u64::from(u16::from_le_bytes(b.get(..2)?.try_into().ok()?)),
        0x07 => i32::from_le_bytes(b.get(..4)?.try_into().ok()?) as i64 as u64,
        0x08 | 0x14 | 0x0d => u64::from(u32::from_le_bytes(b.get(..4)?.try_into().ok()?)),
        0x09 | 0x0a | 0x15 => le_u64(b)?,
        0x10 => match b.len() {
            4 => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
            _ => le_u64(b)?,
        },
        0x01 | 0x02 => parse_number(&render_value(v))?,
        _ => return None,
    })
}

/// Append a substitution value as [`render_value`] renders it, without allocating for
/// strings and integers.
fn push_value(v: &Value<'_>, buf: &mut String) {
    match v.value_type {
        0x01 => push_utf16(v.bytes, buf),
        0x04 | 0x06 | 0x08 | 0x0a => {
            if let Some(n) = value_as_u64(v) {
                let _ = write!(buf, "{n}");
            }
        }
        0x10 | 0x14 | 0x15 => {
            if let Some(n) = value_as_u64(v) {
                let _ = write!(buf, "0x{n:x}");
            }
        }
        0x0f => push_guid(v.bytes, buf),
        0x13 => push_sid(v.bytes, buf),
        _ => buf.push_str(&render_value(v)),
    }
}

/// Render a substitution value as event XML would show it.
pub(crate) fn render_value(v: &Value<'_>) -> String {
    let b = v.bytes;
    match v.value_type {
        0x00 => String::new(),
        0x01 => utf16_to_string(b),
        0x02 => {
            let (s, _, _) = encoding_rs::WINDOWS_1252.decode(b);
            s.trim_end_matches('\0').to_string()
        }
        0x03 | 0x05 | 0x07 | 0x09 => value_as_u64(v)
            .map(|n| (n as i64).to_string())
            .unwrap_or_default(),
        0x04 | 0x06 | 0x08 | 0x0a => value_as_u64(v).map(|n| n.to_string()).unwrap_or_default(),
        0x0b => b
            .get(..4)
            .and_then(|x| x.try_into().ok())
            .map(|x| f32::from_le_bytes(x).to_string())
            .unwrap_or_default(),
        0x0c => b
            .get(..8)
            .and_then(|x| x.try_into().ok())
            .map(|x| f64::from_le_bytes(x).to_string())
            .unwrap_or_default(),
        0x0d => match value_as_u64(v) {
            Some(0) => "false".into(),
            Some(_) => "true".into(),
            None => String::new(),
        },
        0x0e => b.iter().map(|x| format!("{x:02X}")).collect(),
        0x0f => render_guid(b),
        0x10 | 0x14 | 0x15 => value_as_u64(v)
            .map(|n| format!("0x{n:x}"))
            .unwrap_or_default(),
        0x11 => le_u64(b)
            .and_then(filetime_to_timestamp)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        0x12 => systemtime_to_timestamp(b)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        0x13 => render_sid(b),
        0x81 => utf16_to_string(b)
            .split('\0')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    }
}

/// The elements of an array value (type with bit 0x80), each rendered.
fn array_elements(v: &Value<'_>) -> Vec<String> {
    let element_type = v.value_type & 0x7f;
    let size = match element_type {
        0x01 => {
            // Each string is NUL-terminated: splitting leaves one empty item
            // after the last. Trailing NULs are not trimmed first, so trailing
            // empty strings survive.
            if v.bytes.len() < 2 {
                return Vec::new();
            }
            let units = v
                .bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]));
            let text: String = char::decode_utf16(units)
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            let mut items: Vec<String> = text.split('\0').map(str::to_string).collect();
            if items.len() > 1 && items.last().is_some_and(String::is_empty) {
                items.pop();
            }
            return items;
        }
        0x03 | 0x04 => 1,
        0x05 | 0x06 => 2,
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => 4,
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => 8,
        0x0f | 0x12 => 16,
        _ => return vec![render_value(v)],
    };
    v.bytes
        .chunks_exact(size)
        .map(|bytes| {
            render_value(&Value {
                value_type: element_type,
                bytes,
                offset: v.offset,
            })
        })
        .collect()
}

fn render_guid(b: &[u8]) -> String {
    let mut s = String::with_capacity(38);
    push_guid(b, &mut s);
    s
}

/// Append a GUID as event XML shows it (`{54849625-5478-4994-A5BA-3E3B0328C30D}`).
fn push_guid(b: &[u8], s: &mut String) {
    if b.len() < 16 {
        return;
    }
    let d1 = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let d2 = u16::from_le_bytes([b[4], b[5]]);
    let d3 = u16::from_le_bytes([b[6], b[7]]);
    let _ = write!(s, "{{{d1:08X}-{d2:04X}-{d3:04X}-");
    for (i, x) in b[8..16].iter().enumerate() {
        if i == 2 {
            s.push('-');
        }
        let _ = write!(s, "{x:02X}");
    }
    s.push('}');
}

fn render_sid(b: &[u8]) -> String {
    let mut s = String::new();
    push_sid(b, &mut s);
    s
}

/// Append a SID as event XML shows it (`S-1-5-21-…`).
fn push_sid(b: &[u8], s: &mut String) {
    let (Some(&rev), Some(&count)) = (b.first(), b.get(1)) else {
        return;
    };
    let Some(auth) = b.get(2..8) else {
        return;
    };
    let authority = auth.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    s.reserve(16 + 11 * usize::from(count));
    let _ = write!(s, "S-{rev}-{authority}");
    for i in 0..count as usize {
        let Some(sub) = b.get(8 + i * 4..12 + i * 4) else {
            break;
        };
        let n = u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]]);
        let _ = write!(s, "-{n}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_in_decimal_hex_and_negative() {
        assert_eq!(parse_number("1035"), Some(1035));
        assert_eq!(parse_number("0x25"), Some(0x25));
        assert_eq!(parse_number("-5"), Some((-5i64) as u64));
        assert_eq!(parse_number("x"), None);
    }

    #[test]
    fn filetime_converts_to_utc() {
        let t = filetime_to_timestamp(116_444_736_012_345_678).unwrap();
        assert_eq!(t.to_string(), "1970-01-01T00:00:01.2345678Z");
    }

    fn utf16(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn utf16_decoding_is_the_same_on_the_ascii_path_and_the_general_one() {
        let long = "SMTPSVC/ex02.contoso.com ".repeat(9);
        for text in [
            "",
            "EX01$@CONTOSO.COM",
            "::ffff:10.1.2.3",
            &long,
            "Zoë",
            "东京\u{1F600}",
        ] {
            assert_eq!(utf16_to_string(&utf16(text)), text, "{text:?}");
        }
        // Trailing NULs go, an odd last byte is ignored, a lone surrogate is replaced.
        let mut nul = utf16("krbtgt");
        nul.extend([0, 0, 0, 0, 0x41]);
        assert_eq!(utf16_to_string(&nul), "krbtgt");
        let lone = [0x41, 0, 0x00, 0xD8, 0x42, 0];
        assert_eq!(utf16_to_string(&lone), "A\u{FFFD}B");
        let mut buf = String::from("x=");
        push_utf16(&utf16("10.0.0.1"), &mut buf);
        assert_eq!(buf, "x=10.0.0.1");
    }

    #[test]
    fn utf16_comparison_ignores_ascii_case() {
        let bytes: Vec<u8> = "LsaSrv"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert!(utf16_eq_ignore_case(&bytes, "lsasrv"));
        assert!(!utf16_eq_ignore_case(&bytes, "lsasrvx"));
        assert!(!utf16_eq_ignore_case(&bytes, "lsa"));
    }

    #[test]
    fn sid_and_guid_render_like_event_xml() {
        let sid = [1u8, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
        assert_eq!(render_sid(&sid), "S-1-5-18");
        let guid = [
            0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28,
            0xc3, 0x0d,
        ];
        assert_eq!(render_guid(&guid), "{54849625-5478-4994-A5BA-3E3B0328C30D}");
    }
}
