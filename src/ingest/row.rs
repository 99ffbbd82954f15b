//! One row of `exauth extract`: a `kind` and its fields, the same for JSON
//! lines, CSV and Parquet. Input modules write the rows of their records;
//! the report stage adds the collection-wide ones.

use serde::Serialize;
use serde_json::{Map, Value};

/// One exported row: `kind` plus its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: &'static str,
    pub fields: Map<String, Value>,
}

impl Row {
    pub fn new(
        kind: &'static str,
        server: Option<&str>,
        origin: &str,
        body: impl Serialize,
    ) -> Row {
        let mut fields = Map::new();
        fields.insert("kind".into(), Value::from(kind));
        fields.insert(
            "server".into(),
            server.map(Value::from).unwrap_or(Value::Null),
        );
        if let Ok(Value::Object(map)) = serde_json::to_value(body) {
            for (k, v) in map {
                fields.entry(k).or_insert(v);
            }
        }
        fields.insert("origin".into(), Value::from(origin));
        Row { kind, fields }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.fields).unwrap_or_default()
    }
}

/// How a row is written down while its artifact is read (see [`RowSink`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEncoding {
    /// The JSON object and a `\n`: the line `extract --format jsonl` prints.
    JsonLine,
    /// Length-prefixed binary values that read back exactly (floats too):
    /// the CSV and Parquet tables are typed from them ([`decode`]).
    Binary,
}

impl RowEncoding {
    /// Appends `row`, encoded, to `buf`.
    pub fn encode(self, row: &Row, buf: &mut Vec<u8>) {
        match self {
            RowEncoding::JsonLine => {
                let start = buf.len();
                if serde_json::to_writer(&mut *buf, &row.fields).is_err() {
                    buf.truncate(start);
                }
                buf.push(b'\n');
            }
            RowEncoding::Binary => {
                let start = buf.len();
                buf.extend_from_slice(&[0; 4]);
                encode_map(&row.fields, buf);
                let len = u32::try_from(buf.len() - start - 4).unwrap_or(u32::MAX);
                buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
            }
        }
    }
}

/// Appends the row that [`Row::new`]`(kind, server, origin, body)` makes,
/// encoded with `encoding`, to `buf` — for a JSON line straight from `body`,
/// without the map of values in between (building that map for every record
/// was a quarter of `extract`'s time on a large event log). The line is the
/// same bytes as the map's when `body` serializes to an object none of whose
/// keys is `kind`, `server` or `origin` (the map keeps the first of a repeated
/// key): callers pass such types only, and a test compares both ways.
pub fn encode_new(
    encoding: RowEncoding,
    kind: &'static str,
    server: Option<&str>,
    origin: &str,
    body: &impl Serialize,
    buf: &mut Vec<u8>,
) {
    if encoding == RowEncoding::JsonLine {
        let start = buf.len();
        if json_line_with(kind, server, origin, body, buf, |_| Some(())).is_some() {
            return;
        }
        buf.truncate(start);
    }
    encoding.encode(&Row::new(kind, server, origin, body), buf);
}

/// [`encode_new`]'s JSON line of a body whose last field is an array written
/// by `items`, not by serde_json: `body` is serialized with that array empty
/// (`"field":[]` last), and `items` writes its items, comma-separated, as
/// serde_json would (each caller's test holds it to that) — for the field that
/// holds most of a row's bytes. `false`, with `buf` as it was, when `body`
/// does not end with the empty array.
pub fn json_line_last_array(
    kind: &'static str,
    server: Option<&str>,
    origin: &str,
    (body, field): (&impl Serialize, &str),
    items: impl FnOnce(&mut Vec<u8>),
    buf: &mut Vec<u8>,
) -> bool {
    let start = buf.len();
    let mut ended = false;
    let written = json_line_with(kind, server, origin, body, buf, |buf| {
        let at = buf.len().checked_sub(field.len() + 5)?;
        let tail = buf.get(at..)?;
        let ends = tail.starts_with(b"\"")
            && tail[1..].starts_with(field.as_bytes())
            && tail.ends_with(b"\":[]");
        if !ends {
            return None;
        }
        buf.pop();
        items(buf);
        buf.push(b']');
        ended = true;
        Some(())
    });
    if written.is_none() || !ended {
        buf.truncate(start);
        return false;
    }
    true
}

/// [`encode_new`]'s JSON line, `last` writing what ends the body's fields
/// (when it has any); `None` (with `buf` to be cut back) when `body` is not an
/// object.
fn json_line_with(
    kind: &str,
    server: Option<&str>,
    origin: &str,
    body: &impl Serialize,
    buf: &mut Vec<u8>,
    last: impl FnOnce(&mut Vec<u8>) -> Option<()>,
) -> Option<()> {
    buf.extend_from_slice(b"{\"kind\":");
    serde_json::to_writer(&mut *buf, kind).ok()?;
    buf.extend_from_slice(b",\"server\":");
    serde_json::to_writer(&mut *buf, &server).ok()?;
    let at = buf.len();
    serde_json::to_writer(&mut *buf, body).ok()?;
    if buf.get(at) != Some(&b'{') || buf.last() != Some(&b'}') {
        return None;
    }
    if buf.len() - at == 2 {
        // `{}`: no fields of its own.
        buf.truncate(at);
    } else {
        buf[at] = b',';
        buf.pop();
        last(buf)?;
    }
    buf.extend_from_slice(b",\"origin\":");
    serde_json::to_writer(&mut *buf, origin).ok()?;
    buf.extend_from_slice(b"}\n");
    Some(())
}

/// Where the rows of one artifact go as it is read, in the artifact's own
/// order.
pub trait RowSink {
    /// How this sink wants rows encoded.
    fn encoding(&self) -> RowEncoding;

    /// Takes the next row, encoded with [`RowSink::encoding`] (one or more
    /// whole rows).
    fn push_encoded(&mut self, encoded: &[u8]);

    /// Takes the next row.
    fn push(&mut self, row: &Row) {
        let mut buf = Vec::new();
        self.encoding().encode(row, &mut buf);
        self.push_encoded(&buf);
    }
}

/// Collects the rows (tests, and callers that want them all in memory).
impl RowSink for Vec<Row> {
    fn encoding(&self) -> RowEncoding {
        RowEncoding::Binary
    }

    fn push_encoded(&mut self, mut encoded: &[u8]) {
        while let Some((fields, rest)) = decode(encoded) {
            let kind = fields
                .get("kind")
                .and_then(Value::as_str)
                .and_then(known_kind)
                .unwrap_or("row");
            self.push(Row { kind, fields });
            encoded = rest;
        }
    }

    fn push(&mut self, row: &Row) {
        Vec::push(self, row.clone());
    }
}

/// The `&'static` name of a row kind (`extract`'s kinds are the inputs' own
/// and the facts').
fn known_kind(kind: &str) -> Option<&'static str> {
    const OWN: &[&str] = &[
        "event",
        "smtp-session",
        "smtp-auth",
        "clock-sample",
        "queue-last-error",
        "clock-measurement",
        "spn-account",
    ];
    OWN.iter()
        .chain(crate::evidence::FACT_KINDS)
        .copied()
        .find(|k| *k == kind)
}

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const I64: u8 = 3;
const U64: u8 = 4;
const F64: u8 = 5;
const STRING: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;

fn encode_len(len: usize, buf: &mut Vec<u8>) {
    buf.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

fn encode_str(s: &str, buf: &mut Vec<u8>) {
    encode_len(s.len(), buf);
    buf.extend_from_slice(s.as_bytes());
}

fn encode_map(map: &Map<String, Value>, buf: &mut Vec<u8>) {
    encode_len(map.len(), buf);
    for (k, v) in map {
        encode_str(k, buf);
        encode_value(v, buf);
    }
}

fn encode_value(v: &Value, buf: &mut Vec<u8>) {
    match v {
        Value::Null => buf.push(NULL),
        Value::Bool(false) => buf.push(FALSE),
        Value::Bool(true) => buf.push(TRUE),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                buf.push(U64);
                buf.extend_from_slice(&u.to_le_bytes());
            } else if let Some(i) = n.as_i64() {
                buf.push(I64);
                buf.extend_from_slice(&i.to_le_bytes());
            } else {
                buf.push(F64);
                buf.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_le_bytes());
            }
        }
        Value::String(s) => {
            buf.push(STRING);
            encode_str(s, buf);
        }
        Value::Array(items) => {
            buf.push(ARRAY);
            encode_len(items.len(), buf);
            for item in items {
                encode_value(item, buf);
            }
        }
        Value::Object(map) => {
            buf.push(OBJECT);
            encode_map(map, buf);
        }
    }
}

/// The fields of the first [`RowEncoding::Binary`] row in `bytes`, and the
/// bytes after it; `None` at the end or on bytes that are not such a row.
pub fn decode(bytes: &[u8]) -> Option<(Map<String, Value>, &[u8])> {
    let (len, rest) = take_len(bytes)?;
    let (row, rest) = (rest.get(..len)?, rest.get(len..)?);
    let (map, left) = decode_map(row)?;
    left.is_empty().then_some((map, rest))
}

/// Reads the next [`RowEncoding::Binary`] row from `reader` (`buf` is
/// scratch); `None` at the end.
pub fn read_binary(
    reader: &mut dyn std::io::Read,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Map<String, Value>>> {
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    buf.clear();
    buf.resize(u32::from_le_bytes(len) as usize, 0);
    reader.read_exact(buf)?;
    match decode_map(buf) {
        Some((map, [])) => Ok(Some(map)),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "a spooled row does not read back",
        )),
    }
}

fn take<const N: usize>(bytes: &[u8]) -> Option<([u8; N], &[u8])> {
    let head = bytes.get(..N)?.try_into().ok()?;
    Some((head, &bytes[N..]))
}

fn take_len(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let (len, rest) = take::<4>(bytes)?;
    Some((u32::from_le_bytes(len) as usize, rest))
}

fn decode_str(bytes: &[u8]) -> Option<(String, &[u8])> {
    let (len, rest) = take_len(bytes)?;
    let text = std::str::from_utf8(rest.get(..len)?).ok()?;
    Some((text.to_string(), &rest[len..]))
}

fn decode_map(mut bytes: &[u8]) -> Option<(Map<String, Value>, &[u8])> {
    let (n, rest) = take_len(bytes)?;
    bytes = rest;
    let mut map = Map::new();
    for _ in 0..n {
        let (key, rest) = decode_str(bytes)?;
        let (value, rest) = decode_value(rest)?;
        map.insert(key, value);
        bytes = rest;
    }
    Some((map, bytes))
}

fn decode_value(bytes: &[u8]) -> Option<(Value, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    Some(match tag {
        NULL => (Value::Null, rest),
        FALSE => (Value::Bool(false), rest),
        TRUE => (Value::Bool(true), rest),
        U64 => {
            let (n, rest) = take::<8>(rest)?;
            (Value::from(u64::from_le_bytes(n)), rest)
        }
        I64 => {
            let (n, rest) = take::<8>(rest)?;
            (Value::from(i64::from_le_bytes(n)), rest)
        }
        F64 => {
            let (n, rest) = take::<8>(rest)?;
            (Value::from(f64::from_le_bytes(n)), rest)
        }
        STRING => {
            let (s, rest) = decode_str(rest)?;
            (Value::String(s), rest)
        }
        ARRAY => {
            let (n, mut rest) = take_len(rest)?;
            let mut items = Vec::with_capacity(n.min(rest.len()));
            for _ in 0..n {
                let (item, after) = decode_value(rest)?;
                items.push(item);
                rest = after;
            }
            (Value::Array(items), rest)
        }
        OBJECT => {
            let (map, rest) = decode_map(rest)?;
            (Value::Object(map), rest)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A body that is no object, or an empty one, gives the map's line too.
    #[test]
    fn encode_new_falls_back_or_matches_for_any_body() {
        for body in [
            json!(7),
            json!("text"),
            json!({}),
            json!(null),
            json!({"a": [1, {"b": 2.5}]}),
        ] {
            let mut direct = Vec::new();
            encode_new(
                RowEncoding::JsonLine,
                "fact",
                Some("EX01"),
                "o#1",
                &body,
                &mut direct,
            );
            let mut via_map = Vec::new();
            RowEncoding::JsonLine
                .encode(&Row::new("fact", Some("EX01"), "o#1", &body), &mut via_map);
            assert_eq!(
                String::from_utf8_lossy(&direct),
                String::from_utf8_lossy(&via_map),
                "{body}"
            );
        }
    }

    fn row(value: Value) -> Row {
        let Value::Object(fields) = value else {
            panic!("an object")
        };
        Row {
            kind: "clock-sample",
            fields,
        }
    }

    #[test]
    fn binary_rows_read_back_exactly() {
        let rows = [
            row(json!({
                "kind": "clock-sample", "server": "EX01", "origin": "a.log:3",
                "offset_s": 0.1 + 0.2, "tiny": 5e-324, "big": u64::MAX, "neg": -7,
                "ok": true, "none": null, "list": [1, "x", [false], {"k": -0.0}],
                "nested": {"b": 1, "a": "ü\n\"q\""}
            })),
            row(json!({"kind": "clock-sample", "server": null, "origin": ""})),
        ];
        let mut bytes = Vec::new();
        for r in &rows {
            RowEncoding::Binary.encode(r, &mut bytes);
        }
        let mut back: Vec<Row> = Vec::new();
        back.push_encoded(&bytes);
        assert_eq!(back, rows);
        // Field order is kept (JSON lines print fields in insertion order).
        assert_eq!(back[0].to_json(), rows[0].to_json());
        assert!(decode(&bytes[..bytes.len() - 1]).is_some());
        assert!(decode(&bytes[..10]).is_none());
    }

    #[test]
    fn json_lines_are_to_json_and_a_newline() {
        let r = row(json!({"kind": "clock-sample", "server": "EX01", "offset_s": 1.5}));
        let mut bytes = Vec::new();
        RowEncoding::JsonLine.encode(&r, &mut bytes);
        assert_eq!(bytes, format!("{}\n", r.to_json()).into_bytes());
    }
}
