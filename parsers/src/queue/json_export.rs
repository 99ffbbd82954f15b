//! `ConvertTo-Json` of queues/messages.
//!
//! Windows PowerShell 5.1 renders DateTime as `"\/Date(<ms since epoch>)\/"`
//! (a UTC instant, optionally with a `+hhmm` suffix that only says which
//! zone the value was in), enums as numbers (Status 3 = Retry) or — for
//! deserialized remoting objects — as strings, and nested objects as JSON
//! objects. One object or an array of them. Values are mapped to
//! [`PropertyValue`]s; enums stay numbers here and are named by
//! [`super::records`].

use super::local_time::ExportedTime;
use super::{PropertyObject, PropertyValue};
use crate::problem::{thousands, Location, Problem, Problems};
use crate::text_runs::{JsonStrings, TEXT_RUN_CAP};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::io::{self, BufRead, BufReader};

/// Cheap content check: JSON whose first object key looks like a property.
pub fn looks_like(text_head: &str) -> bool {
    let t = text_head.trim_start_matches('\u{feff}').trim_start();
    let t = t.strip_prefix('[').map(str::trim_start).unwrap_or(t);
    t.starts_with('{') && t.get(1..).is_some_and(|r| r.trim_start().starts_with('"'))
}

/// `\/Date(1611013805000)\/` (the JSON string is `/Date(…)/` once decoded).
pub fn parse_ms_date(s: &str) -> Option<ExportedTime> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map(|(i, _)| i)
        .unwrap_or(inner.len());
    let ms: i64 = inner.get(..end)?.parse().ok()?;
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(ExportedTime::utc)
}

fn first_string(map: &serde_json::Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

/// Maps one JSON value to a property value.
pub fn convert(value: &Value) -> PropertyValue {
    match value {
        Value::Null => PropertyValue::Null,
        Value::Bool(b) => PropertyValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => PropertyValue::Integer(i),
            None => PropertyValue::Number(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => match parse_ms_date(s) {
            Some(t) => PropertyValue::Time(t),
            None => PropertyValue::Text(s.clone()),
        },
        Value::Array(items) => PropertyValue::List(items.iter().map(convert).collect()),
        Value::Object(map) => {
            let number = ["value__", "Value", "value"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_i64));
            let server_row = match (
                map.get("Server").and_then(Value::as_str),
                map.get("RowId").and_then(Value::as_i64),
            ) {
                (Some(s), Some(r)) => Some(format!("{s}\\{r}")),
                _ => None,
            };
            let text = server_row
                .or_else(|| first_string(map, &["ToString", "DisplayName", "Name", "Value"]))
                .or_else(|| number.is_none().then(|| value.to_string()));
            PropertyValue::Enum {
                text,
                value: number,
            }
        }
    }
}

/// Reads a JSON object or array of objects.
pub fn read_objects(text: &str) -> (Vec<PropertyObject>, Problems) {
    super::gather(text, &mut each_object)
}

/// Hands over each object of a JSON export as it is read: the items of a
/// top-level array one at a time (a `Get-Message | ConvertTo-Json` of a queue
/// thousands deep, or a `-Compress`ed export on one line, is never held
/// whole), or the one top-level object. An export cut short keeps the
/// objects before the cut (and says where it stopped). Reading errors come
/// back apart from the problems found in the text.
pub fn each_object(
    text: &mut dyn BufRead,
    object: &mut dyn FnMut(PropertyObject),
) -> (Problems, io::Result<()>) {
    let mut problems = Problems::new();
    let text = match crate::reread::without_byte_order_marks(text) {
        Ok(text) => text,
        Err(e) => return (problems, Err(e)),
    };
    let mut strings = BufReader::new(JsonStrings::new(text));
    let mut json = serde_json::Deserializer::from_reader(&mut strings);
    let top = Top {
        object,
        problems: &mut problems,
    };
    let read = top.deserialize(&mut json).and_then(|()| json.end());
    if let Some((at, bytes)) = strings.get_ref().dropped() {
        problems.push(Problem::new(
            Location::Offset(at),
            format!(
                "a string runs past {} MiB here: {} bytes of it not read (no queue or message holds that much in one value)",
                TEXT_RUN_CAP >> 20,
                thousands(bytes)
            ),
        ));
    }
    match read {
        Ok(()) => (problems, Ok(())),
        Err(e) if e.is_io() => (problems, Err(e.into())),
        Err(e) => {
            problems.push(Problem::new(
                Location::Line(e.line() as u64),
                format!("not valid JSON: {e}"),
            ));
            (problems, Ok(()))
        }
    }
}

/// The top-level value of an export: an array whose items are handed over as
/// they are read, or one object.
struct Top<'a> {
    object: &'a mut dyn FnMut(PropertyObject),
    problems: &'a mut Problems,
}

impl Top<'_> {
    /// The `n`th (1-based) item, as a property object if it is an object.
    fn item(&mut self, n: u64, item: Value) {
        let loc = Location::Record(n);
        let Value::Object(map) = item else {
            self.problems
                .push(Problem::new(loc, "array item is not an object"));
            return;
        };
        let mut obj = PropertyObject::new(loc);
        for (k, v) in &map {
            obj.properties.push((k.clone(), convert(v)));
        }
        (self.object)(obj);
    }
}

impl Top<'_> {
    /// A top-level scalar: a problem, as an array item that is not an object.
    fn not_an_object<E>(mut self) -> Result<(), E> {
        self.item(1, Value::Null);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<(), D::Error> {
        json.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object or array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut items: A) -> Result<(), A::Error> {
        let mut n = 0;
        while let Some(item) = items.next_element::<Value>()? {
            n += 1;
            self.item(n, item);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.item(1, value);
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_an_object()
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_an_object()
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_an_object()
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_an_object()
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_an_object()
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_an_object()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_enums_and_single_object() {
        let (objs, problems) = read_objects(
            r#"{"Identity":"EX01\\7","Status":3,"LastRetryTime":"\/Date(1611013805000)\/","NextHopDomain":"dag1"}"#,
        );
        assert!(problems.is_empty());
        assert_eq!(objs.len(), 1);
        assert_eq!(objs[0].get(&["status"]).and_then(|v| v.as_i64()), Some(3));
        match objs[0].get(&["lastretrytime"]) {
            Some(PropertyValue::Time(t)) => {
                assert_eq!(t.local.to_string(), "2021-01-18T23:50:05")
            }
            other => panic!("expected time, got {other:?}"),
        }
    }
}
