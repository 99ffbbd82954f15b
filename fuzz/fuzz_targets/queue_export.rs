//! Queue exports in every form (Format-List, CSV, JSON, CliXml, Queue Viewer,
//! Transport Queue Log): detected from content, then forced to each form.
#![no_main]

use exauth_parsers::queue::{parse_queue_export, ExportForm, QueueExportOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_queue_export(&text, QueueExportOptions::default());
    let forms = [
        ExportForm::FormatList,
        ExportForm::Csv,
        ExportForm::Json,
        ExportForm::CliXml,
        ExportForm::QueueViewer,
        ExportForm::TransportQueueLog,
    ];
    let form = forms[data.first().copied().unwrap_or(0) as usize % forms.len()];
    let _ = parse_queue_export(
        &text,
        QueueExportOptions {
            form: Some(form),
            ..QueueExportOptions::default()
        },
    );
});
