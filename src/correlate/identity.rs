//! One map of the servers in a collection: short name ↔ FQDNs ↔ IPs ↔ role.
//!
//! Evidence names servers in many ways — `EX02`, `ex02.contoso.local`,
//! `10.1.2.12`, `SMTPSVC/EX02.contoso.local`, `EX02$` — and the map is built
//! from the collection alone (folder names, `.evtx` Computer fields, protocol
//! log endpoints, EHLO names, queue FQDN/IP parts, …). When one IP is claimed
//! by two names the map keeps both and reports the conflict instead of
//! silently picking one.

use crate::model::{canonical_ip, normalize_host, Role};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Short host name in upper case (`EX01`).
    pub name: String,
    /// Fully qualified names, lower case.
    pub fqdns: BTreeSet<String>,
    pub ips: BTreeSet<IpAddr>,
    pub role: Role,
}

/// One IP claimed by more than one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpConflict {
    pub ip: IpAddr,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct IdentityMap {
    servers: BTreeMap<String, Identity>,
    ip_claims: BTreeMap<IpAddr, BTreeSet<String>>,
}

impl IdentityMap {
    /// Records a name (short, FQDN, SPN, account); returns the short name.
    pub fn observe_host(&mut self, raw: &str) -> Option<String> {
        let (short, fqdn) = normalize_host(raw)?;
        let entry = self
            .servers
            .entry(short.clone())
            .or_insert_with(|| Identity {
                name: short.clone(),
                fqdns: BTreeSet::new(),
                ips: BTreeSet::new(),
                role: Role::Unknown,
            });
        if let Some(fqdn) = fqdn {
            entry.fqdns.insert(fqdn);
        }
        Some(short)
    }

    /// Records that `host` uses `ip` (`::ffff:` prefixes removed).
    pub fn observe_ip(&mut self, host: &str, ip: IpAddr) -> Option<String> {
        let short = self.observe_host(host)?;
        let ip = canonical_ip(ip);
        if ip.is_unspecified() || ip.is_loopback() {
            return Some(short);
        }
        if let Some(server) = self.servers.get_mut(&short) {
            server.ips.insert(ip);
        }
        self.ip_claims.entry(ip).or_default().insert(short.clone());
        Some(short)
    }

    /// Raises the role of `host` (a DC stays a DC).
    pub fn observe_role(&mut self, host: &str, role: Role) {
        if let Some(short) = self.observe_host(host) {
            if let Some(server) = self.servers.get_mut(&short) {
                server.role = server.role.max(role);
            }
        }
    }

    /// The server that owns `ip`, when exactly one claims it.
    pub fn server_for_ip(&self, ip: IpAddr) -> Option<&str> {
        let claims = self.ip_claims.get(&canonical_ip(ip))?;
        (claims.len() == 1)
            .then(|| claims.iter().next().map(String::as_str))
            .flatten()
    }

    /// The short name for a host name or FQDN the map knows.
    pub fn server_for_host(&self, raw: &str) -> Option<&str> {
        let (short, _) = normalize_host(raw)?;
        self.servers.get_key_value(&short).map(|(k, _)| k.as_str())
    }

    pub fn get(&self, short: &str) -> Option<&Identity> {
        self.servers.get(short)
    }

    pub fn servers(&self) -> impl Iterator<Item = &Identity> {
        self.servers.values()
    }

    pub fn domain_controllers(&self) -> BTreeSet<String> {
        self.servers_of(Role::DomainController)
    }

    /// The short names of the servers of `role`.
    pub fn servers_of(&self, role: Role) -> BTreeSet<String> {
        self.servers
            .values()
            .filter(|s| s.role == role)
            .map(|s| s.name.clone())
            .collect()
    }

    pub fn conflicts(&self) -> Vec<IpConflict> {
        self.ip_claims
            .iter()
            .filter(|(_, names)| names.len() > 1)
            .map(|(ip, names)| IpConflict {
                ip: *ip,
                names: names.iter().cloned().collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_one_server_meet() {
        let mut map = IdentityMap::default();
        for raw in [
            "EX02",
            "ex02.contoso.local",
            "SMTPSVC/EX02.contoso.local",
            "EX02$",
            "EX02$@CONTOSO.LOCAL",
            "smtp/ex02.contoso.local:25",
        ] {
            assert_eq!(map.observe_host(raw).as_deref(), Some("EX02"), "{raw}");
        }
        let ex02 = map.get("EX02").unwrap();
        assert_eq!(
            ex02.fqdns.iter().collect::<Vec<_>>(),
            vec!["ex02.contoso.local"]
        );
        assert_eq!(map.server_for_host("Ex02.Contoso.Local"), Some("EX02"));
    }

    #[test]
    fn ip_lookup_and_conflicts() {
        let mut map = IdentityMap::default();
        map.observe_ip("EX01", "10.1.2.11".parse().unwrap());
        map.observe_ip("ex02.contoso.local", "::ffff:10.1.2.12".parse().unwrap());
        assert_eq!(
            map.server_for_ip("10.1.2.12".parse().unwrap()),
            Some("EX02")
        );
        map.observe_ip("EX03", "10.1.2.12".parse().unwrap());
        assert_eq!(map.server_for_ip("10.1.2.12".parse().unwrap()), None);
        let conflicts = map.conflicts();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(
            conflicts[0].names,
            vec!["EX02".to_string(), "EX03".to_string()]
        );
    }

    #[test]
    fn roles_only_rise() {
        let mut map = IdentityMap::default();
        map.observe_role("DC01.contoso.local", Role::DomainController);
        map.observe_role("DC01", Role::Exchange);
        assert_eq!(map.get("DC01").unwrap().role, Role::DomainController);
        assert_eq!(
            map.domain_controllers().into_iter().collect::<Vec<_>>(),
            vec!["DC01"]
        );
    }

    #[test]
    fn garbage_is_not_a_host() {
        assert_eq!(normalize_host(""), None);
        assert_eq!(normalize_host("10.1.2.12"), None);
        assert_eq!(normalize_host("<script>"), None);
    }
}
