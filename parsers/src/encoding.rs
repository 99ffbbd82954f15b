//! Text encodings of collected files, sniffed from their first bytes.
//!
//! Windows PowerShell 5.1 writes `>`/`Out-File`/`Export-Clixml` output as
//! UTF-16LE with a BOM, `Export-Csv` as ASCII, `Set-Content` in the ANSI code
//! page; Exchange protocol logs are UTF-8 with a BOM; an admin's editor may
//! have saved UTF-16 without a BOM. We sniff once from the head of a file and
//! then decode the whole stream to UTF-8 with `encoding_rs_io` (streaming: no
//! whole-file loads), so every text parser sees UTF-8 only.

use serde::Serialize;
use std::fmt;
use std::io::Read;

/// The encoding of a text file, as sniffed from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    /// UTF-8 with a byte order mark (`EF BB BF`).
    Utf8Bom,
    /// UTF-8 without a BOM (ASCII is reported as this too).
    Utf8,
    /// UTF-16 little endian with a BOM (`FF FE`): Windows PowerShell 5.1 `>`.
    Utf16LeBom,
    /// UTF-16 big endian with a BOM (`FE FF`).
    Utf16BeBom,
    /// UTF-16 little endian recognised by its NUL pattern, no BOM.
    Utf16Le,
    /// UTF-16 big endian recognised by its NUL pattern, no BOM.
    Utf16Be,
    /// Not valid UTF-8: read as the Western ANSI code page.
    Windows1252,
}

impl TextEncoding {
    /// Stable name used in reports (`utf-16le-bom`, …).
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf16LeBom => "utf-16le-bom",
            TextEncoding::Utf16BeBom => "utf-16be-bom",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }

    fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8Bom | TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Utf16LeBom | TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16BeBom | TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }

    /// Length of the BOM this encoding starts with, if any.
    pub fn bom_len(self) -> usize {
        match self {
            TextEncoding::Utf8Bom => 3,
            TextEncoding::Utf16LeBom | TextEncoding::Utf16BeBom => 2,
            _ => 0,
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the head of a file looks like: text in some encoding, or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Text(TextEncoding),
    /// NUL bytes or control characters that no text encoding explains.
    Binary,
}

/// Sniffs the encoding from the first bytes of a file (a few KiB is plenty).
///
/// Order: BOM; UTF-16 by the pattern of NUL bytes (ASCII-range text in
/// UTF-16LE has a NUL in every odd byte); binary if other NULs or many
/// control bytes; UTF-8 if the bytes validate (a multi-byte sequence cut by
/// the end of `head` is fine); else Windows-1252.
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Sniffed::Text(TextEncoding::Utf8Bom);
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Sniffed::Text(TextEncoding::Utf16LeBom);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Sniffed::Text(TextEncoding::Utf16BeBom);
    }
    if head.is_empty() {
        return Sniffed::Text(TextEncoding::Utf8);
    }
    // A text file whose tail was zeroed (an unclean shutdown leaves blocks of
    // NULs after the last write) is judged by the text before the NULs.
    let zeros = head.iter().rev().take_while(|&&b| b == 0).count();
    if zeros >= 16 && head.len() - zeros >= 64 {
        if let Sniffed::Text(encoding) = sniff(&head[..head.len() - zeros]) {
            return Sniffed::Text(encoding);
        }
    }
    let pairs = head.len() / 2;
    if pairs >= 2 {
        let (mut nul_even, mut nul_odd) = (0usize, 0usize);
        for pair in head.chunks_exact(2) {
            nul_even += usize::from(pair[0] == 0);
            nul_odd += usize::from(pair[1] == 0);
        }
        // Mostly-ASCII UTF-16: the high byte of nearly every unit is NUL, the
        // low byte almost never. CJK text has fewer NULs; require a clear
        // majority on one side and almost none on the other.
        if nul_odd * 10 >= pairs * 4 && nul_even * 20 <= pairs {
            return Sniffed::Text(TextEncoding::Utf16Le);
        }
        if nul_even * 10 >= pairs * 4 && nul_odd * 20 <= pairs {
            return Sniffed::Text(TextEncoding::Utf16Be);
        }
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if memchr::memchr(0, head).is_some() || controls * 20 > head.len() {
        return Sniffed::Binary;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Sniffed::Text(TextEncoding::Utf8),
        // `error_len() == None`: the input ended inside a valid sequence.
        Err(e) if e.error_len().is_none() => Sniffed::Text(TextEncoding::Utf8),
        Err(_) => Sniffed::Text(TextEncoding::Windows1252),
    }
}

/// Decodes `head` (the first bytes of a file) to a string for content
/// detection, dropping the BOM and a trailing partial character.
pub fn decode_head(head: &[u8], encoding: TextEncoding) -> String {
    let body = &head[encoding.bom_len().min(head.len())..];
    let body = match encoding {
        // An odd byte count would end in half a code unit.
        TextEncoding::Utf16LeBom
        | TextEncoding::Utf16BeBom
        | TextEncoding::Utf16Le
        | TextEncoding::Utf16Be => &body[..body.len() & !1],
        _ => body,
    };
    let (text, _) = encoding.encoding_rs().decode_without_bom_handling(body);
    let mut text = text.into_owned();
    // A multi-byte character cut at the end of the head decodes as U+FFFD.
    if text.ends_with('\u{FFFD}') {
        text.pop();
    }
    text
}

/// Wraps a byte stream in a reader that yields UTF-8, decoding from
/// `encoding` as it goes. The BOM (if any) is removed. UTF-8 input passes
/// through untouched (invalid sequences are left for the parser to handle
/// lossily); other encodings replace undecodable input with U+FFFD.
pub fn utf8_reader<'r, R: Read + 'r>(reader: R, encoding: TextEncoding) -> Box<dyn Read + 'r> {
    match encoding {
        // UTF-8 passes through untouched: the parsers decide how to treat
        // invalid sequences (lossily, with a line number).
        TextEncoding::Utf8 => Box::new(reader),
        TextEncoding::Utf8Bom => Box::new(MinRead::new(SkipPrefix {
            inner: reader,
            prefix: &[0xEF, 0xBB, 0xBF],
            checked: false,
        })),
        other => Box::new(MinRead::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(other.encoding_rs()))
                .bom_override(true)
                .bom_sniffing(true)
                .build(reader),
        )),
    }
}

/// Gives the inner reader a buffer of at least [`MinRead::STAGE`] bytes,
/// whatever the caller asks for: a decoder needs room for a whole character
/// (encoding_rs_io cuts a final U+FFFD short — invalid UTF-8 — when handed
/// fewer than 3 bytes, as `read_to_end` does when its vector is nearly full).
struct MinRead<R> {
    inner: R,
    stage: [u8; MinRead::<()>::STAGE],
    start: usize,
    end: usize,
}

impl<R> MinRead<R> {
    const STAGE: usize = 16;

    fn new(inner: R) -> Self {
        MinRead {
            inner,
            stage: [0; MinRead::<()>::STAGE],
            start: 0,
            end: 0,
        }
    }
}

impl<R: Read> Read for MinRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.start == self.end {
            if buf.len() >= Self::STAGE {
                return self.inner.read(buf);
            }
            self.start = 0;
            self.end = self.inner.read(&mut self.stage)?;
        }
        let staged = self.stage.get(self.start..self.end).unwrap_or_default();
        let n = staged.len().min(buf.len());
        buf[..n].copy_from_slice(&staged[..n]);
        self.start += n;
        Ok(n)
    }
}

/// Drops `prefix` (a BOM) from the start of a stream if it is there.
struct SkipPrefix<R> {
    inner: R,
    prefix: &'static [u8],
    checked: bool,
}

impl<R: Read> Read for SkipPrefix<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.checked {
            self.checked = true;
            let mut start = [0u8; 4];
            let want = self.prefix.len();
            let mut got = 0;
            while got < want {
                match self.inner.read(&mut start[got..want])? {
                    0 => break,
                    n => got += n,
                }
            }
            if start[..got] != *self.prefix {
                // Not a BOM after all: hand the bytes back first.
                let n = got.min(buf.len());
                buf[..n].copy_from_slice(&start[..n]);
                if n < got {
                    // `buf` is tiny; chain the rest in front of the stream.
                    return Err(std::io::Error::other("read buffer smaller than 4 bytes"));
                }
                return Ok(n);
            }
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in s.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    #[test]
    fn text_with_a_zeroed_tail_is_still_text() {
        let mut log = b"#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n".to_vec();
        log.resize(4096, 0);
        assert_eq!(sniff(&log), Sniffed::Text(TextEncoding::Utf8));
        let mut utf16 = utf16le(
            "#Software: Microsoft Exchange Server\r\n#Log-type: x\r\n",
            false,
        );
        utf16.resize(4096, 0);
        assert_eq!(sniff(&utf16), Sniffed::Text(TextEncoding::Utf16Le));
        // NULs inside the text, or nothing but NULs, stay binary.
        let mut mixed = log.clone();
        mixed[10] = 0;
        assert_eq!(sniff(&mixed), Sniffed::Binary);
        assert_eq!(sniff(&[0u8; 4096]), Sniffed::Binary);
    }

    /// Reads with a caller buffer of `size` bytes.
    fn read_in(bytes: &[u8], encoding: TextEncoding, size: usize) -> Vec<u8> {
        let mut reader = utf8_reader(bytes, encoding);
        let mut out = Vec::new();
        let mut buf = vec![0u8; size];
        loop {
            match reader.read(&mut buf).expect("reads") {
                0 => return out,
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn tiny_read_buffers_never_cut_a_replacement_character() {
        // Two CJK units, then half a unit: decodes to 2 characters and U+FFFD.
        let bytes = [0x1F, 0x8B, 0x08, 0xFF, 0xFE];
        for size in 1..8 {
            let out = read_in(&bytes, TextEncoding::Utf16Le, size);
            assert_eq!(
                String::from_utf8(out).as_deref(),
                Ok("\u{8B1F}\u{FF08}\u{FFFD}"),
                "buffer of {size} bytes"
            );
        }
        for size in 1..5 {
            let out = read_in(b"\xEF\xBB\xBFab", TextEncoding::Utf8Bom, size);
            assert_eq!(out, b"ab", "buffer of {size} bytes");
        }
    }

    fn read_all(bytes: &[u8], encoding: TextEncoding) -> String {
        let mut out = String::new();
        utf8_reader(std::io::Cursor::new(bytes.to_vec()), encoding)
            .read_to_string(&mut out)
            .expect("decodes");
        out
    }

    #[test]
    fn powershell_out_file_is_utf16le_with_bom() {
        let bytes = utf16le("RunspaceId : 779ae3c8\r\nStatus     : Retry\r\n", true);
        assert_eq!(sniff(&bytes), Sniffed::Text(TextEncoding::Utf16LeBom));
        assert_eq!(
            read_all(&bytes, TextEncoding::Utf16LeBom),
            "RunspaceId : 779ae3c8\r\nStatus     : Retry\r\n"
        );
    }

    #[test]
    fn utf16le_without_bom_is_recognised_by_nul_pattern() {
        let bytes = utf16le("Registered ServicePrincipalNames for CN=EX02", false);
        assert_eq!(sniff(&bytes), Sniffed::Text(TextEncoding::Utf16Le));
        let head = decode_head(&bytes, TextEncoding::Utf16Le);
        assert_eq!(head, "Registered ServicePrincipalNames for CN=EX02");
    }

    #[test]
    fn utf16be_with_bom() {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in "klist".encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(sniff(&bytes), Sniffed::Text(TextEncoding::Utf16BeBom));
        assert_eq!(read_all(&bytes, TextEncoding::Utf16BeBom), "klist");
    }

    #[test]
    fn protocol_log_utf8_bom_and_chinese_connector() {
        let text = "\u{FEFF}#Software: Microsoft Exchange Server\r\n2019-11-04T06:00:35.496Z,组织内 SMTP 发送连接器,08D760DF231F00BC";
        let bytes = text.as_bytes();
        assert_eq!(sniff(bytes), Sniffed::Text(TextEncoding::Utf8Bom));
        assert!(read_all(bytes, TextEncoding::Utf8Bom).starts_with("#Software"));
        assert!(decode_head(bytes, TextEncoding::Utf8Bom).contains("组织内"));
    }

    #[test]
    fn utf8_cut_inside_a_character_is_still_utf8() {
        let text = "Connector 组织内".as_bytes();
        let cut = &text[..text.len() - 1];
        assert_eq!(sniff(cut), Sniffed::Text(TextEncoding::Utf8));
        assert_eq!(decode_head(cut, TextEncoding::Utf8), "Connector 组织");
    }

    #[test]
    fn ansi_falls_back_to_windows_1252() {
        let bytes = b"Naam : Wachtrij f\xfcr EX02\r\n";
        assert_eq!(sniff(bytes), Sniffed::Text(TextEncoding::Windows1252));
        assert_eq!(
            read_all(bytes, TextEncoding::Windows1252),
            "Naam : Wachtrij f\u{fc}r EX02\r\n"
        );
    }

    #[test]
    fn random_bytes_are_binary() {
        let bytes: Vec<u8> = (0..512u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(sniff(&bytes), Sniffed::Binary);
    }

    #[test]
    fn utf16_with_odd_byte_count_does_not_panic() {
        let mut bytes = utf16le("Status : Retry", true);
        bytes.push(b'x');
        assert_eq!(
            decode_head(&bytes, TextEncoding::Utf16LeBom),
            "Status : Retry"
        );
        assert!(read_all(&bytes, TextEncoding::Utf16LeBom).starts_with("Status : Retry"));
    }
}
