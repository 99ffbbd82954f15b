//! What the inputs of diagnostic command outputs (setspn, w32tm, repadmin,
//! Get-ReceiveConnector, port tests, nltest, klist) share. These outputs
//! mostly carry no time of their own: they describe the state when the admin
//! ran them.

use super::text::Content;
use super::{
    read_whole_into, untimed, Extracted, IngestOptions, Input, Place, Records, RowSink,
    HAND_OVER_AT,
};
use crate::discover::Artifact;
use crate::evidence::Fact;
use crate::model::{normalize_host, Source};
use exauth_parsers::detect::Kind;
use exauth_parsers::reread::Reread;
use rustc_hash::FxHashMap;

/// `CN=EX02,OU=Servers,DC=contoso,DC=local` → `EX02`; other text unchanged.
pub(crate) fn account_name(dn: &str) -> String {
    dn.strip_prefix("CN=")
        .or_else(|| dn.strip_prefix("cn="))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or(dn)
        .to_string()
}

pub(crate) fn short(host: &str) -> Option<String> {
    normalize_host(host).map(|(s, _)| s)
}

/// The input of a command output, parsed by one function of the artifact's
/// kind and text when held whole ([`Input::read`]: a transcript read whole
/// hands its blocks so), and streamed otherwise (a file, or a transcript's
/// block as it ends): each tool's module is then its records, how they
/// become facts, and one `static INPUT`.
pub struct CommandOutput<R> {
    pub kinds: &'static [Kind],
    pub source: Source,
    pub parse: fn(Kind, &str, &IngestOptions) -> R,
    /// Reads the output a line (or an object) at a time, its facts to
    /// `facts` as read (what a loop repeats counted, not kept again), so
    /// that memory does not grow with the output; `None`: read whole.
    pub stream: Option<Stream>,
}

/// A [`CommandOutput`]'s streaming: the text (read again from its start as
/// often as the parser needs), the artifact's kind, the options, where its
/// facts go.
pub type Stream = fn(Kind, &mut dyn Reread, &IngestOptions, Place<'_>, &mut Extracted) -> Streamed;

impl<R: Records + 'static> Input for CommandOutput<R> {
    fn kinds(&self) -> &'static [Kind] {
        self.kinds
    }

    fn source(&self, _kind: Kind, _file_name: &str) -> Option<Source> {
        Some(self.source)
    }

    fn read(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
    ) -> Result<Box<dyn Records>, String> {
        let text = content.text()?;
        Ok(Box::new((self.parse)(
            artifact.detection.kind,
            &text,
            options,
        )))
    }

    fn read_into(
        &self,
        artifact: &Artifact<'_>,
        content: &mut Content<'_>,
        options: &IngestOptions,
        place: Place<'_>,
        facts: &mut Extracted,
        rows: Option<(&mut dyn RowSink, Place<'_>)>,
    ) -> Result<Box<dyn Records>, String> {
        match self.stream {
            Some(stream) => {
                let mut text = content.spooled_text()?;
                Ok(Box::new(stream(
                    artifact.detection.kind,
                    &mut text,
                    options,
                    place,
                    facts,
                )))
            }
            None => read_whole_into(self, artifact, content, options, place, facts, rows),
        }
    }
}

/// Facts held before they are handed over, at most: an output of more
/// distinct ones is counted a batch at a time (a fact said again after its
/// batch went is a fact of the next one).
pub(crate) const DISTINCT_A_BATCH: usize = 1 << 14;

/// The facts of one command output, a fact said again counted instead of
/// kept: a command run in a loop into one file (portqry every few seconds
/// for days, a `repadmin /replsummary` at every run of a script) repeats
/// them by the hundred thousand. Each distinct fact is made evidence once,
/// at the line of its first, in the order first read, with
/// [`Evidence::represents`](crate::evidence::Evidence) counting how many
/// lines said it; memory grows with the distinct facts, not the lines.
#[derive(Default)]
pub(crate) struct RepeatedFacts {
    /// The fact, the line of its first (none: a fact of the output), and
    /// how many said it.
    facts: Vec<(Fact, Option<u64>, u64)>,
    /// A fact's key (its JSON) → its place in `facts`.
    index: FxHashMap<String, usize>,
}

impl RepeatedFacts {
    /// Counts `fact`, read at `line`.
    pub(crate) fn add(&mut self, fact: Fact, line: u64, place: Place<'_>, out: &mut Extracted) {
        let key = serde_json::to_string(&fact).unwrap_or_default();
        self.add_keyed(fact, key, Some(line), place, out);
    }

    /// Counts `fact`, the same as any other of the same `key` (the first of
    /// them kept), made evidence at `line`: what the fact says without where
    /// (a connector carries its own line), or without a number that moves at
    /// every run of a loop (a failing link's consecutive failures).
    pub(crate) fn add_keyed(
        &mut self,
        fact: Fact,
        key: String,
        line: Option<u64>,
        place: Place<'_>,
        out: &mut Extracted,
    ) {
        if let Some(&at) = self.index.get(&key) {
            if let Some((_, _, count)) = self.facts.get_mut(at) {
                *count += 1;
            }
            return;
        }
        if self.facts.len() >= DISTINCT_A_BATCH {
            self.finish(place, out);
        }
        self.index.insert(key, self.facts.len());
        self.facts.push((fact, line, 1));
    }

    /// The facts counted so far, made evidence.
    pub(crate) fn finish(&mut self, place: Place<'_>, out: &mut Extracted) {
        self.index.clear();
        for (fact, line, count) in self.facts.drain(..) {
            let mut e = untimed(place, line, fact);
            e.represents = count;
            out.evidence.push(e);
            out.hand_over_when_holding(HAND_OVER_AT);
        }
    }
}

/// What a streamed command output leaves once its lines are facts: how
/// many records it read (none: the file yielded nothing), and the problems.
#[derive(Debug)]
pub struct Streamed {
    pub read: u64,
    pub problems: exauth_parsers::problem::Problems,
}

impl Records for Streamed {
    fn problems(&self) -> &exauth_parsers::problem::Problems {
        &self.problems
    }

    fn is_empty(&self) -> bool {
        self.read == 0
    }

    /// Its facts went as it was read.
    fn extract(&self, _place: Place<'_>, _out: &mut Extracted) {}
}
