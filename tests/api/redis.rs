//! Several instances on one Redis behave as one. These tests need a Redis:
//! `TWOFA_TEST_REDIS_URL` (and `redis-server` on the PATH for the ones that
//! stop and start their own). Without them they say so and pass; under CI
//! (`CI=true`) that is a failure.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use wiremock::MockServer;

use crate::helpers::{
    Browser, OWN_ADDRESS, PHONE, assert_verified_exactly_once, last_code_received_by,
    messages_received_by, settings_env, start_instance, submit_at_once, telnyx_accepts, uuid_like,
    wrong_code,
};
use crate::oidc::SPA_CALLBACK;

fn missing(what: &str) -> Option<String> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Redis tests cannot run under CI: {what}");
    }
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let _ = writeln!(std::io::stderr(), "\n*** REDIS TESTS SKIPPED: {what} ***\n");
    });
    None
}

fn redis_url() -> Option<String> {
    std::env::var("TWOFA_TEST_REDIS_URL")
        .ok()
        .or_else(|| missing("set TWOFA_TEST_REDIS_URL=redis://127.0.0.1:6379/0"))
}

/// Instances sharing one Redis, one key prefix and one cookie key, texting
/// through one mocked Telnyx.
struct Cluster {
    telnyx: MockServer,
    env: HashMap<String, String>,
    instances: Vec<(String, tokio::task::JoinHandle<std::io::Result<()>>)>,
}

impl Cluster {
    async fn start(url: &str, size: usize, extra: &[(&str, &str)]) -> Self {
        let telnyx = MockServer::start().await;
        telnyx_accepts(&telnyx).await;
        let (api_base, prefix) = (telnyx.uri(), format!("cluster-{}:", uuid_like()));
        let env = settings_env(&[
            &[
                ("TWOFA_TELNYX__API_KEY", crate::helpers::API_KEY),
                ("TWOFA_TELNYX__FROM_NUMBER", crate::helpers::FROM_NUMBER),
                ("TWOFA_TELNYX__TIMEOUT_SECS", "1"),
                ("TWOFA_TELNYX__API_BASE", &api_base),
                ("TWOFA_STORE__BACKEND", "redis"),
                ("TWOFA_STORE__REDIS_URL", url),
                ("TWOFA_STORE__KEY_PREFIX", &prefix),
                (
                    "TWOFA_SERVER__COOKIE_KEY",
                    "c2hhcmVkIGJ5IGV2ZXJ5IGluc3RhbmNlIG9mIHRoaXMgdGVzdCBjbHVzdGVyIQ==",
                ),
            ],
            extra,
        ]);
        let mut cluster = Self {
            telnyx,
            env,
            instances: Vec::new(),
        };
        for _ in 0..size {
            cluster.add_instance().await;
        }
        cluster
    }

    async fn add_instance(&mut self) -> String {
        let (address, _clock, server) = start_instance(&self.env).await;
        self.instances.push((address.clone(), server));
        address
    }

    fn address(&self, i: usize) -> String {
        self.instances[i].0.clone()
    }

    /// Stops every instance, as a deploy does.
    fn stop_all(&mut self) {
        for (_, server) in self.instances.drain(..) {
            server.abort();
        }
    }

    async fn sent(&self) -> Vec<serde_json::Value> {
        messages_received_by(&self.telnyx).await
    }

    async fn last_code(&self) -> String {
        last_code_received_by(&self.telnyx).await
    }

    /// Where the last SMS asked Telnyx to send its receipts.
    async fn last_receipts_url(&self) -> String {
        let messages = crate::helpers::messages_received_by(&self.telnyx).await;
        let url = messages.last().and_then(|m| m["webhook_url"].as_str());
        url.expect("an SMS that asks for receipts").to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[tokio::test]
async fn a_code_requested_through_one_instance_verifies_through_another() {
    let Some(url) = redis_url() else { return };
    let cluster = Cluster::start(&url, 2, &[]).await;
    let mut browser = Browser::new(&cluster.address(0));
    assert_eq!(browser.request_code(PHONE).await.status, StatusCode::OK);
    let code = cluster.last_code().await;
    browser.address = cluster.address(1);
    assert_eq!(browser.enter_code(&code).await.status, StatusCode::OK);
    // ...and the first instance knows it is verified.
    browser.address = cluster.address(0);
    assert_eq!(browser.resubmit(&[]).await.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_wrong_try_on_one_instance_counts_on_every_instance() {
    let Some(url) = redis_url() else { return };
    let cluster = Cluster::start(&url, 2, &[("TWOFA_OTP__MAX_ATTEMPTS", "2")]).await;
    let mut browser = Browser::new(&cluster.address(0));
    browser.request_code(PHONE).await;
    let code = cluster.last_code().await;
    assert_eq!(
        browser.enter_code(&wrong_code(&code)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    browser.address = cluster.address(1);
    assert_eq!(
        browser.enter_code(&wrong_code(&code)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        browser.resubmit(&[("token", &code)]).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn an_address_limit_is_one_limit_across_all_instances() {
    let Some(url) = redis_url() else { return };
    let cluster = Cluster::start(
        &url,
        3,
        &[
            ("TWOFA_SERVER__TRUST_FORWARDED_FOR", "true"),
            ("TWOFA_LIMITS__SENDS_PER_IP_PER_HOUR", "4"),
        ],
    )
    .await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let phone = format!("+1 201 555 01{i:02}");
        let mut browser = Browser::new(&cluster.address(i % 3)).behind_proxy_as("198.51.100.20");
        statuses.push(browser.request_code(&phone).await.status);
    }
    let sent = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(
        sent, 4,
        "4 an hour in all, not 4 per instance: {statuses:?}"
    );
    assert_eq!(cluster.sent().await.len(), 4);
}

#[tokio::test]
async fn a_cooldown_on_one_instance_holds_on_the_others() {
    let Some(url) = redis_url() else { return };
    let cluster = Cluster::start(&url, 2, &[]).await;
    assert_eq!(
        Browser::new(&cluster.address(0))
            .request_code(PHONE)
            .await
            .status,
        StatusCode::OK
    );
    let page = Browser::new(&cluster.address(1))
        .request_code(PHONE)
        .await
        .status;
    assert_eq!(page, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sixteen_simultaneous_right_codes_over_three_instances_verify_once() {
    let Some(url) = redis_url() else { return };
    let cluster = Cluster::start(&url, 3, &[]).await;
    let mut browser = Browser::new(&cluster.address(0));
    browser.request_code(PHONE).await;
    let code = cluster.last_code().await;
    let addresses: Vec<String> = (0..3).map(|i| cluster.address(i)).collect();
    let statuses = submit_at_once(&browser, &addresses, &code, 16).await;
    assert_verified_exactly_once(&statuses);
}

#[tokio::test]
async fn restarting_every_instance_loses_no_pending_verification() {
    let Some(url) = redis_url() else { return };
    let mut cluster = Cluster::start(&url, 2, &[]).await;
    let mut browser = Browser::new(&cluster.address(0));
    browser.request_code(PHONE).await;
    let code = cluster.last_code().await;
    cluster.stop_all();
    let fresh = cluster.add_instance().await;
    browser.address = fresh;
    assert_eq!(browser.enter_code(&code).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_new_cookie_key_ends_no_pending_verification_while_the_old_one_is_kept() {
    let Some(url) = redis_url() else { return };
    let old = "b2xkIGtleSBvZiB0aGlzIHRlc3QsIGF0IGxlYXN0IHRoaXJ0eS10d28gYnl0ZXMh";
    let new = "bmV3IGtleSBvZiB0aGlzIHRlc3QsIGF0IGxlYXN0IHRoaXJ0eS10d28gYnl0ZXMh";
    let mut cluster = Cluster::start(&url, 1, &[]).await;
    cluster.env.remove("TWOFA_SERVER__COOKIE_KEY");
    cluster
        .env
        .insert("TWOFA_SERVER__COOKIE_KEYS".into(), old.into());
    cluster.stop_all();
    let before = cluster.add_instance().await;
    let mut browser = Browser::new(&before);
    browser.request_code(PHONE).await;
    let code = cluster.last_code().await;
    let sealed_with_old = browser.verification_cookie();
    let csrf = browser.csrf.clone().expect("a token");
    // A deploy with the new key first: the old one still opens the cookie
    // and checks the code.
    cluster.stop_all();
    cluster
        .env
        .insert("TWOFA_SERVER__COOKIE_KEYS".into(), format!("{new},{old}"));
    browser.address = cluster.add_instance().await;
    assert_eq!(browser.enter_code(&code).await.status, StatusCode::OK);
    // Once the old key is gone, its cookies open no more.
    cluster.stop_all();
    cluster
        .env
        .insert("TWOFA_SERVER__COOKIE_KEYS".into(), new.into());
    let after = cluster.add_instance().await;
    let replayed = reqwest::Client::new()
        .post(format!("{after}/verify"))
        .header("cookie", sealed_with_old)
        .form(&[("csrf", csrf.as_str()), ("token", code.as_str())])
        .send()
        .await
        .expect("answers");
    assert_eq!(
        replayed.status(),
        StatusCode::FORBIDDEN,
        "the old cookie is unreadable"
    );
}

/// A Redis of this test's own, which it can stop and start: a primary, a
/// replica, or a sentinel.
struct OwnRedis {
    server: std::path::PathBuf,
    port: u16,
    args: Vec<String>,
    process: Option<Child>,
}

/// A port nothing listens on now.
fn free_port() -> Option<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()
        .map(|a| a.port())
}

/// A directory of this test run's own, for what Redis writes.
fn scratch_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("twofa-redis-{}", uuid_like()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

impl OwnRedis {
    /// A primary, with nothing saved to disk.
    fn start() -> Option<Self> {
        Self::launch(|_| Vec::new())
    }

    /// A replica of `primary`.
    fn replica_of(primary: &OwnRedis) -> Option<Self> {
        let primary = primary.port.to_string();
        Self::launch(|_| {
            ["--replicaof", "127.0.0.1", &primary]
                .map(String::from)
                .to_vec()
        })
    }

    /// A sentinel watching `primary` as `mymaster`, quick to call it down
    /// (1 s) and to fail over (3 s).
    fn sentinel_of(primary: &OwnRedis) -> Option<Self> {
        let primary = primary.port.to_string();
        Self::launch(|dir| {
            let config = dir.join("sentinel.conf");
            std::fs::write(&config, "").expect("a config file sentinel can rewrite");
            let mut args = vec![config.display().to_string(), "--sentinel".into()];
            for setting in [
                vec!["monitor", "mymaster", "127.0.0.1", &primary, "1"],
                vec!["down-after-milliseconds", "mymaster", "1000"],
                vec!["failover-timeout", "mymaster", "3000"],
            ] {
                args.push("--sentinel".into());
                args.extend(setting.into_iter().map(String::from));
            }
            args
        })
    }

    /// `redis-server` with `args(scratch dir)` first, then its port and
    /// the settings every one of ours has.
    fn launch(args: impl FnOnce(&std::path::Path) -> Vec<String>) -> Option<Self> {
        let server = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("redis-server"))
                .find(|path| path.is_file())
        });
        let Some(server) = server else {
            missing("no redis-server on the PATH (Debian: apt-get install redis-server)");
            return None;
        };
        let port = free_port()?;
        let dir = scratch_dir();
        let mut args = args(&dir);
        let common = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"];
        args.extend(["--port".to_owned(), port.to_string()]);
        args.extend(common.map(String::from));
        args.extend(["--dir".to_owned(), dir.display().to_string()]);
        let mut redis = Self {
            server,
            port,
            args,
            process: None,
        };
        redis.restart();
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// (Re)starts the server on the same port, and waits until it listens.
    fn restart(&mut self) {
        self.stop();
        let child = Command::new(&self.server)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.process = Some(child);
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn with_redis_down_the_app_fails_closed_and_recovers_by_itself() {
    if redis_url().is_none() {
        return;
    }
    let Some(mut redis) = OwnRedis::start() else {
        return;
    };
    let cluster = Cluster::start(
        &redis.url(),
        1,
        &[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")],
    )
    .await;
    let mut browser = Browser::new(&cluster.address(0));
    assert_eq!(browser.request_code(PHONE).await.status, StatusCode::OK);
    let code = cluster.last_code().await;

    redis.stop();
    let page = browser.enter_code(&code).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "no code is accepted"
    );
    assert!(page.contains("No code was sent or checked"));
    let mut other = Browser::new(&cluster.address(0));
    let page = other.request_code("+1 201 555 0199").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(cluster.sent().await.len(), 1, "no SMS while Redis is down");

    redis.restart();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = other.request_code("+1 201 555 0199").await.status;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK, "service resumes by itself");
    let code = cluster.last_code().await;
    assert_eq!(other.enter_code(&code).await.status, StatusCode::OK);
}

#[tokio::test]
async fn start_up_waits_for_redis_when_told_to() {
    if redis_url().is_none() {
        return;
    }
    let Some(mut redis) = OwnRedis::start() else {
        return;
    };
    let url = redis.url();
    redis.stop();
    let env = settings_env(&[&[
        ("TWOFA_SMS__PROVIDER", "console"),
        ("TWOFA_STORE__BACKEND", "redis"),
        ("TWOFA_STORE__REDIS_URL", url.as_str()),
        ("TWOFA_STORE__WAIT_FOR_REDIS_SECS", "10"),
    ]]);
    let starting = tokio::spawn(async move { start_instance(&env).await });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!starting.is_finished(), "it waits while Redis is down");
    redis.restart();
    let (address, _clock, server) = tokio::time::timeout(Duration::from_secs(10), starting)
        .await
        .expect("it starts once Redis is up")
        .expect("joined");
    assert_eq!(Browser::new(&address).get("/").await.status, StatusCode::OK);
    server.abort();
}

#[test]
fn start_up_with_an_unreachable_redis_fails_with_a_clear_line_and_exit_code_2() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port");
    let output = Command::new(env!("CARGO_BIN_EXE_telnyx-2fa"))
        .env_clear()
        .current_dir(std::env::temp_dir())
        .env("TWOFA_SERVER__LISTEN", "127.0.0.1:0")
        .env("TWOFA_STORE__BACKEND", "redis")
        .env("TWOFA_STORE__REDIS_URL", format!("redis://{closed}/0"))
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach Redis at store.redis_url"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn a_verification_and_its_limits_expire_in_redis_soon_after_their_life_however_it_changes() {
    let Some(url) = redis_url() else { return };
    let cluster = Cluster::start(&url, 1, &[("TWOFA_OTP__TTL_SECS", "300")]).await;
    let mut browser = Browser::new(&cluster.address(0));
    assert_eq!(browser.request_code(PHONE).await.status, StatusCode::OK);
    let prefix = cluster.env["TWOFA_STORE__KEY_PREFIX"].clone();
    let client = redis::Client::open(url.as_str()).expect("a Redis URL");
    let redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    let ttl_ms = |pattern: String| {
        let mut redis = redis.clone();
        async move {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(pattern)
                .query_async(&mut redis)
                .await
                .expect("KEYS");
            let mut ttls = Vec::new();
            for key in keys {
                let ttl: i64 = redis::cmd("PTTL")
                    .arg(key)
                    .query_async(&mut redis)
                    .await
                    .expect("PTTL");
                ttls.push(ttl);
            }
            ttls
        }
    };
    // Its code's life, then ten minutes in which a late check is told it
    // expired.
    let verifications = ttl_ms(format!("{prefix}ver:*")).await;
    assert_eq!(verifications.len(), 1);
    assert!(
        (895_000..=900_000).contains(&verifications[0]),
        "{verifications:?}"
    );
    // The number's hourly count and its cooldown, the client's and its
    // network's hourly counts, and the service's.
    let limits = ttl_ms(format!("{prefix}limit:*")).await;
    assert_eq!(limits.len(), 5, "{limits:?}");
    assert!(
        limits.iter().all(|ttl| (1..=3_600_000).contains(ttl)),
        "{limits:?}"
    );
    // A wrong code, then the right one, rewrite the verification: it keeps
    // its life.
    let code = cluster.last_code().await;
    assert_eq!(
        browser.enter_code(&wrong_code(&code)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(browser.enter_code(&code).await.status, StatusCode::OK);
    let verifications = ttl_ms(format!("{prefix}ver:*")).await;
    assert_eq!(verifications.len(), 1);
    assert!(
        (880_000..=900_000).contains(&verifications[0]),
        "{verifications:?}"
    );
}

#[tokio::test]
async fn readiness_turns_503_while_redis_is_gone_and_200_when_it_is_back() {
    if redis_url().is_none() {
        return;
    }
    let Some(mut redis) = OwnRedis::start() else {
        return;
    };
    let cluster = Cluster::start(&redis.url(), 1, &[]).await;
    let mut probe = Browser::new(&cluster.address(0));
    let ready = probe.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.html, "ready\n");

    redis.stop();
    let ready = probe.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ready.html, "not ready: the store is unavailable\n",
        "one line, no secrets"
    );
    assert_eq!(ready.header("content-type"), "text/plain; charset=utf-8");
    let alive = probe.get("/health/alive").await;
    assert_eq!(alive.status, StatusCode::OK, "the process still serves");

    redis.restart();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = probe.get("/health/ready").await.status;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK, "ready again, by itself");
}

/// Waits until `replica` holds everything its primary was told, so a
/// failover loses nothing this test wrote.
async fn wait_for_replication(primary: &OwnRedis) {
    let client = redis::Client::open(primary.url()).expect("a URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("the primary answers");
    // Short waits: the client's own time limit is shorter than a long one.
    for _ in 0..100 {
        let replicas: i64 = redis::cmd("WAIT")
            .arg(1)
            .arg(100)
            .query_async(&mut connection)
            .await
            .expect("WAIT answers");
        if replicas == 1 {
            return;
        }
    }
    panic!("the replica never caught up");
}

#[tokio::test]
async fn behind_sentinel_the_app_follows_a_failover_by_itself_and_never_answers_500() {
    if redis_url().is_none() {
        return;
    }
    let Some(mut primary) = OwnRedis::start() else {
        return;
    };
    let Some(_replica) = OwnRedis::replica_of(&primary) else {
        return;
    };
    let Some(sentinel) = OwnRedis::sentinel_of(&primary) else {
        return;
    };
    let url = format!("redis+sentinel://127.0.0.1:{}/mymaster", sentinel.port);
    let cluster = Cluster::start(&url, 1, &[]).await;
    let mut browser = Browser::new(&cluster.address(0));
    assert_eq!(browser.request_code(PHONE).await.status, StatusCode::OK);
    let code = cluster.last_code().await;
    wait_for_replication(&primary).await;

    primary.stop();
    // Until Sentinel promotes the replica (a few seconds), pages fail
    // closed; then the code typed before the failover works on the new
    // primary, and new codes are sent.
    let mut statuses = Vec::new();
    for _ in 0..100 {
        let status = browser
            .post_with_token("/verify", &[("token", &code)])
            .await
            .status;
        statuses.push(status);
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(statuses.last(), Some(&StatusCode::OK), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE),
        "503 while it switches, never anything else: {statuses:?}"
    );
    let mut other = Browser::new(&cluster.address(0));
    assert_eq!(
        other.request_code("+1 201 555 0199").await.status,
        StatusCode::OK
    );
    let code = cluster.last_code().await;
    assert_eq!(other.enter_code(&code).await.status, StatusCode::OK);
}

/// A proxy in front of Redis that writes down the name of every command the
/// app sends through it, so that a test can count what one request costs.
struct CountingProxy {
    url: String,
    commands: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl CountingProxy {
    async fn start(redis_url: &str) -> Self {
        let upstream = url::Url::parse(redis_url).expect("a Redis URL");
        let target = format!(
            "{}:{}",
            upstream.host_str().expect("a Redis host"),
            upstream.port().unwrap_or(6379)
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let mut url = upstream.clone();
        let local = listener.local_addr().expect("an address");
        url.set_port(Some(local.port())).expect("a port in the URL");
        let commands = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = commands.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                    continue;
                };
                let noted = noted.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                    });
                    let (mut pending, mut chunk) = (Vec::new(), vec![0; 64 * 1024]);
                    while let Ok(read @ 1..) = from_client.read(&mut chunk).await {
                        pending.extend_from_slice(&chunk[..read]);
                        while let Some((used, name)) = command_in(&pending) {
                            noted.lock().expect("the list").push(name);
                            pending.drain(..used);
                        }
                        if to_server.write_all(&chunk[..read]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Self {
            url: url.to_string(),
            commands,
        }
    }

    /// The commands sent since the last call, but for the sweeper's, which
    /// a timer sends whatever the requests.
    fn take(&self) -> Vec<String> {
        let mut sent = std::mem::take(&mut *self.commands.lock().expect("the list"));
        sent.retain(|name| name != "ZREMRANGEBYSCORE");
        sent
    }
}

/// The first whole command in `bytes` (a RESP array of bulk strings, as
/// clients send them): how many bytes it takes, and its name.
fn command_in(bytes: &[u8]) -> Option<(usize, String)> {
    fn line(bytes: &[u8], at: usize) -> Option<(usize, &[u8])> {
        let end = at + bytes.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
        Some((end + 2, &bytes[at..end]))
    }
    let number = |text: &[u8]| std::str::from_utf8(text).ok()?.parse::<usize>().ok();
    let (mut at, head) = line(bytes, 0)?;
    let count = number(head.strip_prefix(b"*")?)?;
    let mut name = String::new();
    for i in 0..count {
        let (next, length) = line(bytes, at)?;
        let length = number(length.strip_prefix(b"$")?)?;
        let value = bytes.get(next..next + length)?;
        if i == 0 {
            name = String::from_utf8_lossy(value).to_uppercase();
        }
        at = next + length + 2;
        bytes.get(..at)?;
    }
    Some((at, name))
}

/// The commands each request sends to Redis: one a request. A send's
/// limits, capacity and verification are one script before the SMS; with
/// delivery receipts on, nothing is noted after it, because the address
/// Telnyx is asked to send the receipts to names the send. A receipt is one
/// script. A code checked by number is one script that finds the
/// verification and checks the code.
///
/// A right code during a sign-in keeps the authorization code in the same
/// script.
#[tokio::test]
async fn every_request_reaches_redis_once_a_send_with_receipts_on_too() {
    let Some(url) = redis_url() else { return };
    let proxy = CountingProxy::start(&url).await;
    let key = "api-key-0123456789abcdef";
    let receipts_key = crate::receipts::telnyx_public_key();
    let cluster = Cluster::start(
        &proxy.url,
        1,
        &[
            ("TWOFA_API__KEYS", key),
            ("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0"),
            ("TWOFA_OTP__MAX_ATTEMPTS", "2"),
            ("TWOFA_TELNYX__PUBLIC_KEY", &receipts_key),
            ("TWOFA_SERVER__PUBLIC_URL", OWN_ADDRESS),
            ("TWOFA_OIDC__CLIENTS__SPA__NAME", "Single Page App"),
            ("TWOFA_OIDC__CLIENTS__SPA__REDIRECT_URIS", SPA_CALLBACK),
        ],
    )
    .await;
    let address = cluster.address(0);
    let api = reqwest::Client::new();
    // The Verify API: a JSON POST's status and answer; a new verification's
    // id; a verdict's `response_code`.
    let post = |path: &str, body: serde_json::Value| {
        let request = api
            .post(format!("{address}{path}"))
            .bearer_auth(key)
            .json(&body);
        async move {
            let answer = request.send().await.expect("an answer");
            let status = answer.status();
            let body: serde_json::Value = answer.json().await.expect("JSON");
            (status, body)
        }
    };
    let start = |body| async move {
        let (status, body) = post("/v2/verifications/sms", body).await;
        (
            status,
            body["data"]["id"].as_str().expect("an id").to_owned(),
        )
    };
    let verdict = |(status, body): (StatusCode, serde_json::Value)| {
        let code = body["data"]["response_code"].as_str().unwrap_or_default();
        (status, code.to_owned())
    };
    let (script, read) = (&["EVALSHA"][..], &["GET"][..]);
    let send = script;
    let mut measured: Vec<(String, Vec<String>, &[&str])> = Vec::new();
    // Twice: the first round loads the scripts into Redis.
    for round in 0..2 {
        // What one request sent, once it answered as it should.
        let mut note = |what: &str, (status, expected): (StatusCode, StatusCode), commands| {
            assert_eq!(status, expected, "{what}");
            let sent = proxy.take();
            if round == 1 {
                measured.push((what.to_owned(), sent, commands));
            }
        };
        let (ok, see_other) = (StatusCode::OK, StatusCode::SEE_OTHER);
        proxy.take();
        let mut browser = Browser::new(&address);
        note("GET /", (browser.get("/").await.status, ok), &[]);
        browser.follow_redirects = false;
        let phone = format!("+1 201 555 01{round}0");
        let status = browser.request_code(&phone).await.status;
        note("POST /request", (status, see_other), send);
        let code = cluster.last_code().await;
        browser.follow_redirects = true;
        let status = browser.get("/verify/status").await.status;
        note("GET /verify/status", (status, ok), read);
        note(
            "GET /verify",
            (browser.get("/verify").await.status, ok),
            read,
        );
        let status = browser.enter_code(&wrong_code(&code)).await.status;
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        note(
            "POST /verify, a wrong code",
            (status, unprocessable),
            script,
        );
        browser.follow_redirects = false;
        let status = browser.ask_for_new_code().await.status;
        note("POST /resend", (status, see_other), send);
        // The code page again, for its form: counted above.
        browser.follow_redirects = true;
        browser.get("/verify").await;
        proxy.take();
        let message = crate::receipts::Texted {
            id: "40317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e".into(),
            webhook_url: cluster.last_receipts_url().await,
        };
        let to = format!("+120155501{round}0");
        let body = crate::receipts::receipt_to("message.finalized", &message, "delivered", &to);
        let status = crate::receipts::telnyx_posts(&message.webhook_url, &body).await;
        note("POST /webhooks/telnyx", (status, ok), script);
        let news = browser.get("/verify/status").await.html.clone();
        assert!(
            news.contains("\"delivered\""),
            "the receipt was taken: {news}"
        );
        browser.get("/verify").await;
        proxy.take();
        browser.follow_redirects = false;
        let status = browser.enter_code(&code).await.status;
        note("POST /verify, the right code", (status, see_other), script);

        let phone = format!("+1201555020{round}");
        let sms = json!({"phone_number": phone, "verify_profile_id": "default"});
        let (status, id) = start(sms).await;
        note("POST /v2/verifications/sms", (status, ok), send);
        let code = cluster.last_code().await;
        let answer = api
            .get(format!("{address}/v2/verifications/{id}"))
            .bearer_auth(key)
            .send()
            .await;
        let status = answer.expect("an answer").status();
        note("GET /v2/verifications/{id}", (status, ok), read);
        let by_id = format!("/v2/verifications/{id}/actions/verify");
        let by_number = format!("/v2/verifications/by_phone_number/{phone}/actions/verify");
        let typed = |code: &str| json!({"code": code, "verify_profile_id": "default"});
        let rejected = (ok, "rejected".to_owned());
        let answer = verdict(post(&by_id, typed(&wrong_code(&code))).await);
        assert_eq!(answer, rejected);
        note(
            "POST …/{id}/actions/verify, a wrong code",
            (answer.0, ok),
            script,
        );
        let answer = verdict(post(&by_number, typed(&wrong_code(&code))).await);
        assert_eq!(answer, rejected);
        let what = "POST …/by_phone_number/…/actions/verify, a wrong code";
        note(what, (answer.0, ok), script);
        // Locked by the two wrong codes: the answer names the number from
        // the one script's reply.
        let answer = verdict(post(&by_id, typed(&code)).await);
        assert_eq!(answer, rejected);
        note("POST …/{id}/actions/verify, locked", (answer.0, ok), script);
        let phone = format!("+1201555025{round}");
        let sms = json!({"phone_number": phone, "verify_profile_id": "default"});
        let (status, _) = start(sms).await;
        note("POST /v2/verifications/sms, again", (status, ok), send);
        let code = cluster.last_code().await;
        let by_number = format!("/v2/verifications/by_phone_number/{phone}/actions/verify");
        let answer = verdict(post(&by_number, typed(&code)).await);
        assert_eq!(answer, (ok, "accepted".to_owned()));
        let what = "POST …/by_phone_number/…/actions/verify, the right code";
        note(what, (answer.0, ok), script);

        // A code the caller chose, and the caller's own verdict on it.
        let phone = format!("+1201555030{round}");
        let custom =
            json!({"phone_number": phone, "verify_profile_id": "default", "custom_code": "424242"});
        let (status, id) = start(custom).await;
        note(
            "POST /v2/verifications/sms, a custom code",
            (status, ok),
            send,
        );
        let by_id = format!("/v2/verifications/{id}/actions/verify");
        let caller_says = json!({"status": "accepted"});
        let answer = verdict(post(&by_id, caller_says.clone()).await);
        assert_eq!(answer, (ok, "accepted".to_owned()));
        note(
            "POST …/{id}/actions/verify, the caller's verdict",
            (answer.0, ok),
            script,
        );
        // Used now: refused, naming the number from the one script's reply.
        let answer = verdict(post(&by_id, caller_says).await);
        assert_eq!(answer, rejected);
        note(
            "POST …/{id}/actions/verify, a second verdict",
            (answer.0, ok),
            script,
        );

        // Signing in to another website, with PKCE (RFC 7636's example).
        browser.follow_redirects = false;
        let callback = url::form_urlencoded::byte_serialize(SPA_CALLBACK.as_bytes());
        let authorize = format!(
            "/authorize?response_type=code&client_id=spa&scope=openid%20phone\
             &redirect_uri={}&code_challenge_method=S256\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            callback.collect::<String>()
        );
        let status = browser.get(&authorize).await.status;
        note("GET /authorize", (status, see_other), &[]);
        note(
            "GET /sign-in",
            (browser.get("/sign-in").await.status, ok),
            &[],
        );
        let phone = format!("+1 201 555 04{round}0");
        let status = browser
            .submit("/request", &[("phone", &phone)])
            .await
            .status;
        note("POST /request, signing in", (status, see_other), send);
        let code = cluster.last_code().await;
        browser.get("/verify").await;
        proxy.take();
        let back = browser.enter_code(&code).await;
        let (status, back) = (back.status, back.header("location").to_owned());
        note(
            "POST /verify, the right code, signing in",
            (status, see_other),
            script,
        );
        let back = reqwest::Url::parse(&back).expect("back to the client");
        let (_, code) = back
            .query_pairs()
            .find(|(name, _)| name == "code")
            .expect("an authorization code");
        let exchange = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", SPA_CALLBACK),
            ("client_id", "spa"),
            (
                "code_verifier",
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            ),
        ];
        let answer = api
            .post(format!("{address}/token"))
            .form(&exchange)
            .send()
            .await
            .expect("an answer");
        let status = answer.status();
        let tokens: serde_json::Value = answer.json().await.expect("JSON");
        note("POST /token", (status, ok), script);
        let access = tokens["access_token"].as_str().expect("an access token");
        let answer = api
            .get(format!("{address}/userinfo"))
            .bearer_auth(access)
            .send()
            .await;
        let status = answer.expect("an answer").status();
        note("GET /userinfo", (status, ok), &["HMGET"]);
    }
    let report: Vec<String> = measured
        .iter()
        .map(|(what, sent, _)| format!("{what}: {sent:?}"))
        .collect();
    for (what, sent, expected) in &measured {
        assert_eq!(sent, expected, "{what}\n{}", report.join("\n"));
    }
}
