//! The progress bar on stderr while a collection is read.
//!
//! Shown only when stderr is a terminal and the user did not ask for `-q`:
//! bytes done / total, files, MB/s and ETA. Reading GBs of logs from hundreds
//! of servers takes minutes, and a silent terminal looks hung.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

/// A progress display that may be switched off (then every call is a no-op).
pub struct Progress {
    bar: Option<ProgressBar>,
    files: AtomicU64,
}

impl Progress {
    /// A bar over `total_bytes` when `enabled` and stderr is a terminal.
    pub fn new(total_bytes: u64, enabled: bool) -> Self {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            files: AtomicU64::new(0),
        }
    }

    /// No display at all.
    pub fn hidden() -> Self {
        Progress {
            bar: None,
            files: AtomicU64::new(0),
        }
    }

    pub fn bytes_done(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    pub fn file_done(&self) {
        let files = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{files} files"));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
