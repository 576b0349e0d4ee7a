//! The log's lines, each carrying the id of the request that caused it.
//!
//! The id travels with the request's future in a task-local rather than in
//! a `tracing` span: a span is made, its field formatted and stored, entered
//! and left on every poll and closed, for every request, although almost no
//! request writes a line (2.8k of the 33k instructions a fresh visitor
//! cost). A task-local costs a swap per poll, and the id is read only when
//! a line is written. A line's shape is what the span gave it:
//! `request{request_id=…}:` before the target in text, and
//! `"span":{"request_id":"…","name":"request"}` in JSON.

use std::fmt::{self, Write as _};
use std::future::Future;

use axum::http::HeaderValue;
use tokio::task::futures::TaskLocalFuture;
use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Json, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use crate::settings::LogFormat;

tokio::task_local! {
    /// The id of the request being answered: letters, digits and `-._:`
    /// only (`ops::given_id` and `ops::new_id` make sure), so it is
    /// written as it is, in text and in JSON.
    static REQUEST_ID: HeaderValue;
}

/// Runs `request` with `id` as the id on every line it logs; the id is
/// handed back by [`TaskLocalFuture::take_value`] once it is done.
pub fn for_request<F: Future>(id: HeaderValue, request: F) -> TaskLocalFuture<HeaderValue, F> {
    REQUEST_ID.scope(id, request)
}

/// The id of the request being answered, if a line is written for one.
fn request_id() -> Option<String> {
    REQUEST_ID
        .try_with(|id| id.to_str().map(str::to_owned).ok())
        .ok()
        .flatten()
}

/// How each line is written: [`LogFormat`]'s text or JSON, with the id of
/// the request that caused it.
pub struct Lines {
    format: LogFormat,
    json: format::Format<Json, SystemTime>,
}

impl Lines {
    pub fn new(format: LogFormat) -> Self {
        Self {
            format,
            json: format::Format::default()
                .json()
                .flatten_event(true)
                // The request's id is this format's to add (below); other
                // crates' spans are left out rather than named twice.
                .with_current_span(false)
                .with_span_list(false),
        }
    }

    /// `2026-12-05T11:33:56.123456Z  INFO request{request_id=…}: target: message fields`,
    /// as tracing-subscriber's own text format writes it with a span.
    fn text<S, N>(
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        let ansi = writer.has_ansi_escapes();
        // A line from a crate that logs through `log` (redis, rustls) comes
        // with the target `log`; its own is in the normalised metadata.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        dimmed(ansi, &mut writer, |w| {
            SystemTime
                .format_time(w)
                .or_else(|_| w.write_str("<unknown time>"))
        })?;
        let colour = match *meta.level() {
            Level::ERROR => "31",
            Level::WARN => "33",
            Level::INFO => "32",
            Level::DEBUG => "34",
            Level::TRACE => "35",
        };
        if ansi {
            write!(writer, " \x1b[{colour}m{:>5}\x1b[0m ", meta.level())?;
        } else {
            write!(writer, " {:>5} ", meta.level())?;
        }
        let request = request_id();
        if let Some(id) = &request {
            write!(writer, "request{{request_id={id}}}:")?;
        }
        // Spans of other crates (reqwest's, hyper's), when their level is on.
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                writer.write_char(':')?;
            }
            writer.write_char(' ')?;
        } else if request.is_some() {
            writer.write_char(' ')?;
        }
        dimmed(ansi, &mut writer, |w| write!(w, "{}:", meta.target()))?;
        writer.write_char(' ')?;
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Writes what `write` writes, dimmed when the line may have colours.
fn dimmed(
    ansi: bool,
    writer: &mut Writer<'_>,
    write: impl FnOnce(&mut Writer<'_>) -> fmt::Result,
) -> fmt::Result {
    if ansi {
        writer.write_str("\x1b[2m")?;
        write(writer)?;
        writer.write_str("\x1b[0m")
    } else {
        write(writer)
    }
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        match self.format {
            LogFormat::Text => Self::text(ctx, writer, event),
            LogFormat::Json => {
                let mut line = String::new();
                self.json.format_event(ctx, Writer::new(&mut line), event)?;
                // The object's closing brace ends the line but for its
                // newline; the request's span goes just before it.
                if let Some(id) = request_id()
                    && line.trim_end().ends_with('}')
                {
                    line.truncate(line.trim_end().len() - 1);
                    writeln!(
                        line,
                        ",\"span\":{{\"request_id\":\"{id}\",\"name\":\"request\"}}}}"
                    )?;
                }
                writer.write_str(&line)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Lines written by `log`, in `format`, at info and above.
    fn written(format: LogFormat, log: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl io::Write for Shared {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let shared = Shared::default();
        let writer = shared.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .event_format(Lines::new(format))
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        let bytes = shared.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8(bytes).unwrap_or_default()
    }

    fn sent_during_a_request() {
        REQUEST_ID.sync_scope(HeaderValue::from_static("lb-7.a_b:c"), || {
            tracing::info!(target: "telnyx_2fa::sms", to = "+1••••••0123", "code sent");
        });
    }

    #[test]
    fn a_text_line_names_the_request_as_its_span_did() {
        let line = written(LogFormat::Text, sent_during_a_request);
        assert!(
            line.contains(
                " INFO request{request_id=lb-7.a_b:c}: telnyx_2fa::sms: code sent to=\"+1••••••0123\"\n"
            ),
            "{line}"
        );
        assert!(line.starts_with("20"), "a timestamp first: {line}");
    }

    #[test]
    fn a_json_line_names_the_request_in_its_span_as_before() {
        let line = written(LogFormat::Json, sent_during_a_request);
        let object: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(object["span"]["request_id"], "lb-7.a_b:c", "{line}");
        assert_eq!(object["span"]["name"], "request", "{line}");
        assert_eq!(object["message"], "code sent", "{line}");
        assert_eq!(object["to"], "+1••••••0123", "{line}");
        assert_eq!(object["level"], "INFO", "{line}");
        assert_eq!(object["target"], "telnyx_2fa::sms", "{line}");
        assert!(object["timestamp"].is_string(), "{line}");
        assert!(line.ends_with("}\n") && line.lines().count() == 1, "{line}");
    }

    #[test]
    fn a_line_no_request_caused_names_none() {
        let log = || tracing::warn!(target: "telnyx_2fa::startup", "listening");
        let text = written(LogFormat::Text, log);
        assert!(
            text.contains(" WARN telnyx_2fa::startup: listening\n"),
            "{text}"
        );
        let json = written(LogFormat::Json, log);
        let object: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(object["message"], "listening", "{json}");
        assert!(object.get("span").is_none(), "{json}");
    }

    #[test]
    fn a_line_from_a_crate_that_logs_through_log_names_that_crates_target() {
        let record = tracing_log::log::Record::builder()
            .level(tracing_log::log::Level::Warn)
            .target("redis::cluster")
            .args(format_args!("reconnecting"))
            .build();
        let line = written(LogFormat::Text, || {
            tracing_log::format_trace(&record).unwrap_or_default();
        });
        assert!(
            line.contains(" WARN redis::cluster: reconnecting"),
            "{line}"
        );
    }

    #[test]
    fn a_span_of_another_crate_is_named_in_text_after_the_request() {
        let line = written(LogFormat::Text, || {
            REQUEST_ID.sync_scope(HeaderValue::from_static("r1"), || {
                let span = tracing::info_span!("send", attempt = 2);
                span.in_scope(|| tracing::info!(target: "reqwest", "retrying"));
            });
        });
        assert!(
            line.contains(" INFO request{request_id=r1}:send{attempt=2}: reqwest: retrying\n"),
            "{line}"
        );
    }
}
