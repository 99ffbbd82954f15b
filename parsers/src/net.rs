//! Network addresses as the logs write them: `10.1.2.12:2525`,
//! `[2001:db8::1]:25`, a bare `2001:db8::1`, `::ffff:10.0.0.12`.
//!
//! One reader for every format (protocol logs, events, queue errors, failure
//! text) and for the `exauth` crate above: endpoints were parsed three times
//! before, and one of them split a bare IPv6 address at its last colon.

use std::net::IpAddr;

/// Whether `bytes` holds a colon. An IPv4 address's text (7 to 15 bytes, two of them a
/// session, every session) is looked at as two words; `contains` went through `memchr`, ~55
/// instructions a call (cachegrind by hand, 2026-12-08).
#[inline(always)]
fn has_colon(bytes: &[u8]) -> bool {
    use crate::smtp_log::row::{every_byte, zero_bytes};
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(first), Some(last)) if bytes.len() <= 16 => {
            let colon = |w: &[u8; 8]| zero_bytes(u64::from_le_bytes(*w) ^ every_byte(b':')) != 0;
            colon(first) || colon(last)
        }
        _ => bytes.contains(&b':'),
    }
}

/// The address part of an endpoint, as written: `10.1.2.12:2525` →
/// `10.1.2.12`, `[fe80::1]:25` → `fe80::1`; a bare IPv6 address (several
/// colons, no brackets) is all address.
pub fn endpoint_host(endpoint: &str) -> &str {
    // Every session gives two endpoints, nearly always `a.b.c.d:port` as Exchange writes it:
    // with printable ASCII at both ends there is nothing to trim and no bracket, and the last
    // colon, if it ends the address, is the byte before the port's digits.
    let bytes = endpoint.as_bytes();
    if let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) {
        if first.is_ascii_graphic() && last.is_ascii_graphic() && first != b'[' {
            let digits = bytes
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let colon = bytes.len() - digits;
            return match colon
                .checked_sub(1)
                .and_then(|c| bytes.get(..c).zip(Some(c)))
            {
                Some((host, c)) if bytes.get(c) == Some(&b':') && !has_colon(host) => {
                    // `c` is the index of an ASCII byte: a char boundary.
                    endpoint.get(..c).unwrap_or(endpoint)
                }
                _ => endpoint,
            };
        }
    }
    let e = endpoint.trim();
    if let Some(rest) = e.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    // By bytes: every session gives two endpoints, and the `str` pattern searches cost more
    // than the rest of their handling.
    let bytes = e.as_bytes();
    let Some(colon) = memchr::memrchr(b':', bytes) else {
        return e;
    };
    let (host, port) = bytes.split_at(colon);
    let port = port.get(1..).unwrap_or_default();
    if memchr::memchr(b':', host).is_none() && port.iter().all(u8::is_ascii_digit) {
        // `colon` is the index of an ASCII byte: a char boundary.
        e.get(..colon).unwrap_or(e)
    } else {
        e
    }
}

/// The IP of an endpoint, when its address part is one.
pub fn endpoint_ip(endpoint: &str) -> Option<IpAddr> {
    endpoint_host(endpoint).parse().ok()
}

/// `::ffff:10.0.0.12` → `10.0.0.12` (Security 4771 `IpAddress`).
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_of_every_shape() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert_eq!(endpoint_ip("10.1.2.12:2525"), ip("10.1.2.12"));
        assert_eq!(endpoint_ip("[2001:db8::1]:25"), ip("2001:db8::1"));
        assert_eq!(endpoint_ip("2001:db8::1"), ip("2001:db8::1"));
        assert_eq!(endpoint_ip("[10.1.2.12]"), ip("10.1.2.12"));
        assert_eq!(endpoint_ip(" 10.1.2.12 "), ip("10.1.2.12"));
        assert_eq!(endpoint_ip("garbage"), None);
        assert_eq!(endpoint_host("ex02.contoso.com:25"), "ex02.contoso.com");
        assert_eq!(
            endpoint_host("fe80::1"),
            "fe80::1",
            "bare IPv6 is not split"
        );
        assert_eq!(
            endpoint_ip("::ffff:10.0.0.12").map(canonical_ip),
            ip("10.0.0.12")
        );
        assert_eq!(
            endpoint_host("host:"),
            "host",
            "an empty port is all digits"
        );
        assert_eq!(endpoint_host("é:25"), "é");
    }

    proptest::proptest! {
        /// The colon test says what `contains` says, at every length around its two words.
        #[test]
        fn has_colon_is_contains(
            bytes in proptest::collection::vec(proptest::sample::select(&b":.0a\x00\xff"[..]), 0..40),
        ) {
            proptest::prop_assert_eq!(has_colon(&bytes), bytes.contains(&b':'));
        }
    }

    proptest::proptest! {
        /// The byte search splits as the `str` one it replaced.
        #[test]
        fn endpoint_host_splits_as_the_str_search(
            text in proptest::collection::vec(proptest::sample::select(
                &['1', '5', '.', ':', '[', ']', ' ', '\t', 'a', 'é', '\u{3000}'][..]), 0..12),
        ) {
            let endpoint: String = text.into_iter().collect();
            let e = endpoint.trim();
            let expected = if let Some(rest) = e.strip_prefix('[') {
                rest.split(']').next().unwrap_or(rest)
            } else {
                match e.rsplit_once(':') {
                    Some((host, port))
                        if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        host
                    }
                    _ => e,
                }
            };
            proptest::prop_assert_eq!(endpoint_host(&endpoint), expected);
        }
    }
}
