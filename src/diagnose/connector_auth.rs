//! Receive connector without Exchange Server authentication (KB 979175):
//! the connector that takes the sender's connection — its binding, then the
//! most specific RemoteIPRanges, as Exchange chooses — lacks `ExchangeServer`.

use super::{conclusion, incident_pairs, line, Cause, Finding, Rule, Strength, Weigher};
use crate::correlate::case::{Case, ItemId};
use crate::correlate::incident::{Incident, Side};
use crate::evidence::{Fact, LogKind};
use crate::model::endpoint_ip;
use exauth_parsers::diag::receive_connector::{select_connector, ConnectorAuth as Connector};
use std::net::IpAddr;

pub struct ConnectorAuth;

impl Rule for ConnectorAuth {
    fn cause(&self) -> Cause {
        Cause::ConnectorAuth
    }

    fn evaluate(&self, case: &Case) -> Finding {
        let mut w = Weigher::new(Cause::ConnectorAuth);
        let mut remedy = Vec::new();
        // The connectors, found once: a case of a hundred servers has tens of
        // thousands of items and an incident per failing pair.
        let all: Vec<(ItemId, Option<&str>, &Connector)> = case
            .items()
            .filter_map(|(i, e)| match &e.fact {
                Fact::ConnectorAuth(c) => Some((i, e.server.as_deref(), c)),
                _ => None,
            })
            .collect();
        for incident in &case.incidents {
            evaluate_incident(case, incident, &all, &mut w, &mut remedy);
        }
        if case.incidents.is_empty() {
            w.refute(conclusion(
                "absence",
                None,
                Strength::Weak,
                "no failing pair: no 451 5.7.3 in queues or Send logs".into(),
            ));
            // No failure: still flag Exchange servers whose default hub connector lacks it.
            for (i, e) in case.items() {
                if let Fact::ConnectorAuth(c) = &e.fact {
                    if c.transport_role.as_deref() == Some("HubTransport")
                        && c.enabled != Some(false)
                        && !offers(c)
                        && has_2525(c)
                    {
                        w.refute(line(
                            case,
                            i,
                            Strength::Weak,
                            format!(
                                "{} lacks ExchangeServer, but no failure involves it",
                                name(c)
                            ),
                        ));
                    }
                }
            }
        }
        remedy.push("List the receiver's connectors: `Get-ReceiveConnector -Server <receiver> | fl Name,Bindings,RemoteIPRanges,AuthMechanism,PermissionGroups,TransportRole`.".to_string());
        remedy.push("Either add Exchange Server authentication to the connector that takes the sender's connection (`Set-ReceiveConnector '<identity>' -AuthMechanism <existing>,ExchangeServer -PermissionGroups <existing>,ExchangeServers`) or narrow its RemoteIPRanges so that the Exchange servers reach `Default <server>` on 2525.".to_string());
        w.finish(incident_pairs(case), remedy)
    }
}

fn offers(c: &Connector) -> bool {
    c.auth_mechanism.as_ref().is_some_and(|a| a.exchange_server)
}

fn has_2525(c: &Connector) -> bool {
    c.bindings.iter().any(|b| b.port == Some(2525))
}

fn name(c: &Connector) -> String {
    c.identity
        .clone()
        .or_else(|| c.name.clone())
        .unwrap_or_else(|| "(unnamed connector)".into())
}

/// `all`: every connector of the case, with the server its item is of.
fn evaluate_incident(
    case: &Case,
    incident: &Incident,
    all: &[(ItemId, Option<&str>, &Connector)],
    w: &mut Weigher,
    remedy: &mut Vec<String>,
) {
    let receiver = incident.receiver.as_str();
    let named = receiver != crate::correlate::incident::UNKNOWN;
    let connectors: Vec<(ItemId, &Connector)> = all
        .iter()
        .filter(|(_, server, c)| {
            *server == Some(receiver)
                || c.server
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(receiver))
        })
        .map(|&(i, _, c)| (i, c))
        .collect();

    // Where the sender connected: from the protocol logs of this pair, else
    // the receiver's known IP on the hub port.
    let mut endpoint: Option<(IpAddr, u16, Option<IpAddr>)> = None;
    for &i in &incident.failure_evidence {
        if let Fact::SmtpAuth {
            log,
            local_endpoint,
            remote_endpoint,
            ..
        } = &case.item(i).fact
        {
            let (recv_ep, send_ep) = match log {
                LogKind::Send => (remote_endpoint, local_endpoint),
                LogKind::Receive => (local_endpoint, remote_endpoint),
            };
            if let Some(recv) = recv_ep.as_deref() {
                if let (Some(ip), Some(port)) = (
                    endpoint_ip(recv),
                    recv.rsplit(':').next().and_then(|p| p.parse().ok()),
                ) {
                    endpoint = Some((ip, port, send_ep.as_deref().and_then(endpoint_ip)));
                    break;
                }
            }
        }
    }
    let sender_ip = endpoint.and_then(|(_, _, s)| s).or_else(|| {
        case.identities
            .get(&incident.sender)
            .and_then(|id| id.ips.iter().next().copied())
    });
    let receiver_ip = endpoint.map(|(ip, _, _)| ip).or_else(|| {
        case.identities
            .get(receiver)
            .and_then(|id| id.ips.iter().next().copied())
    });
    let ports: Vec<u16> = match endpoint {
        Some((_, port, _)) => vec![port],
        None => vec![2525, 25],
    };

    if incident.side == Side::ConnectorRefused {
        for &i in incident.failure_evidence.iter().take(3) {
            w.support(
                "451-5.7.3",
                line(case, i, Strength::Strong, format!("{} → {}: 451 5.7.3 Cannot achieve Exchange Server authentication (the receiver never offered it)", incident.sender, receiver)),
            );
        }
    }
    for &i in &incident.failure_evidence {
        if let Fact::SmtpAuth {
            log: LogKind::Send,
            advertised_exchange_auth: Some(true),
            ..
        } = &case.item(i).fact
        {
            w.refute(line(
                case,
                i,
                Strength::Strong,
                format!(
                    "{receiver} advertised X-EXPS EXCHANGEAUTH to {}",
                    incident.sender
                ),
            ));
            break;
        }
    }
    if incident.side == Side::ReceiverRejected {
        w.refute(conclusion(
            "side",
            Some(receiver),
            Strength::Medium,
            format!("{} answered 454 4.7.0: it offered Exchange Server authentication and the Kerberos step failed", if named { receiver } else { "the receiver" }),
        ));
    }

    if connectors.is_empty() {
        w.missing(if named {
            format!("`Get-ReceiveConnector -Server {receiver} | fl` (ExchangeLogCollector {receiver}_ReceiveConnectors.txt/.xml)")
        } else {
            "`Get-ReceiveConnector | fl` on the receiving server".to_string()
        });
        return;
    }
    let (Some(receiver_ip), Some(sender_ip)) = (receiver_ip, sender_ip) else {
        w.missing(format!(
            "the IP addresses of {} and {receiver} (protocol logs or queue exports show them)",
            incident.sender
        ));
        return;
    };
    let list: Vec<Connector> = connectors.iter().map(|(_, c)| (*c).clone()).collect();
    let chosen = ports
        .iter()
        .find_map(|&port| select_connector(&list, receiver_ip, port, sender_ip).map(|c| (c, port)));
    let Some((chosen, port)) = chosen else {
        w.missing(format!("a receive connector of {receiver} bound to {receiver_ip} that accepts {sender_ip} (none matched)"));
        return;
    };
    let index = connectors
        .iter()
        .find(|(_, c)| *c == chosen)
        .map(|(i, _)| *i)
        .unwrap_or(connectors[0].0);
    let mechanisms = chosen
        .auth_mechanism
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "none listed".into());
    if offers(chosen) {
        w.refute(line(
            case,
            index,
            Strength::Strong,
            format!(
                "{} takes {sender_ip} → {receiver_ip}:{port} and has ExchangeServer",
                name(chosen)
            ),
        ));
    } else {
        w.support(
            format!("connector:{}", name(chosen)),
            line(
                case,
                index,
                Strength::Strong,
                format!("{} takes {sender_ip} → {receiver_ip}:{port} (binding and most specific RemoteIPRanges) and lacks ExchangeServer ({mechanisms})", name(chosen)),
            ),
        );
        remedy.push(format!(
            "On {receiver}: `Set-ReceiveConnector '{}' -AuthMechanism <existing>,ExchangeServer -PermissionGroups <existing>,ExchangeServers`, or remove {sender_ip} from its RemoteIPRanges.",
            name(chosen)
        ));
    }
}
