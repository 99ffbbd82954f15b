//! Generator of realistic intra-organization protocol logs for benchmarks and tests.
//!
//! One call produces what two Exchange 2013+ Transport services write for the same connections:
//! the sender's Send log and the receiver's Receive log, with the receiver's clock running
//! `receiver_skew_ms` ahead, one-way network latency, several sessions interleaved row by row,
//! local ports reused, and some sessions failing ExchangeAuth with a receiver-side 454. Shared by
//! `benches/smtp_log.rs`, `examples/smtp_log_gen.rs` and the tests through `#[path]`.
#![allow(dead_code)]

use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use std::io::Write;

#[derive(Debug, Clone)]
pub struct GenConfig {
    pub sessions: usize,
    pub sender_name: String,
    pub sender_ip: String,
    pub receiver_name: String,
    pub receiver_ip: String,
    pub receiver_port: u16,
    /// Receiver clock − true time.
    pub receiver_skew_ms: i64,
    /// Receiver's local-time zone offset in hours (for its banner).
    pub receiver_zone_hours: i8,
    /// True time of the first session, ms since the epoch.
    pub start_ms: i64,
    /// True time between session starts.
    pub session_gap_ms: i64,
    /// Sessions whose rows are interleaved with each other.
    pub interleave: usize,
    pub port_base: u16,
    /// Distinct local ports; fewer than `sessions` means ports get reused.
    pub port_range: u16,
    /// Every n-th session fails ExchangeAuth (0 = never).
    pub fail_every: usize,
    pub latency_ms: i64,
    /// First session id (the sender's); the receiver's ids start elsewhere.
    pub id_base: u64,
    pub write_header: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            sessions: 100,
            sender_name: "EX01.contoso.com".into(),
            sender_ip: "10.0.0.11".into(),
            receiver_name: "EX02.contoso.com".into(),
            receiver_ip: "10.0.0.12".into(),
            receiver_port: 2525,
            receiver_skew_ms: 0,
            receiver_zone_hours: 2,
            start_ms: 1_714_989_600_000, // 2024-05-06T10:00:00Z
            session_gap_ms: 150,
            interleave: 8,
            port_base: 50_000,
            port_range: 10_000,
            fail_every: 10,
            latency_ms: 1,
            id_base: 0x08DC_6D1A_2B3C_0000,
            write_header: true,
        }
    }
}

pub fn header(send: bool) -> String {
    format!(
        "\u{feff}#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP {} Protocol Log\r\n#Date: 2024-05-06T10:00:00.000Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n",
        if send { "Send" } else { "Receive" }
    )
}

/// Writes `yyyy-MM-ddTHH:mm:ss.fffZ`.
fn write_time(out: &mut Vec<u8>, ms: i64) {
    let ts = Timestamp::from_millisecond(ms).unwrap_or_default();
    let dt = ts.to_zoned(TimeZone::UTC).datetime();
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        ms.rem_euclid(1000)
    );
}

/// Who writes a row: the client (sender) or the server (receiver).
#[derive(Clone, Copy, PartialEq)]
enum By {
    Client,
    Server,
    /// An information row written by one side only.
    SenderInfo,
    ReceiverInfo,
    Both,
}

struct Step {
    by: By,
    text: String,
    context: &'static str,
}

fn step(by: By, text: impl Into<String>) -> Step {
    Step {
        by,
        text: text.into(),
        context: "",
    }
}

fn info(by: By, data: impl Into<String>, context: &'static str) -> Step {
    Step {
        by,
        text: data.into(),
        context,
    }
}

fn csv(text: &str) -> String {
    if text.contains(',') || text.contains('"') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn dialogue(cfg: &GenConfig, fail: bool, banner_date: &str) -> Vec<Step> {
    let (s, r) = (&cfg.sender_name, &cfg.receiver_name);
    let ehlo_caps = |after_tls: bool| {
        let mut v = vec![
            format!("250-{r} Hello [{}]", cfg.sender_ip),
            "250-SIZE 37748736".into(),
            "250-PIPELINING".into(),
            "250-DSN".into(),
            "250-ENHANCEDSTATUSCODES".into(),
        ];
        if after_tls {
            v.push("250-AUTH NTLM LOGIN".into());
            v.push("250-X-EXPS EXCHANGEAUTH GSSAPI NTLM".into());
            v.push("250-X-EXCHANGEAUTH SHA256".into());
        } else {
            v.push("250-STARTTLS".into());
            v.push("250-X-ANONYMOUSTLS".into());
            v.push("250-AUTH NTLM".into());
            v.push("250-X-EXPS GSSAPI NTLM".into());
        }
        v.extend(
            [
                "250-8BITMIME",
                "250-BINARYMIME",
                "250-CHUNKING",
                "250-XEXCH50",
                "250 XRDST",
            ]
            .map(String::from),
        );
        v
    };
    let mut steps = vec![
        info(By::SenderInfo, "SendRoutingHeaders", "Set Session Permissions"),
        info(By::SenderInfo, "", "attempting to connect"),
        step(By::Both, ""),
        info(By::ReceiverInfo, "SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders", "Set Session Permissions"),
        step(By::Server, format!("220 {r} Microsoft ESMTP MAIL Service ready at {banner_date}")),
        step(By::Client, format!("EHLO {s}")),
    ];
    steps.extend(ehlo_caps(false).into_iter().map(|c| step(By::Server, c)));
    steps.push(step(By::Client, "X-ANONYMOUSTLS"));
    steps.push(step(By::Server, "220 2.0.0 SMTP server ready"));
    steps.push(info(By::SenderInfo, "", "Sending certificate"));
    steps.push(info(
        By::SenderInfo,
        format!("CN={s}"),
        "Certificate subject",
    ));
    steps.push(info(
        By::SenderInfo,
        "352D244A535D94B576232ECC4A4000CFE06BE106",
        "Certificate thumbprint",
    ));
    steps.push(info(By::ReceiverInfo, "", "Received certificate"));
    steps.push(info(By::Both, "", "TLS protocol SP_PROT_TLS1_2_CLIENT negotiation succeeded using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 384 bits and key exchange algorithm CALG_ECDHE with strength 384 bits"));
    steps.push(step(By::Client, format!("EHLO {s}")));
    steps.extend(ehlo_caps(true).into_iter().map(|c| step(By::Server, c)));
    steps.push(step(By::Client, "X-EXPS EXCHANGEAUTH SHA256 "));
    if fail {
        steps.push(info(
            By::ReceiverInfo,
            "",
            "Inbound ExchangeAuth negotiation failed because of TimeSkew",
        ));
        steps.push(step(
            By::Server,
            "454 4.7.0 Temporary authentication failure",
        ));
        steps.push(info(By::SenderInfo, "", "Flushed Kerberos ticket cache"));
        steps.push(info(By::Both, "", "Remote"));
    } else {
        steps.push(step(By::Server, "235 <authentication information>"));
        steps.push(info(By::Both, "SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAuthenticationFlag SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender BypassAntiSpam BypassMessageSizeLimit SMTPAcceptEXCH50 AcceptRoutingHeaders AcceptForestHeaders AcceptOrganizationHeaders SendRoutingHeaders SendForestHeaders SendOrganizationHeaders SendAs SMTPSendXShadow SMTPAcceptXShadow", "Set Session Permissions"));
        steps.push(step(
            By::Client,
            "MAIL FROM:<alerts@contoso.com> SIZE=18234",
        ));
        steps.push(step(By::Client, "RCPT TO:<user@contoso.com>"));
        steps.push(step(By::Server, "250 2.1.0 Sender OK"));
        steps.push(step(By::Server, "250 2.1.5 Recipient OK"));
        steps.push(step(By::Client, "BDAT 18234 LAST"));
        steps.push(step(By::Server, format!("250 2.6.0 <4f2a@{s}> [InternalId=1846, Hostname={r}] 19012 bytes in 0.052, 357.041 KB/sec Queued mail for delivery")));
        steps.push(step(By::Client, "QUIT"));
        steps.push(step(
            By::Server,
            "221 2.0.0 Service closing transmission channel",
        ));
        steps.push(info(By::Both, "", "Local"));
    }
    steps
}

/// One side's rows of one session, ready to interleave.
struct SideRows {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

/// Generates (send log of the sender, receive log of the receiver).
pub fn generate_pair(cfg: &GenConfig) -> (Vec<u8>, Vec<u8>) {
    let mut send = Vec::new();
    let mut recv = Vec::new();
    if cfg.write_header {
        send.extend_from_slice(header(true).as_bytes());
        recv.extend_from_slice(header(false).as_bytes());
    }
    let zone = TimeZone::fixed(Offset::constant(cfg.receiver_zone_hours));
    let interleave = cfg.interleave.max(1);
    let mut batch_send = Vec::new();
    let mut batch_recv = Vec::new();
    for i in 0..cfg.sessions {
        let t0 = cfg.start_ms + i as i64 * cfg.session_gap_ms;
        let port = cfg.port_base + (i % usize::from(cfg.port_range.max(1))) as u16;
        let fail = cfg.fail_every > 0 && i % cfg.fail_every == cfg.fail_every - 1;
        let banner_true_ms = t0 + 10;
        let banner_local = Timestamp::from_millisecond(banner_true_ms + cfg.receiver_skew_ms)
            .unwrap_or_default()
            .to_zoned(zone.clone());
        let banner_date = banner_local
            .strftime("%a, %-d %b %Y %H:%M:%S %z")
            .to_string();
        let steps = dialogue(cfg, fail, &banner_date);
        let (s_rows, r_rows) = render(cfg, i as u64, port, t0, &steps);
        batch_send.push(s_rows);
        batch_recv.push(r_rows);
        if batch_send.len() == interleave || i + 1 == cfg.sessions {
            interleave_into(&mut send, &mut batch_send);
            interleave_into(&mut recv, &mut batch_recv);
        }
    }
    (send, recv)
}

fn render(cfg: &GenConfig, i: u64, port: u16, t0: i64, steps: &[Step]) -> (SideRows, SideRows) {
    let sender_ep = format!("{}:{port}", cfg.sender_ip);
    let receiver_ep = format!("{}:{}", cfg.receiver_ip, cfg.receiver_port);
    let send_id = cfg.id_base + i;
    let recv_id = (cfg.id_base ^ 0x0000_0001_0000_0000) + i * 3;
    let receive_connector = format!(
        "{}\\Default {}",
        short(&cfg.receiver_name),
        short(&cfg.receiver_name)
    );
    let mut s = SideRows {
        buf: Vec::with_capacity(8192),
        ends: Vec::new(),
    };
    let mut r = SideRows {
        buf: Vec::with_capacity(8192),
        ends: Vec::new(),
    };
    let (mut s_seq, mut r_seq) = (0u32, 0u32);
    let mut connected = false;
    for (k, st) in steps.iter().enumerate() {
        let t = t0 + 2 * k as i64;
        let event_for = |sender: bool| -> &'static str {
            match st.by {
                By::Client => {
                    if sender {
                        ">"
                    } else {
                        "<"
                    }
                }
                By::Server => {
                    if sender {
                        "<"
                    } else {
                        ">"
                    }
                }
                By::SenderInfo | By::ReceiverInfo => "*",
                By::Both => {
                    if st.text.is_empty() && st.context.is_empty() {
                        "+"
                    } else if st.context == "Remote" || st.context == "Local" {
                        "-"
                    } else {
                        "*"
                    }
                }
            }
        };
        let writes_sender = !matches!(st.by, By::ReceiverInfo);
        let writes_receiver = !matches!(st.by, By::SenderInfo);
        let (send_t, recv_t) = match st.by {
            By::Client => (t, t + cfg.latency_ms),
            By::Server => (t + cfg.latency_ms, t),
            _ => (t, t),
        };
        if event_for(true) == "+" {
            connected = true;
        }
        if writes_sender {
            let local = if connected { sender_ep.as_str() } else { "" };
            write_time(&mut s.buf, send_t);
            let _ = write!(s.buf, ",Intra-Organization SMTP Send Connector,{send_id:016X},{s_seq},{local},{receiver_ep},{},{},{}\r\n", event_for(true), csv(&st.text), csv(st.context));
            s.ends.push(s.buf.len());
            s_seq += 1;
        }
        if writes_receiver && connected {
            write_time(&mut r.buf, recv_t + cfg.receiver_skew_ms);
            let _ = write!(r.buf, ",{receive_connector},{recv_id:016X},{r_seq},{receiver_ep},{sender_ep},{},{},{}\r\n", event_for(false), csv(&st.text), csv(st.context));
            r.ends.push(r.buf.len());
            r_seq += 1;
        }
    }
    (s, r)
}

fn short(fqdn: &str) -> &str {
    fqdn.split('.').next().unwrap_or(fqdn)
}

/// Appends the batch's sessions row by row in turn (concurrent sessions interleave), then clears it.
fn interleave_into(out: &mut Vec<u8>, batch: &mut Vec<SideRows>) {
    let max = batch.iter().map(|b| b.ends.len()).max().unwrap_or(0);
    for row in 0..max {
        for b in batch.iter() {
            if let Some(&end) = b.ends.get(row) {
                let start = if row == 0 { 0 } else { b.ends[row - 1] };
                out.extend_from_slice(&b.buf[start..end]);
            }
        }
    }
    batch.clear();
}
