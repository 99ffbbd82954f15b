//! The simulated organisation: its servers, their clocks, and the fault.
//!
//! Everything the writers print derives from here, so that both ends of a
//! connection agree (endpoints, names, banners) and a skewed clock shows in
//! every timestamp its owner writes and in none the others write.

use super::locale::{Locale, Wall};
use super::rng;
use jiff::{SignedDuration, Timestamp};

/// What goes wrong in a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    Healthy,
    ClockSkew,
    AdReplication,
    SpnMissing,
    SpnDuplicate,
    KerberosBlocked,
    ConnectorAuth,
    SenderSynthesized,
    Inconclusive,
    Mixed,
}

impl Scenario {
    pub const ALL: [Scenario; 10] = [
        Scenario::Healthy,
        Scenario::ClockSkew,
        Scenario::AdReplication,
        Scenario::SpnMissing,
        Scenario::SpnDuplicate,
        Scenario::KerberosBlocked,
        Scenario::ConnectorAuth,
        Scenario::SenderSynthesized,
        Scenario::Inconclusive,
        Scenario::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::ClockSkew => "clock-skew",
            Scenario::AdReplication => "ad-replication",
            Scenario::SpnMissing => "spn-missing",
            Scenario::SpnDuplicate => "spn-duplicate",
            Scenario::KerberosBlocked => "kerberos-blocked",
            Scenario::ConnectorAuth => "connector-auth",
            Scenario::SenderSynthesized => "sender-synthesized",
            Scenario::Inconclusive => "inconclusive",
            Scenario::Mixed => "mixed",
        }
    }

    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The root cause the scenario simulates, as `expected.json` names it.
    pub fn primary_cause(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::ClockSkew => "clock-skew",
            Scenario::AdReplication | Scenario::Mixed => "ad-replication",
            Scenario::SpnMissing | Scenario::SenderSynthesized => "spn-missing",
            Scenario::SpnDuplicate => "spn-duplicate",
            Scenario::KerberosBlocked => "kerberos-blocked",
            Scenario::ConnectorAuth => "connector-auth",
            Scenario::Inconclusive => "inconclusive",
        }
    }

    /// Which end produced the error the queue shows. (Inconclusive: the
    /// receiver's event 1035 shows it refused; only the cause is unknown.)
    pub fn side(self) -> Option<&'static str> {
        match self {
            Scenario::Healthy => None,
            Scenario::ConnectorAuth => Some("connector-refused"),
            Scenario::SenderSynthesized => Some("sender-synthesized"),
            _ => Some("receiver-rejected"),
        }
    }
}

/// Whose clock is wrong in the clock-skew scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skewed {
    Receiver,
    Sender,
    Dc,
}

/// An SSPI `SecurityStatus` name as Exchange logs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    TimeSkew,
    WrongPrincipal,
    TargetUnknown,
    NoAuthenticatingAuthority,
    IllegalMessage,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::TimeSkew => "TimeSkew",
            Status::WrongPrincipal => "WrongPrincipal",
            Status::TargetUnknown => "TargetUnknown",
            Status::NoAuthenticatingAuthority => "NoAuthenticatingAuthority",
            Status::IllegalMessage => "IllegalMessage",
        }
    }
}

/// How one connection attempt from a sender to a receiver ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Authenticated and delivered.
    Delivered,
    /// The receiver answers X-EXPS with `454 4.7.0`.
    Rejected(Status),
    /// The sender cannot get a ticket and never sends X-EXPS.
    SenderFailed(Status),
    /// A connector without Exchange Server authentication takes the
    /// connection: no X-EXPS is advertised.
    ConnectorRefused,
}

impl Outcome {
    pub fn fails(self) -> bool {
        self != Outcome::Delivered
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Exchange,
    DomainController,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Exchange => "exchange",
            Role::DomainController => "domain-controller",
        }
    }
}

/// One machine of the organisation.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub fqdn: String,
    pub ip: String,
    pub role: Role,
    /// Index among hosts of the same role.
    pub index: usize,
    /// For Exchange servers: the DC (index among DCs) its Kerberos client uses.
    pub dc: usize,
    /// The transport certificate's thumbprint and serial (Exchange servers).
    pub thumbprint: String,
    pub serial: String,
}

/// What the user asked for, already validated (the CLI builds it).
#[derive(Debug, Clone)]
pub struct Settings {
    pub scenario: Scenario,
    pub servers: usize,
    pub dcs: usize,
    pub hours: u32,
    /// Grow healthy traffic until the collection is this many bytes (the
    /// files as written, before any zipping).
    pub size: Option<u64>,
    pub locale: Locale,
    pub seed: u64,
    /// Clock error of the skewed machine, seconds (clock-skew only).
    pub skew_seconds: i64,
    pub skewed: Skewed,
    /// Roll a protocol log over to `-N+1` when it would pass this size.
    pub max_log_file: u64,
}

pub const DOMAIN: &str = "contoso.com";
pub const NETBIOS_DOMAIN: &str = "CONTOSO";
pub const REALM: &str = "CONTOSO.COM";
pub const SITE: &str = "Default-First-Site-Name";
/// Where every collection's time window starts (the collection date in the
/// README's examples).
pub const WINDOW_START: &str = "2026-11-26T06:00:00Z";
/// The queue retry interval (Exchange's default glitch/transient retries
/// settle on 10 minutes in both real samples).
pub const RETRY_SECONDS: i64 = 600;

/// The organisation during the collection window.
#[derive(Debug, Clone)]
pub struct World {
    pub settings: Settings,
    pub exchange: Vec<Host>,
    pub dcs: Vec<Host>,
    pub start: Timestamp,
    pub end: Timestamp,
    /// When the fault begins (clock step, SPN removed, password change, …).
    pub fault_start: Timestamp,
    /// The failing pair's sender and receiver (indices into `exchange`).
    pub sender: usize,
    pub receiver: usize,
    /// The DC that missed the receiver's password change (ad-replication).
    pub stale_dc: usize,
    pub wall: Wall,
    /// Mean seconds between healthy sessions of one (sender, receiver) pair.
    pub interval_s: f64,
}

/// Mean seconds between one pair's healthy sessions without `--size`.
pub const DEFAULT_INTERVAL_S: f64 = 180.0;

/// A machine: an Exchange server or a DC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    Exchange(usize),
    Dc(usize),
}

impl World {
    pub fn new(settings: Settings) -> World {
        let scenario = settings.scenario;
        let mut servers = settings.servers.max(2);
        let mut dcs = settings.dcs.max(1);
        if scenario == Scenario::Mixed {
            servers = servers.max(3);
        }
        if matches!(scenario, Scenario::AdReplication | Scenario::Mixed) {
            dcs = dcs.max(2);
        }
        let mut ids = rng::stream(settings.seed, &[&"certificates"]);
        let exchange = (0..servers)
            .map(|i| {
                let name = format!("EX{:02}", i + 1);
                Host {
                    fqdn: format!("{name}.{DOMAIN}"),
                    ip: format!("10.0.{}.{}", 1 + i / 200, 11 + i % 200),
                    role: Role::Exchange,
                    index: i,
                    // Site affinity: server i asks DC (i+1) mod n, so with two
                    // DCs EX01 uses DC02 and EX02 uses DC01.
                    dc: (i + 1) % dcs,
                    thumbprint: ids.hex(40),
                    serial: ids.hex(32),
                    name,
                }
            })
            .collect();
        let dcs = (0..dcs)
            .map(|i| {
                let name = format!("DC{:02}", i + 1);
                Host {
                    fqdn: format!("{name}.{DOMAIN}"),
                    ip: format!("10.0.0.{}", 10 + i),
                    role: Role::DomainController,
                    index: i,
                    dc: i,
                    thumbprint: String::new(),
                    serial: String::new(),
                    name,
                }
            })
            .collect::<Vec<_>>();
        let start: Timestamp = WINDOW_START.parse().unwrap_or(Timestamp::UNIX_EPOCH);
        let hours = settings.hours.max(1);
        let end = start + SignedDuration::from_hours(i64::from(hours));
        let mut fault = rng::stream(settings.seed, &[&"fault"]);
        let span = end.duration_since(start).as_secs();
        let fault_start = start
            + SignedDuration::from_millis(
                (span * 35 / 100 + fault.between(0, 300)) * 1000 + fault.between(0, 999),
            );
        let receiver = if scenario == Scenario::Mixed {
            servers - 1
        } else {
            1
        };
        let stale_dc = exchange_dc(0, dcs.len());
        let locale = settings.locale;
        World {
            settings,
            exchange,
            dcs,
            start,
            end,
            fault_start,
            sender: 0,
            receiver,
            stale_dc,
            wall: Wall {
                zone: locale.time_zone(),
                locale,
            },
            interval_s: DEFAULT_INTERVAL_S,
        }
    }

    pub fn scenario(&self) -> Scenario {
        self.settings.scenario
    }

    pub fn host(&self, machine: Machine) -> &Host {
        match machine {
            Machine::Exchange(i) => &self.exchange[i],
            Machine::Dc(i) => &self.dcs[i],
        }
    }

    /// The machine whose clock is wrong, if any.
    pub fn skewed_machine(&self) -> Option<Machine> {
        if self.scenario() != Scenario::ClockSkew {
            return None;
        }
        Some(match self.settings.skewed {
            Skewed::Receiver => Machine::Exchange(self.receiver),
            Skewed::Sender => Machine::Exchange(self.sender),
            Skewed::Dc => Machine::Dc(0),
        })
    }

    /// How far `machine`'s clock is off at true time `t`, in milliseconds.
    /// The clock steps at the fault start (a VM restored, a host-time sync
    /// gone wrong) and stays off.
    pub fn clock_error_ms(&self, machine: Machine, t: Timestamp) -> i64 {
        if Some(machine) == self.skewed_machine() && t >= self.fault_start {
            self.settings.skew_seconds * 1000
        } else {
            0
        }
    }

    /// What `machine`'s clock reads at true time `t`.
    pub fn clock(&self, machine: Machine, t: Timestamp) -> Timestamp {
        t + SignedDuration::from_millis(self.clock_error_ms(machine, t))
    }

    /// How an attempt from `sender` to `receiver` at true time `t` ends.
    pub fn outcome(&self, sender: usize, receiver: usize, t: Timestamp) -> Outcome {
        if t < self.fault_start || sender == receiver {
            return Outcome::Delivered;
        }
        let to_receiver = receiver == self.receiver;
        match self.scenario() {
            Scenario::Healthy => Outcome::Delivered,
            Scenario::ClockSkew => {
                let involved = match self.skewed_machine() {
                    Some(Machine::Exchange(x)) => x == sender || x == receiver,
                    // Tickets from a DC whose clock is ahead are not yet
                    // valid at the receiver.
                    Some(Machine::Dc(d)) => self.exchange[sender].dc == d,
                    None => false,
                };
                if involved {
                    Outcome::Rejected(Status::TimeSkew)
                } else {
                    Outcome::Delivered
                }
            }
            // The receiver's new machine password never reached the stale
            // DC: tickets it issues are encrypted with the old key.
            Scenario::AdReplication | Scenario::Mixed => {
                if to_receiver && self.exchange[sender].dc == self.stale_dc {
                    Outcome::Rejected(Status::WrongPrincipal)
                } else {
                    Outcome::Delivered
                }
            }
            Scenario::SpnMissing if to_receiver => Outcome::Rejected(Status::TargetUnknown),
            Scenario::SpnDuplicate if to_receiver => Outcome::Rejected(Status::WrongPrincipal),
            Scenario::KerberosBlocked if sender == self.sender => {
                Outcome::Rejected(Status::NoAuthenticatingAuthority)
            }
            Scenario::ConnectorAuth if sender == self.sender && to_receiver => {
                Outcome::ConnectorRefused
            }
            Scenario::SenderSynthesized if to_receiver => {
                Outcome::SenderFailed(Status::TargetUnknown)
            }
            Scenario::Inconclusive if to_receiver => Outcome::Rejected(Status::IllegalMessage),
            _ => Outcome::Delivered,
        }
    }

    /// Every (sender, receiver) pair that fails after the fault start.
    pub fn failing_pairs(&self) -> Vec<(usize, usize)> {
        let n = self.exchange.len();
        let mut pairs = Vec::new();
        for s in 0..n {
            for r in 0..n {
                if s != r && self.outcome(s, r, self.end).fails() {
                    pairs.push((s, r));
                }
            }
        }
        pairs
    }

    /// The transport service's session-id base: .NET ticks of its start
    /// (a few days before the window), as Exchange seeds its counter.
    pub fn session_id_base(&self, server: usize) -> u64 {
        let mut r = rng::stream(self.settings.seed, &[&"service-start", &server]);
        let started = self.start.as_second() - r.between(2 * 86_400, 20 * 86_400);
        // Ticks: 100 ns since 0001-01-01.
        ((started + 62_135_596_800) as u64) * 10_000_000 + r.between(0, 9_999_999) as u64
    }
}

fn exchange_dc(server: usize, dcs: usize) -> usize {
    (server + 1) % dcs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn settings(scenario: Scenario) -> Settings {
        Settings {
            scenario,
            servers: 2,
            dcs: 1,
            hours: 2,
            size: None,
            locale: Locale::EnUs,
            seed: 1,
            skew_seconds: 420,
            skewed: Skewed::Receiver,
            max_log_file: 10 << 20,
        }
    }

    #[test]
    fn skewed_receiver_fails_both_directions_after_the_step() {
        let w = World::new(settings(Scenario::ClockSkew));
        assert_eq!(w.failing_pairs(), vec![(0, 1), (1, 0)]);
        assert!(!w.outcome(0, 1, w.start).fails());
        assert_eq!(w.clock_error_ms(Machine::Exchange(1), w.end), 420_000);
        assert_eq!(w.clock_error_ms(Machine::Exchange(0), w.end), 0);
    }

    #[test]
    fn mixed_has_one_failing_pair() {
        let w = World::new(settings(Scenario::Mixed));
        assert_eq!(w.exchange.len(), 3);
        assert_eq!(w.failing_pairs(), vec![(0, 2)]);
    }
}
