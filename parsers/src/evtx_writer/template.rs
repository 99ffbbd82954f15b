//! The BinXML templates the writer uses, laid out as Windows lays out its own.
//!
//! Windows (Vista and later) writes every record as one instance of an outer template that
//! holds the `<System>` element, all of whose values are substitutions, and whose last
//! substitution is a nested BinXML fragment: an instance of a second template holding the
//! `<EventData>`. The writer does the same, so a record read by any BinXML reader has the shape
//! of one Windows wrote (see `system_vss7_w32time_lsasrv.evtx`, record 1, in the corpus):
//!
//! * [`TemplateKey::System`]: one per chunk, substitution numbers as Windows 10 numbers them
//!   (0 Level, 1 Opcode, 2 Task, 3 EventID, 4 Qualifiers, 5 Keywords, 6 SystemTime,
//!   7 ActivityID, 8 ProcessID, 9 ThreadID, 10 EventRecordID, 11 Version, 12 UserID,
//!   13 RelatedActivityID, 14 Provider Name, 15 Provider Guid, 16 Channel, 17 EventData),
//!   plus 18 EventSourceName and 19 Computer, which Windows writes as literal text in a
//!   template of its own per provider and computer; substituting them keeps one template per
//!   chunk whatever the events.
//! * [`TemplateKey::ClassicSystem`]: the same for classic events, whose `<System>` Windows
//!   writes without Version, Opcode, Correlation and Execution (as every Application-log event
//!   of MSExchangeTransport shows).
//! * [`TemplateKey::Classic`]: Windows' classic `ReportEvent` template: one `<Data>` whose
//!   value is a string array (readers repeat the element once per string), the string count,
//!   and `<Binary>`; both elements depend on their value, so an empty one is left out.
//! * [`TemplateKey::Named`]: one per list of data names and value types, as a manifest
//!   template is.

use super::record::Guid;

/// BinXML value types (MS-EVEN6 2.2.4.1) the writer uses.
pub(crate) mod value_type {
    pub(crate) const NULL: u8 = 0x00;
    pub(crate) const STRING: u8 = 0x01;
    pub(crate) const UINT8: u8 = 0x04;
    pub(crate) const UINT16: u8 = 0x06;
    pub(crate) const INT32: u8 = 0x07;
    pub(crate) const UINT32: u8 = 0x08;
    pub(crate) const INT64: u8 = 0x09;
    pub(crate) const UINT64: u8 = 0x0a;
    pub(crate) const BOOL: u8 = 0x0d;
    pub(crate) const BINARY: u8 = 0x0e;
    pub(crate) const GUID: u8 = 0x0f;
    pub(crate) const FILETIME: u8 = 0x11;
    pub(crate) const SID: u8 = 0x13;
    pub(crate) const HEX_INT32: u8 = 0x14;
    pub(crate) const HEX_INT64: u8 = 0x15;
    pub(crate) const BINXML: u8 = 0x21;
    pub(crate) const STRING_ARRAY: u8 = 0x81;
}

/// Which template a record needs; the chunk keeps the ones it holds by this key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TemplateKey {
    System,
    ClassicSystem,
    Classic,
    /// The `EventData` name, `(Data Name, value type)` in order, and whether a `<Binary>`
    /// follows (as substitution `items.len()`).
    Named {
        name: Option<String>,
        items: Vec<(String, u8)>,
        binary: bool,
    },
}

/// A node of a template definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Element(Element),
    /// Literal text (a `Value` token).
    Text(String),
    /// A substitution of the instance's value `index`, of type `value_type`. An optional one
    /// with a NULL value renders as nothing (an attribute disappears).
    Substitution {
        index: u16,
        value_type: u8,
        optional: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Element {
    pub(crate) name: String,
    /// The substitution whose NULL value leaves this element out (MS-EVEN6 `DependencyId`).
    pub(crate) dependency: Option<u16>,
    pub(crate) attributes: Vec<(String, Node)>,
    pub(crate) children: Vec<Node>,
}

/// A template's definition: its GUID (whose first four bytes are the template id) and root.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    pub(crate) guid: [u8; 16],
    pub(crate) root: Element,
}

/// The `xmlns` of `<Event>`.
const EVENT_NAMESPACE: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// The GUID Windows gives its classic-event `EventData` template (the same on every machine).
const CLASSIC_TEMPLATE_GUID: &str = "{4329d877-d8d5-512d-ec99-201a0fd92fc7}";

/// Substitution numbers of the System template.
pub(crate) mod system {
    pub(crate) const LEVEL: u16 = 0;
    pub(crate) const OPCODE: u16 = 1;
    pub(crate) const TASK: u16 = 2;
    pub(crate) const EVENT_ID: u16 = 3;
    pub(crate) const QUALIFIERS: u16 = 4;
    pub(crate) const KEYWORDS: u16 = 5;
    pub(crate) const SYSTEM_TIME: u16 = 6;
    pub(crate) const ACTIVITY_ID: u16 = 7;
    pub(crate) const PROCESS_ID: u16 = 8;
    pub(crate) const THREAD_ID: u16 = 9;
    pub(crate) const RECORD_ID: u16 = 10;
    pub(crate) const VERSION: u16 = 11;
    pub(crate) const USER_ID: u16 = 12;
    pub(crate) const RELATED_ACTIVITY_ID: u16 = 13;
    pub(crate) const PROVIDER_NAME: u16 = 14;
    pub(crate) const PROVIDER_GUID: u16 = 15;
    pub(crate) const CHANNEL: u16 = 16;
    pub(crate) const EVENT_DATA: u16 = 17;
    pub(crate) const EVENT_SOURCE_NAME: u16 = 18;
    pub(crate) const COMPUTER: u16 = 19;
    /// How many values an instance of it has.
    pub(crate) const COUNT: usize = 20;
}

fn sub(index: u16, value_type: u8) -> Node {
    Node::Substitution {
        index,
        value_type,
        optional: true,
    }
}

fn element(name: &str, dependency: Option<u16>) -> Element {
    Element {
        name: name.to_owned(),
        dependency,
        attributes: Vec::new(),
        children: Vec::new(),
    }
}

/// `<name>{sub}</name>`, left out when the value is NULL.
fn value_element(name: &str, index: u16, value_type: u8) -> Node {
    let mut e = element(name, Some(index));
    e.children.push(sub(index, value_type));
    Node::Element(e)
}

/// `<name a="{sub}" …/>`.
fn attribute_element(name: &str, attributes: &[(&str, u16, u8)]) -> Node {
    let mut e = element(name, None);
    e.attributes = attributes
        .iter()
        .map(|&(attribute, index, value_type)| (attribute.to_owned(), sub(index, value_type)))
        .collect();
    Node::Element(e)
}

impl TemplateKey {
    /// The definition of this template.
    pub(crate) fn template(&self) -> Template {
        match self {
            TemplateKey::System => Template {
                guid: guid_for(b"exauth evtx_writer System template 1"),
                root: system_template(),
            },
            TemplateKey::ClassicSystem => Template {
                guid: guid_for(b"exauth evtx_writer classic System template 1"),
                root: classic_system_template(),
            },
            TemplateKey::Classic => Template {
                guid: CLASSIC_TEMPLATE_GUID
                    .parse::<Guid>()
                    .map(Guid::to_windows_bytes)
                    .unwrap_or_default(),
                root: classic_template(),
            },
            TemplateKey::Named {
                name,
                items,
                binary,
            } => {
                let mut identity = b"exauth evtx_writer EventData template 1".to_vec();
                let mut add = |value_type: u8, name: &str| {
                    identity.push(value_type);
                    identity.extend(name.encode_utf16().flat_map(u16::to_le_bytes));
                    identity.extend([0, 0]);
                };
                add(u8::from(*binary), name.as_deref().unwrap_or(""));
                for (name, value_type) in items {
                    add(*value_type, name);
                }
                Template {
                    guid: guid_for(&identity),
                    root: named_template(name.as_deref(), items, *binary),
                }
            }
        }
    }
}

fn system_template() -> Element {
    use system::*;
    use value_type as t;
    let mut event = element("Event", Some(EVENT_DATA));
    event
        .attributes
        .push(("xmlns".to_owned(), Node::Text(EVENT_NAMESPACE.to_owned())));

    let mut event_id = element("EventID", Some(EVENT_ID));
    event_id
        .attributes
        .push(("Qualifiers".to_owned(), sub(QUALIFIERS, t::UINT16)));
    event_id.children.push(sub(EVENT_ID, t::UINT16));

    let mut system_element = element("System", None);
    system_element.children = vec![
        attribute_element(
            "Provider",
            &[
                ("Name", PROVIDER_NAME, t::STRING),
                ("Guid", PROVIDER_GUID, t::GUID),
                ("EventSourceName", EVENT_SOURCE_NAME, t::STRING),
            ],
        ),
        Node::Element(event_id),
        value_element("Version", VERSION, t::UINT8),
        value_element("Level", LEVEL, t::UINT8),
        value_element("Task", TASK, t::UINT16),
        value_element("Opcode", OPCODE, t::UINT8),
        value_element("Keywords", KEYWORDS, t::HEX_INT64),
        attribute_element("TimeCreated", &[("SystemTime", SYSTEM_TIME, t::FILETIME)]),
        value_element("EventRecordID", RECORD_ID, t::UINT64),
        attribute_element(
            "Correlation",
            &[
                ("ActivityID", ACTIVITY_ID, t::GUID),
                ("RelatedActivityID", RELATED_ACTIVITY_ID, t::GUID),
            ],
        ),
        attribute_element(
            "Execution",
            &[
                ("ProcessID", PROCESS_ID, t::UINT32),
                ("ThreadID", THREAD_ID, t::UINT32),
            ],
        ),
        value_element("Channel", CHANNEL, t::STRING),
        value_element("Computer", COMPUTER, t::STRING),
        attribute_element("Security", &[("UserID", USER_ID, t::SID)]),
    ];
    event.children = vec![Node::Element(system_element), sub(EVENT_DATA, t::BINXML)];
    event
}

/// The `<System>` Windows writes for classic (`ReportEvent`) events: no Version, Opcode,
/// Correlation or Execution. Same substitution numbers as [`system_template`].
fn classic_system_template() -> Element {
    use system::*;
    use value_type as t;
    let mut event = system_template();
    let keep = [
        "Provider",
        "EventID",
        "Level",
        "Task",
        "Keywords",
        "TimeCreated",
        "EventRecordID",
        "Channel",
        "Computer",
        "Security",
    ];
    if let Some(Node::Element(system_element)) = event.children.first_mut() {
        system_element
            .children
            .retain(|node| matches!(node, Node::Element(e) if keep.contains(&e.name.as_str())));
    }
    debug_assert!(matches!(
        event.children.last(),
        Some(Node::Substitution {
            index: EVENT_DATA,
            value_type: t::BINXML,
            ..
        })
    ));
    event
}

fn classic_template() -> Element {
    let mut event_data = element("EventData", None);
    event_data.children = vec![
        value_element("Data", 0, value_type::STRING_ARRAY),
        value_element("Binary", 2, value_type::BINARY),
    ];
    event_data
}

fn named_template(name: Option<&str>, items: &[(String, u8)], binary: bool) -> Element {
    let mut event_data = element("EventData", None);
    if let Some(name) = name {
        event_data
            .attributes
            .push(("Name".to_owned(), Node::Text(name.to_owned())));
    }
    event_data.children = items
        .iter()
        .zip(0u16..)
        .map(|((name, value_type), index)| {
            let mut data = element("Data", None);
            data.attributes
                .push(("Name".to_owned(), Node::Text(name.clone())));
            data.children.push(Node::Substitution {
                index,
                value_type: *value_type,
                optional: false,
            });
            Node::Element(data)
        })
        .collect();
    if binary {
        let index = u16::try_from(items.len()).unwrap_or(u16::MAX);
        event_data
            .children
            .push(value_element("Binary", index, value_type::BINARY));
    }
    event_data
}

/// A GUID derived from `identity` alone (two FNV-1a 64 hashes), so that the same template gets
/// the same GUID in every file and run.
fn guid_for(identity: &[u8]) -> [u8; 16] {
    let fnv = |basis: u64| {
        identity.iter().fold(basis, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let mut guid = [0u8; 16];
    guid[..8].copy_from_slice(&fnv(0xcbf2_9ce4_8422_2325).to_le_bytes());
    guid[8..].copy_from_slice(&fnv(0x6c62_272e_07bb_0142).to_le_bytes());
    guid
}

/// Windows' hash of a name in the chunk string table: `h = h * 65599 + unit` over the UTF-16
/// code units, low 16 bits (its bucket is the hash modulo 64).
pub(crate) fn name_hash(name: &str) -> u16 {
    let hash = name.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(65599).wrapping_add(u32::from(unit))
    });
    (hash & 0xffff) as u16
}

/// Windows' bucket for a template in the chunk's 32-entry template table: the same hash over
/// the GUID's eight little-endian 16-bit words, modulo 32.
pub(crate) fn template_bucket(guid: &[u8; 16]) -> usize {
    let hash = guid
        .chunks_exact(2)
        .map(|pair| u32::from(u16::from_le_bytes([pair[0], pair[1]])))
        .fold(0u32, |h, unit| h.wrapping_mul(65599).wrapping_add(unit));
    (hash % 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hashes_match_windows() {
        // Hashes stored in a chunk of the corpus's system_vss7_w32time_lsasrv.evtx.
        for (name, hash) in [
            ("Event", 0x0cba),
            ("System", 0x546f),
            ("EventRecordID", 0x0346),
            ("Qualifiers", 0xda29),
            ("xmlns", 0x0fbc),
        ] {
            assert_eq!(name_hash(name), hash, "{name}");
        }
    }

    #[test]
    fn template_buckets_match_windows() {
        // Template GUIDs and table buckets from the same chunk.
        let bucket = |hex: &str| {
            let mut guid = [0u8; 16];
            for (i, byte) in guid.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            }
            template_bucket(&guid)
        };
        assert_eq!(bucket("26f056cfee6dfd5f4101f4aaa20634c5"), 4);
        assert_eq!(bucket("034953e6b2e4b25a255a419a05e7aa5c"), 17);
        assert_eq!(bucket("77d82943d5d82d51ec99201a0fd92fc7"), 30);
    }

    #[test]
    fn classic_template_has_windows_guid() {
        let template = TemplateKey::Classic.template();
        assert_eq!(
            template.guid,
            [
                0x77, 0xd8, 0x29, 0x43, 0xd5, 0xd8, 0x2d, 0x51, 0xec, 0x99, 0x20, 0x1a, 0x0f, 0xd9,
                0x2f, 0xc7
            ]
        );
    }

    #[test]
    fn named_templates_differ_by_names_and_types() {
        let key = |name: &str, value_type: u8, binary: bool| TemplateKey::Named {
            name: None,
            items: vec![(name.to_owned(), value_type)],
            binary,
        };
        let a = key("A", value_type::STRING, false).template();
        assert_ne!(a.guid, key("B", value_type::STRING, false).template().guid);
        assert_ne!(a.guid, key("A", value_type::UINT32, false).template().guid);
        assert_ne!(a.guid, key("A", value_type::STRING, true).template().guid);
        assert_eq!(a.guid, key("A", value_type::STRING, false).template().guid);
    }
}
