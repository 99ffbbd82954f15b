//! One 64 KiB chunk being filled: its records, string table and template table.
//!
//! BinXML refers to names and template definitions by their offset in the chunk, so a record is
//! encoded in place at the chunk's end. A name or template is defined inline the first time the
//! chunk uses it and linked into the chunk header's hash tables; later uses only name its
//! offset. A record that turns out not to fit is cut off again and the tables are put back as
//! they were (a journal of what it added), so that it can start the next chunk.

use super::record::{DataValue, EventData, EventRecord, Guid, Sid};
use super::template::{name_hash, system, template_bucket, value_type, Element, Node, TemplateKey};
use super::WriteError;
use std::collections::HashMap;

/// Size of a chunk, header included.
pub(crate) const CHUNK_SIZE: usize = 0x1_0000;
/// Size of the chunk header: 128 bytes of fields, then the string and template tables.
const CHUNK_HEADER_SIZE: usize = 512;
const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0x00, 0x00];
/// A BinXML fragment header: token, major version 1, minor version 1, flags 0.
const FRAGMENT_HEADER: [u8; 4] = [0x0f, 0x01, 0x01, 0x00];

mod token {
    pub(super) const END_OF_FRAGMENT: u8 = 0x00;
    pub(super) const OPEN_START_ELEMENT: u8 = 0x01;
    pub(super) const CLOSE_START_ELEMENT: u8 = 0x02;
    pub(super) const CLOSE_EMPTY_ELEMENT: u8 = 0x03;
    pub(super) const END_ELEMENT: u8 = 0x04;
    pub(super) const VALUE: u8 = 0x05;
    pub(super) const ATTRIBUTE: u8 = 0x06;
    pub(super) const TEMPLATE_INSTANCE: u8 = 0x0c;
    pub(super) const NORMAL_SUBSTITUTION: u8 = 0x0d;
    pub(super) const OPTIONAL_SUBSTITUTION: u8 = 0x0e;
    /// Set on an element start that has attributes, and on an attribute that more follow.
    pub(super) const MORE_FLAG: u8 = 0x40;
}

/// Why a record was not added to a chunk.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// It does not fit in what is left of the chunk.
    DoesNotFit,
    /// It cannot be written at all.
    Invalid(WriteError),
}

impl From<WriteError> for AppendError {
    fn from(error: WriteError) -> Self {
        AppendError::Invalid(error)
    }
}

/// What appending a record added to the tables, to take back if it does not fit.
enum Undo {
    Name {
        name: String,
        bucket: usize,
        head: u32,
    },
    Template {
        key: TemplateKey,
        bucket: usize,
        head: u32,
    },
}

/// A substitution value as it is encoded.
enum Value<'a> {
    Null,
    /// UTF-16LE without a terminating NUL, as Windows stores the `<System>` strings.
    Text(&'a str),
    /// UTF-16LE with its terminating NUL, as Windows stores event data strings.
    TextZ(&'a str),
    /// NUL-terminated UTF-16LE strings back to back.
    TextArray(&'a [String]),
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
    Sid(&'a Sid),
    FileTime(u64),
    Binary(&'a [u8]),
    /// A nested BinXML fragment holding the `<EventData>` template instance.
    EventData(&'a EventData),
}

impl Value<'_> {
    fn value_type(&self) -> u8 {
        use value_type as t;
        match self {
            Value::Null => t::NULL,
            Value::Text(_) | Value::TextZ(_) => t::STRING,
            Value::TextArray(_) => t::STRING_ARRAY,
            Value::UInt8(_) => t::UINT8,
            Value::UInt16(_) => t::UINT16,
            Value::UInt32(_) => t::UINT32,
            Value::UInt64(_) => t::UINT64,
            Value::Int32(_) => t::INT32,
            Value::Int64(_) => t::INT64,
            Value::HexInt32(_) => t::HEX_INT32,
            Value::HexInt64(_) => t::HEX_INT64,
            Value::Bool(_) => t::BOOL,
            Value::Guid(_) => t::GUID,
            Value::Sid(_) => t::SID,
            Value::FileTime(_) => t::FILETIME,
            Value::Binary(_) => t::BINARY,
            Value::EventData(_) => t::BINXML,
        }
    }
}

impl<'a> From<&'a DataValue> for Value<'a> {
    fn from(value: &'a DataValue) -> Self {
        match value {
            DataValue::String(s) => Value::TextZ(s),
            DataValue::UInt8(v) => Value::UInt8(*v),
            DataValue::UInt16(v) => Value::UInt16(*v),
            DataValue::UInt32(v) => Value::UInt32(*v),
            DataValue::UInt64(v) => Value::UInt64(*v),
            DataValue::Int32(v) => Value::Int32(*v),
            DataValue::Int64(v) => Value::Int64(*v),
            DataValue::HexInt32(v) => Value::HexInt32(*v),
            DataValue::HexInt64(v) => Value::HexInt64(*v),
            DataValue::Bool(v) => Value::Bool(*v),
            DataValue::Guid(v) => Value::Guid(*v),
            DataValue::Sid(v) => Value::Sid(v),
            // Out-of-range times were rejected before encoding started (see `filetime`).
            DataValue::FileTime(t) => Value::FileTime(super::filetime(*t).unwrap_or(0)),
            DataValue::Binary(v) => Value::Binary(v),
        }
    }
}

/// A chunk being filled.
pub(crate) struct Chunk {
    data: Vec<u8>,
    names: HashMap<String, u32>,
    string_buckets: [u32; 64],
    templates: HashMap<TemplateKey, (u32, u32)>,
    template_buckets: [u32; 32],
    /// First and last record id, once it has a record.
    ids: Option<(u64, u64)>,
    last_record_offset: u32,
    journal: Vec<Undo>,
}

impl Chunk {
    pub(crate) fn new() -> Self {
        let mut data = Vec::with_capacity(CHUNK_SIZE);
        data.resize(CHUNK_HEADER_SIZE, 0);
        Chunk {
            data,
            names: HashMap::new(),
            string_buckets: [0; 64],
            templates: HashMap::new(),
            template_buckets: [0; 32],
            ids: None,
            last_record_offset: 0,
            journal: Vec::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_none()
    }

    /// Append `record` with id `id` and FILETIME `filetime`, or leave the chunk as it was.
    pub(crate) fn append(
        &mut self,
        record: &EventRecord,
        id: u64,
        filetime: u64,
    ) -> Result<(), AppendError> {
        let start = self.data.len();
        self.journal.clear();
        let result = self.encode_record(record, id, filetime);
        match result {
            Ok(()) if self.data.len() <= CHUNK_SIZE => {
                self.ids = Some((self.ids.map_or(id, |(first, _)| first), id));
                self.last_record_offset = offset(start);
                Ok(())
            }
            Ok(()) => {
                self.roll_back(start);
                Err(AppendError::DoesNotFit)
            }
            Err(error) => {
                self.roll_back(start);
                Err(AppendError::Invalid(error))
            }
        }
    }

    fn roll_back(&mut self, start: usize) {
        self.data.truncate(start);
        while let Some(undo) = self.journal.pop() {
            match undo {
                Undo::Name { name, bucket, head } => {
                    self.names.remove(&name);
                    self.string_buckets[bucket] = head;
                }
                Undo::Template { key, bucket, head } => {
                    self.templates.remove(&key);
                    self.template_buckets[bucket] = head;
                }
            }
        }
    }

    /// The finished chunk: header fields, tables and CRC32s filled in, padded to 64 KiB.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let (first, last) = self.ids.unwrap_or((0, 0));
        let free_space = offset(self.data.len());
        let events_crc = crc32fast::hash(&self.data[CHUNK_HEADER_SIZE..]);
        let header = &mut self.data[..CHUNK_HEADER_SIZE];
        header[0..8].copy_from_slice(b"ElfChnk\0");
        // Record numbers and ids are the same in a log that was never cleared.
        header[8..16].copy_from_slice(&first.to_le_bytes());
        header[16..24].copy_from_slice(&last.to_le_bytes());
        header[24..32].copy_from_slice(&first.to_le_bytes());
        header[32..40].copy_from_slice(&last.to_le_bytes());
        header[40..44].copy_from_slice(&128u32.to_le_bytes());
        header[44..48].copy_from_slice(&self.last_record_offset.to_le_bytes());
        header[48..52].copy_from_slice(&free_space.to_le_bytes());
        header[52..56].copy_from_slice(&events_crc.to_le_bytes());
        // 56..120 unused, 120..124 flags: none.
        for (i, head) in self.string_buckets.iter().enumerate() {
            header[128 + 4 * i..132 + 4 * i].copy_from_slice(&head.to_le_bytes());
        }
        for (i, head) in self.template_buckets.iter().enumerate() {
            header[384 + 4 * i..388 + 4 * i].copy_from_slice(&head.to_le_bytes());
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&header[..120]);
        hasher.update(&header[128..]);
        header[124..128].copy_from_slice(&hasher.finalize().to_le_bytes());
        self.data.resize(CHUNK_SIZE, 0);
        self.data
    }

    fn encode_record(
        &mut self,
        record: &EventRecord,
        id: u64,
        filetime: u64,
    ) -> Result<(), WriteError> {
        let start = self.data.len();
        self.data.extend_from_slice(&RECORD_MAGIC);
        self.data.extend_from_slice(&[0; 4]); // size, patched below
        self.data.extend_from_slice(&id.to_le_bytes());
        self.data.extend_from_slice(&filetime.to_le_bytes());
        self.data.extend_from_slice(&FRAGMENT_HEADER);
        let values = system_values(record, id, filetime);
        let key = match record.data {
            EventData::Classic { .. } => TemplateKey::ClassicSystem,
            EventData::Named { .. } => TemplateKey::System,
        };
        self.template_instance(&key, &values)?;
        self.data.push(token::END_OF_FRAGMENT);
        // Windows keeps records 8-byte aligned; the padding reads as more end-of-fragment.
        while (self.data.len() - start + 4) % 8 != 0 {
            self.data.push(0);
        }
        let size = offset(self.data.len() - start + 4);
        self.data.extend_from_slice(&size.to_le_bytes());
        self.data[start + 4..start + 8].copy_from_slice(&size.to_le_bytes());
        Ok(())
    }

    /// A `TemplateInstance` of `key` with `values`, defining the template first if this chunk
    /// does not hold it yet.
    fn template_instance(
        &mut self,
        key: &TemplateKey,
        values: &[Value<'_>],
    ) -> Result<(), WriteError> {
        self.data.push(token::TEMPLATE_INSTANCE);
        self.data.push(0x01);
        if let Some(&(definition, template_id)) = self.templates.get(key) {
            self.data.extend_from_slice(&template_id.to_le_bytes());
            self.data.extend_from_slice(&definition.to_le_bytes());
        } else {
            self.define_template(key)?;
        }

        self.data
            .extend_from_slice(&(values.len() as u32).to_le_bytes());
        let descriptors = self.data.len();
        self.data.resize(descriptors + 4 * values.len(), 0);
        for (i, value) in values.iter().enumerate() {
            let before = self.data.len();
            self.value(value)?;
            let size =
                u16::try_from(self.data.len() - before).map_err(|_| WriteError::ValueTooLarge {
                    bytes: self.data.len() - before,
                })?;
            let at = descriptors + 4 * i;
            self.data[at..at + 2].copy_from_slice(&size.to_le_bytes());
            self.data[at + 2] = value.value_type();
            if self.data.len() > CHUNK_SIZE {
                // It won't fit whatever follows; the caller rolls back.
                return Ok(());
            }
        }
        Ok(())
    }

    /// Template id, definition offset, then the definition itself, linked into the table.
    fn define_template(&mut self, key: &TemplateKey) -> Result<(), WriteError> {
        let template = key.template();
        let template_id = u32::from_le_bytes([
            template.guid[0],
            template.guid[1],
            template.guid[2],
            template.guid[3],
        ]);
        let definition = offset(self.data.len() + 8);
        self.data.extend_from_slice(&template_id.to_le_bytes());
        self.data.extend_from_slice(&definition.to_le_bytes());

        let bucket = template_bucket(&template.guid);
        let head = self.template_buckets[bucket];
        self.data.extend_from_slice(&head.to_le_bytes());
        self.data.extend_from_slice(&template.guid);
        let size_at = self.data.len();
        self.data.extend_from_slice(&[0; 4]);
        self.data.extend_from_slice(&FRAGMENT_HEADER);
        self.element(&template.root)?;
        self.data.push(token::END_OF_FRAGMENT);
        self.patch_size(size_at);

        self.template_buckets[bucket] = definition;
        self.templates
            .insert(key.clone(), (definition, template_id));
        self.journal.push(Undo::Template {
            key: key.clone(),
            bucket,
            head,
        });
        Ok(())
    }

    /// Write at `at` the number of bytes after its 4-byte field up to the end of the data.
    fn patch_size(&mut self, at: usize) {
        let size = offset(self.data.len() - at - 4);
        self.data[at..at + 4].copy_from_slice(&size.to_le_bytes());
    }

    fn element(&mut self, element: &Element) -> Result<(), WriteError> {
        let has_attributes = !element.attributes.is_empty();
        self.data.push(if has_attributes {
            token::OPEN_START_ELEMENT | token::MORE_FLAG
        } else {
            token::OPEN_START_ELEMENT
        });
        self.data
            .extend_from_slice(&element.dependency.unwrap_or(0xffff).to_le_bytes());
        let size_at = self.data.len();
        self.data.extend_from_slice(&[0; 4]);
        self.name(&element.name)?;
        if has_attributes {
            let list_at = self.data.len();
            self.data.extend_from_slice(&[0; 4]);
            let last = element.attributes.len() - 1;
            for (i, (name, value)) in element.attributes.iter().enumerate() {
                self.data.push(if i < last {
                    token::ATTRIBUTE | token::MORE_FLAG
                } else {
                    token::ATTRIBUTE
                });
                self.name(name)?;
                self.node(value)?;
            }
            self.patch_size(list_at);
        }
        if element.children.is_empty() {
            self.data.push(token::CLOSE_EMPTY_ELEMENT);
        } else {
            self.data.push(token::CLOSE_START_ELEMENT);
            for child in &element.children {
                self.node(child)?;
            }
            self.data.push(token::END_ELEMENT);
        }
        self.patch_size(size_at);
        Ok(())
    }

    fn node(&mut self, node: &Node) -> Result<(), WriteError> {
        match node {
            Node::Element(element) => self.element(element),
            Node::Text(text) => {
                self.data.push(token::VALUE);
                self.data.push(value_type::STRING);
                self.counted_utf16(text)
            }
            Node::Substitution {
                index,
                value_type,
                optional,
            } => {
                self.data.push(if *optional {
                    token::OPTIONAL_SUBSTITUTION
                } else {
                    token::NORMAL_SUBSTITUTION
                });
                self.data.extend_from_slice(&index.to_le_bytes());
                self.data.push(*value_type);
                Ok(())
            }
        }
    }

    /// A name reference: the offset of the name in the chunk, defined right here (and linked
    /// into the string table) the first time.
    fn name(&mut self, name: &str) -> Result<(), WriteError> {
        if let Some(&at) = self.names.get(name) {
            self.data.extend_from_slice(&at.to_le_bytes());
            return Ok(());
        }
        let at = offset(self.data.len() + 4);
        self.data.extend_from_slice(&at.to_le_bytes());
        let hash = name_hash(name);
        let bucket = usize::from(hash % 64);
        let head = self.string_buckets[bucket];
        self.data.extend_from_slice(&head.to_le_bytes());
        self.data.extend_from_slice(&hash.to_le_bytes());
        self.counted_utf16(name)?;
        self.data.extend_from_slice(&[0, 0]);
        self.string_buckets[bucket] = at;
        self.names.insert(name.to_owned(), at);
        self.journal.push(Undo::Name {
            name: name.to_owned(),
            bucket,
            head,
        });
        Ok(())
    }

    /// A 16-bit count of UTF-16 code units, then the units.
    fn counted_utf16(&mut self, text: &str) -> Result<(), WriteError> {
        let count_at = self.data.len();
        self.data.extend_from_slice(&[0; 2]);
        let units = self.utf16(text);
        let count =
            u16::try_from(units).map_err(|_| WriteError::ValueTooLarge { bytes: 2 * units })?;
        self.data[count_at..count_at + 2].copy_from_slice(&count.to_le_bytes());
        Ok(())
    }

    /// UTF-16LE code units of `text`; returns how many.
    fn utf16(&mut self, text: &str) -> usize {
        let before = self.data.len();
        self.data
            .extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        (self.data.len() - before) / 2
    }

    fn value(&mut self, value: &Value<'_>) -> Result<(), WriteError> {
        match value {
            Value::Null => {}
            Value::Text(text) => {
                self.utf16(text);
            }
            Value::TextZ(text) => {
                self.utf16(text);
                self.data.extend_from_slice(&[0, 0]);
            }
            Value::TextArray(strings) => {
                for text in strings.iter() {
                    self.utf16(text);
                    self.data.extend_from_slice(&[0, 0]);
                }
            }
            Value::UInt8(v) => self.data.push(*v),
            Value::UInt16(v) => self.data.extend_from_slice(&v.to_le_bytes()),
            Value::UInt32(v) | Value::HexInt32(v) => self.data.extend_from_slice(&v.to_le_bytes()),
            Value::UInt64(v) | Value::HexInt64(v) | Value::FileTime(v) => {
                self.data.extend_from_slice(&v.to_le_bytes())
            }
            Value::Int32(v) => self.data.extend_from_slice(&v.to_le_bytes()),
            Value::Int64(v) => self.data.extend_from_slice(&v.to_le_bytes()),
            Value::Bool(v) => self.data.extend_from_slice(&u32::from(*v).to_le_bytes()),
            Value::Guid(guid) => self.data.extend_from_slice(&guid.to_windows_bytes()),
            Value::Sid(sid) => self.data.extend_from_slice(&sid.to_bytes()),
            Value::Binary(bytes) => self.data.extend_from_slice(bytes),
            Value::EventData(event_data) => {
                self.data.extend_from_slice(&FRAGMENT_HEADER);
                match event_data {
                    EventData::Classic { strings, binary } => {
                        let count = u32::try_from(strings.len()).unwrap_or(u32::MAX);
                        let values = [
                            if strings.is_empty() {
                                Value::Null
                            } else {
                                Value::TextArray(strings)
                            },
                            Value::UInt32(count),
                            binary.as_deref().map_or(Value::Null, Value::Binary),
                        ];
                        self.template_instance(&TemplateKey::Classic, &values)?;
                    }
                    EventData::Named {
                        name,
                        items,
                        binary,
                    } => {
                        let mut values: Vec<Value<'_>> =
                            items.iter().map(|(_, value)| Value::from(value)).collect();
                        let key = TemplateKey::Named {
                            name: name.clone(),
                            items: items
                                .iter()
                                .zip(&values)
                                .map(|((name, _), value)| (name.clone(), value.value_type()))
                                .collect(),
                            binary: binary.is_some(),
                        };
                        if let Some(binary) = binary {
                            values.push(Value::Binary(binary));
                        }
                        self.template_instance(&key, &values)?;
                    }
                }
                self.data.push(token::END_OF_FRAGMENT);
            }
        }
        Ok(())
    }
}

/// The `<System>` template's values for `record`.
fn system_values<'a>(record: &'a EventRecord, id: u64, filetime: u64) -> Vec<Value<'a>> {
    use system::*;
    let mut values: Vec<Value<'a>> = (0..COUNT).map(|_| Value::Null).collect();
    let mut set = |index: u16, value: Value<'a>| values[usize::from(index)] = value;
    set(LEVEL, Value::UInt8(record.level));
    set(OPCODE, Value::UInt8(record.opcode));
    set(TASK, Value::UInt16(record.task));
    set(EVENT_ID, Value::UInt16(record.event_id));
    set(
        QUALIFIERS,
        record.qualifiers.map_or(Value::Null, Value::UInt16),
    );
    set(KEYWORDS, Value::HexInt64(record.keywords));
    set(SYSTEM_TIME, Value::FileTime(filetime));
    set(
        ACTIVITY_ID,
        record.activity_id.map_or(Value::Null, Value::Guid),
    );
    set(PROCESS_ID, Value::UInt32(record.process_id));
    set(THREAD_ID, Value::UInt32(record.thread_id));
    set(RECORD_ID, Value::UInt64(id));
    set(VERSION, Value::UInt8(record.version));
    set(
        USER_ID,
        record.user_sid.as_ref().map_or(Value::Null, Value::Sid),
    );
    set(
        RELATED_ACTIVITY_ID,
        record.related_activity_id.map_or(Value::Null, Value::Guid),
    );
    set(PROVIDER_NAME, Value::Text(&record.provider.name));
    set(
        PROVIDER_GUID,
        record.provider.guid.map_or(Value::Null, Value::Guid),
    );
    set(CHANNEL, Value::Text(&record.channel));
    set(EVENT_DATA, Value::EventData(&record.data));
    set(
        EVENT_SOURCE_NAME,
        record
            .provider
            .event_source_name
            .as_deref()
            .map_or(Value::Null, Value::Text),
    );
    set(COMPUTER, Value::Text(&record.computer));
    values
}

/// A position in the chunk as BinXML stores it. Chunks are 64 KiB; a record being encoded can
/// run past that before it is rolled back, but never past 4 GiB (values are at most 64 KiB).
fn offset(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}
