//! Building the app from settings, and running it until a signal stops it.

use std::io;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::routes::router;
use crate::settings::Settings;
use crate::sms::SmsSender;
use crate::state::AppState;
use crate::verification::VerificationStore;

/// How often expired verifications are swept out of the store, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Settings(#[from] crate::settings::SettingsError),
    #[error("could not listen on {address}: {source}")]
    Listen { address: String, source: io::Error },
    #[error("could not set up the HTTP client for Telnyx: {0}")]
    HttpClient(#[from] reqwest::Error),
}

/// A bound, ready-to-run app. Bind port 0 to let the OS pick (tests do).
pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        for warning in settings.warnings() {
            tracing::warn!("{warning}");
        }
        let address = settings.listen_address();
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| StartupError::Listen {
                address: address.to_string(),
                source,
            })?;
        let state = Arc::new(AppState {
            default_country: settings.default_country()?,
            code_format: settings.code_format(),
            sms: SmsSender::from_settings(&settings)?,
            store: VerificationStore::default(),
            clock: Clock::default(),
            settings,
        });
        Ok(Self { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The clock the app reads; tests move it forward to expire codes.
    pub fn clock(&self) -> Clock {
        self.state.clock.clone()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        let sweep_every = self.state.settings.code_ttl().min(SWEEP_EVERY);
        tokio::spawn(sweep_expired(Arc::downgrade(&self.state), sweep_every));
        tracing::info!("listening on http://{}", self.listener.local_addr()?);
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

/// Runs until the app that owns the state is gone.
async fn sweep_expired(state: Weak<AppState>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let Some(state) = state.upgrade() else { return };
        let swept = state.store.sweep(state.clock.now()).await;
        if swept > 0 {
            tracing::debug!(swept, "expired verifications removed");
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
    tracing::info!("shutting down: finishing requests in flight");
}
