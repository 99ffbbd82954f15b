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
    let (host, rest) = greeting_parts(line)?;
    Some(Banner {
        host: host.to_owned(),
        date: banner_date(rest),
    })
}

/// The host of a greeting, `None` when [`parse_banner`] would return `None`: the cheap test for
/// whether a `220` reply is a greeting at all, its date left for later.
pub(crate) fn greeting_host(line: &str) -> Option<&str> {
    greeting_parts(line).map(|(host, _)| host)
}

/// (host, text after `220 `/`220-`) of a greeting.
fn greeting_parts(line: &str) -> Option<(&str, &str)> {
    let rest = line
        .strip_prefix("220 ")
        .or_else(|| line.strip_prefix("220-"))?;
    let host = rest.split_whitespace().next()?;
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Some((host, rest))
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
