//! The connection to Redis (or Valkey) that the store uses when
//! `store.backend = "redis"`.
//!
//! One `ConnectionManager` per process: it multiplexes every request over one
//! connection and reconnects by itself when Redis comes back. Every call has
//! a time limit, so a hung Redis makes pages fail fast (503) instead of
//! piling up requests.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;

use crate::settings::RedisSettings;

/// How long one Redis call may take before the request fails closed.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Redis could not be reached or failed: nothing is sent and no code is
/// accepted until it is back.
#[derive(Debug, thiserror::Error)]
#[error("the shared store is unavailable: {0}")]
pub struct StoreUnavailable(String);

impl From<redis::RedisError> for StoreUnavailable {
    fn from(error: redis::RedisError) -> Self {
        Self(error.to_string())
    }
}

impl StoreUnavailable {
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// A connection to the shared Redis, and the prefix of this app's keys.
#[derive(Clone)]
pub struct RedisConnection {
    pub(crate) connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// Connects, retrying for `store.wait_for_redis_secs` if Redis is not up yet.
    pub async fn connect(settings: &RedisSettings) -> Result<Self, StoreUnavailable> {
        let client = redis::Client::open(settings.url.expose_secret())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let deadline = tokio::time::Instant::now() + settings.wait;
        loop {
            match ConnectionManager::new_with_config(client.clone(), config.clone()).await {
                Ok(connection) => {
                    return Ok(Self {
                        connection,
                        prefix: settings.key_prefix.clone(),
                    });
                }
                Err(error) if tokio::time::Instant::now() >= deadline => return Err(error.into()),
                Err(error) => {
                    tracing::warn!("waiting for Redis: {error}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// `{prefix}{name}`
    pub(crate) fn key(&self, name: impl std::fmt::Display) -> String {
        format!("{}{name}", self.prefix)
    }
}
