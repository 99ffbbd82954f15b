//! Issue 9: format detection and decoding never panic on any bytes or file
//! name, and what they report is consistent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use exauth_parsers::detect::{detect, HEAD_LEN};
use exauth_parsers::encoding::{decode_head, sniff, utf8_reader, Sniffed, TextEncoding};
use proptest::prelude::*;
use std::io::Read;

fn head() -> impl Strategy<Value = Vec<u8>> {
    let seeds = prop::sample::select(vec![
        &b"ElfFile\0"[..],
        b"PK\x03\x04",
        b"\x1f\x8b\x08",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\xfe\xff",
        b"#Software: Microsoft Exchange Server\r\n",
        b"#Log-type: SMTP Send Protocol Log\r\n",
        b"#Log-type: Transport Queue Log\r\n",
        b"#Fields: date-time,connector-id,session-id\r\n",
        b"<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
        b"<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>",
        b"RunspaceId   : x\r\n",
        b"Identity     : EX01\\3\r\nNextHopDomain : a\r\nLastError : b\r\n",
        b"#TYPE Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo\r\n",
        b"[{\"Identity\":",
        b"Registered ServicePrincipalNames for CN=EX01",
        b"Leap Indicator: 0(no warning)",
        b"Replication Summary Start Time:",
        b"\0\0",
        b"\xd8\x00\xdc",
    ]);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..HEAD_LEN + 64),
        prop::collection::vec(
            prop_oneof![
                seeds.prop_map(<[u8]>::to_vec),
                prop::collection::vec(any::<u8>(), 0..64),
            ],
            0..10
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn encoding() -> impl Strategy<Value = TextEncoding> {
    prop::sample::select(vec![
        TextEncoding::Utf8,
        TextEncoding::Utf8Bom,
        TextEncoding::Utf16Le,
        TextEncoding::Utf16LeBom,
        TextEncoding::Utf16Be,
        TextEncoding::Utf16BeBom,
        TextEncoding::Windows1252,
    ])
}

proptest! {
    #[test]
    fn detect_never_panics(bytes in head(), name in "[ -~]{0,24}") {
        let detection = detect(&bytes, &name);
        // A kind always has an id, and a reason when it is not used.
        prop_assert!(!detection.kind.id().is_empty());
    }

    #[test]
    fn sniffed_text_decodes_and_binary_has_no_encoding(bytes in head()) {
        match sniff(&bytes) {
            Sniffed::Text(encoding) => {
                let text = decode_head(&bytes, encoding);
                prop_assert!(text.len() <= bytes.len() * 3 + 3);
            }
            Sniffed::Binary => prop_assert!(bytes.contains(&0) || !bytes.is_empty()),
        }
    }

    #[test]
    fn utf8_reader_yields_utf8_for_every_encoding_but_utf8(
        bytes in head(),
        encoding in encoding(),
    ) {
        let mut out = Vec::new();
        utf8_reader(&bytes[..], encoding).read_to_end(&mut out).expect("reads");
        match encoding {
            // UTF-8 passes through untouched (BOM removed).
            TextEncoding::Utf8 => prop_assert_eq!(&out, &bytes),
            TextEncoding::Utf8Bom => prop_assert!(bytes.ends_with(&out)),
            _ => prop_assert!(std::str::from_utf8(&out).is_ok()),
        }
    }
}
