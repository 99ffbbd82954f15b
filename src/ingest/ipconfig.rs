//! `ipconfig /all` output: the most direct host ↔ IP fact of a collection
//! (ExchangeLogCollector saves it as `<SERVER>_IPConfiguration.txt`). It
//! yields no fact of its own, only identity hints for the map.
//!
//! Streamed ([`CommandOutput::stream`]): `ipconfig /all` run every minute
//! into one file repeats its adapters by the hundred thousand. The text is
//! read twice: once for the host name the whole text gives (its last, as
//! read whole), then each adapter's addresses hinted as its block ends, an
//! address hinted once an output.

use super::diag::{CommandOutput, Streamed, DISTINCT_A_BATCH};
use super::{Extracted, Place, Records};
use crate::evidence::IdentityHint;
use crate::model::{Role, Source};
use exauth_parsers::diag::ipconfig::{self, Adapter, IpconfigOutput};
use exauth_parsers::problem::Problems;
use rustc_hash::FxHashSet;
use std::net::IpAddr;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<IpconfigRecords> = CommandOutput {
    kinds: &[ipconfig::KIND],
    source: Source::Ipconfig,
    parse: |_, text, _| IpconfigRecords(ipconfig::parse(text)),
    stream: Some(|_, text, _, place, facts| {
        let named = ipconfig::read(text, &mut |_| {});
        let mut hints = Hints::of(&named, place);
        let mut adapters = 0u64;
        let out = ipconfig::read(text, &mut |adapter| {
            adapters += 1;
            hints.adapter(&adapter, facts);
        });
        Streamed {
            read: adapters + u64::from(out.host_name.is_some()),
            problems: out.problems,
        }
    }),
};

/// One ipconfig output.
#[derive(Debug)]
pub struct IpconfigRecords(pub IpconfigOutput);

/// An address that names this host to its peers (not loopback, not
/// link-local, not unspecified).
fn is_routable(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()),
        IpAddr::V6(v6) => {
            !(v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80)
        }
    }
}

impl Records for IpconfigRecords {
    fn problems(&self) -> &Problems {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.host_name.is_none() && self.0.adapters.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let mut hints = Hints::of(&self.0, place);
        for adapter in &self.0.adapters {
            hints.adapter(adapter, out);
        }
    }
}

/// The host an output names at each routable address of its connected
/// adapters, each address once (the pipeline keeps a hint once anyway; an
/// output of more addresses than [`DISTINCT_A_BATCH`] may say one again).
struct Hints {
    /// `host.suffix`, the bare host name, or the place's server.
    host: Option<String>,
    hinted: FxHashSet<IpAddr>,
}

impl Hints {
    fn of(named: &IpconfigOutput, place: Place<'_>) -> Hints {
        Hints {
            host: named.fqdn().or_else(|| place.server.map(str::to_string)),
            hinted: FxHashSet::default(),
        }
    }

    fn adapter(&mut self, adapter: &Adapter, out: &mut Extracted) {
        let Some(host) = &self.host else { return };
        if adapter.media_disconnected {
            return;
        }
        let v4 = adapter.ipv4_addresses.iter().map(|ip| IpAddr::V4(*ip));
        let v6 = adapter.ipv6_addresses.iter().map(|ip| IpAddr::V6(*ip));
        for ip in v4.chain(v6).filter(is_routable) {
            if self.hinted.len() >= DISTINCT_A_BATCH {
                self.hinted.clear();
            }
            if self.hinted.insert(ip) {
                out.hints.push(IdentityHint::HostAt {
                    host: host.clone(),
                    ip,
                    role: Role::Unknown,
                });
            }
        }
    }
}
