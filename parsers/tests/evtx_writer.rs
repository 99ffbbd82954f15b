//! Logs written by `evtx_writer`, read back with the `evtx` crate (checksums validated) and
//! checked field by field; when `EXAUTH_CORPUS` names the folder of real logs, records written
//! after real ones must render to the same XML structure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use evtx::{EvtxParser, ParserSettings};
use exauth_parsers::evtx_writer::{
    write_evtx, DataValue, EventData, EventRecord, EvtxWriter, Guid, Provider, Sid, WriteError,
};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

// ---------------------------------------------------------------------------------------------
// Reading back

/// Counts the warnings and errors the `evtx` crate logs (it logs, rather than fails, on
/// records whose values don't add up).
struct WarningCounter;
static WARNINGS: AtomicUsize = AtomicUsize::new(0);
static LOGGER: WarningCounter = WarningCounter;
/// Reads run one at a time, so that the warnings counted are those of one read.
static READING: Mutex<()> = Mutex::new(());

impl log::Log for WarningCounter {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            WARNINGS.fetch_add(1, Ordering::SeqCst);
            eprintln!("evtx {}: {}", record.level(), record.args());
        }
    }
    fn flush(&self) {}
}

fn reading() -> MutexGuard<'static, ()> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&LOGGER).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Warn);
    });
    let guard = READING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    WARNINGS.store(0, Ordering::SeqCst);
    guard
}

fn parser(bytes: &[u8]) -> EvtxParser<Cursor<Vec<u8>>> {
    EvtxParser::from_buffer(bytes.to_vec())
        .expect("file header parses")
        .with_configuration(
            ParserSettings::new()
                .validate_checksums(true)
                .num_threads(1),
        )
}

/// Every record as JSON, in id order, after checking that the crate read all of it without an
/// error or a warning and that it finds every CRC32 valid.
fn read_json(bytes: &[u8]) -> Vec<Value> {
    let _guard = reading();
    let mut parser = parser(bytes);
    assert!(parser.header().validate_checksum(), "file header CRC32");
    for chunk in parser.chunks() {
        let chunk = chunk.expect("chunk reads with checksums validated");
        assert!(chunk.validate_header_checksum(), "chunk header CRC32");
        assert!(chunk.validate_data_checksum(), "chunk records CRC32");
    }
    let mut records: Vec<_> = parser
        .records_json_value()
        .map(|record| record.expect("record parses"))
        .collect();
    records.sort_by_key(|record| record.event_record_id);
    assert_eq!(WARNINGS.load(Ordering::SeqCst), 0, "evtx logged warnings");
    records
        .into_iter()
        .map(|record| {
            assert_eq!(
                record.data["Event"]["System"]["EventRecordID"],
                json!(record.event_record_id)
            );
            record.data
        })
        .collect()
}

/// Every record as XML, in id order, read without errors or warnings.
fn read_xml(bytes: &[u8]) -> Vec<String> {
    let _guard = reading();
    let mut records: Vec<_> = parser(bytes)
        .records()
        .map(|record| record.expect("record parses"))
        .collect();
    records.sort_by_key(|record| record.event_record_id);
    assert_eq!(WARNINGS.load(Ordering::SeqCst), 0, "evtx logged warnings");
    records.into_iter().map(|record| record.data).collect()
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap())
}
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}
fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// The file header and every chunk checked with our own reading of the format, independent of
/// the evtx crate's; returns each chunk's (first, last) record id.
fn check_layout(bytes: &[u8]) -> Vec<(u64, u64)> {
    assert_eq!(&bytes[..8], b"ElfFile\0");
    assert_eq!(
        u32_at(bytes, 124),
        crc32fast::hash(&bytes[..120]),
        "header CRC32"
    );
    assert_eq!(u32_at(bytes, 32), 128, "header size");
    assert_eq!(
        (u16_at(bytes, 36), u16_at(bytes, 38)),
        (1, 3),
        "version 3.1"
    );
    assert_eq!(u16_at(bytes, 40), 4096, "header block size");
    assert_eq!(u32_at(bytes, 120), 0, "flags: clean");
    assert!(bytes[128..4096].iter().all(|&b| b == 0));
    let chunk_count = usize::from(u16_at(bytes, 42));
    assert_eq!(bytes.len(), 4096 + chunk_count * 65536);
    assert_eq!(u64_at(bytes, 8), 0, "first chunk");
    assert_eq!(
        u64_at(bytes, 16),
        chunk_count.saturating_sub(1) as u64,
        "last chunk"
    );

    let mut ranges = Vec::new();
    for chunk in bytes[4096..].chunks_exact(65536) {
        assert_eq!(&chunk[..8], b"ElfChnk\0");
        let (first, last) = (u64_at(chunk, 24), u64_at(chunk, 32));
        assert_eq!(
            (u64_at(chunk, 8), u64_at(chunk, 16)),
            (first, last),
            "numbers = ids"
        );
        assert_eq!(u32_at(chunk, 40), 128, "chunk header size");
        let last_record = u32_at(chunk, 44) as usize;
        let free = u32_at(chunk, 48) as usize;
        assert!(free <= 65536 && last_record < free);
        assert_eq!(
            u32_at(chunk, 52),
            crc32fast::hash(&chunk[512..free]),
            "records CRC32"
        );
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&chunk[..120]);
        hasher.update(&chunk[128..512]);
        assert_eq!(u32_at(chunk, 124), hasher.finalize(), "chunk header CRC32");
        assert!(
            chunk[free..].iter().all(|&b| b == 0),
            "free space is zeroed"
        );

        // Walk the records: magic, size, id, size copy, 8-byte alignment.
        let (mut at, mut ids) = (512, Vec::new());
        while at < free {
            assert_eq!(&chunk[at..at + 4], &[0x2a, 0x2a, 0, 0]);
            let size = u32_at(chunk, at + 4) as usize;
            assert_eq!(size % 8, 0);
            ids.push(u64_at(chunk, at + 8));
            assert_eq!(u32_at(chunk, at + size - 4) as usize, size, "size copy");
            if ids.last() == Some(&last) {
                assert_eq!(at, last_record, "last record offset");
            }
            at += size;
        }
        assert_eq!(at, free);
        assert_eq!((ids.first(), ids.last()), (Some(&first), Some(&last)));
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids grow");
        ranges.push((first, last));
    }
    ranges
}

// ---------------------------------------------------------------------------------------------
// Events

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// MSExchangeTransport 1035 as an Exchange 2016 Hub writes it (FORMATS.md 3.2).
fn transport_1035(qualifiers: u16, level: u8) -> EventRecord {
    EventRecord {
        provider: Provider::classic("MSExchangeTransport"),
        event_id: 1035,
        qualifiers: Some(qualifiers),
        level,
        task: 1,
        keywords: 0x0080_0000_0000_0000,
        time: ts("2026-11-26T10:15:30.1234567Z"),
        process_id: 5124,
        thread_id: 7720,
        channel: "Application".into(),
        computer: "EX01.contoso.com".into(),
        data: EventData::classic([
            "IllegalMessage",
            "Default EX02",
            "ExchangeAuth",
            "10.1.2.11",
        ]),
        ..Default::default()
    }
}

fn kerberos_guid() -> Guid {
    "{98e6cfcb-ee0a-41e0-a57b-622d4e1b30b1}".parse().unwrap()
}

/// Microsoft-Windows-Security-Kerberos 3 (KERB_ERROR), System log.
fn kerberos_3() -> EventRecord {
    EventRecord {
        provider: Provider {
            name: "Microsoft-Windows-Security-Kerberos".into(),
            guid: Some(kerberos_guid()),
            event_source_name: Some("Kerberos".into()),
        },
        event_id: 3,
        qualifiers: None,
        level: 2,
        keywords: 0x8000_0000_0000_0000,
        time: ts("2024-09-10T13:55:10.0000001Z"),
        process_id: 812,
        thread_id: 4,
        channel: "System".into(),
        computer: "EX01.contoso.com".into(),
        user_sid: Some("S-1-5-18".parse().unwrap()),
        data: EventData::named([
            ("LogonSession", "0x0"),
            ("ClientTime", ""),
            ("ServerTime", "13:55:10.0000 9/10/2024 Z"),
            ("ErrorCode", "0x7"),
            ("ErrorMessage", "KDC_ERR_S_PRINCIPAL_UNKNOWN"),
            ("ExtendedError", ""),
            ("ClientRealm", ""),
            ("ClientName", ""),
            ("ServerRealm", "CONTOSO.COM"),
            ("ServerName", "krbtgt/CONTOSO.COM"),
            ("TargetName", "SMTPSVC/ex02.contoso.com@CONTOSO.COM"),
            ("ErrorText", ""),
            (
                "File",
                "onecore\\ds\\security\\protocols\\kerberos\\client2\\kerbtick.cxx",
            ),
            ("Line", "1286"),
        ]),
        ..Default::default()
    }
}

/// Microsoft-Windows-Security-Auditing 4769 (a service ticket was requested, failed), with
/// typed data as Windows types it.
fn security_4769() -> EventRecord {
    EventRecord {
        provider: Provider::manifest(
            "Microsoft-Windows-Security-Auditing",
            "{54849625-5478-4994-a5ba-3e3b0328c30d}".parse().unwrap(),
        ),
        event_id: 4769,
        version: 0,
        level: 0,
        task: 14337,
        keywords: 0x8010_0000_0000_0000,
        time: ts("2026-11-26T10:15:29.987654321Z"),
        activity_id: Some("{b1ba7d2e-0b4a-0001-4e7e-bab14a0bdb01}".parse().unwrap()),
        process_id: 640,
        thread_id: 2716,
        channel: "Security".into(),
        computer: "DC01.contoso.com".into(),
        data: EventData::named([
            ("TargetUserName", DataValue::from("EX01$@CONTOSO.COM")),
            ("TargetDomainName", "CONTOSO.COM".into()),
            ("ServiceName", "EX02$".into()),
            (
                "ServiceSid",
                DataValue::Sid(
                    "S-1-5-21-1004336348-1177238915-682003330-1105"
                        .parse()
                        .unwrap(),
                ),
            ),
            ("TicketOptions", DataValue::HexInt32(0x4081_0000)),
            ("TicketEncryptionType", DataValue::HexInt32(0x12)),
            ("IpAddress", "::ffff:10.1.2.11".into()),
            ("IpPort", "50584".into()),
            ("Status", DataValue::HexInt32(0x1b)),
            ("LogonGuid", DataValue::Guid(Guid::default())),
            ("TransmittedServices", "-".into()),
        ]),
        ..Default::default()
    }
}

fn event_data(record: &Value) -> &Value {
    &record["Event"]["EventData"]
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn transport_1035_classic_events_read_back_field_by_field() {
    let mut warning = transport_1035(32768, 3);
    warning.data = EventData::Classic {
        strings: vec![
            "IllegalMessage".into(),
            "Default EX02".into(),
            "ExchangeAuth".into(),
            "10.1.2.11".into(),
        ],
        binary: Some(vec![0x22, 0x00, 0x00, 0xc0, 0x0a]),
    };
    let error = EventRecord {
        time: ts("2026-11-26T10:15:31Z"),
        ..transport_1035(49152, 2)
    };
    let bytes = write_evtx([&warning, &error]).unwrap();
    assert_eq!(check_layout(&bytes), [(1, 2)]);
    let records = read_json(&bytes);
    assert_eq!(records.len(), 2);

    let system = &records[0]["Event"]["System"];
    assert_eq!(
        system["Provider"]["#attributes"],
        json!({"Name": "MSExchangeTransport"})
    );
    assert_eq!(
        system["EventID"],
        json!({"#attributes": {"Qualifiers": 32768}, "#text": 1035})
    );
    assert_eq!(system["Level"], 3);
    assert_eq!(system["Task"], 1);
    assert_eq!(system["Keywords"], "0x80000000000000");
    // Windows' classic <System> has no Version, Opcode, Correlation or Execution.
    for absent in ["Version", "Opcode", "Correlation", "Execution"] {
        assert_eq!(system.get(absent), None, "{absent}");
    }
    assert_eq!(
        system["TimeCreated"]["#attributes"]["SystemTime"],
        "2026-11-26T10:15:30.1234567Z"
    );
    assert_eq!(system["EventRecordID"], 1);
    assert_eq!(system["Channel"], "Application");
    assert_eq!(system["Computer"], "EX01.contoso.com");
    assert_eq!(system["Security"], Value::Null, "no UserID");
    assert_eq!(
        event_data(&records[0]),
        &json!({
            "Data": {"#text": ["IllegalMessage", "Default EX02", "ExchangeAuth", "10.1.2.11"]},
            "Binary": "220000C00A"
        })
    );

    let system = &records[1]["Event"]["System"];
    assert_eq!(system["EventID"]["#attributes"]["Qualifiers"], 49152);
    assert_eq!(system["Level"], 2);
    assert_eq!(system["EventRecordID"], 2);
    assert_eq!(
        system["TimeCreated"]["#attributes"]["SystemTime"],
        "2026-11-26T10:15:31.0000000Z"
    );
    assert_eq!(event_data(&records[1])["Data"]["#text"][3], "10.1.2.11");
    assert_eq!(event_data(&records[1]).get("Binary"), None);

    // The XML rendering has the positional <Data> elements an admin sees in Event Viewer.
    let xml = read_xml(&bytes);
    assert!(xml[0].contains(r#"<Provider Name="MSExchangeTransport"/>"#));
    assert!(xml[0].contains(r#"<EventID Qualifiers="32768">1035</EventID>"#));
    assert!(xml[0].contains(
        "<Data>IllegalMessage</Data>\n    <Data>Default EX02</Data>\n    \
         <Data>ExchangeAuth</Data>\n    <Data>10.1.2.11</Data>\n    <Binary>220000C00A</Binary>"
    ));
}

#[test]
fn classic_events_with_one_empty_or_no_strings() {
    let records = [
        EventRecord {
            data: EventData::classic(["only"]),
            ..transport_1035(32768, 3)
        },
        EventRecord {
            data: EventData::classic(["", "second", ""]),
            ..transport_1035(32768, 3)
        },
        EventRecord {
            data: EventData::Classic {
                strings: vec![],
                binary: Some(vec![1, 2, 3]),
            },
            ..transport_1035(32768, 3)
        },
        EventRecord {
            data: EventData::classic(Vec::<String>::new()),
            ..transport_1035(32768, 3)
        },
    ];
    let json = read_json(&write_evtx(&records).unwrap());
    assert_eq!(event_data(&json[0]), &json!({"Data": {"#text": "only"}}));
    assert_eq!(
        event_data(&json[1]),
        &json!({"Data": {"#text": ["", "second", ""]}})
    );
    assert_eq!(event_data(&json[2]), &json!({"Binary": "010203"}));
    assert_eq!(event_data(&json[3]), &Value::Null);
}

#[test]
fn kerberos_3_and_security_4769_manifest_events_read_back() {
    let bytes = write_evtx([&kerberos_3(), &security_4769()]).unwrap();
    check_layout(&bytes);
    let records = read_json(&bytes);
    assert_eq!(records.len(), 2);

    let system = &records[0]["Event"]["System"];
    assert_eq!(
        system["Provider"]["#attributes"],
        json!({
            "Name": "Microsoft-Windows-Security-Kerberos",
            "Guid": "{98e6cfcb-ee0a-41e0-a57b-622d4e1b30b1}",
            "EventSourceName": "Kerberos"
        })
    );
    assert_eq!(system["EventID"], 3, "no Qualifiers attribute");
    assert_eq!(system["Level"], 2);
    assert_eq!(system["Keywords"], "0x8000000000000000");
    assert_eq!(
        system["TimeCreated"]["#attributes"]["SystemTime"],
        "2024-09-10T13:55:10.0000001Z"
    );
    assert_eq!(system["Channel"], "System");
    assert_eq!(system["Security"]["#attributes"]["UserID"], "S-1-5-18");
    let data = event_data(&records[0]);
    let EventData::Named { items, .. } = kerberos_3().data else {
        unreachable!()
    };
    assert_eq!(data.as_object().unwrap().len(), items.len());
    for (name, value) in &items {
        let DataValue::String(text) = value else {
            unreachable!()
        };
        assert_eq!(data[name.as_str()], json!(text), "{name}");
    }

    let system = &records[1]["Event"]["System"];
    assert_eq!(
        system["Provider"]["#attributes"],
        json!({
            "Name": "Microsoft-Windows-Security-Auditing",
            "Guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}"
        })
    );
    assert_eq!(system["EventID"], 4769);
    assert_eq!(system["Task"], 14337);
    assert_eq!(system["Keywords"], "0x8010000000000000");
    // 987654321 ns is stored to the 100 ns a FILETIME holds.
    assert_eq!(
        system["TimeCreated"]["#attributes"]["SystemTime"],
        "2026-11-26T10:15:29.9876543Z"
    );
    assert_eq!(
        system["Correlation"]["#attributes"],
        json!({"ActivityID": "{b1ba7d2e-0b4a-0001-4e7e-bab14a0bdb01}"})
    );
    assert_eq!(system["Channel"], "Security");
    assert_eq!(system["Computer"], "DC01.contoso.com");
    assert_eq!(
        event_data(&records[1]),
        &json!({
            "TargetUserName": "EX01$@CONTOSO.COM",
            "TargetDomainName": "CONTOSO.COM",
            "ServiceName": "EX02$",
            "ServiceSid": "S-1-5-21-1004336348-1177238915-682003330-1105",
            "TicketOptions": "0x40810000",
            "TicketEncryptionType": "0x12",
            "IpAddress": "::ffff:10.1.2.11",
            "IpPort": "50584",
            "Status": "0x1b",
            "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
            "TransmittedServices": "-"
        })
    );

    let xml = read_xml(&bytes);
    assert!(xml[1].contains(r#"<Data Name="Status">0x1b</Data>"#));
    assert!(xml[1].contains(r#"<Data Name="IpAddress">::ffff:10.1.2.11</Data>"#));
}

#[test]
fn other_typed_data_values_render() {
    let record = EventRecord {
        provider: Provider::classic("exauth-test"),
        data: EventData::named([
            ("u8", DataValue::UInt8(200)),
            ("u16", DataValue::UInt16(65000)),
            ("u32", DataValue::UInt32(4_000_000_000)),
            ("u64", DataValue::UInt64(u64::MAX)),
            ("i32", DataValue::Int32(-5)),
            ("i64", DataValue::Int64(-6)),
            ("hex64", DataValue::HexInt64(0xdead_beef_0000)),
            ("yes", DataValue::Bool(true)),
            ("no", DataValue::Bool(false)),
            ("when", DataValue::FileTime(ts("2026-11-26T10:15:30.5Z"))),
            ("blob", DataValue::Binary(vec![0xab, 0xcd])),
        ]),
        ..Default::default()
    };
    let json = read_json(&write_evtx([&record]).unwrap());
    assert_eq!(
        event_data(&json[0]),
        &json!({
            "u8": 200, "u16": 65000, "u32": 4_000_000_000u64, "u64": u64::MAX,
            "i32": -5, "i64": -6, "hex64": "0xdeadbeef0000", "yes": true, "no": false,
            "when": "2026-11-26T10:15:30.5000000Z", "blob": "ABCD"
        })
    );
}

#[test]
fn non_ascii_strings_survive() {
    let chinese = "组织内 SMTP 发送连接器";
    let russian = "Соединитель получения по умолчанию EX02";
    let classic = EventRecord {
        provider: Provider::classic("MSExchangeTransport"),
        event_id: 2017,
        qualifiers: Some(49152),
        level: 2,
        task: 2,
        computer: "M10-SD-MLCH02.sd.cnc.intra".into(),
        data: EventData::classic(["LogonDenied", chinese, "ExchangeAuth", "SMTPSVC/М10 𝄞"]),
        ..Default::default()
    };
    let named = EventRecord {
        provider: Provider::classic("Тест-Провайдер"),
        computer: "сервер.пример.рф".into(),
        data: EventData::named([("Имя", russian), ("名字", chinese)]),
        ..Default::default()
    };
    let bytes = write_evtx([&classic, &named]).unwrap();
    let json = read_json(&bytes);
    assert_eq!(
        event_data(&json[0])["Data"]["#text"],
        json!(["LogonDenied", chinese, "ExchangeAuth", "SMTPSVC/М10 𝄞"])
    );
    assert_eq!(
        json[1]["Event"]["System"]["Provider"]["#attributes"]["Name"],
        "Тест-Провайдер"
    );
    assert_eq!(json[1]["Event"]["System"]["Computer"], "сервер.пример.рф");
    assert_eq!(
        event_data(&json[1]),
        &json!({"Имя": russian, "名字": chinese})
    );
}

/// 5,000 records of four kinds: enough to fill dozens of chunks.
fn many_records() -> Vec<EventRecord> {
    let base = ts("2026-11-26T00:00:00Z");
    (0..5000u32)
        .map(|i| {
            let mut record = match i % 4 {
                0 => transport_1035(32768, 3),
                1 => kerberos_3(),
                2 => security_4769(),
                _ => EventRecord {
                    data: EventData::Classic {
                        strings: vec![format!("connector {i}"); (i % 7) as usize],
                        binary: Some(i.to_le_bytes().repeat((i % 50) as usize)),
                    },
                    ..transport_1035(49152, 2)
                },
            };
            record.time = base + jiff::SignedDuration::from_nanos(i64::from(i) * 1_234_567_800);
            if let EventData::Classic { strings, .. } = &mut record.data {
                if let Some(ip) = strings.get_mut(3) {
                    *ip = format!("10.1.{}.{}", i / 256 % 256, i % 256);
                }
            }
            record
        })
        .collect()
}

#[test]
fn five_thousand_records_span_chunks_and_read_back_in_order() {
    let records = many_records();
    let bytes = write_evtx(&records).unwrap();
    let ranges = check_layout(&bytes);
    assert!(ranges.len() >= 10, "{} chunks", ranges.len());
    // Chunks hold consecutive ids, 1 to 5000, with none split.
    assert_eq!(ranges.first().unwrap().0, 1);
    assert_eq!(ranges.last().unwrap().1, 5000);
    for pair in ranges.windows(2) {
        assert_eq!(pair[1].0, pair[0].1 + 1);
    }
    assert_eq!(u64_at(&bytes, 24), 5001, "next record id");
    assert_eq!(usize::from(u16_at(&bytes, 42)), ranges.len(), "chunk count");

    let json = read_json(&bytes);
    assert_eq!(json.len(), 5000);
    for (i, (written, read)) in records.iter().zip(&json).enumerate() {
        let system = &read["Event"]["System"];
        assert_eq!(system["EventRecordID"], json!(i + 1));
        assert_eq!(
            system["Provider"]["#attributes"]["Name"],
            json!(written.provider.name)
        );
        let event_id = &system["EventID"];
        let event_id = event_id.get("#text").unwrap_or(event_id);
        assert_eq!(event_id, &json!(written.event_id));
        let expected_time = written.time.round(jiff::Unit::Nanosecond).unwrap();
        let read_time: Timestamp = system["TimeCreated"]["#attributes"]["SystemTime"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(read_time, expected_time, "record {}", i + 1);
        if let EventData::Classic { strings, binary } = &written.data {
            let data = event_data(read);
            match strings.len() {
                0 => assert_eq!(data.get("Data"), None),
                1 => assert_eq!(data["Data"]["#text"], json!(strings[0])),
                _ => assert_eq!(data["Data"]["#text"], json!(strings)),
            }
            let hex: Option<String> = binary
                .as_ref()
                .filter(|b| !b.is_empty())
                .map(|b| b.iter().map(|x| format!("{x:02X}")).collect());
            assert_eq!(data.get("Binary").and_then(Value::as_str), hex.as_deref());
        }
    }
}

#[test]
fn output_is_byte_identical_run_to_run() {
    let records = many_records();
    let first = write_evtx(&records[..800]).unwrap();
    let second = write_evtx(&records[..800]).unwrap();
    assert_eq!(first, second);
}

#[test]
fn writes_into_any_seekable_output_and_returns_ids() {
    let mut out = Cursor::new(b"prefix".to_vec());
    out.set_position(6);
    let mut writer = EvtxWriter::new(out).unwrap();
    assert_eq!(writer.write_record(&transport_1035(32768, 3)).unwrap(), 1);
    let explicit = EventRecord {
        record_id: Some(41),
        ..kerberos_3()
    };
    assert_eq!(writer.write_record(&explicit).unwrap(), 41);
    assert_eq!(writer.write_record(&security_4769()).unwrap(), 42);
    let stale = EventRecord {
        record_id: Some(42),
        ..kerberos_3()
    };
    assert!(matches!(
        writer.write_record(&stale),
        Err(WriteError::RecordIdNotIncreasing {
            id: 42,
            previous: 42
        })
    ));
    let out = writer.finish().unwrap();
    assert_eq!(out.position(), out.get_ref().len() as u64);
    let bytes = &out.get_ref()[6..];
    check_layout(bytes);
    let json = read_json(bytes);
    let ids: Vec<_> = json
        .iter()
        .map(|r| r["Event"]["System"]["EventRecordID"].clone())
        .collect();
    assert_eq!(ids, [json!(1), json!(41), json!(42)]);
    assert_eq!(u64_at(bytes, 24), 43, "next record id");
}

#[test]
fn unwritable_records_are_refused_and_leave_the_log_intact() {
    let mut writer = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    writer.write_record(&transport_1035(32768, 3)).unwrap();

    let huge = EventRecord {
        data: EventData::classic(["x".repeat(40_000)]),
        ..transport_1035(32768, 3)
    };
    assert!(matches!(
        writer.write_record(&huge),
        Err(WriteError::ValueTooLarge { bytes: 80_002 })
    ));
    // Under the 65,535-byte limit of one value, but not with the chunk's header beside it.
    let too_big = EventRecord {
        data: EventData::Classic {
            strings: vec!["x".repeat(32_000)],
            binary: Some(vec![0; 600]),
        },
        ..transport_1035(32768, 3)
    };
    assert!(matches!(
        writer.write_record(&too_big),
        Err(WriteError::RecordTooLarge { id: 2 })
    ));
    let nul = EventRecord {
        data: EventData::classic(["a\0b"]),
        ..transport_1035(32768, 3)
    };
    assert!(matches!(
        writer.write_record(&nul),
        Err(WriteError::NulInString { .. })
    ));
    let ancient = EventRecord {
        time: ts("1500-01-01T00:00:00Z"),
        ..transport_1035(32768, 3)
    };
    assert!(matches!(
        writer.write_record(&ancient),
        Err(WriteError::TimeOutOfRange(_))
    ));
    // A record that fits only in a chunk of its own starts one.
    let big = EventRecord {
        data: EventData::classic(["y".repeat(30_000)]),
        ..transport_1035(32768, 3)
    };
    assert_eq!(writer.write_record(&big).unwrap(), 2);
    assert_eq!(writer.write_record(&big).unwrap(), 3);
    assert_eq!(writer.write_record(&kerberos_3()).unwrap(), 4);

    let bytes = writer.finish().unwrap().into_inner();
    assert_eq!(check_layout(&bytes), [(1, 2), (3, 4)]);
    let json = read_json(&bytes);
    assert_eq!(json.len(), 4);
    assert_eq!(
        event_data(&json[2])["Data"]["#text"],
        json!("y".repeat(30_000))
    );
    assert_eq!(
        event_data(&json[3])["TargetName"],
        "SMTPSVC/ex02.contoso.com@CONTOSO.COM"
    );
}

#[test]
fn sid_and_guid_text_forms() {
    let sid: Sid = "S-1-5-21-1004336348-1177238915-682003330-512"
        .parse()
        .unwrap();
    assert_eq!(sid.sub_authorities.len(), 5);
    assert_eq!(
        kerberos_guid().to_string(),
        "{98E6CFCB-EE0A-41E0-A57B-622D4E1B30B1}"
    );
    assert_eq!(
        serde_json::to_value(kerberos_3().user_sid).unwrap(),
        json!("S-1-5-18")
    );
}

// ---------------------------------------------------------------------------------------------
// Real logs (EXAUTH_CORPUS)

/// An XML element as the evtx crate renders it: name, attributes, text, children.
#[derive(Debug, Clone, PartialEq)]
struct XmlElement {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<XmlElement>,
}

impl XmlElement {
    fn child(&self, name: &str) -> Option<&XmlElement> {
        self.children.iter().find(|c| c.name == name)
    }
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// Element paths with their attribute names (and `Data` names): the structure, no values.
    fn shape(&self, path: &str, out: &mut Vec<String>) {
        let path = format!("{path}/{}", self.name);
        let mut line = path.clone();
        for (name, value) in &self.attributes {
            line.push_str(&format!(" @{name}"));
            if self.name == "Data" && name == "Name" {
                line.push_str(&format!("={value}"));
            }
        }
        out.push(line);
        for child in &self.children {
            child.shape(&path, out);
        }
    }
}

fn parse_xml(xml: &str) -> XmlElement {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<XmlElement> = Vec::new();
    let open = |e: &quick_xml::events::BytesStart<'_>| XmlElement {
        name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
        attributes: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.unescape_value().unwrap().into_owned(),
                )
            })
            .collect(),
        text: String::new(),
        children: Vec::new(),
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let element = open(&e);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return element,
                }
            }
            Event::End(_) => {
                let element = stack.pop().unwrap();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return element,
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml_content().unwrap());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let c = match r.resolve_char_ref().unwrap() {
                        Some(c) => c,
                        None => match r.decode().unwrap().as_ref() {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "quot" => '"',
                            "apos" => '\'',
                            other => panic!("entity {other}"),
                        },
                    };
                    top.text.push(c);
                }
            }
            Event::Eof => panic!("unterminated XML"),
            _ => {}
        }
    }
}

/// The event a real record holds, to write again.
fn event_from_xml(event: &XmlElement) -> EventRecord {
    let system = event.child("System").unwrap();
    let provider = system.child("Provider").unwrap();
    let number = |name: &str| system.text_of(name).map(|t| t.parse::<u64>().unwrap());
    let event_id = system.child("EventID").unwrap();
    let correlation = system.child("Correlation");
    let execution = system.child("Execution");
    let guid_attribute = |element: Option<&XmlElement>, name: &str| {
        element
            .and_then(|e| e.attribute(name))
            .map(|g| g.parse::<Guid>().unwrap())
    };
    let event_data = event.child("EventData").unwrap();
    let data: Vec<&XmlElement> = event_data
        .children
        .iter()
        .filter(|c| c.name == "Data")
        .collect();
    let binary = event_data.text_of("Binary").map(|hex| {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    });
    let data = if !data.is_empty() && data.iter().all(|d| d.attribute("Name").is_some()) {
        EventData::Named {
            name: event_data.attribute("Name").map(str::to_owned),
            items: data
                .iter()
                .map(|d| {
                    (
                        d.attribute("Name").unwrap().to_owned(),
                        d.text.as_str().into(),
                    )
                })
                .collect(),
            binary,
        }
    } else {
        EventData::Classic {
            strings: data.iter().map(|d| d.text.clone()).collect(),
            binary,
        }
    };
    EventRecord {
        provider: Provider {
            name: provider.attribute("Name").unwrap().to_owned(),
            guid: guid_attribute(Some(provider), "Guid"),
            event_source_name: provider.attribute("EventSourceName").map(str::to_owned),
        },
        event_id: event_id.text.parse().unwrap(),
        qualifiers: event_id.attribute("Qualifiers").map(|q| q.parse().unwrap()),
        version: number("Version").unwrap_or(0) as u8,
        level: number("Level").unwrap_or(0) as u8,
        task: number("Task").unwrap_or(0) as u16,
        opcode: number("Opcode").unwrap_or(0) as u8,
        keywords: u64::from_str_radix(
            system.text_of("Keywords").unwrap().trim_start_matches("0x"),
            16,
        )
        .unwrap(),
        time: system
            .child("TimeCreated")
            .and_then(|t| t.attribute("SystemTime"))
            .unwrap()
            .parse()
            .unwrap(),
        record_id: number("EventRecordID"),
        activity_id: guid_attribute(correlation, "ActivityID"),
        related_activity_id: guid_attribute(correlation, "RelatedActivityID"),
        process_id: execution
            .and_then(|e| e.attribute("ProcessID"))
            .map_or(0, |p| p.parse().unwrap()),
        thread_id: execution
            .and_then(|e| e.attribute("ThreadID"))
            .map_or(0, |p| p.parse().unwrap()),
        channel: system.text_of("Channel").unwrap().to_owned(),
        computer: system.text_of("Computer").unwrap().to_owned(),
        user_sid: system
            .child("Security")
            .and_then(|s| s.attribute("UserID"))
            .map(|s| s.parse().unwrap()),
        data,
    }
}

fn shape(event: &XmlElement) -> Vec<String> {
    let mut out = Vec::new();
    event.shape("", &mut out);
    out
}

/// Real records of `file` that `pick` chooses, as XML trees.
fn real_records(file: &str, pick: impl Fn(&XmlElement) -> bool) -> Option<Vec<XmlElement>> {
    let Some(corpus) = std::env::var_os("EXAUTH_CORPUS") else {
        eprintln!("EXAUTH_CORPUS is not set: skipping the comparison with {file}");
        return None;
    };
    let bytes = std::fs::read(std::path::Path::new(&corpus).join(file)).unwrap();
    let _guard = reading();
    let mut records: Vec<_> = parser(&bytes).records().filter_map(Result::ok).collect();
    records.sort_by_key(|r| r.event_record_id);
    Some(
        records
            .iter()
            .map(|r| parse_xml(&r.data))
            .filter(|event| event.child("EventData").is_some() && pick(event))
            .collect(),
    )
}

fn is_classic(event: &XmlElement) -> bool {
    let system = event.child("System").unwrap();
    system
        .child("EventID")
        .is_some_and(|e| e.attribute("Qualifiers").is_some())
        && system
            .child("Provider")
            .unwrap()
            .attribute("Guid")
            .is_none()
}

fn is_named(event: &XmlElement) -> bool {
    let data = event.child("EventData").unwrap();
    data.child("Data").is_some()
        && data
            .children
            .iter()
            .all(|d| (d.name == "Data" && d.attribute("Name").is_some()) || d.name == "Binary")
}

/// Write each real event again and render it: the same XML, element for element.
fn rewrite(events: &[XmlElement]) -> Vec<XmlElement> {
    let written: Vec<EventRecord> = events.iter().map(event_from_xml).collect();
    read_xml(&write_evtx(&written).unwrap())
        .iter()
        .map(|xml| parse_xml(xml))
        .collect()
}

#[test]
fn rewritten_real_windows_10_records_render_the_same() {
    let file = "system_vss7_w32time_lsasrv.evtx";
    let Some(classic) = real_records(file, is_classic) else {
        return;
    };
    let named = real_records(file, is_named).unwrap();
    assert!(classic.len() >= 5 && named.len() >= 5);
    // Classic events with and without binary data, and a spread of manifest events.
    let mut sample: Vec<XmlElement> = classic.iter().take(20).cloned().collect();
    sample.extend(named.iter().take(40).cloned());
    // Among them: classic data with <Binary>, and named data with <EventData Name> and
    // <Binary> (the SAM event), which the writer must both reproduce.
    let event_data = |e: &XmlElement| e.child("EventData").unwrap().clone();
    assert!(sample
        .iter()
        .any(|e| is_classic(e) && event_data(e).child("Binary").is_some()));
    let sam = named.iter().find(|e| {
        event_data(e).attribute("Name").is_some() && event_data(e).child("Binary").is_some()
    });
    sample.extend(sam.cloned());
    let record_id = |e: &XmlElement| {
        let id = e.child("System").unwrap().text_of("EventRecordID").unwrap();
        id.parse::<u64>().unwrap()
    };
    sample.sort_by_key(record_id);
    sample.dedup_by_key(|e| record_id(e));
    let rewritten = rewrite(&sample);
    assert_eq!(rewritten.len(), sample.len());
    for (real, ours) in sample.iter().zip(&rewritten) {
        assert_eq!(shape(ours), shape(real));
        // Windows 10 substitutes every <System> value, as the writer does, so the values
        // render the same too.
        assert_eq!(ours, real);
    }
}

#[test]
fn rewritten_real_netlogon_5805_renders_the_same() {
    let file = "dc_system_netlogon_5805.evtx";
    let Some(real) = real_records(file, is_classic) else {
        return;
    };
    assert_eq!(real.len(), 1);
    let rewritten = rewrite(&real);
    assert_eq!(shape(&rewritten[0]), shape(&real[0]));
    assert_eq!(rewritten[0], real[0]);
}

/// libyal's `evtxexport` (Debian `libevtx-utils`), a reader independent of the evtx crate,
/// when it is installed: it must read every record, strings and all, without an error.
#[test]
fn libevtx_reads_every_record_when_installed() {
    let records = many_records();
    let bytes = write_evtx(&records[..600]).unwrap();
    let path = std::env::temp_dir().join(format!("exauth_evtx_writer_{}.evtx", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let output = std::process::Command::new("evtxexport").arg(&path).output();
    std::fs::remove_file(&path).unwrap();
    let Ok(output) = output else {
        eprintln!("evtxexport is not installed: skipping the check with libevtx");
        return;
    };
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("rror"), "{stderr}");
    assert_eq!(stdout.matches("Event number").count(), 600);
    assert!(stdout.contains("Source name\t\t\t: MSExchangeTransport"));
    assert!(stdout.contains("String: 2\t\t\t: Default EX02"));
    assert!(stdout.contains("Event identifier\t\t: 0x000012a1 (4769)"));
}
