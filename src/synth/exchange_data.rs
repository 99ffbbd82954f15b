//! `Exchange_Server_Data`: Get-Queue and Get-ReceiveConnector as
//! ExchangeLogCollector saves them (`<SERVER>_InstantQueueInfo.txt/.xml`,
//! `<SERVER>_ReceiveConnectors.txt/.xml`).
//!
//! A failing sender's delivery-group queue is in Retry with the LastError
//! Exchange builds (`[{LRT=…};{LED=451 4.4.0 Primary target IP address
//! responded with: "454 4.7.0 …." …};{FQDN=…};{IP=…}]`). Its times are the
//! sender's own clock, converted to its zone and printed in its culture.

use super::psobject::{date, PsObject, Value};
use super::rng;
use super::traffic::{failing_attempts, ts, Attempt};
use super::world::{Machine, Outcome, Scenario, World, DOMAIN, RETRY_SECONDS, SITE};
use super::Counts;

const QUEUE_TYPES: &[&str] = &[
    "Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo",
    "Deserialized.Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo",
    "Deserialized.Microsoft.Exchange.Data.QueueViewer.PagedDataObject",
    "Deserialized.System.Object",
];
const QUEUE_IDENTITY_TYPES: &[&str] = &[
    "Deserialized.Microsoft.Exchange.Data.QueueViewer.QueueIdentity",
    "Deserialized.Microsoft.Exchange.Data.ObjectId",
    "Deserialized.System.Object",
];
const CONNECTOR_TYPES: &[&str] = &[
    "Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector",
    "Deserialized.Microsoft.Exchange.Data.Directory.ADConfigurationObject",
    "Deserialized.Microsoft.Exchange.Data.Directory.ADObject",
    "Deserialized.Microsoft.Exchange.Data.Directory.ADRawEntry",
    "Deserialized.Microsoft.Exchange.Data.ConfigurableObject",
    "Deserialized.System.Object",
];
const AD_ID_TYPES: &[&str] = &[
    "Deserialized.Microsoft.Exchange.Data.Directory.ADObjectId",
    "Deserialized.Microsoft.Exchange.Data.ObjectId",
    "Deserialized.System.Object",
];

fn guid(r: &mut rng::Rand) -> String {
    // A version-4 GUID, as .NET's Guid.NewGuid() makes.
    let h = r.hex(32).to_ascii_lowercase();
    let variant = ["8", "9", "a", "b"][r.between(0, 3) as usize];
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// The LED text of a failed hop.
pub fn last_error_text(outcome: Outcome, ip: &str) -> String {
    let inner = match outcome {
        Outcome::ConnectorRefused => "451 5.7.3 Cannot achieve Exchange Server authentication",
        _ => "454 4.7.0 Temporary authentication failure",
    };
    format!(
        "451 4.4.0 Primary target IP address responded with: \"{inner}.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was {ip}:2525"
    )
}

/// Get-Queue on `server` at the end of the window.
pub fn queues(world: &World, server: usize, counts: &mut Counts) -> Vec<PsObject> {
    let me = &world.exchange[server];
    let machine = Machine::Exchange(server);
    let mut r = rng::stream(world.settings.seed, &[&"queues", &server]);
    let runspace = guid(&mut r);
    let collected = world.clock(machine, world.end);
    let database = 1_000_000_000 + r.between(0, 999_999_999);
    let failing: Vec<Attempt> = failing_attempts(world)
        .into_iter()
        .filter(|a| a.sender == server)
        .collect();
    let mut objects = Vec::new();
    let mut push = |identity: String,
                    delivery: &str,
                    next_hop: String,
                    status: &str,
                    count: i64,
                    category: &str,
                    error: Option<(&Attempt, &Attempt, i64)>| {
        let mut props: Vec<(&'static str, Value)> = vec![
            ("RunspaceId", Value::Guid(runspace.clone())),
            ("DeliveryType", Value::Enum(delivery.into())),
            ("NextHopDomain", Value::Str(next_hop)),
            ("TlsDomain", Value::Null),
            ("NextHopConnector", Value::Guid(guid(&mut r))),
            ("Status", Value::Enum(status.into())),
            ("MessageCount", Value::Int(count)),
        ];
        match error {
            Some((first, last, retries)) => {
                let rcv = &world.exchange[last.receiver];
                let last_t = world.clock(machine, ts(world, last.t0));
                let next_t = super::traffic::plus(last_t, RETRY_SECONDS);
                let first_t = world.clock(machine, ts(world, first.t0));
                let lrt = world.wall.locale.general_date(world.wall.local(last_t));
                props.push((
                    "LastError",
                    Value::Str(format!(
                        "[{{LRT={lrt}}};{{LED={}}};{{FQDN={}}};{{IP={}}}]",
                        last_error_text(last.outcome, &rcv.ip),
                        rcv.fqdn,
                        rcv.ip
                    )),
                ));
                props.push(("RetryCount", Value::Int(retries)));
                props.push(("LastRetryTime", date(&world.wall, last_t)));
                props.push(("NextRetryTime", date(&world.wall, next_t)));
                props.push(("FirstRetryTime", date(&world.wall, first_t)));
            }
            None => {
                props.push(("LastError", Value::Null));
                props.push(("RetryCount", Value::Int(0)));
                props.push(("LastRetryTime", Value::Null));
                props.push(("NextRetryTime", Value::Null));
                props.push(("FirstRetryTime", Value::Null));
            }
        }
        let zero4 = |_: ()| Value::List {
            items: vec!["0".into(); 4],
            ints: true,
            type_name: "int",
        };
        props.extend([
            ("DeferredMessageCount", Value::Int(0)),
            ("LockedMessageCount", Value::Int(0)),
            (
                "MessageCountsPerPriority",
                Value::List {
                    items: vec!["0".into(), count.to_string(), "0".into(), "0".into()],
                    ints: true,
                    type_name: "int",
                },
            ),
            ("DeferredMessageCountsPerPriority", zero4(())),
            ("RiskLevel", Value::Enum("Normal".into())),
            ("OutboundIPPool", Value::Int(0)),
            ("NextHopCategory", Value::Enum(category.into())),
            ("IncomingRate", Value::Int(0)),
            ("OutgoingRate", Value::Int(0)),
            ("Velocity", Value::Int(0)),
            ("OverrideSource", Value::Null),
            (
                "QueueIdentity",
                Value::Object {
                    text: identity.clone(),
                    type_names: QUEUE_IDENTITY_TYPES,
                },
            ),
            (
                "PriorityDescriptions",
                Value::List {
                    items: ["High", "Normal", "Low", "None"].map(String::from).to_vec(),
                    ints: false,
                    type_name: "string",
                },
            ),
            (
                "Identity",
                Value::Object {
                    text: identity.clone(),
                    type_names: QUEUE_IDENTITY_TYPES,
                },
            ),
            ("IsValid", Value::Bool(true)),
            ("ObjectState", Value::Enum("New".into())),
        ]);
        objects.push(PsObject {
            type_names: QUEUE_TYPES,
            to_string: identity,
            props,
        });
    };
    let _ = collected;
    let mut next_id = 3 + (server as i64 * 7) % 11;
    push(
        format!("{}\\Submission", me.name),
        "Undefined",
        "Submission".into(),
        "Ready",
        0,
        "Internal",
        None,
    );
    // One delivery-group queue per failing receiver, else one healthy one.
    let mut receivers: Vec<usize> = failing.iter().map(|a| a.receiver).collect();
    receivers.dedup();
    receivers.sort_unstable();
    receivers.dedup();
    if receivers.is_empty() {
        push(
            format!("{}\\{next_id}", me.name),
            "SmtpRelayToMailboxDeliveryGroup",
            format!("site:{SITE}; version: 15"),
            "Ready",
            0,
            "Internal",
            None,
        );
        next_id += 1;
    }
    for receiver in receivers {
        let attempts: Vec<&Attempt> = failing.iter().filter(|a| a.receiver == receiver).collect();
        let (Some(first), Some(last)) = (attempts.first(), attempts.last()) else {
            continue;
        };
        let waiting = ((world.end.as_millisecond() - first.t0) as f64 / 1000.0 / world.interval_s)
            .ceil() as i64
            + 1;
        push(
            format!("{}\\{next_id}", me.name),
            "SmtpRelayToMailboxDeliveryGroup",
            format!("site:{SITE}; version: 15"),
            "Retry",
            waiting,
            "Internal",
            Some((first, last, attempts.len() as i64 - 1)),
        );
        next_id += 1;
        *counts
            .entry("queue_retry_with_last_error".into())
            .or_insert(0) += 1;
    }
    push(
        format!("{}\\{next_id}", me.name),
        "SmtpDeliveryToMailbox",
        format!("mailbox database {database}"),
        "Ready",
        0,
        "Internal",
        None,
    );
    objects
}

/// Get-ReceiveConnector -Server `server`.
pub fn receive_connectors(world: &World, server: usize) -> Vec<PsObject> {
    let me = &world.exchange[server];
    let mut r = rng::stream(world.settings.seed, &[&"connectors", &server]);
    let runspace = guid(&mut r);
    let created = world.start - jiff::SignedDuration::from_hours(24 * 400);
    let mut list = vec![
        (
            format!("Default {}", me.name),
            "HubTransport",
            vec!["[::]:2525", "0.0.0.0:2525"],
            vec![
                "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "0.0.0.0-255.255.255.255",
            ],
            "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
            "ExchangeUsers, ExchangeServers, ExchangeLegacyServers",
            "Verbose",
        ),
        (
            format!("Client Proxy {}", me.name),
            "HubTransport",
            vec!["[::]:465", "0.0.0.0:465"],
            vec![
                "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "0.0.0.0-255.255.255.255",
            ],
            "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
            "ExchangeUsers, ExchangeServers",
            "None",
        ),
        (
            format!("Default Frontend {}", me.name),
            "FrontendTransport",
            vec!["[::]:25", "0.0.0.0:25"],
            vec![
                "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "0.0.0.0-255.255.255.255",
            ],
            "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
            "AnonymousUsers, ExchangeServers, ExchangeLegacyServers",
            "Verbose",
        ),
        (
            format!("Outbound Proxy Frontend {}", me.name),
            "FrontendTransport",
            vec!["[::]:717", "0.0.0.0:717"],
            vec![
                "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "0.0.0.0-255.255.255.255",
            ],
            "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
            "ExchangeServers",
            "None",
        ),
        (
            format!("Client Frontend {}", me.name),
            "FrontendTransport",
            vec!["[::]:587", "0.0.0.0:587"],
            vec![
                "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "0.0.0.0-255.255.255.255",
            ],
            "Tls, Integrated, BasicAuth, BasicAuthRequireTLS",
            "ExchangeUsers",
            "None",
        ),
    ];
    let relay_ip;
    if world.scenario() == Scenario::ConnectorAuth && server == world.receiver {
        // Meant for an application server that once had this address; it
        // now belongs to the sender, and the narrower range wins.
        relay_ip = world.exchange[world.sender].ip.clone();
        list.push((
            "Internal Relay".to_string(),
            "HubTransport",
            vec!["0.0.0.0:2525"],
            vec![relay_ip.as_str()],
            "Tls",
            "AnonymousUsers",
            "Verbose",
        ));
    }
    let dn_base = format!(
        "CN=SMTP Receive Connectors,CN=Protocols,CN={},CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=Contoso,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=com",
        me.name
    );
    list.into_iter()
        .enumerate()
        .map(
            |(i, (name, role, bindings, ranges, auth, groups, logging))| {
                let identity = format!("{}\\{name}", me.name);
                let changed = created + jiff::SignedDuration::from_hours(24 * (30 + i as i64 * 7));
                let changed = if name == "Internal Relay" {
                    world.fault_start - jiff::SignedDuration::from_mins(17)
                } else {
                    changed
                };
                let port = bindings[0].rsplit(':').next().unwrap_or("25").to_string();
                let object_guid = guid(&mut r);
                let props: Vec<(&'static str, Value)> = vec![
                    ("RunspaceId", Value::Guid(runspace.clone())),
                    ("AuthMechanism", Value::Enum(auth.into())),
                    ("Banner", Value::Null),
                    ("BinaryMimeEnabled", Value::Bool(true)),
                    (
                        "Bindings",
                        Value::List {
                            items: bindings.iter().map(|s| s.to_string()).collect(),
                            ints: false,
                            type_name: "binding",
                        },
                    ),
                    ("ChunkingEnabled", Value::Bool(true)),
                    ("DefaultDomain", Value::Null),
                    ("DeliveryStatusNotificationEnabled", Value::Bool(true)),
                    ("EightBitMimeEnabled", Value::Bool(true)),
                    ("SmtpUtf8Enabled", Value::Bool(true)),
                    ("BareLinefeedRejectionEnabled", Value::Bool(false)),
                    (
                        "DomainSecureEnabled",
                        Value::Bool(role == "FrontendTransport" && port == "25"),
                    ),
                    ("EnhancedStatusCodesEnabled", Value::Bool(true)),
                    ("LongAddressesEnabled", Value::Bool(false)),
                    ("OrarEnabled", Value::Bool(false)),
                    ("SuppressXAnonymousTls", Value::Bool(false)),
                    ("ProxyEnabled", Value::Bool(false)),
                    ("AdvertiseClientSettings", Value::Bool(false)),
                    ("Fqdn", Value::Str(me.fqdn.clone())),
                    ("ServiceDiscoveryFqdn", Value::Null),
                    ("TlsCertificateName", Value::Null),
                    ("Comment", Value::Null),
                    ("Enabled", Value::Bool(true)),
                    ("ConnectionTimeout", Value::Str("00:10:00".into())),
                    ("ConnectionInactivityTimeout", Value::Str("00:05:00".into())),
                    ("MessageRateLimit", Value::Str("Unlimited".into())),
                    ("MessageRateSource", Value::Enum("IPAddress".into())),
                    ("MaxInboundConnection", Value::Int(5000)),
                    (
                        "MaxInboundConnectionPerSource",
                        Value::Str("Unlimited".into()),
                    ),
                    ("MaxInboundConnectionPercentagePerSource", Value::Int(100)),
                    ("MaxHeaderSize", Value::Str("256 KB (262,144 bytes)".into())),
                    ("MaxHopCount", Value::Int(60)),
                    ("MaxLocalHopCount", Value::Int(12)),
                    ("MaxLogonFailures", Value::Int(3)),
                    (
                        "MaxMessageSize",
                        Value::Str("36 MB (37,748,736 bytes)".into()),
                    ),
                    ("MaxProtocolErrors", Value::Int(5)),
                    ("MaxRecipientsPerMessage", Value::Int(5000)),
                    ("PermissionGroups", Value::Enum(groups.into())),
                    ("PipeliningEnabled", Value::Bool(true)),
                    ("ProtocolLoggingLevel", Value::Enum(logging.into())),
                    (
                        "RemoteIPRanges",
                        Value::List {
                            items: ranges.iter().map(|s| s.to_string()).collect(),
                            ints: false,
                            type_name: "string",
                        },
                    ),
                    ("RequireEHLODomain", Value::Bool(false)),
                    ("RequireTLS", Value::Bool(false)),
                    ("EnableAuthGSSAPI", Value::Bool(false)),
                    ("ExtendedProtectionPolicy", Value::Enum("None".into())),
                    ("LiveCredentialEnabled", Value::Bool(false)),
                    (
                        "TlsDomainCapabilities",
                        Value::List {
                            items: vec![],
                            ints: false,
                            type_name: "string",
                        },
                    ),
                    (
                        "Server",
                        Value::Object {
                            text: me.name.clone(),
                            type_names: AD_ID_TYPES,
                        },
                    ),
                    ("TransportRole", Value::Enum(role.into())),
                    ("RejectReservedTopLevelRecipientDomains", Value::Bool(false)),
                    (
                        "RejectReservedSecondLevelRecipientDomains",
                        Value::Bool(false),
                    ),
                    ("RejectSingleLabelRecipientDomains", Value::Bool(false)),
                    ("MaxAcknowledgementDelay", Value::Str("00:00:30".into())),
                    ("TarpitInterval", Value::Str("00:00:05".into())),
                    ("SizeEnabled", Value::Enum("Enabled".into())),
                    ("AdminDisplayName", Value::Null),
                    ("ExchangeVersion", Value::Str("0.1 (8.0.535.0)".into())),
                    ("Name", Value::Str(name.clone())),
                    (
                        "DistinguishedName",
                        Value::Str(format!("CN={name},{dn_base}")),
                    ),
                    (
                        "Identity",
                        Value::Object {
                            text: identity.clone(),
                            type_names: AD_ID_TYPES,
                        },
                    ),
                    ("Guid", Value::Guid(object_guid)),
                    (
                        "ObjectCategory",
                        Value::Str(format!(
                            "{DOMAIN}/Configuration/Schema/ms-Exch-Smtp-Receive-Connector"
                        )),
                    ),
                    (
                        "ObjectClass",
                        Value::List {
                            items: vec!["top".into(), "msExchSmtpReceiveConnector".into()],
                            ints: false,
                            type_name: "string",
                        },
                    ),
                    ("WhenChanged", date(&world.wall, changed)),
                    ("WhenCreated", date(&world.wall, created)),
                    (
                        "OriginatingServer",
                        Value::Str(world.dcs[me.dc].fqdn.clone()),
                    ),
                    ("IsValid", Value::Bool(true)),
                    ("ObjectState", Value::Enum("Unchanged".into())),
                ];
                PsObject {
                    type_names: CONNECTOR_TYPES,
                    to_string: name,
                    props,
                }
            },
        )
        .collect()
}
