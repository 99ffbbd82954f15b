//! Which server each artifact belongs to, decided over the whole collection.
//!
//! Discovery names *candidates* from where a file sits
//! ([`crate::discover::server_hint`]): ExchangeLogCollector's own shape names
//! a server for sure; a folder word, a file-name prefix (`EX01_…`, `EX01-…`,
//! `EX01 …`) or an IP address is only a guess, which the reading half carries
//! as a place key. Here, with every file read, a guess is confirmed against
//! the collection's content:
//!
//! 1. a file whose own content says which machine wrote it wins: the local
//!    endpoint IPs of a protocol log, when the content ties them to exactly
//!    one host (a peer's Receive log EHLO, a banner, a queue's `{IP=…}`);
//! 2. otherwise the most specific candidate that is a host somewhere in the
//!    content (an `.evtx` Computer field, EHLO and banner names, a queue's
//!    Identity or FQDN, setspn computer accounts, 4768/4769 accounts, w32tm
//!    peers, …) or in ExchangeLogCollector's shape; an IP candidate becomes
//!    the one host the content says owns it;
//! 3. otherwise the server stays unknown — never a made-up name.
//!
//! [`attribute`] rewrites every place key of a [`Collected`] to the server
//! decided (or to nothing), so nothing later ever sees a key.

use super::identity::IdentityMap;
use crate::discover::server_hint::{candidates, Basis, Candidates};
use crate::evidence::{Fact, IdentityHint};
use crate::model::{canonical_ip, is_smtp_spn};
use crate::pipeline::Collected;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Decides the server of every artifact whose place named only candidates,
/// and rewrites evidence, identity hints, sessions, records and inventory
/// rows accordingly. Runs once; later calls do nothing.
pub fn attribute(collected: &mut Collected) {
    if collected.attributed {
        return;
    }
    collected.attributed = true;
    let keys = place_keys(collected);
    if keys.is_empty() {
        return;
    }
    let content = content_map(collected);
    let decided: BTreeMap<String, Option<String>> = keys
        .iter()
        .map(|(key, ips)| (key.clone(), decide(key, ips, &content)))
        .collect();
    for (key, server) in &decided {
        if server.is_some() {
            continue;
        }
        if let Some(c) = Candidates::from_place_key(key) {
            collected.unconfirmed_names.extend(
                c.0.into_iter()
                    .filter(|c| c.basis != Basis::Collector)
                    .map(|c| c.name),
            );
        }
    }
    rewrite(collected, &decided);
}

/// The place keys in use, each with the local IPs its files were written
/// from (protocol-log local endpoints).
fn place_keys(collected: &Collected) -> BTreeMap<String, BTreeSet<IpAddr>> {
    let mut keys: BTreeMap<String, BTreeSet<IpAddr>> = BTreeMap::new();
    let mut note = |server: Option<&String>| {
        if let Some(key) = server.filter(|s| Candidates::is_place_key(s)) {
            keys.entry(key.clone()).or_default();
        }
    };
    for row in &collected.inventory.rows {
        note(candidates(&row.origin).place_key().as_ref());
    }
    for e in &collected.evidence {
        note(e.server.as_ref());
    }
    for key in collected.sessions.keys() {
        note(Some(key));
    }
    for (from, _) in &collected.identity_hints {
        note(from.as_ref());
    }
    for (_, hint) in &collected.identity_hints {
        if let IdentityHint::HostAt { host, ip, .. } = hint {
            if Candidates::is_place_key(host) {
                let ip = canonical_ip(*ip);
                let ips = keys.entry(host.clone()).or_default();
                if !ip.is_unspecified() && !ip.is_loopback() {
                    ips.insert(ip);
                }
            }
        }
    }
    keys
}

/// Who is who according to the content alone (and ExchangeLogCollector's
/// shape): everything but the place keys.
fn content_map(collected: &Collected) -> IdentityMap {
    let mut map = IdentityMap::default();
    for (_, hint) in &collected.identity_hints {
        match hint {
            IdentityHint::Computer { name, .. } => {
                map.observe_host(name);
            }
            IdentityHint::AccountAt { account, ip } => {
                map.observe_ip(account, *ip);
            }
            IdentityHint::HostAt { host, ip, .. } => {
                if !Candidates::is_place_key(host) {
                    map.observe_ip(host, *ip);
                }
            }
        }
    }
    // Millions of facts name a few dozen hosts: each name once.
    let mut named: BTreeSet<&str> = BTreeSet::new();
    for e in &collected.evidence {
        if let Some(server) = e.server.as_deref() {
            if !Candidates::is_place_key(server) {
                named.insert(server);
            }
        }
        // `Default-First-Site-Name\DC01` (repadmin) names DC01.
        named.extend(
            fact_hosts(&e.fact)
                .into_iter()
                .map(|h| h.rsplit('\\').next().unwrap_or(h)),
        );
    }
    for host in named {
        map.observe_host(host);
    }
    for row in &collected.inventory.rows {
        for c in candidates(&row.origin).0 {
            if c.basis == Basis::Collector {
                map.observe_host(&c.name);
            }
        }
    }
    map
}

/// The machines a fact names from its content: peers' EHLO and banner
/// names, w32tm and DC names, SMTP service principals, computer accounts.
/// User accounts and domains are no hosts and are left out.
pub(crate) fn fact_hosts(fact: &Fact) -> Vec<&str> {
    let computer = |account: &&str| account.contains('$');
    let mut out: Vec<&str> = Vec::new();
    match fact {
        Fact::SmtpAuth { remote_host, .. } => out.extend(remote_host.as_deref()),
        Fact::ClockSample { remote_server, .. } => out.extend(remote_server.as_deref()),
        Fact::QueueLastError { target_fqdn, .. } => out.extend(target_fqdn.as_deref()),
        Fact::OutboundAuthFailed { target, .. } => {
            out.extend(target.as_deref().filter(|t| is_smtp_spn(t)));
        }
        Fact::KerberosError { target, client, .. } => {
            out.extend(target.as_deref().filter(|t| is_smtp_spn(t)));
            out.extend(client.as_deref().filter(computer));
        }
        Fact::KerberosTicketIssued {
            service, client, ..
        } => {
            out.extend(Some(service.as_str()).filter(|s| is_smtp_spn(s)));
            out.extend(client.as_deref().filter(computer));
        }
        Fact::SpnListing { account, spns, .. } => {
            // A computer account carries HOST/ SPNs; a service account not.
            let host = spns.iter().any(|s| crate::model::is_host_spn(s));
            if host {
                out.push(account);
            }
        }
        // Accounts `setspn -Q` found with no SMTP SPN name the domain's hosts (a
        // `-Q */*`: every workstation), not the collection's: observed, 725,164 of
        // them took 175 MB (benches/collection.sh setspn-query, CMD_MB=200).
        Fact::SpnAccounts(_) => {}
        Fact::ReplicationStatus { dc, .. } => out.push(dc),
        Fact::ReplicationEvent { source_dc, .. } => out.extend(source_dc.as_deref()),
        Fact::DcLocator { dc, .. } => out.extend(dc.as_deref()),
        Fact::TicketCache { servers } => {
            out.extend(
                servers
                    .iter()
                    .map(String::as_str)
                    .filter(|s| is_smtp_spn(s)),
            );
        }
        Fact::TimeSyncStatus { source, .. } => out.extend(source.as_deref()),
        _ => {}
    }
    out
}

/// The server a place key stands for, or `None`.
fn decide(key: &str, local_ips: &BTreeSet<IpAddr>, content: &IdentityMap) -> Option<String> {
    // The file's own writer, by the addresses it logged from.
    let owners: BTreeSet<&str> = local_ips
        .iter()
        .filter_map(|ip| content.server_for_ip(*ip))
        .collect();
    if owners.len() == 1 {
        return owners.into_iter().next().map(str::to_string);
    }
    let candidates = Candidates::from_place_key(key)?;
    candidates.0.into_iter().find_map(|c| match c.basis {
        Basis::Collector => Some(c.name),
        Basis::Place => content.get(&c.name).map(|id| id.name.clone()),
        Basis::Address => c
            .name
            .parse::<IpAddr>()
            .ok()
            .and_then(|ip| content.server_for_ip(ip))
            .map(str::to_string),
    })
}

/// Replaces every place key by the server decided (dropping what only the
/// key tied to a server: its IP claims and its sessions for pairing).
fn rewrite(collected: &mut Collected, decided: &BTreeMap<String, Option<String>>) {
    let resolve = |server: &mut Option<String>| {
        if let Some(key) = server.as_deref().filter(|s| Candidates::is_place_key(s)) {
            *server = decided.get(key).cloned().flatten();
        }
    };
    for e in &mut collected.evidence {
        resolve(&mut e.server);
    }
    // Extract's record rows were written while read, with the server
    // discovery saw (never a tool or folder word); the facts and the
    // inventory rows get the confirmed one here.
    for row in &mut collected.inventory.rows {
        if let Some(key) = candidates(&row.origin).place_key() {
            if Candidates::is_place_key(&key) {
                row.server = decided.get(&key).cloned().flatten();
            }
        }
    }
    let hints = std::mem::take(&mut collected.identity_hints);
    collected.identity_hints = hints
        .into_iter()
        .filter_map(|(mut from, hint)| {
            resolve(&mut from);
            let hint = match hint {
                IdentityHint::HostAt { host, ip, role } if Candidates::is_place_key(&host) => {
                    IdentityHint::HostAt {
                        host: decided.get(&host).cloned().flatten()?,
                        ip,
                        role,
                    }
                }
                other => other,
            };
            Some((from, hint))
        })
        .collect();
    collected.identity_hints.sort();
    collected.identity_hints.dedup();
    let sessions = std::mem::take(&mut collected.sessions);
    let mut merged = BTreeSet::new();
    for (server, list) in sessions {
        let mut server = Some(server);
        resolve(&mut server);
        let Some(server) = server else { continue };
        let entry = collected.sessions.entry(server.clone()).or_default();
        if entry.is_empty() {
            // Moved, not copied: ~600 bytes a session.
            *entry = list;
        } else {
            merged.insert(server);
            entry.extend(list);
        }
    }
    for server in merged {
        if let Some(list) = collected.sessions.get_mut(&server) {
            list.sort_by(|a, b| {
                (a.start, &a.session_id, a.log).cmp(&(b.start, &b.session_id, b.log))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Origin;
    use crate::evidence::testing::{at, send_auth};
    use crate::inventory::{Row, Status};
    use crate::model::{AuthOutcome, Role};
    use exauth_parsers::detect::Kind;

    fn row(path: &str) -> Row {
        let origin = Origin::file(path);
        Row {
            server: crate::discover::server_hint::server_hint(&origin),
            origin,
            kind: Kind::SMTP_SEND_LOG,
            encoding: None,
            bytes: 1,
            status: Status::Ok,
            reason: None,
            set_aside: None,
        }
    }

    fn key(path: &str) -> String {
        candidates(&Origin::file(path))
            .place_key()
            .unwrap_or_default()
    }

    fn host_at(host: &str, ip: &str) -> IdentityHint {
        IdentityHint::HostAt {
            host: host.into(),
            ip: ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            role: Role::Unknown,
        }
    }

    /// EX01's Send log in a flat folder (`EX01_…`), the peer's name only in
    /// its own banner: confirmed by content.
    #[test]
    fn a_prefix_the_content_knows_is_the_server() {
        let path = "flat/EX01_SEND20261126-1.LOG";
        let k = key(path);
        let mut c = Collected::default();
        c.inventory.rows.push(row(path));
        let mut e = at("EX01", 0, send_auth(AuthOutcome::Rejected, None, true));
        e.server = Some(k.clone());
        c.evidence.push(e);
        c.identity_hints
            .push((Some(k.clone()), host_at(&k, "10.1.2.11")));
        c.identity_hints
            .push((Some(k.clone()), host_at("ex02.contoso.local", "10.1.2.12")));
        // Another file says who 10.1.2.11 is.
        c.identity_hints
            .push((None, host_at("ex01.contoso.local", "10.1.2.11")));
        c.sessions.insert(k.clone(), Vec::new());
        attribute(&mut c);
        assert_eq!(c.evidence[0].server.as_deref(), Some("EX01"));
        assert_eq!(c.inventory.rows[0].server.as_deref(), Some("EX01"));
        assert!(c.sessions.contains_key("EX01"));
        assert!(c
            .identity_hints
            .iter()
            .all(|(from, h)| from.as_deref() != Some(k.as_str())
                && !matches!(h, IdentityHint::HostAt { host, .. } if host == &k)));
        assert!(c.unconfirmed_names.is_empty());
        // Once only.
        let before = c.evidence.clone();
        attribute(&mut c);
        assert_eq!(c.evidence, before);
    }

    #[test]
    fn a_name_no_content_knows_is_no_server() {
        let path = "flat/SRV99_SEND20261126-1.LOG";
        let k = key(path);
        let mut c = Collected::default();
        c.inventory.rows.push(row(path));
        let mut e = at("X", 0, send_auth(AuthOutcome::Rejected, None, true));
        e.server = Some(k.clone());
        c.evidence.push(e);
        c.identity_hints
            .push((Some(k.clone()), host_at(&k, "10.1.2.11")));
        c.sessions.insert(k.clone(), Vec::new());
        attribute(&mut c);
        assert_eq!(c.evidence[0].server, None);
        assert_eq!(c.inventory.rows[0].server, None);
        assert!(c.sessions.is_empty());
        assert!(c.identity_hints.is_empty(), "{:?}", c.identity_hints);
        assert_eq!(
            c.unconfirmed_names.iter().collect::<Vec<_>>(),
            vec!["SRV99"]
        );
    }

    #[test]
    fn the_files_own_address_beats_its_name() {
        // Named EX01, but written from 10.1.2.12, which the content says is EX02.
        let path = "flat/EX01_SEND20261126-1.LOG";
        let k = key(path);
        let mut c = Collected::default();
        c.inventory.rows.push(row(path));
        c.identity_hints
            .push((Some(k.clone()), host_at(&k, "10.1.2.12")));
        c.identity_hints
            .push((None, host_at("ex02.contoso.local", "10.1.2.12")));
        c.identity_hints
            .push((None, host_at("ex01.contoso.local", "10.1.2.11")));
        attribute(&mut c);
        assert_eq!(c.inventory.rows[0].server.as_deref(), Some("EX02"));
    }

    #[test]
    fn an_address_folder_resolves_through_the_identity_map() {
        let path = "in/10.1.2.12/x.txt";
        let k = key(path);
        let mut c = Collected::default();
        c.inventory.rows.push(row(path));
        let mut e = at("X", 0, send_auth(AuthOutcome::Rejected, None, true));
        e.server = Some(k.clone());
        c.evidence.push(e);
        c.identity_hints
            .push((None, host_at("ex02.contoso.local", "10.1.2.12")));
        attribute(&mut c);
        assert_eq!(c.evidence[0].server.as_deref(), Some("EX02"));
        assert_eq!(c.inventory.rows[0].server.as_deref(), Some("EX02"));
    }

    #[test]
    fn hosts_named_by_facts() {
        let listing = Fact::SpnListing {
            account: "EX02".into(),
            spns: vec!["HOST/EX02".into(), "SMTPSVC/EX02.contoso.local".into()],
            queried: false,
        };
        assert_eq!(fact_hosts(&listing), vec!["EX02"]);
        let service = Fact::SpnListing {
            account: "svc-mailrelay".into(),
            spns: vec!["SMTPSVC/EX02".into()],
            queried: false,
        };
        assert!(fact_hosts(&service).is_empty());
        let tickets = Fact::TicketCache {
            servers: vec!["krbtgt/CONTOSO.LOCAL".into(), "SMTPSVC/EX02".into()],
        };
        assert_eq!(fact_hosts(&tickets), vec!["SMTPSVC/EX02"]);
        // The workstations a `setspn -Q */*` lists are the domain's, not the
        // collection's hosts.
        let mut by_name = crate::evidence::ListedAccounts::default();
        by_name.accounts.push(crate::evidence::ListedAccount {
            account: "WS0001".into(),
            line: 2,
            spns: 2,
            computer: true,
        });
        assert!(fact_hosts(&Fact::SpnAccounts(Box::new(by_name))).is_empty());
    }
}
