//! Texts read more than once, a line at a time: a parser that must see a whole
//! text before it can decide how to read it (one day/month order for a file of
//! events or queues; how a `Format-List` file's values were wrapped) reads it
//! again from its start instead of holding it — a text in memory, or one the
//! caller spooled to a temporary file.

use std::io::{self, BufRead, Read};
use std::ops::ControlFlow;

/// A text that can be read again from its start (a text in memory, or spooled).
pub trait Reread {
    /// The text from its start.
    fn read_from_start(&mut self) -> io::Result<Box<dyn BufRead + '_>>;
}

impl Reread for &[u8] {
    fn read_from_start(&mut self) -> io::Result<Box<dyn BufRead + '_>> {
        Ok(Box::new(*self))
    }
}

/// Each line of `reader` with its 1-based number, split as [`str::lines`] splits
/// a text (a line ends at `\n` or `\r\n`; the last needs neither), invalid UTF-8
/// replaced, until `each` breaks. A line is held whole: the text comes with its
/// lines cut to a bound (the caller's; a text read whole is in memory anyway).
pub fn each_line(
    reader: &mut dyn BufRead,
    each: &mut dyn FnMut(u64, &str) -> ControlFlow<()>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        n += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        if each(n, &String::from_utf8_lossy(&buf)).is_break() {
            return Ok(());
        }
    }
}

/// The first line of a text (its `\n` kept), without the byte order marks
/// (`U+FEFF` as UTF-8) the text begins with, as `trim_start_matches` would
/// strip them from the whole.
pub fn first_line_without_byte_order_marks(text: &mut dyn BufRead) -> io::Result<Vec<u8>> {
    let mut first = Vec::new();
    without_byte_order_marks(text)?.read_until(b'\n', &mut first)?;
    Ok(first)
}

/// A text without the byte order marks (`U+FEFF` as UTF-8) it begins with,
/// as `trim_start_matches` would strip them from the whole: the bytes looked
/// at are gathered first, so that a reader handing over a byte at a time
/// cannot hide a mark.
pub fn without_byte_order_marks(
    text: &mut dyn BufRead,
) -> io::Result<io::Chain<io::Cursor<Vec<u8>>, &mut dyn BufRead>> {
    const BOM: &[u8] = "\u{feff}".as_bytes();
    let mut held = Vec::with_capacity(BOM.len());
    loop {
        while held.len() < BOM.len() {
            let buf = text.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min(BOM.len() - held.len());
            held.extend_from_slice(&buf[..take]);
            text.consume(take);
        }
        if held != BOM {
            return Ok(io::Cursor::new(held).chain(text));
        }
        held.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as `str::lines` gives them, numbered, whatever the ends.
    #[test]
    fn lines_split_as_str_lines_splits_them() {
        for text in ["a\r\nb\n\nc", "a\nb\r\n", "", "\n", "x\r", "é\r\n\u{feff}z"] {
            let mut got = Vec::new();
            each_line(&mut text.as_bytes(), &mut |n, line| {
                got.push((n, line.to_string()));
                ControlFlow::Continue(())
            })
            .unwrap();
            let want: Vec<(u64, String)> = text
                .lines()
                .enumerate()
                .map(|(i, l)| (i as u64 + 1, l.to_string()))
                .collect();
            assert_eq!(got, want, "{text:?}");
        }
    }

    /// Marks go however the text is handed over; the rest stays.
    #[test]
    fn byte_order_marks_before_the_first_line_go() {
        for (text, want) in [
            ("\u{feff}\u{feff}a,b\nc", "a,b\n"),
            ("a\u{feff}\n", "a\u{feff}\n"),
            ("\u{feff}", ""),
            ("", ""),
        ] {
            for piece in [1, 2, 64] {
                let mut reader = std::io::BufReader::with_capacity(piece, text.as_bytes());
                let first = first_line_without_byte_order_marks(&mut reader).unwrap();
                assert_eq!(String::from_utf8(first).unwrap(), want, "{text:?}, {piece}");
            }
        }
    }

    #[test]
    fn a_break_stops_the_reading() {
        let mut seen = 0;
        each_line(&mut &b"a\nb\nc\n"[..], &mut |n, _| {
            seen = n;
            if n == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!(seen, 2);
    }
}
