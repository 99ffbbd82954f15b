//! `klist` output: the service tickets a server holds (SMTPSVC for its peers).
//!
//! Streamed ([`CommandOutput::stream`]): `klist` run every minute for days
//! into one file lists the same tickets again and again; the output is one
//! fact of the servers its tickets are for — every ticket of its first run,
//! as one run has always read, then each server a later run names that no
//! ticket named before — standing for the runs that listed tickets.

use super::diag::{CommandOutput, Streamed, DISTINCT_A_BATCH};
use super::{untimed, Extracted, Place, Records};
use crate::evidence::Fact;
use crate::model::Source;
use exauth_parsers::detect::Kind;
use exauth_parsers::diag::klist::{self, KerberosTicket, KlistRecord, TicketCache};
use exauth_parsers::problem::Problems;
use rustc_hash::FxHashSet;

/// The input of this output (one line in `ingest::INPUTS`).
pub static INPUT: CommandOutput<KlistRecords> = CommandOutput {
    kinds: &[Kind::KLIST],
    source: Source::Klist,
    parse: |_, text, options| KlistRecords(klist::parse(text, options.date_order)),
    stream: Some(|_, text, options, place, facts| {
        let mut servers = TicketServers::default();
        let mut read = 0u64;
        let cache = klist::read(text, options.date_order, &mut |record| {
            read += 1;
            if let KlistRecord::Ticket(ticket) = record {
                servers.add(&ticket, place, facts);
            }
        });
        servers.finish(place, facts);
        Streamed {
            read,
            problems: cache.problems,
        }
    }),
};

/// One klist output.
#[derive(Debug)]
pub struct KlistRecords(pub TicketCache);

impl Records for KlistRecords {
    fn problems(&self) -> &Problems {
        &self.0.problems
    }

    fn is_empty(&self) -> bool {
        self.0.tickets.is_empty() && self.0.errors.is_empty()
    }

    fn extract(&self, place: Place<'_>, out: &mut Extracted) {
        let mut servers = TicketServers::default();
        for ticket in &self.0.tickets {
            servers.add(ticket, place, out);
        }
        servers.finish(place, out);
    }
}

/// The servers of an output's tickets, made one [`Fact::TicketCache`]: the
/// first run's as listed, a later run's that none named before; the fact
/// stands for the runs that listed tickets. An output naming more servers
/// than [`DISTINCT_A_BATCH`] says them in a fact a batch.
#[derive(Default)]
struct TicketServers {
    servers: Vec<String>,
    named: FxHashSet<String>,
    /// Runs that listed tickets since the last fact, and the last one's number.
    runs: u64,
    last_run: u32,
}

impl TicketServers {
    fn add(&mut self, ticket: &KerberosTicket, place: Place<'_>, out: &mut Extracted) {
        if ticket.run != self.last_run {
            self.last_run = ticket.run;
            self.runs += 1;
        }
        let Some(server) = &ticket.server else {
            return;
        };
        if ticket.run > 1 && self.named.contains(&server.text) {
            return;
        }
        if self.servers.len() >= DISTINCT_A_BATCH {
            self.finish(place, out);
            self.runs = 1;
        }
        self.named.insert(server.text.clone());
        self.servers.push(server.text.clone());
    }

    /// The servers named so far, one fact (an output without tickets: one
    /// naming none).
    fn finish(&mut self, place: Place<'_>, out: &mut Extracted) {
        self.named.clear();
        let mut e = untimed(
            place,
            None,
            Fact::TicketCache {
                servers: std::mem::take(&mut self.servers),
            },
        );
        e.represents = self.runs.max(1);
        self.runs = 0;
        out.evidence.push(e);
    }
}
