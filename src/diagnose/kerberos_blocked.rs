//! Kerberos blocked: the Exchange servers cannot reach a KDC (TCP/UDP 88,
//! 464), or a middlebox strips the Exchange authentication verbs.

use super::{
    conclusion, incident_pairs, involved, line, relevant, signals, status_support, Cause, Finding,
    Rule, Strength, Weigher,
};
use crate::correlate::case::Case;
use crate::evidence::{Fact, LogKind};
use crate::model::AuthOutcome;
use crate::model::Source;
use std::collections::BTreeSet;

pub struct KerberosBlocked;

const KERBEROS_PORTS: &[u16] = &[88, 464];

impl Rule for KerberosBlocked {
    fn cause(&self) -> Cause {
        Cause::KerberosBlocked
    }

    fn evaluate(&self, case: &Case) -> Finding {
        let mut w = Weigher::new(Cause::KerberosBlocked);
        let (senders, receivers, _) = involved(case);
        let exchange: BTreeSet<String> = senders.union(&receivers).cloned().collect();
        let mut probes = 0;
        let mut netlogon_5719 = 0;
        for (i, e) in case.items() {
            if let Fact::PortProbe {
                target,
                port,
                protocol,
                reachable,
                result,
            } = &e.fact
            {
                if !KERBEROS_PORTS.contains(port) {
                    continue;
                }
                probes += 1;
                match reachable {
                    Some(false) => w.support(
                        format!("probe:{target}:{port}/{protocol}"),
                        line(
                            case,
                            i,
                            Strength::Strong,
                            format!("{protocol} {port} to {target}: {result}"),
                        ),
                    ),
                    Some(true) if protocol == "tcp" => {
                        w.refute(line(
                            case,
                            i,
                            Strength::Medium,
                            format!("{protocol} {port} to {target}: {result}"),
                        ));
                    }
                    _ => {}
                }
            }
        }
        for (i, e) in relevant(case) {
            if let Some((signal, line)) = status_support(case, i, Cause::KerberosBlocked) {
                w.support(signal, line);
                continue;
            }
            match &e.fact {
                Fact::KerberosError {
                    code_name, target, ..
                } => {
                    for (cause, strength) in signals::kerberos_error(&e.fact) {
                        if cause == Cause::KerberosBlocked {
                            w.support(
                                format!("krb:{}", e.fact.kind()),
                                line(
                                    case,
                                    i,
                                    strength,
                                    format!(
                                        "{} {}",
                                        code_name.as_deref().unwrap_or("Kerberos error"),
                                        target.as_deref().unwrap_or("")
                                    )
                                    .trim()
                                    .to_string(),
                                ),
                            );
                        }
                    }
                }
                Fact::NetlogonEvent {
                    event_id: 5719,
                    summary,
                } => {
                    netlogon_5719 += 1;
                    w.support(
                        "netlogon:5719",
                        line(
                            case,
                            i,
                            if netlogon_5719 >= 3 {
                                Strength::Strong
                            } else {
                                Strength::Medium
                            },
                            format!("NETLOGON 5719: {summary}"),
                        ),
                    );
                }
                Fact::DcLocator {
                    error: Some(error), ..
                } => {
                    w.support(
                        "nltest",
                        line(
                            case,
                            i,
                            Strength::Medium,
                            format!("nltest /dsgetdc failed: {error}"),
                        ),
                    );
                }
                // The verbs never arrived although the receiver's connector offers them:
                // something in between strips X-ANONYMOUSTLS / X-EXPS.
                Fact::SmtpAuth {
                    log: LogKind::Send,
                    outcome: AuthOutcome::NotOffered,
                    advertised_exchange_auth: Some(false),
                    remote_host,
                    ..
                } if remote_host
                    .as_deref()
                    .and_then(crate::model::normalize_host)
                    .is_some_and(|(r, _)| connector_offers_exchange_auth(case, &r)) =>
                {
                    w.support(
                        "verb-stripping",
                        line(case, i, Strength::Strong, "Send log: no X-EXPS/X-ANONYMOUSTLS in the EHLO reply, although the receiver's connectors offer Exchange Server authentication: a middlebox strips the verbs".into()),
                    );
                }
                Fact::KerberosTicketIssued {
                    service, client, ..
                } if crate::model::is_smtp_spn(service) => {
                    w.refute(line(
                        case,
                        i,
                        Strength::Medium,
                        format!(
                            "the KDC issued a ticket for {service} to {}",
                            client.as_deref().unwrap_or("a client")
                        ),
                    ));
                }
                _ => {}
            }
        }
        if probes == 0 && !w.has_support() {
            w.missing("`Test-NetConnection <DC> -Port 88` and `portqry -n <DC> -e 88 -p both` from each Exchange server");
            let all = case.coverage.by_server.keys().cloned().collect();
            let scope = if exchange.is_empty() { &all } else { &exchange };
            if !case.coverage.any(scope, Source::SystemLog) {
                w.missing("System logs of the Exchange servers (LsaSrv 40960/40961, Kerberos 10, NETLOGON 5719)");
            } else {
                w.refute(conclusion("absence", None, Strength::Weak, "no LsaSrv 0xc000005e, Kerberos 10 or NETLOGON 5719 in the Exchange servers' System logs".into()));
            }
        }
        let remedy = vec![
            "Open TCP and UDP 88 and TCP/UDP 464 (plus 389, 53 and 135/RPC) between every Exchange server and the DCs, in host firewalls and network firewalls.".to_string(),
            "Test from each Exchange server: `Test-NetConnection <DC> -Port 88` (TCP) and `portqry -n <DC> -e 88 -p both` (UDP); `nltest /dsgetdc:<domain>` must find a DC.".to_string(),
            "If a firewall or appliance inspects SMTP between the Exchange servers, turn SMTP/ESMTP inspection off: it strips X-ANONYMOUSTLS and X-EXPS.".to_string(),
        ];
        w.finish(incident_pairs(case), remedy)
    }
}

/// True when a connector export of `server` offers Exchange Server authentication.
fn connector_offers_exchange_auth(case: &Case, server: &str) -> bool {
    case.evidence.iter().any(|e| match &e.fact {
        Fact::ConnectorAuth(c) => {
            e.server.as_deref() == Some(server)
                && c.auth_mechanism.as_ref().is_some_and(|a| a.exchange_server)
                && c.enabled != Some(false)
        }
        _ => false,
    })
}
