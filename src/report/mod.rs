//! Sinks over result models: terminal text, JSON, Markdown, HTML, the
//! timeline, the inventory and the `extract` exports. Every sink writes
//! straight into an [`io::Write`] as it renders (stdout or the `-o` file,
//! buffered by the caller) — nothing is built whole in memory first.
//! Everything that came from a collected file is untrusted and escaped for
//! the sink's format.

#[cfg(feature = "tables")]
pub mod dataset;
pub mod duplicates;
pub mod escape;
#[cfg(feature = "tables")]
pub mod evidence_set;
pub mod export;
pub mod html;
pub mod inventory;
pub mod markdown;
pub mod scan;
pub mod style;
#[cfg(feature = "tables")]
pub mod tables;
pub mod timeline;

use std::fmt;
use std::io;

/// One output document of a finished run, rendered into a writer: the scan
/// report (text, JSON, Markdown, HTML), the inventory (text, JSON), the
/// timeline (text, CSV, JSON lines) and `extract`'s JSON lines. (The CSV and
/// Parquet tables of `extract` are one file per row kind, written a batch of
/// rows at a time by `tables::write`.)
pub trait Sink {
    /// Writes the document to `out`; the first I/O error ends it.
    fn write(&self, out: &mut dyn io::Write) -> io::Result<()>;
}

/// A sink's whole output as a string (for tests and callers that want the
/// document in memory).
pub fn render(sink: &dyn Sink) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = sink.write(&mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Text renderers write with `write!` and `push_str` as into a `String`;
/// this passes it on to an [`io::Write`] and keeps the first I/O error for
/// [`Fmt::finish`] (after which nothing more is written).
pub(crate) struct Fmt<'w> {
    out: &'w mut dyn io::Write,
    error: Option<io::Error>,
}

impl<'w> Fmt<'w> {
    pub(crate) fn new(out: &'w mut dyn io::Write) -> Self {
        Fmt { out, error: None }
    }

    pub(crate) fn push_str(&mut self, text: &str) {
        let _ = fmt::Write::write_str(self, text);
    }

    pub(crate) fn push(&mut self, c: char) {
        let _ = fmt::Write::write_char(self, c);
    }

    /// The first error, if writing failed.
    pub(crate) fn finish(self) -> io::Result<()> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl fmt::Write for Fmt<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if self.error.is_some() {
            return Err(fmt::Error);
        }
        self.out.write_all(text.as_bytes()).map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    struct Failing(usize);

    impl io::Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
            }
            self.0 -= 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_first_write_error_comes_back() {
        let mut sink = Failing(2);
        let mut out = Fmt::new(&mut sink);
        out.push_str("a");
        let _ = write!(out, "{}", 1);
        out.push('c');
        out.push_str("d");
        let e = out.finish().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        let mut bytes = Vec::new();
        let mut out = Fmt::new(&mut bytes);
        out.push_str("é");
        let _ = writeln!(out, " {}", 2);
        out.finish().unwrap();
        assert_eq!(bytes, "é 2\n".as_bytes());
    }
}
