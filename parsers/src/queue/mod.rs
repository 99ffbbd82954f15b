//! Queue exports: what `Get-Queue` / `Get-Message` (and the old Queue
//! Viewer, and the Transport Queue Log) say about stuck mail.
//!
//! Admins save queues in whatever form they know — `Format-List` text,
//! `Export-Csv`, `ConvertTo-Json`, `Export-Clixml`, the EMC's "Export List" —
//! so each form has a reader that turns it into generic
//! [`PropertyObject`]s, and [`records`] turns those into typed
//! [`QueueRecord`]s and [`MessageRecord`]s in one place, whatever the form.
//! That split is also why [`format_list`] and [`clixml`] are reusable by other
//! modules (receive connectors, Get-EventLog objects).
//!
//! Time values in these exports are server-local and culture-formatted; the
//! day/month order is decided once per file ([`local_time`]).

pub mod clixml;
pub mod csv_export;
pub mod format_list;
pub mod json_export;
pub mod last_error;
pub mod local_time;
pub mod queue_viewer;
pub mod records;
pub mod transport_queue_log;

pub use last_error::{DeliveryError, Endpoint, LastError, OuterKind, SmtpResponse};
pub use local_time::{DateOrder, DateOrderChoice, DateOrderOption, ExportedTime, OpenOrder};
pub use records::{
    parse_queue_export, DeliveryType, ExportForm, MessageRecord, MessageStatus, QueueExport,
    QueueExportOptions, QueueRecord, QueueStatus,
};

use crate::problem::{Location, Problems};
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, BufRead};

/// The objects of a text, each to the callback as it is read: the problems
/// met, and the error that cut the text short, if one did (each form's
/// `each_object`).
pub(crate) type EachObject<'o> =
    dyn FnMut(&mut dyn BufRead, &mut dyn FnMut(PropertyObject)) -> (Problems, io::Result<()>) + 'o;

/// The objects a form's streaming reader hands over, gathered from a text in
/// memory (which has no reading error to give): each form's `read_objects`.
pub(crate) fn gather(
    text: &str,
    each_object: &mut EachObject<'_>,
) -> (Vec<PropertyObject>, Problems) {
    let mut objects = Vec::new();
    let (problems, _) = each_object(&mut text.as_bytes(), &mut |o| objects.push(o));
    (objects, problems)
}

/// One property value, as typed as the export form allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum PropertyValue {
    Null,
    /// Text as printed (FL, CSV, Queue Viewer: everything is text).
    Text(String),
    Integer(i64),
    Number(f64),
    Bool(bool),
    /// A date the export typed itself (JSON `\/Date()\/`, CliXml `<DT>`).
    Time(ExportedTime),
    List(Vec<PropertyValue>),
    /// An enum or other object reduced to its display text and number.
    Enum {
        text: Option<String>,
        value: Option<i64>,
    },
}

impl PropertyValue {
    /// The value as display text (numbers and enums rendered), if it has one.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            PropertyValue::Text(s) => Some(Cow::Borrowed(s.as_str())),
            PropertyValue::Integer(i) => Some(Cow::Owned(i.to_string())),
            PropertyValue::Number(n) => Some(Cow::Owned(n.to_string())),
            PropertyValue::Bool(b) => Some(Cow::Borrowed(if *b { "True" } else { "False" })),
            PropertyValue::Enum { text: Some(t), .. } => Some(Cow::Borrowed(t.as_str())),
            PropertyValue::Enum {
                text: None,
                value: Some(v),
            } => Some(Cow::Owned(v.to_string())),
            _ => None,
        }
    }

    /// Non-empty trimmed text.
    pub fn text(&self) -> Option<String> {
        self.as_text()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// The value as an integer (numeric text accepted).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            PropertyValue::Integer(i) => Some(*i),
            PropertyValue::Enum { value: Some(v), .. } => Some(*v),
            PropertyValue::Number(n) if n.fract() == 0.0 => Some(*n as i64),
            PropertyValue::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a boolean (`True`/`False` text accepted).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            PropertyValue::Bool(b) => Some(*b),
            PropertyValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "$true" => Some(true),
                "false" | "$false" => Some(false),
                _ => None,
            },
            PropertyValue::Integer(i) => Some(*i != 0),
            _ => None,
        }
    }

    /// Items of a multi-valued property: a real list, or FL's `{a, b}` text.
    /// The flag is true when the text ended in `...` (PowerShell cut the
    /// enumeration at `$FormatEnumerationLimit`).
    pub fn as_items(&self) -> (Vec<String>, bool) {
        match self {
            PropertyValue::List(items) => (items.iter().filter_map(|v| v.text()).collect(), false),
            other => match other.text() {
                Some(t) => split_braced_list(&t),
                None => (Vec::new(), false),
            },
        }
    }
}

/// Splits FL's `{a, b, c...}` rendering of a collection.
pub fn split_braced_list(text: &str) -> (Vec<String>, bool) {
    let t = text.trim();
    let t = t.strip_prefix('{').unwrap_or(t);
    let t = t.strip_suffix('}').unwrap_or(t);
    let (t, cut) = match t.strip_suffix("...").or_else(|| t.strip_suffix('…')) {
        Some(s) => (s, true),
        None => (t, false),
    };
    let items = t
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (items, cut)
}

/// One exported object: its type names (when the form records them) and
/// properties in file order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyObject {
    pub type_names: Vec<String>,
    pub properties: Vec<(String, PropertyValue)>,
    /// Where the object starts.
    pub location: Location,
}

/// Property names compared the way exports differ: case, spaces and
/// punctuation ignored (`Next Hop Domain` = `NextHopDomain`).
pub fn normalize_name(name: &str) -> String {
    if name.is_ascii() {
        // ASCII alone: the same letters without the Unicode tables.
        return name
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `name` normalizes to `normalized` (see [`normalize_name`]),
/// without building the normalized string. Every property of every queue
/// object is compared so with the names asked for: an ASCII name (they
/// nearly all are) byte by byte.
pub(crate) fn same_name(name: &str, normalized: &str) -> bool {
    if name.is_ascii() {
        let mut want = normalized.bytes();
        return name
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .all(|b| want.next() == Some(b.to_ascii_lowercase()))
            && want.next().is_none();
    }
    let mut want = normalized.chars();
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .all(|c| want.next() == Some(c))
        && want.next().is_none()
}

impl PropertyObject {
    pub fn new(location: Location) -> Self {
        PropertyObject {
            type_names: Vec::new(),
            properties: Vec::new(),
            location,
        }
    }

    /// The first property whose normalized name is one of `names`
    /// (give them already normalized).
    pub fn get(&self, names: &[&str]) -> Option<&PropertyValue> {
        self.properties
            .iter()
            .find(|(n, _)| names.iter().any(|w| same_name(n, w)))
            .map(|(_, v)| v)
    }

    /// Trimmed non-empty text of the first matching property.
    pub fn text(&self, names: &[&str]) -> Option<String> {
        self.get(names).and_then(PropertyValue::text)
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    /// The normalization as the Unicode tables give it, for every name.
    fn by_chars(name: &str) -> String {
        name.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    }

    /// The ASCII path answers as the Unicode one: names as `Format-List`
    /// captions, CSV headers and JSON keys spell them, localized ones, and
    /// near misses.
    #[test]
    fn names_normalize_alike_ascii_or_not() {
        let names = [
            "LastError",
            "Last Error",
            "last_error",
            "LASTERROR",
            "NextHopDomain",
            "Next Hop Domain:",
            "Retry-Count",
            "Identity",
            "Id3nt1ty",
            "",
            "  ",
            "Nächster Hop",
            "Letzter Fehler",
            "Dernière erreur",
            "Ünïcödé",
            "İdentity",
            "ΣΊΣΥΦΟΣ",
            "下一跃点",
        ];
        for name in names {
            let want = by_chars(name);
            assert_eq!(normalize_name(name), want, "{name:?}");
            for other in names {
                assert_eq!(
                    same_name(name, &by_chars(other)),
                    want == by_chars(other),
                    "{name:?} ~ {other:?}"
                );
            }
        }
    }
}
