use super::*;

#[test]
fn time_dots_become_colons() {
    assert_eq!(
        normalize_time_dots("07.06.2022 19.16.46"),
        "07.06.2022 19:16:46"
    );
    assert_eq!(
        normalize_time_dots("27.01.2022 11:25:47"),
        "27.01.2022 11:25:47"
    );
}

#[test]
fn data_section_bytes_and_words() {
    assert_eq!(
        data_hex("0000: 69 05 07 80   i..."),
        Some("69050780".into())
    );
    assert_eq!(data_hex("0000: c000005e"), Some("5e0000c0".into()));
    assert_eq!(data_hex("not data"), None);
}
