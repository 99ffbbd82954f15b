//! Writes a protocol-log set for benchmarks: two servers sending to each other, each with a Send
//! and a Receive log directory rolled over at 10 MB (sessions straddle files).
//!
//! Usage: `smtp_log_gen <out-dir> [size-mb=1024]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

#[path = "../benches/smtp_log_gen/mod.rs"]
mod smtp_log_gen;

use smtp_log_gen::{generate_pair, header, GenConfig};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const ROLL_BYTES: usize = 10 * 1024 * 1024;
const CHUNK_SESSIONS: usize = 2000;

/// Appends to `<dir>/<PREFIX>20240506-<n>.LOG`, starting a new file (with header) past 10 MB.
struct Roller {
    dir: PathBuf,
    prefix: &'static str,
    send: bool,
    number: u32,
    written: usize,
    out: Option<BufWriter<File>>,
}

impl Roller {
    fn new(dir: PathBuf, prefix: &'static str, send: bool) -> std::io::Result<Self> {
        fs::create_dir_all(&dir)?;
        Ok(Roller {
            dir,
            prefix,
            send,
            number: 0,
            written: 0,
            out: None,
        })
    }

    fn write(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            if self.out.is_none() || self.written >= ROLL_BYTES {
                if let Some(mut old) = self.out.take() {
                    old.flush()?;
                }
                self.number += 1;
                let path = self
                    .dir
                    .join(format!("{}20240506-{}.LOG", self.prefix, self.number));
                let mut f = BufWriter::with_capacity(1 << 20, File::create(path)?);
                let h = header(self.send);
                f.write_all(h.as_bytes())?;
                self.written = h.len();
                self.out = Some(f);
            }
            let room = ROLL_BYTES.saturating_sub(self.written).max(1);
            // Cut after a line end so every file holds whole rows.
            let cut = if data.len() <= room {
                data.len()
            } else {
                data[..room]
                    .windows(2)
                    .rposition(|w| w == b"\r\n")
                    .map_or(data.len(), |p| p + 2)
            };
            if let Some(out) = self.out.as_mut() {
                out.write_all(&data[..cut])?;
            }
            self.written += cut;
            data = &data[cut..];
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        if let Some(mut out) = self.out.take() {
            out.flush()?;
        }
        Ok(())
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "bench-data/smtp_log".into()));
    let size_mb: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1024);
    let target = size_mb * 1024 * 1024;
    let dir = |server: &str, log: &str| -> PathBuf { Path::new(&out).join(server).join(log) };
    let mut ab_send = Roller::new(dir("EX01", "SmtpSend"), "SEND", true)?;
    let mut ab_recv = Roller::new(dir("EX02", "SmtpReceive"), "RECV", false)?;
    let mut ba_send = Roller::new(dir("EX02", "SmtpSend"), "SEND", true)?;
    let mut ba_recv = Roller::new(dir("EX01", "SmtpReceive"), "RECV", false)?;
    let mut total = 0usize;
    let mut chunk = 0u64;
    while total < target {
        let start_ms = 1_714_989_600_000 + chunk as i64 * CHUNK_SESSIONS as i64 * 150;
        let a_to_b = GenConfig {
            sessions: CHUNK_SESSIONS,
            start_ms,
            interleave: 16,
            receiver_skew_ms: 420_000,
            id_base: 0x08DC_6D1A_0000_0000 + chunk * 0x10_0000,
            write_header: false,
            ..GenConfig::default()
        };
        let b_to_a = GenConfig {
            sender_name: "EX02.contoso.com".into(),
            sender_ip: "10.0.0.12".into(),
            receiver_name: "EX01.contoso.com".into(),
            receiver_ip: "10.0.0.11".into(),
            receiver_skew_ms: -420_000,
            id_base: 0x08DC_7E00_0000_0000 + chunk * 0x10_0000,
            ..a_to_b.clone()
        };
        let (s, r) = generate_pair(&a_to_b);
        ab_send.write(&s)?;
        ab_recv.write(&r)?;
        total += s.len() + r.len();
        let (s, r) = generate_pair(&b_to_a);
        ba_send.write(&s)?;
        ba_recv.write(&r)?;
        total += s.len() + r.len();
        chunk += 1;
    }
    for r in [ab_send, ab_recv, ba_send, ba_recv] {
        r.finish()?;
    }
    println!("wrote {} MB under {}", total / (1024 * 1024), out.display());
    Ok(())
}
