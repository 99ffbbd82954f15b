//! `ipconfig /all` output: the most direct host ↔ IP fact of a collection
//! (ExchangeLogCollector saves it as `<SERVER>_IPConfiguration.txt`). It
//! yields no fact of its own, only identity hints for the map.

use super::diag::CommandOutput;
use super::{Extracted, Place, Records};
use crate::evidence::IdentityHint;
use crate::model::{Role, Source};
use exauth_parsers::diag::ipconfig::{self, IpconfigOutput};
use exauth_parsers::problem::Problem;
use std::net::IpAddr;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<IpconfigRecords> = CommandOutput {
    kinds: &[ipconfig::KIND],
    source: Source::Ipconfig,
    parse: |_, text, _| IpconfigRecords(ipconfig::parse(text)),
    stream: None,
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
    fn problems(&self) -> &[Problem] {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.host_name.is_none() && self.0.adapters.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let host = match (&self.0.host_name, &self.0.primary_dns_suffix) {
            (Some(host), Some(suffix)) if !suffix.is_empty() => Some(format!("{host}.{suffix}")),
            (Some(host), _) => Some(host.clone()),
            (None, _) => place.server.map(str::to_string),
        };
        let Some(host) = host else { return };
        for adapter in &self.0.adapters {
            if adapter.media_disconnected {
                continue;
            }
            let v4 = adapter.ipv4_addresses.iter().map(|ip| IpAddr::V4(*ip));
            let v6 = adapter.ipv6_addresses.iter().map(|ip| IpAddr::V6(*ip));
            for ip in v4.chain(v6).filter(is_routable) {
                out.hints.push(IdentityHint::HostAt {
                    host: host.clone(),
                    ip,
                    role: Role::Unknown,
                });
            }
        }
    }
}
