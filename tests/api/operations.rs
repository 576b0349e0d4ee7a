//! What an operator sees: Prometheus metrics on the admin listener only,
//! health probes, request ids, and a stop that lets requests finish.

use std::collections::HashMap;
use std::time::Duration;

use prometheus_parse::{Sample, Scrape, Value};
use reqwest::StatusCode;
use telnyx_2fa::settings::{ConfigFile, Settings};
use telnyx_2fa::startup::Application;
use wiremock::{MockServer, ResponseTemplate};

use crate::helpers::{
    Browser, OWN_ADDRESS, PHONE, app_env, capture_logs, captured_logs, message_sent, settings_env,
    telnyx_accepts, telnyx_answers, wrong_code,
};

/// An app texting through `telnyx`, with an admin listener; its public and
/// admin addresses, and the sender that stops it gracefully.
pub struct Observed {
    pub address: String,
    pub admin: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    pub telnyx: MockServer,
}

impl Observed {
    /// `extra` may name the app's own address as `OWN_ADDRESS`.
    pub async fn start(telnyx: MockServer, extra: &[(&str, &str)]) -> Self {
        capture_logs();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let address = format!("http://{}", listener.local_addr().expect("an address"));
        let admin = [("TWOFA_SERVER__ADMIN_LISTEN", "127.0.0.1:0")];
        let env = settings_env(&[&admin, extra]);
        let env: Vec<(String, String)> = env
            .into_iter()
            .map(|(k, v)| (k, v.replace(OWN_ADDRESS, &address)))
            .collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let env = app_env(&telnyx, &env);
        let settings = Settings::load(ConfigFile::None, &env).expect("valid settings");
        let app = Application::build_on(settings, listener)
            .await
            .expect("the app starts");
        let admin = format!(
            "http://127.0.0.1:{}",
            app.admin_port().expect("an admin listener")
        );
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            address,
            admin,
            stop: Some(stop),
            server,
            telnyx,
        }
    }

    /// Waits until Telnyx has been asked to send.
    async fn until_telnyx_is_asked(&self) {
        while self
            .telnyx
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Asks the app to stop, as SIGTERM does.
    fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Whether the app stopped, cleanly, within 5 s.
    async fn stopped(&mut self) -> bool {
        let stopped = tokio::time::timeout(Duration::from_secs(5), &mut self.server).await;
        matches!(stopped, Ok(Ok(Ok(()))))
    }

    pub async fn scrape(&self) -> Vec<Sample> {
        let response = reqwest::get(format!("{}/metrics", self.admin))
            .await
            .expect("the admin listener answers");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap_or_default();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let text = response.text().await.expect("a body");
        Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .expect("Prometheus text")
            .samples
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The value of `metric` with exactly these `labels`; 0 if absent (a
/// counter not counted yet). For a histogram, how many it holds.
pub fn value(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: HashMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .iter()
        .find(|s| s.metric == metric && *s.labels == wanted)
        .map_or(0.0, |s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
            Value::Summary(_) => f64::NAN,
        })
}

#[tokio::test]
async fn the_metrics_count_a_whole_flow_and_label_nothing_personal() {
    let telnyx = MockServer::start().await;
    telnyx_accepts(&telnyx).await;
    let app = Observed::start(telnyx, &[]).await;
    let before = app.scrape().await;
    assert_eq!(
        value(
            &before,
            "twofa_code_checks_total",
            &[("result", "verified")]
        ),
        0.0
    );

    let mut browser = Browser::new(&app.address);
    assert_eq!(browser.request_code(PHONE).await.status, StatusCode::OK);
    let code = crate::helpers::last_code_received_by(&app.telnyx).await;
    // Straight away: the resend cooldown refuses.
    browser.ask_for_new_code().await;
    browser.post_with_token("/verify", &[("token", "12")]).await;
    browser
        .post_with_token("/verify", &[("token", &wrong_code(&code))])
        .await;
    assert_eq!(
        browser
            .post_with_token("/verify", &[("token", &code)])
            .await
            .status,
        StatusCode::OK
    );
    browser.get("/no/such/page/2015550123").await;

    let after = app.scrape().await;
    let count = |metric, labels: &[(&str, &str)]| value(&after, metric, labels);
    assert_eq!(
        count("twofa_verifications_started_total", &[("country", "US")]),
        1.0
    );
    assert_eq!(
        count(
            "twofa_sms_sent_total",
            &[("country", "US"), ("result", "sent")]
        ),
        1.0
    );
    assert_eq!(count("twofa_telnyx_request_duration_seconds", &[]), 1.0);
    for (result, times) in [("verified", 1.0), ("wrong", 1.0), ("malformed", 1.0)] {
        assert_eq!(
            count("twofa_code_checks_total", &[("result", result)]),
            times,
            "{result}"
        );
    }
    assert_eq!(
        count("twofa_limit_refusals_total", &[("limit", "cooldown")]),
        1.0
    );
    assert_eq!(
        count("twofa_pending_verifications", &[]),
        1.0,
        "kept a while after use"
    );
    assert_eq!(
        count(
            "twofa_http_requests_total",
            &[("route", "/request"), ("status", "303")]
        ),
        1.0
    );
    assert_eq!(
        count(
            "twofa_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        1.0,
        "a path no route matched is one label, whatever it was"
    );
    assert!(
        count(
            "twofa_http_request_duration_seconds",
            &[("route", "/verify")]
        ) == 4.0,
        "three codes posted, and the code page the send redirected to"
    );
    for sample in &after {
        for (name, label) in sample.labels.iter() {
            assert!(
                !label.contains("555") && !label.contains("127.0.0.1") && !label.contains("/no/"),
                "{} has {name}={label}",
                sample.metric
            );
        }
    }
}

#[tokio::test]
async fn the_public_listener_never_serves_the_metrics() {
    let telnyx = MockServer::start().await;
    let app = Observed::start(telnyx, &[]).await;
    let page = Browser::new(&app.address).get("/metrics").await.status;
    assert_eq!(page, StatusCode::NOT_FOUND);
    let admin_only = Browser::new(&app.admin).get("/").await.status;
    assert_eq!(
        admin_only,
        StatusCode::NOT_FOUND,
        "and the admin listener serves nothing else"
    );
}

#[tokio::test]
async fn the_health_probes_answer_in_one_plain_line_and_stay_out_of_the_request_log() {
    let telnyx = MockServer::start().await;
    let app = Observed::start(telnyx, &[]).await;
    let mut probe = Browser::new(&app.address);
    for (path, line) in [("/health/alive", "alive\n"), ("/health/ready", "ready\n")] {
        let page = probe.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.html, line);
        assert_eq!(page.header("content-type"), "text/plain; charset=utf-8");
        assert_eq!(page.header("cache-control"), "no-store");
    }
    let logged = captured_logs();
    assert!(
        !logged
            .lines()
            .any(|l| l.contains("route=/health/") && l.contains("answered")),
        "no request-log line for a probe"
    );
}

#[tokio::test]
async fn a_request_id_from_a_proxy_is_echoed_and_on_every_log_line_of_that_request() {
    let telnyx = MockServer::start().await;
    telnyx_accepts(&telnyx).await;
    let app = Observed::start(telnyx, &[]).await;
    let mut browser = Browser::new(&app.address);
    browser.get("/").await;
    let id = format!("lb-{}", crate::helpers::uuid_like());
    browser.headers.push(("x-request-id".into(), id.clone()));
    let page = browser.submit("/request", &[("phone", PHONE)]).await;
    assert_eq!(page.header("x-request-id"), id);
    let logged = captured_logs();
    let lines: Vec<&str> = logged.lines().filter(|l| l.contains(&id)).collect();
    assert!(lines.iter().any(|l| l.contains("code sent")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("answered")), "{lines:#?}");
}

#[tokio::test]
async fn a_request_id_too_long_or_odd_is_replaced_by_a_fresh_one() {
    let telnyx = MockServer::start().await;
    let app = Observed::start(telnyx, &[]).await;
    for given in ["x".repeat(65), "a b".to_owned(), "<script>".to_owned()] {
        let mut browser = Browser::new(&app.address);
        browser.headers.push(("x-request-id".into(), given.clone()));
        let id = browser.get("/").await.header("x-request-id").to_owned();
        assert_eq!(id.len(), 32, "{given:?} gave {id:?}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    let mut browser = Browser::new(&app.address);
    let one = browser.get("/").await.header("x-request-id").to_owned();
    let two = browser.get("/").await.header("x-request-id").to_owned();
    assert_ne!(one, two, "each request has its own");
}

#[tokio::test]
async fn on_stop_a_send_waiting_on_telnyx_completes_and_its_user_gets_the_code_page() {
    let telnyx = MockServer::start().await;
    let slow = ResponseTemplate::new(200)
        .set_body_json(message_sent())
        .set_delay(Duration::from_millis(800));
    telnyx_answers(&telnyx, slow).await;
    let mut app = Observed::start(telnyx, &[("TWOFA_TELNYX__TIMEOUT_SECS", "5")]).await;
    let address = app.address.clone();
    let sending = tokio::spawn(async move {
        let mut browser = Browser::new(&address);
        // The code page is one redirect away, which a browser would follow
        // to another instance: the send itself must finish.
        browser.follow_redirects = false;
        let page = browser.request_code(PHONE).await;
        (page.status, page.header("location") == "/verify")
    });
    app.until_telnyx_is_asked().await;
    app.signal_stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = reqwest::get(format!("{}/", app.address)).await;
    assert!(refused.is_err(), "no new connections once stopping");
    assert_eq!(
        sending.await.expect("joined"),
        (StatusCode::SEE_OTHER, true),
        "sent, and on to the code page"
    );
    assert!(app.stopped().await);
}

#[tokio::test]
async fn a_request_still_running_after_the_grace_period_does_not_hold_the_stop() {
    let telnyx = MockServer::start().await;
    let hung = ResponseTemplate::new(200)
        .set_body_json(message_sent())
        .set_delay(Duration::from_secs(30));
    telnyx_answers(&telnyx, hung).await;
    let mut app = Observed::start(
        telnyx,
        &[
            ("TWOFA_TELNYX__TIMEOUT_SECS", "60"),
            ("TWOFA_SERVER__SHUTDOWN_GRACE_SECS", "1"),
        ],
    )
    .await;
    let address = app.address.clone();
    let _sending =
        tokio::spawn(async move { Browser::new(&address).request_code(PHONE).await.status });
    app.until_telnyx_is_asked().await;
    app.signal_stop();
    assert!(app.stopped().await, "stopped after the grace period");
}
