//! The SMTP greeting `220 <host> Microsoft ESMTP MAIL Service ready at <date>`.
//!
//! Exchange stamps its greeting with its own local time and numeric offset
//! (`Tue, 13 Dec 2016 20:17:34 -0500`); a Send log records the greeting it received on a row
//! carrying the sender's UTC clock. The pair is the only view of a peer's clock inside a protocol
//! log, and clock skew is one of the main causes of Kerberos failures. Custom banners
//! (`Set-ReceiveConnector -Banner`) carry no date and give no sample. The phrase may be upper-case
//! and the date's day is not zero-padded; jiff's RFC 2822 parser handles the date itself.

use jiff::fmt::rfc2822::DateTimeParser;
use jiff::Timestamp;

static RFC2822: DateTimeParser = DateTimeParser::new().relaxed_weekday(true);

/// What a `220` greeting says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// The host name after `220 ` (the connector FQDN or server name).
    pub host: String,
    /// The remote's clock, converted to UTC, when the greeting carries a date.
    pub date: Option<Timestamp>,
}

/// Parses a `220` reply line. `None` when it is not a greeting (`220 2.0.0 SMTP server ready`, the
/// STARTTLS go-ahead, is not one: its second token is an enhanced status code).
pub fn parse_banner(line: &str) -> Option<Banner> {
    let (host, date) = parse_banner_dated(line, true)?;
    Some(Banner {
        host: host.to_owned(),
        date,
    })
}

/// [`parse_banner`] with the host borrowed from `line`, the date read only when `with_date` (a
/// Receive log's greeting is its own server's: its date is no sample of a peer's clock).
pub(crate) fn parse_banner_dated(line: &str, with_date: bool) -> Option<(&str, Option<Timestamp>)> {
    let (host, rest) = greeting_parts(line)?;
    Some((host, if with_date { banner_date(rest) } else { None }))
}

/// Whether a `220` reply line is a greeting ([`parse_banner`] would return `Some`), judged from
/// its bytes: the cheap test made on every `220` row, its date left for later. A line whose
/// first word is not plain ASCII goes the `str` way, after the lossy decoding the summary uses.
pub(crate) fn is_greeting(line: &[u8]) -> bool {
    let Some(rest) = line
        .strip_prefix(b"220 ")
        .or_else(|| line.strip_prefix(b"220-"))
    else {
        return false;
    };
    match first_word(rest) {
        Some(Some(word)) => rest.get(word).is_some_and(is_host),
        Some(None) => false,
        None => greeting_parts(&super::row::text_borrowed(line)).is_some(),
    }
}

/// Where the first word of `text` split at Unicode whitespace (as `str::split_whitespace`)
/// lies, found by bytes: `Some(None)` when there is none, `None` when a non-ASCII byte leaves
/// it unsure (that byte may start whitespace or not). Greetings are ASCII: the `str` split,
/// which decodes every char, is the exception.
fn first_word(text: &[u8]) -> Option<Option<std::ops::Range<usize>>> {
    // `char::is_whitespace` of an ASCII byte: U+0009..U+000D and the space.
    let space = |b: u8| b == b' ' || (b'\t'..=b'\r').contains(&b);
    let start = text.iter().position(|&b| !space(b)).unwrap_or(text.len());
    let word = text.get(start..).unwrap_or_default();
    let len = word
        .iter()
        .position(|&b| space(b) || !b.is_ascii())
        .unwrap_or(word.len());
    if word.get(len).is_some_and(|b| !b.is_ascii()) {
        return None;
    }
    Some((len > 0).then_some(start..start + len))
}

/// A greeting's first word is a host unless it is an enhanced status code (`2.0.0`).
fn is_host(word: &[u8]) -> bool {
    !word.iter().all(|&b| b.is_ascii_digit() || b == b'.')
}

/// (host, text after `220 `/`220-`) of a greeting.
fn greeting_parts(line: &str) -> Option<(&str, &str)> {
    let rest = line
        .strip_prefix("220 ")
        .or_else(|| line.strip_prefix("220-"))?;
    let host = match first_word(rest.as_bytes()) {
        // The word's ends are ASCII bytes or the text's ends: char boundaries.
        Some(word) => rest.get(word?)?,
        None => rest.split_whitespace().next()?,
    };
    is_host(host.as_bytes()).then_some((host, rest))
}

/// The date after the last `ready at` (any case), as UTC.
fn banner_date(text: &str) -> Option<Timestamp> {
    const PHRASE: &[u8] = b"ready at ";
    // The last occurrence in any case, without a lower-cased copy (the phrase is ASCII, so its
    // end is a char boundary): from the end, each `r`/`R` compared with the phrase.
    let bytes = text.as_bytes();
    let mut before = bytes.len();
    let at = loop {
        let r = memchr::memrchr2(b'r', b'R', bytes.get(..before)?)?;
        if bytes
            .get(r..r + PHRASE.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(PHRASE))
        {
            break r + PHRASE.len();
        }
        before = r;
    };
    let date = text.get(at..)?.trim();
    if let Some(ts) = exchange_date(date.as_bytes()) {
        return Some(ts);
    }
    if let Ok(ts) = RFC2822.parse_timestamp(date) {
        return Some(ts);
    }
    // Tolerate trailing words after the offset: cut after the first `+hhmm`/`-hhmm` token.
    let mut end = 0;
    for token in date.split_whitespace() {
        let token_end = token.as_ptr() as usize - date.as_ptr() as usize + token.len();
        let is_offset = token.len() == 5
            && matches!(token.as_bytes().first(), Some(b'+' | b'-'))
            && token.bytes().skip(1).all(|b| b.is_ascii_digit());
        if is_offset {
            end = token_end;
            break;
        }
    }
    RFC2822.parse_timestamp(date.get(..end)?).ok()
}

/// The date as Exchange writes it, `Thu, 26 Nov 2026 01:59:21 -0500` (day not padded), read
/// without the general parser: `None` for anything else (other spellings, leap seconds, odd
/// years or offsets), which jiff's RFC 2822 parser then reads. Where this returns a time it is
/// the one jiff returns (a property test holds them together); the weekday is not checked
/// against the date, as the relaxed parser does not.
fn exchange_date(b: &[u8]) -> Option<Timestamp> {
    const DAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let digit = |b: u8| b.is_ascii_digit().then(|| i64::from(b - b'0'));
    let (weekday, rest) = b.split_first_chunk::<5>()?;
    if !DAYS.iter().any(|d| weekday.starts_with(*d)) || !weekday.ends_with(b", ") {
        return None;
    }
    // The day: one or two digits.
    let (day, rest) = match *rest {
        [d, b' ', ref rest @ ..] => (digit(d)?, rest),
        [d0, d1, b' ', ref rest @ ..] => (digit(d0)? * 10 + digit(d1)?, rest),
        _ => return None,
    };
    let [m0, m1, m2, b' ', y0, y1, y2, y3, b' ', h0, h1, b':', n0, n1, b':', s0, s1, b' ', sign, o0, o1, o2, o3] =
        *rest
    else {
        return None;
    };
    let month = MONTHS.iter().position(|m| **m == [m0, m1, m2])? as i64 + 1;
    let year = digit(y0)? * 1000 + digit(y1)? * 100 + digit(y2)? * 10 + digit(y3)?;
    let (hour, minute, second) = (
        digit(h0)? * 10 + digit(h1)?,
        digit(n0)? * 10 + digit(n1)?,
        digit(s0)? * 10 + digit(s1)?,
    );
    let (off_h, off_m) = (digit(o0)? * 10 + digit(o1)?, digit(o2)? * 10 + digit(o3)?);
    let sign = match sign {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1900..=2999).contains(&year)
        || !(1..=month_days).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
        || off_h > 23
        || off_m > 59
    {
        return None;
    }
    let days = super::session::days_from_civil(year, month, day);
    let local = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Timestamp::from_second(local - sign * (off_h * 3_600 + off_m * 60)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn reads_exchange_greetings() {
        let b = parse_banner(
            "220 mail.x.x Microsoft ESMTP MAIL Service ready at Tue, 13 Dec 2016 20:17:34 -0500",
        )
        .unwrap();
        assert_eq!(b.host, "mail.x.x");
        assert_eq!(b.date, Some(ts("2016-12-14T01:17:34Z")));

        let b = parse_banner("220 VI1EUR04FT012.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready at Thu, 21 Mar 2019 13:00:44 +0000").unwrap();
        assert_eq!(b.host, "VI1EUR04FT012.mail.protection.outlook.com");
        assert_eq!(b.date, Some(ts("2019-03-21T13:00:44Z")));

        let b = parse_banner("220 EX02.contoso.com MICROSOFT ESMTP MAIL SERVICE READY AT Fri, 5 Aug 2016 16:24:41 -0700").unwrap();
        assert_eq!(b.date, Some(ts("2016-08-05T23:24:41Z")));

        let b = parse_banner("220 mail.schmoe.org Microsoft ESMTP MAIL Service, Version: 5.0.2195.6713 ready at Mon, 29 Dec 2008 09:47:41 -0700").unwrap();
        assert_eq!(b.date, Some(ts("2008-12-29T16:47:41Z")));

        let b = parse_banner("220 EX2.domain.local Microsoft ESMTP MAIL Service ready at Tue, 12 Dec 2017 16:18:04 +0300 (extra)").unwrap();
        assert_eq!(b.date, Some(ts("2017-12-12T13:18:04Z")));

        // The last `ready at`, in any case, is the one read.
        let b = parse_banner("220 rr.x ready at noon, Ready At Tue, 12 Dec 2017 16:18:04 +0300")
            .unwrap();
        assert_eq!(b.date, Some(ts("2017-12-12T13:18:04Z")));
        let b = parse_banner("220 rr.x READY AT Tue, 12 Dec 2017 16:18:04 +0300, ready at noon");
        assert_eq!(b.unwrap().date, None);
    }

    proptest::proptest! {
        /// The Exchange date read by hand is the one jiff reads, over dates of every shape the
        /// hand reader takes (and some it leaves to jiff: leap seconds, odd offsets and years).
        #[test]
        fn exchange_dates_read_as_jiff_reads_them(
            weekday in 0usize..7,
            day in 0u32..33,
            pad in proptest::bool::ANY,
            month in 0usize..12,
            year in 1890i32..3010,
            hour in 0u32..25,
            minute in 0u32..61,
            second in 0u32..61,
            sign in proptest::bool::ANY,
            off_h in 0u32..26,
            off_m in 0u32..61,
        ) {
            const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let day = if pad { format!("{day:02}") } else { day.to_string() };
            let date = format!(
                "{}, {day} {} {year:04} {hour:02}:{minute:02}:{second:02} {}{off_h:02}{off_m:02}",
                DAYS[weekday],
                MONTHS[month],
                if sign { '+' } else { '-' },
            );
            let by_hand = exchange_date(date.as_bytes());
            let by_jiff = RFC2822.parse_timestamp(&date).ok();
            if by_hand.is_some() {
                proptest::prop_assert_eq!(by_hand, by_jiff, "{}", date);
            }
            // Every plain date is read by hand (the general parser is the exception).
            let plain = (1900..=2999).contains(&year) && hour < 24 && minute < 60
                && second < 60 && off_h < 24 && off_m < 60;
            if plain && by_jiff.is_some() {
                proptest::prop_assert!(by_hand.is_some(), "{}", date);
            }
        }

        /// The greeting's host found by bytes is the one `str::split_whitespace` finds, and the
        /// byte test for a greeting agrees, whatever the line.
        #[test]
        fn greeting_host_is_the_first_str_word(
            line in "(220[ -]|250 |220)[ \t\u{a0}\u{b}]{0,2}[a-z0-9.\u{e9}\u{2003}\u{85} ]{0,12}"
        ) {
            let by_str = line
                .strip_prefix("220 ")
                .or_else(|| line.strip_prefix("220-"))
                .and_then(|rest| rest.split_whitespace().next().map(|host| (host, rest)))
                .filter(|(host, _)| !host.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
            proptest::prop_assert_eq!(greeting_parts(&line), by_str, "{:?}", line);
            proptest::prop_assert_eq!(is_greeting(line.as_bytes()), by_str.is_some(), "{:?}", line);
        }
    }

    #[test]
    fn greeting_test_takes_damaged_bytes() {
        for line in [
            &b"220 \xff\xfe ready"[..],
            b"220 host\xe9 x",
            b"220 ",
            b"220 1.2.3 x",
        ] {
            let by_str = greeting_parts(&crate::smtp_log::row::text_borrowed(line)).is_some();
            assert_eq!(is_greeting(line), by_str, "{line:?}");
        }
        assert!(is_greeting(
            b"220 EX12.contoso.com Microsoft ESMTP MAIL Service ready"
        ));
        assert!(!is_greeting(b"220 2.0.0 SMTP server ready"));
    }

    #[test]
    fn custom_and_tls_replies_give_no_date() {
        let b = parse_banner("220 Welcome to Contoso mail").unwrap();
        assert_eq!((b.host.as_str(), b.date), ("Welcome", None));
        assert_eq!(parse_banner("220 2.0.0 SMTP server ready"), None);
        assert_eq!(parse_banner("250 OK"), None);
        assert_eq!(
            parse_banner("220 x ready at not a date"),
            Some(Banner {
                host: "x".into(),
                date: None
            })
        );
    }
}
