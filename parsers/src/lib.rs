//! exauth-parsers: turns the files an admin collects into typed records.
//!
//! One module per input format, each streaming and knowing nothing about
//! *why* authentication fails — that is the job of the `exauth` crate.
//! Parsers take already-decoded UTF-8 text (see [`encoding`]) or raw bytes
//! (`.evtx`), report bad input as [`problem::Problem`]s and go on. Each
//! format registers itself with one line in [`detect::FORMATS`] (its kind,
//! what it looks for, its detector); [`signature`] is the net under them
//! all, and [`clock`] and [`net`] the vocabulary the `exauth` crate shares.
#![forbid(unsafe_code)]

pub mod clock;
pub mod detect;
pub mod diag;
pub mod encoding;
pub mod event_export;
pub mod event_text;
pub mod evtx;
pub mod evtx_writer;
pub mod exchange_logs;
pub mod net;
pub mod problem;
pub mod queue;
pub mod reread;
pub mod signature;
pub mod smtp_log;
pub mod text_runs;
pub mod transcript;
