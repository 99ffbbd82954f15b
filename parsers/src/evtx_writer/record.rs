//! What one event is, as the writer takes it: the `<System>` fields and the event data.
//!
//! The types mirror what Windows stores rather than what a message file renders, so a test can
//! say "MSExchangeTransport 1035, Qualifiers 32768, four strings" exactly as a real Application
//! log holds it.

use jiff::Timestamp;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The event source: `<Provider Name="…" [Guid="{…}"] [EventSourceName="…"]/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Provider {
    /// `Name`: the manifest provider name or, for classic events, the event source.
    pub name: String,
    /// `Guid`: manifest providers have one, classic sources don't.
    pub guid: Option<Guid>,
    /// `EventSourceName`: the legacy source name a manifest provider also writes under
    /// (`Kerberos` for `Microsoft-Windows-Security-Kerberos`).
    pub event_source_name: Option<String>,
}

impl Provider {
    /// A classic (message-file) source: a name only.
    pub fn classic(name: impl Into<String>) -> Self {
        Provider {
            name: name.into(),
            guid: None,
            event_source_name: None,
        }
    }

    /// A manifest provider: name and GUID.
    pub fn manifest(name: impl Into<String>, guid: Guid) -> Self {
        Provider {
            name: name.into(),
            guid: Some(guid),
            event_source_name: None,
        }
    }
}

/// One event to write. `Default` gives an empty classic Application event at the Unix epoch,
/// so callers set what matters and take the rest with `..Default::default()`.
///
/// Events with [`EventData::Classic`] get the `<System>` Windows gives classic events, which
/// has no `Version`, `Opcode`, `Correlation` or `Execution`: those fields are stored but not
/// rendered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    pub provider: Provider,
    /// `EventID`: for classic events the low 16 bits of the message id.
    pub event_id: u16,
    /// `EventID/@Qualifiers`: for classic events the high 16 bits of the message id (32768
    /// warning, 49152 error); `None` leaves the attribute out, as manifest events do.
    pub qualifiers: Option<u16>,
    pub version: u8,
    /// 1 critical, 2 error, 3 warning, 4 information, 0 LogAlways (audits).
    pub level: u8,
    /// For classic events, the category number.
    pub task: u16,
    pub opcode: u8,
    /// `0x80000000000000` is "Classic"; Security audits use `0x8020000000000000` (success) and
    /// `0x8010000000000000` (failure).
    pub keywords: u64,
    /// `TimeCreated/@SystemTime` (UTC), stored as a FILETIME: sub-100 ns digits are dropped.
    pub time: Timestamp,
    /// `EventRecordID`; `None` takes the one after the previous record (the first is 1).
    pub record_id: Option<u64>,
    /// `Correlation/@ActivityID`.
    pub activity_id: Option<Guid>,
    /// `Correlation/@RelatedActivityID`.
    pub related_activity_id: Option<Guid>,
    pub process_id: u32,
    pub thread_id: u32,
    /// `Channel`: `Application`, `System`, `Security`, …
    pub channel: String,
    /// `Computer`: the FQDN of the machine that logged the event.
    pub computer: String,
    /// `Security/@UserID`; `None` leaves the attribute out.
    pub user_sid: Option<Sid>,
    pub data: EventData,
}

impl Default for EventRecord {
    fn default() -> Self {
        EventRecord {
            provider: Provider::default(),
            event_id: 0,
            qualifiers: None,
            version: 0,
            level: 4,
            task: 0,
            opcode: 0,
            keywords: 0x0080_0000_0000_0000,
            time: Timestamp::UNIX_EPOCH,
            record_id: None,
            activity_id: None,
            related_activity_id: None,
            process_id: 0,
            thread_id: 0,
            channel: "Application".to_owned(),
            computer: String::new(),
            user_sid: None,
            data: EventData::Classic {
                strings: Vec::new(),
                binary: None,
            },
        }
    }
}

/// The `<EventData>` of an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventData {
    /// A classic (`ReportEvent`) event: positional insertion strings `%1..%n`, each a
    /// `<Data>` without a name, then an optional `<Binary>` (rendered as hex).
    Classic {
        strings: Vec<String>,
        binary: Option<Vec<u8>>,
    },
    /// A manifest event: `<Data Name="…">` items in manifest order (see [`EventData::named`]
    /// for the common case).
    Named {
        /// A `Name` on `<EventData>` itself, as some providers write
        /// (`<EventData Name="SAMMSG_USER_SETUP_ERROR">`).
        name: Option<String>,
        items: Vec<(String, DataValue)>,
        /// A `<Binary>` after the items.
        binary: Option<Vec<u8>>,
    },
}

impl EventData {
    /// Classic data from insertion strings, without binary data.
    pub fn classic<S: Into<String>>(strings: impl IntoIterator<Item = S>) -> Self {
        EventData::Classic {
            strings: strings.into_iter().map(Into::into).collect(),
            binary: None,
        }
    }

    /// Named data, values typed or plain strings (`("Status", DataValue::HexInt32(0x1b))`,
    /// `("IpAddress", "::ffff:10.1.2.11")`).
    pub fn named<N: Into<String>, V: Into<DataValue>>(
        items: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        EventData::Named {
            name: None,
            items: items
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
            binary: None,
        }
    }
}

/// A typed `<Data Name="…">` value. The type decides how readers render it: `HexInt32(0x12)`
/// renders `0x12` like the Security log's `Status`, `UInt32(1286)` renders `1286`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataValue {
    String(String),
    UInt8(u8),
    UInt16(u16),
    UInt32(u32),
    UInt64(u64),
    Int32(i32),
    Int64(i64),
    HexInt32(u32),
    HexInt64(u64),
    Bool(bool),
    Guid(Guid),
    Sid(Sid),
    FileTime(Timestamp),
    Binary(Vec<u8>),
}

impl From<&str> for DataValue {
    fn from(value: &str) -> Self {
        DataValue::String(value.to_owned())
    }
}

impl From<String> for DataValue {
    fn from(value: String) -> Self {
        DataValue::String(value)
    }
}

/// A text that is not a GUID or SID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a {what}: {input:?}")]
pub struct ParseIdError {
    pub what: &'static str,
    pub input: String,
}

/// A Windows GUID, parsed from and shown as `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` (braces
/// optional when parsing). Stored in BinXML in Windows' mixed-endian layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Guid(pub u128);

impl Guid {
    /// The 16 bytes Windows stores: Data1, Data2 and Data3 little-endian, Data4 as is.
    pub fn to_windows_bytes(self) -> [u8; 16] {
        let be = self.0.to_be_bytes();
        let mut out = be;
        out[0..4].copy_from_slice(&[be[3], be[2], be[1], be[0]]);
        out[4..6].copy_from_slice(&[be[5], be[4]]);
        out[6..8].copy_from_slice(&[be[7], be[6]]);
        out
    }

    /// The inverse of [`Guid::to_windows_bytes`].
    pub fn from_windows_bytes(bytes: [u8; 16]) -> Self {
        let mut be = bytes;
        be[0..4].copy_from_slice(&[bytes[3], bytes[2], bytes[1], bytes[0]]);
        be[4..6].copy_from_slice(&[bytes[5], bytes[4]]);
        be[6..8].copy_from_slice(&[bytes[7], bytes[6]]);
        Guid(u128::from_be_bytes(be))
    }
}

impl FromStr for Guid {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseIdError {
            what: "GUID",
            input: s.to_owned(),
        };
        let inner = s
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
            .unwrap_or(s);
        let groups: Vec<&str> = inner.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if lengths != [8, 4, 4, 4, 12] || !inner.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        {
            return Err(error());
        }
        u128::from_str_radix(&groups.concat(), 16)
            .map(Guid)
            .map_err(|_| error())
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "{{{:08X}-{:04X}-{:04X}-{:04X}-{:012X}}}",
            v >> 96,
            (v >> 80) & 0xffff,
            (v >> 64) & 0xffff,
            (v >> 48) & 0xffff,
            v & 0xffff_ffff_ffff
        )
    }
}

impl Serialize for Guid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A Windows security identifier, parsed from and shown as `S-1-5-21-…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sid {
    pub revision: u8,
    /// The identifier authority (48 bits).
    pub authority: u64,
    /// At most 15 sub-authorities, as Windows allows.
    pub sub_authorities: Vec<u32>,
}

impl Sid {
    /// The binary form BinXML stores: revision, count, 6-byte big-endian authority, then the
    /// sub-authorities little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 4 * self.sub_authorities.len());
        out.push(self.revision);
        // `FromStr` caps the count at 15; a hand-built Sid with more is cut to what fits.
        let count = self.sub_authorities.len().min(15);
        out.push(count as u8);
        out.extend_from_slice(&self.authority.to_be_bytes()[2..]);
        for sub in self.sub_authorities.iter().take(count) {
            out.extend_from_slice(&sub.to_le_bytes());
        }
        out
    }
}

impl FromStr for Sid {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseIdError {
            what: "SID",
            input: s.to_owned(),
        };
        let mut parts = s.strip_prefix("S-").ok_or_else(error)?.split('-');
        let revision = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(error)?;
        let authority: u64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(error)?;
        let sub_authorities = parts
            .map(|p| p.parse::<u32>().map_err(|_| error()))
            .collect::<Result<Vec<_>, _>>()?;
        if authority >= 1 << 48 || sub_authorities.len() > 15 {
            return Err(error());
        }
        Ok(Sid {
            revision,
            authority,
            sub_authorities,
        })
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-{}-{}", self.revision, self.authority)?;
        for sub in &self.sub_authorities {
            write!(f, "-{sub}")?;
        }
        Ok(())
    }
}

impl Serialize for Sid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_round_trips_text_and_windows_bytes() {
        let guid: Guid = "{98e6cfcb-ee0a-41e0-a57b-622d4e1b30b1}".parse().unwrap();
        assert_eq!(guid.to_string(), "{98E6CFCB-EE0A-41E0-A57B-622D4E1B30B1}");
        let bytes = guid.to_windows_bytes();
        assert_eq!(&bytes[..4], &[0xcb, 0xcf, 0xe6, 0x98]);
        assert_eq!(
            &bytes[8..],
            &[0xa5, 0x7b, 0x62, 0x2d, 0x4e, 0x1b, 0x30, 0xb1]
        );
        assert_eq!(Guid::from_windows_bytes(bytes), guid);
        assert!("98e6cfcb-ee0a-41e0-a57b-622d4e1b30b"
            .parse::<Guid>()
            .is_err());
        assert!("{98e6cfcb-ee0a-41e0-a57b-622d4e1b30bx}"
            .parse::<Guid>()
            .is_err());
    }

    #[test]
    fn sid_round_trips_text_and_bytes() {
        let sid: Sid = "S-1-5-21-1004336348-1177238915-682003330-512"
            .parse()
            .unwrap();
        assert_eq!(
            sid.to_string(),
            "S-1-5-21-1004336348-1177238915-682003330-512"
        );
        let system: Sid = "S-1-5-18".parse().unwrap();
        assert_eq!(
            system.to_bytes(),
            [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0].to_vec()
        );
        assert!("S-1".parse::<Sid>().is_err());
        assert!("1-5-18".parse::<Sid>().is_err());
        assert!("S-1-5-x".parse::<Sid>().is_err());
    }
}
