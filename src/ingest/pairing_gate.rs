//! What the run's bounded samples of healthy traffic would refuse, told to
//! a file before it is read, so that a protocol log counts those items
//! instead of making them (`smtp_log`).
//!
//! Scan keeps, per (server, peer), the items with the smallest hashes
//! (`pipeline::Sample`): sessions for clock pairing, by connection hash, and
//! banner clock samples, by origin hash. A share that is full only ever
//! takes smaller hashes after, so an item above the largest it holds is
//! refused whenever it comes. The gate starts from the hashes each share of
//! the file's server holds, and takes in those the file itself lets
//! through: a share fills and tightens while the file is read, as the
//! sample will when those items reach it. A peer the server's shares do
//! not hold yet (every peer of a server's first file) gets a share of the
//! sample's room per pair, empty, that fills the same way. On the
//! 100-server collection of `benches/collection.sh` (1,383,000 sessions
//! and 383,000 banner samples read) a gate that stood as it was before the
//! file let through 236,745 sessions and 139,068 samples, one that
//! tightened only the shares it was told 215,696 and 127,858, this one
//! 186,811 and 117,461 (counted by a scratch build: a counter where the
//! pipeline offers them, not kept): most of what it lets through the
//! sample takes in, as a bottom-k of k does with about k(1 + ln n/k) of n
//! items in any order.
//!
//! Exact: an item the gate refuses is one the sample would refuse, so the
//! items kept and the counts offered are those of offering every item. The
//! sample holds at least what the gate was told and let through (other
//! files of the server, read at the same time, only add smaller hashes; a
//! share is only ever halved). A big log's sessions are thinned to one
//! connection in 8 once the log shows itself big, and the ones dropped were
//! never offered: a session refused that the thinning would drop is counted
//! only when its file ends small ([`Judged::RefusedUnlessThinned`]; the
//! gate that stood still counted it at once).

use rustc_hash::FxHashMap;
use std::collections::BinaryHeap;
use std::net::IpAddr;

/// The gate of one file: per peer, its share of each sample as the file
/// sees it, and the items refused so far (counted as offered).
#[derive(Debug, Default, Clone)]
pub struct PairingGate {
    /// Healthy sessions, by the peer's address text.
    sessions: FxHashMap<String, SessionShare>,
    /// Sessions refused here: offered, as the sample counts them.
    pub refused: u64,
    /// Sessions refused here that a big file's thinning would have dropped
    /// before they were offered: counted once the file ends small
    /// ([`PairingGate::file_ended`]).
    refused_unless_thinned: u64,
    /// Banner samples: per peer address, (peer name, share).
    banners: FxHashMap<Option<IpAddr>, Vec<(Option<String>, GateShare)>>,
    /// Banner samples refused here.
    pub banners_refused: u64,
    /// The room of a share the gate was not told of (the sample's share
    /// per pair when the file began), for sessions and banner samples: such
    /// a share starts empty and tightens with what the file lets through.
    /// Zero: a peer not told of is never refused.
    new_session_room: usize,
    new_banner_room: usize,
}

/// A pair's share of a bottom-k sample as a gate sees it: the largest
/// hashes it holds, at most `room` of them.
#[derive(Debug, Default, Clone)]
pub struct GateShare {
    kept: BinaryHeap<u64>,
    room: usize,
}

impl GateShare {
    /// The share of a pair holding `kept` (primary hashes) of `room`.
    pub fn new(kept: impl IntoIterator<Item = u64>, room: usize) -> Self {
        let kept = kept.into_iter();
        // Sized once: every file tells the gate every share of its server,
        // and grown push by push they were reallocated a dozen times each.
        let mut share = GateShare {
            kept: BinaryHeap::with_capacity(kept.size_hint().0.min(room)),
            room,
        };
        for hash in kept {
            share.take(hash);
        }
        share
    }

    /// Whether an item of primary hash `hash` is refused: the share is
    /// full and holds only smaller hashes. (One of an equal hash is not:
    /// the sample then tells the two apart by a second hash.)
    pub fn refuses(&self, hash: u64) -> bool {
        self.kept.len() >= self.room && self.kept.peek().is_some_and(|&top| hash > top)
    }

    /// Takes in an item let through (it will be offered).
    pub fn take(&mut self, hash: u64) {
        if self.kept.len() < self.room {
            self.kept.push(hash);
        } else if self.kept.peek().is_some_and(|&top| hash < top) {
            self.kept.pop();
            self.kept.push(hash);
        }
    }
}

/// A healthy session's share, kept twice. A protocol log keeps every
/// session for pairing until it shows itself big, then only one connection
/// in 8 (`smtp_log::PAIRING_ONE_IN`), dropping the others it had let
/// through: those are never offered. So a session that survives that
/// thinning is judged by `surviving` (the sessions let through that
/// survive it too), any other by `all` (when the file ends small, every
/// session let through is offered; when it grows big, the session itself
/// is dropped).
#[derive(Debug, Default, Clone)]
struct SessionShare {
    all: GateShare,
    surviving: GateShare,
}

/// How a gate judges a healthy session. A session refused stays refused,
/// and of the same kind: the shares only tighten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// Refused, a session a big file's thinning keeps: counted.
    Refused,
    /// Refused, a session a big file's thinning drops: counted only if the
    /// file ends small (a big one would not have offered it).
    RefusedUnlessThinned,
    LetThrough,
}

impl SessionShare {
    fn judge(&self, hash: u64, survives: bool) -> Judged {
        match survives {
            true if self.surviving.refuses(hash) => Judged::Refused,
            false if self.all.refuses(hash) => Judged::RefusedUnlessThinned,
            _ => Judged::LetThrough,
        }
    }
}

impl PairingGate {
    /// Tells the gate the share of the sessions' sample a peer has:
    /// the connection hashes it holds, of `room`.
    pub fn session_share(&mut self, peer: &str, kept: &[u64], room: usize) {
        self.sessions.insert(
            peer.to_string(),
            SessionShare {
                all: GateShare::new(kept.iter().copied(), room),
                surviving: GateShare::new(kept.iter().copied(), room),
            },
        );
    }

    /// Tells the gate the share of the banner samples' sample a peer
    /// (address and name) has.
    pub fn banner_share(&mut self, ip: Option<IpAddr>, name: Option<String>, share: GateShare) {
        self.banners.entry(ip).or_default().push((name, share));
    }

    /// Tells the gate the room of the shares of peers it was not told of:
    /// the share per pair of each sample when the file began. A file is
    /// mostly a server's first, or names a peer its server's shares do not
    /// hold yet, and such a peer's items were all let through; now they
    /// fill a share of that room and are refused above it. Exact as the
    /// rest: an item refused has `room` items of smaller hash let through
    /// before it, all offered, and the sample's share is never larger.
    pub fn new_peers_room(&mut self, sessions: usize, banners: usize) {
        self.new_session_room = sessions;
        self.new_banner_room = banners;
    }

    /// True when a banner sample from the peer (`ip`, `name`) of origin hash
    /// `hash` is refused (counted); one let through is taken in (it is made
    /// and offered).
    pub fn refuses_banner(&mut self, ip: Option<IpAddr>, name: Option<&str>, hash: u64) -> bool {
        let room = self.new_banner_room;
        let known = self
            .banners
            .get(&ip)
            .and_then(|names| names.iter().position(|(n, _)| n.as_deref() == name));
        if known.is_none() && room == 0 {
            return false;
        }
        let names = self.banners.entry(ip).or_default();
        let at = known.unwrap_or_else(|| {
            names.push((name.map(str::to_owned), GateShare::new([], room)));
            names.len() - 1
        });
        let Some((_, share)) = names.get_mut(at) else {
            return false;
        };
        if share.refuses(hash) {
            self.banners_refused += 1;
            return true;
        }
        share.take(hash);
        false
    }

    /// [`PairingGate::refuses_banner`], counting and taking in nothing.
    pub fn would_refuse_banner(&self, ip: Option<IpAddr>, name: Option<&str>, hash: u64) -> bool {
        self.banners.get(&ip).is_some_and(|names| {
            names
                .iter()
                .any(|(n, share)| n.as_deref() == name && share.refuses(hash))
        })
    }

    /// True when a healthy session to `peer` of connection hash `hash` is
    /// refused (counted); one let through is taken in (it is kept for
    /// pairing). `survives`: a big file's thinning keeps it
    /// (`smtp_log::keep_for_pairing` at one in 8).
    pub fn refuses(&mut self, peer: &str, hash: u64, survives: bool) -> bool {
        let judged = self.judge(peer, hash, survives);
        if judged == Judged::LetThrough {
            if !self.sessions.contains_key(peer) && self.new_session_room > 0 {
                self.session_share(peer, &[], self.new_session_room);
            }
            if let Some(share) = self.sessions.get_mut(peer) {
                share.all.take(hash);
                if survives {
                    share.surviving.take(hash);
                }
            }
            return false;
        }
        self.count(judged);
        true
    }

    /// How [`PairingGate::refuses`] would judge the session now, counting
    /// and taking in nothing.
    pub fn judge(&self, peer: &str, hash: u64, survives: bool) -> Judged {
        self.sessions
            .get(peer)
            .map_or(Judged::LetThrough, |share| share.judge(hash, survives))
    }

    /// Counts a session judged refused earlier ([`PairingGate::judge`]).
    pub fn count(&mut self, judged: Judged) {
        match judged {
            Judged::Refused => self.refused += 1,
            Judged::RefusedUnlessThinned => self.refused_unless_thinned += 1,
            Judged::LetThrough => {}
        }
    }

    /// The file is read: `thinned`, whether it grew big enough to keep one
    /// connection in 8 (the sessions refused that its thinning would have
    /// dropped are then not counted, as they would not have been offered).
    pub fn file_ended(&mut self, thinned: bool) {
        if !thinned {
            self.refused += self.refused_unless_thinned;
        }
        self.refused_unless_thinned = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sessions `gate` counts refused once its file ends, `thinned` or not.
    fn refused_when_file_ends(gate: &PairingGate, thinned: bool) -> u64 {
        let mut gate = gate.clone();
        gate.file_ended(thinned);
        gate.refused
    }

    /// A share fills with what is let through, then refuses what is above
    /// the largest hash it holds, lower and lower.
    #[test]
    fn a_share_tightens_as_items_are_let_through() {
        let mut share = GateShare::new([], 3);
        for hash in [10, 9, 8] {
            assert!(!share.refuses(hash));
            share.take(hash);
        }
        assert!(share.refuses(11));
        assert!(!share.refuses(10), "an equal hash goes to the sample's tie");
        share.take(5);
        assert!(share.refuses(10));
        assert!(!share.refuses(9));
    }

    /// A session a big file's thinning would drop is judged by everything
    /// let through, one it keeps only by the ones it keeps too; refusals of
    /// the first kind count only if the file ends small.
    #[test]
    fn sessions_are_judged_by_what_survives_with_them() {
        let mut gate = PairingGate::default();
        gate.session_share("10.0.0.12", &[], 2);
        // Two let through that a thinning would drop: the share of those
        // that survive is still empty.
        assert!(!gate.refuses("10.0.0.12", 3, false));
        assert!(!gate.refuses("10.0.0.12", 4, false));
        assert!(gate.refuses("10.0.0.12", 7, false));
        assert_eq!(gate.judge("10.0.0.12", 7, true), Judged::LetThrough);
        assert!(!gate.refuses("10.0.0.12", 7, true));
        assert!(!gate.refuses("10.0.0.12", 6, true));
        assert!(gate.refuses("10.0.0.12", 8, true));
        assert_eq!(gate.refused, 1);
        assert_eq!(refused_when_file_ends(&gate, false), 2);
        assert_eq!(refused_when_file_ends(&gate, true), 1);
        // A peer the gate was not told of is never refused.
        assert!(!gate.refuses("10.0.0.13", u64::MAX, true));
    }

    /// Told the room of shares it was not told of, a gate fills a new
    /// peer's share with what it lets through and refuses above it, as a
    /// told share of that room that started empty; the other peers keep
    /// theirs.
    #[test]
    fn a_new_peers_share_fills_from_empty() {
        let mut gate = PairingGate::default();
        gate.session_share("10.0.0.12", &[5, 9], 2);
        gate.new_peers_room(2, 1);
        for hash in [30, 20] {
            assert!(!gate.refuses("10.0.0.13", hash, true));
        }
        assert_eq!(gate.judge("10.0.0.13", 31, true), Judged::Refused);
        assert!(gate.refuses("10.0.0.13", 31, true));
        assert!(!gate.refuses("10.0.0.13", 25, true));
        assert!(gate.refuses("10.0.0.13", 26, true));
        assert!(gate.refuses("10.0.0.12", 10, true));
        assert_eq!(gate.refused, 3);

        let ip = Some(IpAddr::from([10, 0, 0, 13]));
        assert!(!gate.refuses_banner(ip, Some("EX13"), 50));
        assert!(gate.would_refuse_banner(ip, Some("EX13"), 51));
        assert!(gate.refuses_banner(ip, Some("EX13"), 51));
        // Another name at the address is another peer.
        assert!(!gate.refuses_banner(ip, Some("ex13.contoso.com"), 51));
        assert!(!gate.refuses_banner(ip, Some("EX13"), 40));
        assert!(gate.refuses_banner(ip, Some("EX13"), 45));
        assert_eq!(gate.banners_refused, 2);
    }

    /// A share full when the file began refuses above its largest hash;
    /// a session the thinning would drop is counted only if the file ends
    /// small, one it keeps at once.
    #[test]
    fn a_full_share_refuses_from_the_start() {
        let mut gate = PairingGate::default();
        gate.session_share("10.0.0.12", &[5, 9], 2);
        assert!(gate.refuses("10.0.0.12", 10, false));
        assert!(gate.refuses("10.0.0.12", 11, true));
        assert!(!gate.refuses("10.0.0.12", 9, true));
        assert_eq!(gate.refused, 1);
        assert_eq!(refused_when_file_ends(&gate, false), 2);
        assert_eq!(refused_when_file_ends(&gate, true), 1);
    }
}
