//! What an operator watches: Prometheus metrics, with the `metrics` crate
//! and its Prometheus exporter. Each app has its own recorder rather than
//! the process-wide one, so several apps in one process (the tests) count
//! apart; `/metrics` on the admin listener renders it.
//!
//! Names follow Prometheus's conventions (`twofa_` prefix, base units,
//! `_total` counters), and every label takes a bounded set of values:
//! countries, outcomes, route templates; never numbers, addresses or ids.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use metrics::{
    Counter, Histogram, Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge,
    histogram,
};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::FastMap;
use crate::limits::LimitKind;
use crate::phone::PhoneNumber;

/// Buckets of every `_seconds` histogram: 5 ms to 10 s.
const SECONDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What became of an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsResult {
    Sent,
    /// Certainly not sent.
    Failed,
    /// May or may not have been sent.
    Ambiguous,
}

/// What a typed code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    Verified,
    Wrong,
    Malformed,
    Expired,
    Used,
    Locked,
    /// No such verification.
    None,
}

/// Why a request was refused by a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Limit(LimitKind),
    /// The pumping breaker.
    Pumping,
    /// `limits.max_pending`.
    Capacity,
}

/// What became of a webhook, in or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookResult {
    /// In: a receipt applied to a verification. Out: the receiver took it.
    Delivered,
    /// In: an event seen before.
    Duplicate,
    /// In: for a message of no verification held, or of no interest.
    Ignored,
    /// In: a signature or timestamp refused, or a body that cannot be read.
    Refused,
    /// Out: every try failed.
    Failed,
    /// Out: the queue was full.
    Dropped,
}

#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// The HTTP series by route template and status, registered once:
    /// registering (building the key and its labels) on every request cost
    /// more than counting.
    http: RwLock<FastMap<String, FastMap<u16, HttpSeries>>>,
    /// The series of the busiest counters, registered at the start.
    code_checks: [Counter; CHECK_RESULTS.len()],
    refusals: [Counter; LIMITS.len()],
}

/// A route's request count and durations, for one status.
type HttpSeries = (Counter, Histogram);

/// `twofa_code_checks_total`'s `result`s.
const CHECK_RESULTS: [&str; 7] = [
    "verified",
    "wrong",
    "malformed",
    "expired",
    "used",
    "locked",
    "none",
];

/// `twofa_limit_refusals_total`'s `limit`s.
const LIMITS: [&str; 9] = [
    "cooldown",
    "per_phone",
    "per_address",
    "per_network",
    "per_api_key",
    "global",
    "pumping",
    "capacity",
    "guessing",
];

impl CheckResult {
    fn index(self) -> usize {
        match self {
            CheckResult::Verified => 0,
            CheckResult::Wrong => 1,
            CheckResult::Malformed => 2,
            CheckResult::Expired => 3,
            CheckResult::Used => 4,
            CheckResult::Locked => 5,
            CheckResult::None => 6,
        }
    }
}

impl Refused {
    /// Its place in `LIMITS`.
    fn index(self) -> usize {
        match self {
            Refused::Limit(LimitKind::ResendCooldown) => 0,
            Refused::Limit(LimitKind::SendsPerPhone) => 1,
            Refused::Limit(LimitKind::SendsPerAddress) => 2,
            Refused::Limit(LimitKind::SendsPerNetwork) => 3,
            Refused::Limit(LimitKind::SendsPerApiKey) => 4,
            Refused::Limit(LimitKind::SmsPerHour) => 5,
            Refused::Pumping => 6,
            Refused::Capacity => 7,
            Refused::Limit(
                LimitKind::VerifyFailuresPerAddress | LimitKind::VerifyFailuresPerApiKey,
            ) => 8,
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// A number's country as a label: its ISO code, `001` for none.
fn country(phone: &PhoneNumber) -> String {
    match phone.region_code() {
        "" => "001".to_owned(),
        code => code.to_owned(),
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let (code_checks, refusals) = metrics::with_local_recorder(&recorder, || {
            describe();
            (
                CHECK_RESULTS.map(|result| counter!("twofa_code_checks_total", "result" => result)),
                LIMITS.map(|limit| counter!("twofa_limit_refusals_total", "limit" => limit)),
            )
        });
        Self(Arc::new(Inner {
            handle: recorder.handle(),
            recorder,
            http: RwLock::default(),
            code_checks,
            refusals,
        }))
    }

    fn with<T>(&self, record: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&self.0.recorder, record)
    }

    /// Everything, in the Prometheus text format.
    pub fn render(&self) -> String {
        self.0.handle.render()
    }

    /// Drains histograms nobody scraped, so they stay small.
    pub fn upkeep(&self) {
        self.0.handle.run_upkeep();
    }

    pub fn http_request(&self, route: &str, status: u16, took: Duration) {
        let known = self
            .0
            .http
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(route)
            .and_then(|by_status| by_status.get(&status).cloned());
        let (requests, durations) = match known {
            Some(series) => series,
            None => {
                let series = self.with(|| {
                    (
                        counter!("twofa_http_requests_total", "route" => route.to_owned(), "status" => status.to_string()),
                        histogram!("twofa_http_request_duration_seconds", "route" => route.to_owned()),
                    )
                });
                self.0
                    .http
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(route.to_owned())
                    .or_default()
                    .insert(status, series.clone());
                series
            }
        };
        requests.increment(1);
        durations.record(took.as_secs_f64());
    }

    pub fn verification_started(&self, phone: &PhoneNumber) {
        let country = country(phone);
        self.with(|| {
            counter!("twofa_verifications_started_total", "country" => country).increment(1)
        });
    }

    pub fn sms(&self, phone: &PhoneNumber, result: SmsResult) {
        let result = match result {
            SmsResult::Sent => "sent",
            SmsResult::Failed => "failed",
            SmsResult::Ambiguous => "ambiguous",
        };
        let country = country(phone);
        self.with(|| {
            counter!("twofa_sms_sent_total", "country" => country, "result" => result).increment(1)
        });
    }

    pub fn telnyx_request(&self, took: Duration) {
        self.with(|| {
            histogram!("twofa_telnyx_request_duration_seconds").record(took.as_secs_f64())
        });
    }

    pub fn code_check(&self, result: CheckResult) {
        self.0.code_checks[result.index()].increment(1);
    }

    pub fn refusal(&self, refused: Refused) {
        self.0.refusals[refused.index()].increment(1);
    }

    /// A delivery receipt, by Telnyx's status: `delivered`, `delivery_failed`...
    pub fn sms_delivery(&self, status: &'static str) {
        self.with(|| counter!("twofa_sms_delivery_total", "status" => status).increment(1));
    }

    pub fn webhook_in(&self, result: WebhookResult) {
        self.webhook("in", result);
    }

    pub fn webhook_out(&self, result: WebhookResult) {
        self.webhook("out", result);
    }

    fn webhook(&self, direction: &'static str, result: WebhookResult) {
        let result = match result {
            WebhookResult::Delivered => "delivered",
            WebhookResult::Duplicate => "duplicate",
            WebhookResult::Ignored => "ignored",
            WebhookResult::Refused => "refused",
            WebhookResult::Failed => "failed",
            WebhookResult::Dropped => "dropped",
        };
        self.with(|| {
            counter!("twofa_webhooks_total", "direction" => direction, "result" => result)
                .increment(1)
        });
    }

    pub fn pending_verifications(&self, held: usize) {
        self.with(|| gauge!("twofa_pending_verifications").set(held as f64));
    }
}

fn describe() {
    describe_counter!(
        "twofa_http_requests_total",
        "HTTP requests answered, by route template and status."
    );
    describe_histogram!(
        "twofa_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route template."
    );
    describe_counter!(
        "twofa_verifications_started_total",
        "New verifications stored and texted, by the number's country."
    );
    describe_counter!(
        "twofa_sms_sent_total",
        "SMS asked of the provider, by country and result: sent, failed (certainly not sent), ambiguous."
    );
    describe_histogram!(
        "twofa_telnyx_request_duration_seconds",
        Unit::Seconds,
        "Time Telnyx took to answer a message request."
    );
    describe_counter!(
        "twofa_code_checks_total",
        "Typed codes checked, by result: verified, wrong, malformed, expired, used, locked, none."
    );
    describe_counter!(
        "twofa_limit_refusals_total",
        "Requests refused, by the limit that refused them."
    );
    describe_counter!(
        "twofa_sms_delivery_total",
        "Telnyx delivery receipts, by the message's status."
    );
    describe_counter!(
        "twofa_webhooks_total",
        "Webhooks: in (Telnyx's receipts) by delivered, duplicate, ignored, refused; out (events to profiles) by delivered, failed, dropped."
    );
    describe_gauge!(
        "twofa_pending_verifications",
        "Verifications held in the store: pending, and finished ones kept a while."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_apps_in_one_process_count_apart() {
        let (one, two) = (Metrics::new(), Metrics::new());
        one.code_check(CheckResult::Verified);
        assert!(
            one.render()
                .contains("twofa_code_checks_total{result=\"verified\"} 1")
        );
        assert!(
            two.render()
                .contains("twofa_code_checks_total{result=\"verified\"} 0")
        );
    }
}
