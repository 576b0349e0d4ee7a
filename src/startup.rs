//! Building the app from settings, and running it until a signal stops it.

use std::io;
use std::pin::pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::api::Api;
use crate::clock::Clock;
use crate::header_timer::HeaderTimer;
use crate::keys::Keys;
use crate::limits::LimitRules;
use crate::metrics::Metrics;
use crate::oidc::Provider;
use crate::otp::{Alphabet, CodeFormat};
use crate::pages::PageKit;
use crate::phone::PhoneRules;
use crate::pumping::PumpingRules;
use crate::routes::{MAX_BODY_BYTES, router};
use crate::session::SessionCookies;
use crate::settings::{ApiSettings, RedisTarget, Settings, SmsSettings, StoreSettings};
use crate::sms::{ReceiptLinks, SmsSender};
use crate::state::AppState;
use crate::store::{RedisConnection, RedisStore, Store, StoreUnavailable};
use crate::verification::ProfileId;
use crate::verifier::{Profile, Rules, Verifier};
use crate::webhooks::events::Outbox;
use crate::webhooks::receipts::TelnyxReceipts;

/// How often expired verifications are swept out of the store, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// How often histogram samples nobody scraped are folded into buckets.
const METRICS_UPKEEP_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot reach Redis at store.redis_url: {0}")]
    Redis(#[from] StoreUnavailable),
    #[error("Redis at store.redis_url is {0}: the store needs Redis 6.0 or later, or Valkey")]
    OldRedis(String),
    #[error("could not listen on {address}: {source}")]
    Listen { address: String, source: io::Error },
    #[error("could not set up the HTTP client for Telnyx: {0}")]
    HttpClient(#[from] reqwest::Error),
    #[error("could not make an id_token signing key: {0}")]
    SigningKey(String),
}

/// A bound, ready-to-run app. Bind port 0 to let the OS pick (tests do).
pub struct Application {
    listener: TcpListener,
    /// Where `/metrics` is served, if anywhere.
    admin: Option<TcpListener>,
    state: Arc<AppState>,
    /// Built with the rest, so that serving runs no more of start-up's code
    /// (see `resident`).
    router: axum::Router,
    client_timeout: Duration,
    sweep_every: Duration,
    max_connections: usize,
    shutdown_grace: Duration,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let address = settings.server.listen;
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| StartupError::Listen {
                address: address.to_string(),
                source,
            })?;
        Self::build_on(settings, listener).await
    }

    /// As `build`, on a listener bound already: for tests whose settings
    /// must name the port, as `server.public_url` (the OpenID Connect
    /// issuer) does.
    pub async fn build_on(settings: Settings, listener: TcpListener) -> Result<Self, StartupError> {
        for warning in settings.warnings() {
            tracing::warn!("{warning}");
        }
        tracing::info!("{}", summary(&settings));
        let admin =
            match settings.server.admin_listen {
                Some(address) => Some(TcpListener::bind(address).await.map_err(|source| {
                    StartupError::Listen {
                        address: address.to_string(),
                        source,
                    }
                })?),
                None => None,
            };
        let keys = Keys::derive(&settings.server.master_keys);
        crate::phone::set_log_tag_key(keys.log_tag);
        let store = match &settings.store {
            StoreSettings::Memory => Store::default(),
            StoreSettings::Redis(redis) => {
                let store = RedisStore::new(RedisConnection::connect(redis).await?);
                if let Some(version) = store.too_old().await {
                    return Err(StartupError::OldRedis(version));
                }
                Store::Redis(store)
            }
        };
        let webotp_host = settings
            .server
            .public_url
            .as_ref()
            .and_then(|url| url.host_str())
            .filter(|_| settings.otp.webotp)
            .map(str::to_owned);
        let rules = Rules {
            phone: settings.phone.clone(),
            code: settings.otp.format,
            ttl: settings.otp.ttl,
            max_attempts: settings.otp.max_attempts,
            limits: LimitRules::new(settings.limits.clone()),
            pumping: PumpingRules::new(settings.pumping.clone()),
            sender_name: settings.branding.name.clone(),
        };
        let receipts = match &settings.sms {
            SmsSettings::Telnyx(telnyx) => telnyx.receipts.as_ref().and_then(|r| {
                let links = ReceiptLinks::new(r.url.clone(), &keys.receipt_links)?;
                Some(TelnyxReceipts {
                    key: r.public_key,
                    links,
                })
            }),
            SmsSettings::Console => None,
        };
        let links = receipts.as_ref().map(|r| r.links.clone());
        let sms = SmsSender::new(&settings.sms, links)?;
        let code_format = settings.otp.format;
        let public_url = settings.server.public_url.clone();
        let oidc = Provider::new(settings.oidc, public_url.as_ref(), keys.subject)
            .map_err(StartupError::SigningKey)?;
        let api = verify_api(settings.api, &settings.phone);
        let (clock, metrics) = (Clock::default(), Metrics::new());
        let events = Outbox::start(
            settings
                .webhooks
                .signing_key
                .unwrap_or_else(random_signing_key),
            clock.clone(),
            metrics.clone(),
        )?;
        let branding = Arc::new(settings.branding.clone());
        let languages = Arc::new(settings.languages.clone());
        let state = Arc::new(AppState {
            verifier: Verifier::new(store, sms, keys.codes, clock, rules, metrics),
            cookies: SessionCookies::new(keys.cookies, settings.server.is_https(), code_format),
            webotp_host,
            forwarded_for: settings.server.forwarded_for.clone(),
            hsts: settings.server.is_https(),
            client_timeout: settings.server.client_timeout,
            public_origin: public_url.map(|url| url.origin().ascii_serialization()),
            oidc,
            api,
            receipts,
            events,
            page_kit: Arc::new(PageKit::new(branding, &languages)),
            languages,
        });
        Ok(Self {
            listener,
            admin,
            router: router(state.clone()),
            state,
            client_timeout: settings.server.client_timeout,
            sweep_every: settings.otp.ttl.min(SWEEP_EVERY),
            max_connections: settings.server.max_connections,
            shutdown_grace: settings.server.shutdown_grace,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The admin listener's port, if there is one.
    pub fn admin_port(&self) -> Option<u16> {
        let admin = self.admin.as_ref()?;
        admin.local_addr().ok().map(|a| a.port())
    }

    /// The app as a service, for driving it without a socket (and so
    /// without the connection's limits: the time to send headers, a body's
    /// size).
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    /// The clock the app reads; tests move it forward to expire codes.
    pub fn clock(&self) -> Clock {
        self.state.verifier.clock().clone()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes; then stops accepting, and gives the
    /// requests in flight `server.shutdown_grace_secs` to finish.
    ///
    /// Our own accept loop rather than `axum::serve`, for what that lacks: a
    /// time limit on request headers, against clients that send them slowly.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> io::Result<()> {
        let Self {
            listener,
            admin,
            state,
            router: app,
            client_timeout,
            sweep_every,
            max_connections,
            shutdown_grace,
        } = self;
        // Past the cap, new connections wait in the kernel's queue: idle
        // sockets cannot use up the process's file descriptors.
        let connection_slots = Arc::new(Semaphore::new(max_connections));
        tokio::spawn(sweep_expired(Arc::downgrade(&state), sweep_every));
        tokio::spawn(metrics_upkeep(Arc::downgrade(&state)));
        let admin = admin.map(|admin| serve_admin(admin, state));
        let connections = GracefulShutdown::new();
        let mut shutdown = pin!(stop);
        tracing::info!("listening on http://{}", listener.local_addr()?);
        loop {
            let slot = tokio::select! {
                slot = connection_slots.clone().acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let (stream, remote) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(connection) => connection,
                    Err(error) => {
                        // Out of file descriptors and the like: pause, don't spin.
                        tracing::warn!("accept failed: {error}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let connection = serve_connection(&app, stream, remote, client_timeout);
            let connection = connections.watch(connection);
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!("connection ended: {error}");
                }
                drop(slot);
            });
        }
        drop(listener);
        if let Some(admin) = admin {
            admin.abort();
        }
        tracing::info!(
            "stopped accepting; waiting up to {}s for requests in flight",
            shutdown_grace.as_secs()
        );
        if tokio::time::timeout(shutdown_grace, connections.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                "requests still running after server.shutdown_grace_secs; stopping anyway"
            );
        }
        Ok(())
    }
}

/// One connection's HTTP/1 exchanges with `app`, which sees the peer's
/// address; its request headers must come within `client_timeout`.
fn serve_connection(
    app: &axum::Router,
    stream: tokio::net::TcpStream,
    remote: std::net::SocketAddr,
    client_timeout: Duration,
) -> impl hyper_util::server::graceful::GracefulConnection<Error = hyper::Error> + Send + 'static {
    let service = app.clone().map_request(move |request: Request<Incoming>| {
        // No body is read past the limit, whichever extractor reads it
        // (it answers 413); set here, once, rather than by a layer
        // around every route.
        let mut request = request.map(|body| Body::new(Limited::new(body, MAX_BODY_BYTES)));
        request.extensions_mut().insert(ConnectInfo(remote));
        request
    });
    http1::Builder::new()
        .timer(HeaderTimer::new())
        .header_read_timeout(client_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
}

/// The Verify API face, with its profiles, if it has keys.
fn verify_api(settings: ApiSettings, phone: &PhoneRules) -> Option<Api> {
    let profiles = settings
        .profiles
        .into_iter()
        .map(|p| Profile {
            id: ProfileId::new(&p.id),
            name: p.name,
            app_name: p.app_name,
            language: p.language,
            code: CodeFormat {
                alphabet: Alphabet::Digits,
                length: p.code_length,
            },
            ttl: p.timeout,
            phone: PhoneRules {
                default_country: phone.default_country.clone(),
                countries: p.countries,
            },
            whitelisted_destinations: p.whitelisted_destinations,
            webhook_url: p.webhook_url,
        })
        .collect();
    Api::new(settings.keys, profiles)
}

/// A signing key for this run only, when none is configured.
fn random_signing_key() -> ed25519_dalek::SigningKey {
    let mut seed = [0u8; 32];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut seed);
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// One line on what the app is about to do: which provider texts codes
/// (from what, through which API) and where verifications are kept.
fn summary(settings: &Settings) -> String {
    let sms = match &settings.sms {
        SmsSettings::Console => "codes are written to this log, NOT texted".to_owned(),
        SmsSettings::Telnyx(telnyx) => {
            let sender = match (&telnyx.from_number, &telnyx.messaging_profile_id) {
                (Some(number), _) => format!("from {number}"),
                (None, Some(profile)) => format!("with messaging profile {profile}"),
                (None, None) => "from Telnyx's choice of number".to_owned(),
            };
            format!(
                "codes are texted through Telnyx at {} {sender}",
                telnyx.api_base
            )
        }
    };
    let store = match &settings.store {
        StoreSettings::Memory => "verifications are kept in this process".to_owned(),
        StoreSettings::Redis(redis) => match &redis.target {
            RedisTarget::Direct(_) => "verifications are kept in Redis".to_owned(),
            RedisTarget::Sentinel(sentinel) => format!(
                "verifications are kept in Redis, at the primary Sentinel names {:?}",
                sentinel.master
            ),
        },
    };
    format!("starting: {sms}; {store}")
}

/// Serves `/metrics` on the admin listener, until aborted.
fn serve_admin(listener: TcpListener, state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    if let Ok(address) = listener.local_addr() {
        tracing::info!("metrics on http://{address}/metrics");
    }
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, crate::ops::admin(state)).await {
            tracing::warn!("the admin listener stopped: {error}");
        }
    })
}

/// Ticks every `period`, the first time once one has passed: at start
/// there is nothing to do yet.
fn every_after_one(period: Duration) -> tokio::time::Interval {
    tokio::time::interval_at(tokio::time::Instant::now() + period, period)
}

/// Folds histogram samples into buckets now and then, so they stay small
/// however rarely `/metrics` is scraped.
async fn metrics_upkeep(state: Weak<AppState>) {
    let mut ticks = every_after_one(METRICS_UPKEEP_EVERY);
    loop {
        ticks.tick().await;
        let Some(state) = state.upgrade() else { return };
        state.verifier.metrics().upkeep();
    }
}

/// Runs until the app that owns the state is gone.
async fn sweep_expired(state: Weak<AppState>, every: Duration) {
    let mut ticks = every_after_one(every);
    loop {
        ticks.tick().await;
        let Some(state) = state.upgrade() else { return };
        match state.verifier.sweep().await {
            Ok(verifications) => {
                tracing::debug!(verifications, "swept expired state");
                crate::give_back_freed_memory(crate::GiveBack::WhatIsDue);
            }
            Err(error) => tracing::warn!("could not sweep expired verifications: {error}"),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("asked to stop");
}
