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
use crate::problem::{Location, Problem};
use serde_json::Value;

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
pub fn read_objects(text: &str) -> (Vec<PropertyObject>, Vec<Problem>) {
    let text = text.trim_start_matches('\u{feff}');
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                Vec::new(),
                vec![Problem::new(
                    Location::Line(e.line() as u64),
                    format!("not valid JSON: {e}"),
                )],
            )
        }
    };
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let loc = Location::Record(i as u64 + 1);
        let Value::Object(map) = item else {
            problems.push(Problem::new(loc, "array item is not an object"));
            continue;
        };
        let mut obj = PropertyObject::new(loc);
        for (k, v) in map {
            obj.properties.push((k.clone(), convert(v)));
        }
        objects.push(obj);
    }
    (objects, problems)
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
