//! The holes an adversarial review found, each shut: network-wide and
//! service-wide limits, the SMS-pumping breaker, proxies' addresses, the
//! console provider on a public address, HSTS and the connection cap.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{PHONE, captured_logs, spawn_app_with};

const BEHIND_PROXY: (&str, &str) = ("TWOFA_SERVER__TRUST_FORWARDED_FOR", "true");

#[tokio::test]
async fn one_network_gets_at_most_its_hourly_codes_whatever_its_addresses() {
    let app = spawn_app_with(&[
        BEHIND_PROXY,
        ("TWOFA_LIMITS__SENDS_PER_NETWORK_PER_HOUR", "2"),
    ])
    .await;
    for (address, phone) in [
        ("198.51.100.1", "+1 201 555 0101"),
        ("198.51.100.2", "+1 201 555 0102"),
    ] {
        let page = app
            .new_browser()
            .behind_proxy_as(address)
            .request_code(phone)
            .await
            .status;
        assert_eq!(page, StatusCode::OK);
    }
    let mut browser = app.new_browser().behind_proxy_as("198.51.100.3");
    let page = browser.request_code("+1 201 555 0103").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("from your network"), "{}", page.html);
    // An IPv6 /48 is one network too, however many /64s it holds.
    let app = spawn_app_with(&[
        BEHIND_PROXY,
        ("TWOFA_LIMITS__SENDS_PER_NETWORK_PER_HOUR", "1"),
    ])
    .await;
    let first = app
        .new_browser()
        .behind_proxy_as("2001:db8:7:1::1")
        .request_code(PHONE)
        .await
        .status;
    assert_eq!(first, StatusCode::OK);
    let other_64 = app
        .new_browser()
        .behind_proxy_as("2001:db8:7:2::1")
        .request_code("+1 201 555 0199")
        .await
        .status;
    assert_eq!(other_64, StatusCode::TOO_MANY_REQUESTS);
    let other_48 = app
        .new_browser()
        .behind_proxy_as("2001:db8:8::1")
        .request_code("+1 201 555 0188")
        .await
        .status;
    assert_eq!(other_48, StatusCode::OK);
}

#[tokio::test]
async fn past_the_service_wide_hourly_sms_limit_nothing_is_sent_and_the_operator_is_told() {
    let app = spawn_app_with(&[BEHIND_PROXY, ("TWOFA_LIMITS__SMS_PER_HOUR", "2")]).await;
    for (address, phone) in [
        ("198.51.100.1", "+1 201 555 0101"),
        ("203.0.113.2", "+1 201 555 0102"),
    ] {
        let status = app
            .new_browser()
            .behind_proxy_as(address)
            .request_code(phone)
            .await
            .status;
        assert_eq!(status, StatusCode::OK);
    }
    for (address, phone) in [
        ("192.0.2.3", "+1 201 555 0103"),
        ("192.0.2.4", "+1 201 555 0104"),
    ] {
        let mut browser = app.new_browser().behind_proxy_as(address);
        let page = browser.request_code(phone).await;
        assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            page.text_of("h1").as_deref(),
            Some("We're sending too many codes right now")
        );
        assert!(!page.header("retry-after").is_empty());
    }
    assert_eq!(app.sent_messages().await.len(), 2);
    let warnings = captured_logs()
        .matches("limits.sms_per_hour reached")
        .count();
    assert!(warnings >= 1, "the operator hears of it");
}

/// The attack the breaker is for: 200 asks from 200 addresses to numbers
/// of one prefix, none ever verified, while 20 people in another prefix
/// verify theirs. Returns (SMS to the attacked prefix, people verified).
async fn pumping_simulation(min_sends: &str) -> (usize, usize) {
    let app = spawn_app_with(&[BEHIND_PROXY, ("TWOFA_PUMPING__MIN_SENDS", min_sends)]).await;
    for n in 0..200u32 {
        let address = format!("10.{}.{}.1", n / 200, n % 200);
        let phone = format!("+1 201 555 {:04}", 1000 + n);
        app.new_browser()
            .behind_proxy_as(&address)
            .request_code(&phone)
            .await;
    }
    let attacked = app
        .sent_messages()
        .await
        .iter()
        .filter(|m| {
            m["to"]
                .as_str()
                .is_some_and(|to| to.starts_with("+1201555"))
        })
        .count();
    let mut verified = 0;
    for n in 0..20u32 {
        let mut person = app.new_browser().behind_proxy_as(&format!("172.16.{n}.1"));
        person
            .request_code(&format!("+1 201 556 {:04}", 7000 + n))
            .await;
        let code = app.last_code().await;
        if person.enter_code(&code).await.status == StatusCode::OK {
            verified += 1;
        }
    }
    (attacked, verified)
}

#[tokio::test]
async fn the_pumping_breaker_stops_an_attack_on_one_prefix_and_spares_everyone_else() {
    let (attacked, verified) = pumping_simulation("20").await;
    eprintln!(
        "pumping simulation: {attacked} SMS to the attacked prefix, {verified} of 20 verified"
    );
    assert!(attacked <= 20, "{attacked} SMS reached the attacked prefix");
    assert_eq!(verified, 20, "real people elsewhere all verify");
    let logs = captured_logs();
    assert!(
        logs.contains("SMS-pumping breaker") && logs.contains("+1201555"),
        "the destination is named in the log"
    );
}

#[tokio::test]
async fn a_blocked_destination_gets_a_clear_page_and_an_exempt_one_is_never_blocked() {
    let app = spawn_app_with(&[BEHIND_PROXY, ("TWOFA_PUMPING__MIN_SENDS", "3")]).await;
    for n in 0..3u32 {
        let address = format!("10.0.{n}.1");
        let status = app
            .new_browser()
            .behind_proxy_as(&address)
            .request_code(&format!("+1 201 555 01{n:02}"))
            .await
            .status;
        assert_eq!(status, StatusCode::OK);
    }
    let mut browser = app.new_browser().behind_proxy_as("10.0.9.1");
    let page = browser.request_code("+1 201 555 0199").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        page.text_of("h1").as_deref(),
        Some("We can't text this number right now")
    );
    let exempt = spawn_app_with(&[
        BEHIND_PROXY,
        ("TWOFA_PUMPING__MIN_SENDS", "3"),
        ("TWOFA_PUMPING__EXEMPT", "+1201555"),
    ])
    .await;
    for n in 0..6u32 {
        let status = exempt
            .new_browser()
            .behind_proxy_as(&format!("10.0.{n}.1"))
            .request_code(&format!("+1 201 555 01{n:02}"))
            .await
            .status;
        assert_eq!(status, StatusCode::OK, "ask {n}");
    }
    let off = spawn_app_with(&[
        BEHIND_PROXY,
        ("TWOFA_PUMPING__MIN_SENDS", "3"),
        ("TWOFA_PUMPING__ENABLED", "false"),
    ])
    .await;
    for n in 0..6u32 {
        let status = off
            .new_browser()
            .behind_proxy_as(&format!("10.0.{n}.1"))
            .request_code(&format!("+1 201 555 01{n:02}"))
            .await
            .status;
        assert_eq!(status, StatusCode::OK, "ask {n}");
    }
}

#[tokio::test]
async fn forwarded_addresses_with_ports_are_read_and_trusted_proxies_are_skipped() {
    let app = spawn_app_with(&[
        ("TWOFA_SERVER__TRUSTED_PROXIES", "127.0.0.0/8,10.0.0.0/8"),
        ("TWOFA_LIMITS__SENDS_PER_IP_PER_HOUR", "1"),
    ])
    .await;
    let first = app
        .new_browser()
        .behind_proxy_as("198.51.100.7:50123, 10.1.1.1")
        .request_code("+1 201 555 0101")
        .await
        .status;
    assert_eq!(first, StatusCode::OK);
    // The same client through another hop of ours, with another port.
    let again = app
        .new_browser()
        .behind_proxy_as("198.51.100.7:4711")
        .request_code("+1 201 555 0102")
        .await
        .status;
    assert_eq!(
        again,
        StatusCode::TOO_MANY_REQUESTS,
        "one client, one budget"
    );
    let other = app
        .new_browser()
        .behind_proxy_as("[2001:db8::9]:443")
        .request_code("+1 201 555 0103")
        .await
        .status;
    assert_eq!(other, StatusCode::OK, "another client is not the proxy");
}

#[tokio::test]
async fn an_unreadable_forwarded_entry_is_refused_never_taken_for_the_proxy() {
    let app = spawn_app_with(&[BEHIND_PROXY]).await;
    for entry in ["unknown", "198.51.100.7, garbage", "_hidden"] {
        let mut browser = app.new_browser().behind_proxy_as(entry);
        let page = browser.request_code(PHONE).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{entry}");
    }
    assert!(app.sent_messages().await.is_empty());
    assert!(captured_logs().contains("refused an X-Forwarded-For entry"));
}

#[tokio::test]
async fn over_https_browsers_are_told_to_stay_on_https() {
    let mut app =
        spawn_app_with(&[("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com")]).await;
    let page = app.browser.get("/").await;
    assert_eq!(
        page.header("strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
    let mut plain = spawn_app_with(&[]).await;
    assert_eq!(
        plain
            .browser
            .get("/")
            .await
            .header("strict-transport-security"),
        ""
    );
}

#[tokio::test]
async fn past_the_connection_cap_a_new_connection_waits_for_a_free_one() {
    let app = spawn_app_with(&[("TWOFA_SERVER__MAX_CONNECTIONS", "2")]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let idle_one = TcpStream::connect(&address).await.expect("connects");
    let idle_two = TcpStream::connect(&address).await.expect("connects");
    let mut third = TcpStream::connect(&address)
        .await
        .expect("the kernel queues it");
    third
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("written");
    let mut answer = Vec::new();
    let waited =
        tokio::time::timeout(Duration::from_millis(500), third.read_to_end(&mut answer)).await;
    assert!(waited.is_err(), "not served while two connections are open");
    drop(idle_one);
    tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut answer))
        .await
        .expect("served once one closes")
        .expect("read");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    drop(idle_two);
}

#[tokio::test]
async fn numbers_of_no_country_are_refused_even_with_every_country_allowed() {
    let mut app = spawn_app_with(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "*")]).await;
    let page = app.browser.request_code("+881 612 345 678").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.sent_messages().await.is_empty());
}
