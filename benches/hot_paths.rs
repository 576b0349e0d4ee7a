//! Criterion micro-benchmarks of the pieces every request runs, and of whole
//! requests through the router in-process (no sockets), which is where the
//! app's own cost shows apart from the network's.
//!
//! `cargo bench --bench hot_paths`

use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use askama::Template;
use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use telnyx_2fa::Timestamp;
use telnyx_2fa::measured::Session;
use telnyx_2fa::measured::{Alphabet, CodeFormat, CodeKey, Typed};
use telnyx_2fa::measured::{Asker, ClientKey, LimitRules};
use telnyx_2fa::measured::{Checking, Opening, Store, Which};
use telnyx_2fa::measured::{CodeFormPage, PhoneFormPage};
use telnyx_2fa::measured::{PhoneNumber, PhoneRules};
use telnyx_2fa::measured::{Status, Verification, VerificationId};
use telnyx_2fa::settings::{ConfigFile, Settings};
use telnyx_2fa::startup::Application;
use tower::ServiceExt;

const FORMAT: CodeFormat = CodeFormat {
    alphabet: Alphabet::Digits,
    length: 6,
};

/// Runs a future that never waits (the in-memory store and limiter) to
/// completion without a runtime, so the figures are theirs alone.
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the in-memory store and limiter never wait"),
    }
}

fn settings(extra: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = [
        ("TWOFA_SERVER__LISTEN", "127.0.0.1:0"),
        ("TWOFA_SMS__PROVIDER", "console"),
        ("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load(ConfigFile::None, &env).expect("valid settings")
}

fn pieces(c: &mut Criterion) {
    let settings = settings(&[]);
    let rules: PhoneRules = settings.phone.clone();
    let phone = PhoneNumber::parse("+12015550123", &rules.default_country).expect("valid");
    let key = CodeKey::new([1; 32]);
    let id = VerificationId::random();
    let code = FORMAT.generate();
    let digest = key.digest(id.as_bytes(), &code);

    c.bench_function("code: generate 6 digits", |b| {
        b.iter(|| black_box(FORMAT.generate()))
    });
    c.bench_function("code: read a typed code", |b| {
        b.iter(|| FORMAT.read_attempt(black_box(" 123-456 ")))
    });
    c.bench_function("code: HMAC digest and constant-time compare", |b| {
        b.iter(|| {
            key.digest(black_box(id.as_bytes()), black_box(&code))
                .matches(&digest)
        })
    });
    c.bench_function("phone: parse and check (201) 555-0123", |b| {
        b.iter(|| rules.parse(black_box("(201) 555-0123")))
    });

    let now = Timestamp::from_millis(1_800_000_000_000);
    let store = Store::default();
    let verification = Verification {
        phone,
        digest,
        created: now,
        expires: now.after(Duration::from_secs(600)),
        sent: now,
        wrong_tries: 0,
        status: Status::Pending,
        profile: None,
        custom_code: false,
        updated: now,
        delivery: Default::default(),
    };
    let open = |id: &VerificationId| {
        let opened = ready(store.open(
            &Opening {
                id,
                verification: &verification,
                limits: &[],
                max_pending: usize::MAX,
                replaces: None,
                watch: None,
                by_number: None,
            },
            now,
        ));
        assert!(matches!(opened, Ok(Ok(_))), "memory never fails");
    };
    let ids: Vec<VerificationId> = (0..100_000).map(|_| VerificationId::random()).collect();
    ids.iter().for_each(open);
    let mut next = 0;
    c.bench_function("store: insert into 100k", |b| {
        b.iter(|| open(&VerificationId::random()))
    });
    let limit_rules = LimitRules::new(settings.limits.clone());
    // The code under another key: wrong for every verification. The
    // check digests it for each, as the Verifier's checks do.
    let other_key = [CodeKey::new([2; 32])];
    let wrong = Typed::new(&other_key, &code);
    let guessing = limit_rules.for_guessing(
        &Asker::Address(ClientKey::from(IpAddr::V4(Ipv4Addr::LOCALHOST))),
        5,
    );
    c.bench_function("store: check a wrong code among 100k", |b| {
        b.iter(|| {
            next = (next + 1) % ids.len();
            let checking = Checking {
                which: Which::Id(&ids[next]),
                typed: wrong,
                guessing: &guessing,
                max_attempts: u32::MAX,
                pumping_window: None,
                api_only: false,
                hand_off: None,
            };
            ready(store.check(&checking, now))
        })
    });

    let limiter = Store::default();
    let mut n = 0u32;
    c.bench_function(
        "limits: take the three sending limits (new subjects)",
        |b| {
            b.iter(|| {
                n += 1;
                let client = ClientKey::from(IpAddr::V4(Ipv4Addr::from_bits(n)));
                let limits = limit_rules.for_sending(&phone, &Asker::Address(client));
                ready(limiter.open(
                    &Opening {
                        id: &VerificationId::random(),
                        verification: &verification,
                        limits: &limits,
                        max_pending: usize::MAX,
                        replaces: None,
                        watch: None,
                        by_number: None,
                    },
                    now,
                ))
            })
        },
    );

    let session = Session::new();
    c.bench_function("page: render the phone form", |b| {
        b.iter(|| PhoneFormPage::new(black_box(&session), &rules).render())
    });
    c.bench_function("page: render the code form", |b| {
        b.iter(|| {
            CodeFormPage::new(
                black_box(&session),
                &phone,
                Duration::from_secs(600),
                FORMAT,
            )
            .render()
        })
    });
}

/// `name=value` of the cookie a response sets.
fn cookie_of(response: &axum::response::Response) -> String {
    let header = response.headers()["set-cookie"].to_str().expect("ascii");
    header.split(';').next().expect("a cookie").to_owned()
}

fn requests(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let raised = [
        ("TWOFA_OTP__MAX_ATTEMPTS", "1000000000"),
        (
            "TWOFA_LIMITS__VERIFY_FAILURES_PER_IP_PER_HOUR",
            "1000000000",
        ),
    ];
    let app = runtime
        .block_on(Application::build(settings(&raised)))
        .expect("the app builds");
    let router = app.router();

    c.bench_function("request: GET / (new visitor)", |b| {
        b.to_async(&runtime).iter(|| {
            let request = Request::get("/").body(Body::empty()).expect("a request");
            router.clone().oneshot(request)
        })
    });

    // A live session with a pending code, flooding wrong codes.
    let (cookie, csrf) = runtime.block_on(async {
        let home = router
            .clone()
            .oneshot(Request::get("/").body(Body::empty()).expect("request"))
            .await
            .expect("ok");
        let cookie = cookie_of(&home);
        let html = axum::body::to_bytes(home.into_body(), usize::MAX)
            .await
            .expect("body");
        let html = String::from_utf8_lossy(&html);
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("token")
            .to_owned();
        let request = Request::post("/request")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(Body::from(format!("csrf={csrf}&phone=%2B12015550123")))
            .expect("request");
        let sent = router.clone().oneshot(request).await.expect("ok");
        let cookie = cookie_of(&sent);
        (cookie, csrf)
    });
    let body = format!("csrf={csrf}&token=000000");
    c.bench_function("request: POST /verify with a wrong code", |b| {
        b.to_async(&runtime).iter(|| {
            let request = Request::post("/verify")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", &cookie)
                .body(Body::from(body.clone()))
                .expect("a request");
            router.clone().oneshot(request)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = pieces, requests
}
criterion_main!(benches);
