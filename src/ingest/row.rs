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
