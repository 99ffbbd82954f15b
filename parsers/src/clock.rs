//! How a clock offset was measured: one vocabulary for the parsers that find
//! clock samples (protocol-log banners and paired sessions, w32tm, Kerberos
//! and Time-Service events) and for the `exauth` crate that weighs them.

use serde::{Deserialize, Serialize};

/// Where a clock sample came from, best first (the order is the ranking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockBasis {
    /// The same TCP connection in both servers' protocol logs (ms).
    PairedSession,
    /// `w32tm /stripchart` or `/monitor` output (sub-second).
    W32tm,
    /// The peer's `220 … ready at <date>` greeting in a Send log (±1 s plus
    /// latency).
    Banner,
    /// Kerberos event 3 ClientTime − ServerTime (s).
    KerberosEvent,
    /// Time-Service event 34/50 (the offset it refused to apply).
    TimeServiceEvent,
}

impl ClockBasis {
    /// How the offset was measured, in words.
    pub fn label(self) -> &'static str {
        match self {
            ClockBasis::PairedSession => "paired protocol-log sessions",
            ClockBasis::W32tm => "w32tm",
            ClockBasis::Banner => "220 banners in the Send log",
            ClockBasis::KerberosEvent => "Kerberos event client/server time",
            ClockBasis::TimeServiceEvent => "Time-Service event",
        }
    }
}
