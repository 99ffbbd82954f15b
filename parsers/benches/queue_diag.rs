//! Throughput of the queue-export readers and a diag parser on generated input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assumption should stop it loudly

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use exauth_parsers::queue::{parse_queue_export, QueueExportOptions};
use std::hint::black_box;

const LED: &str = r#"[{LRT=11/26/2026 10:40:05 AM};{LED=451 4.4.0 Primary target IP address responded with: "454 4.7.0 Temporary authentication failure." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 10.0.0.12:25};{FQDN=EX02.contoso.local};{IP=10.0.0.12}]"#;

fn format_list(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!("\r\nIdentity       : EX01\\{i}\r\nDeliveryType   : SmtpRelayToMailboxDeliveryGroup\r\nNextHopDomain  : dag2\r\nStatus         : Retry\r\nMessageCount   : 12\r\nRetryCount     : 3\r\nLastError      : {LED}\r\nLastRetryTime  : 11/26/2026 10:40:05 AM\r\nNextRetryTime  : 11/26/2026 10:50:05 AM\r\n"));
    }
    s
}

fn csv(n: usize) -> String {
    let mut s = String::from("#TYPE Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo\r\n\"Identity\",\"Status\",\"LastError\",\"LastRetryTime\"\r\n");
    for i in 0..n {
        s.push_str(&format!(
            "\"EX01\\{i}\",\"Retry\",\"{}\",\"11/26/2026 10:40:05 AM\"\r\n",
            LED.replace('"', "\"\"")
        ));
    }
    s
}

fn clixml(n: usize) -> String {
    let mut s = String::from(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
    );
    for i in 0..n {
        s.push_str(&format!("<Obj RefId=\"{i}\"><TN RefId=\"{i}\"><T>Deserialized.Microsoft.Exchange.Data.QueueViewer.PropertyBagBasedQueueInfo</T></TN><Props><S N=\"Identity\">EX01\\{i}</S><Obj N=\"Status\"><ToString>Retry</ToString><I32>3</I32></Obj><S N=\"LastError\">{}</S><DT N=\"LastRetryTime\">2026-11-26T10:40:05.1234567+01:00</DT></Props></Obj>", LED.replace('"', "&quot;")));
    }
    s.push_str("</Objs>");
    s
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_export");
    for (name, text) in [
        ("format_list", format_list(2000)),
        ("csv", csv(2000)),
        ("clixml", clixml(2000)),
    ] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| parse_queue_export(black_box(&text), QueueExportOptions::default()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
