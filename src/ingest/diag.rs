//! What the inputs of diagnostic command outputs (setspn, w32tm, repadmin,
//! Get-ReceiveConnector, port tests, nltest, klist) share. These outputs
//! mostly carry no time of their own: they describe the state when the admin
//! ran them.

use super::text::Content;
use super::{IngestOptions, Input, Records};
use crate::discover::Artifact;
use crate::model::{normalize_host, Source};
use exauth_parsers::detect::Kind;

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

/// The input of a command output: read whole, parsed by one function of the
/// artifact's kind and text. Each tool's module is then its records and how
/// they become facts, plus one `static INPUT`.
pub struct CommandOutput<R> {
    pub kinds: &'static [Kind],
    pub source: Source,
    pub parse: fn(Kind, &str, &IngestOptions) -> R,
}

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
}
