//! The connection to Redis (or Valkey) that the store uses when
//! `store.backend = "redis"`: to one address, or to whichever node Redis
//! Sentinel says is the primary.
//!
//! A `ConnectionManager` multiplexes every request over one connection and
//! reconnects by itself when a node comes back. What it does not do is
//! notice that the node it reconnects to is no longer the primary, or give
//! up on a connection that hangs; `Primary` wraps it for that: after an
//! error that says "this node is gone, or not the primary", it asks
//! Sentinel again (in the background, one lookup at a time) and swaps in a
//! manager for the new primary. The request that met the error fails closed
//! (a 503), like every request while Redis is unavailable; the ones after
//! the swap are served. Every call has a time limit, so a hung Redis makes
//! pages fail fast instead of piling up requests.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{
    Client, Cmd, ConnectionAddr, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult,
    ServerErrorKind, TlsMode, Value,
};
use secrecy::ExposeSecret;

use crate::settings::{RedisSettings, RedisTarget, SentinelTarget};

/// How long one Redis call may take before the request fails closed.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Redis could not be reached or failed: nothing is sent and no code is
/// accepted until it is back.
#[derive(Debug, thiserror::Error)]
#[error("the shared store is unavailable: {0}")]
pub struct StoreUnavailable(String);

impl From<RedisError> for StoreUnavailable {
    fn from(error: RedisError) -> Self {
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
    pub(crate) connection: Primary,
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
    /// Connects, retrying for `store.wait_for_redis_secs` if Redis (or
    /// Sentinel's primary) is not up yet.
    pub async fn connect(settings: &RedisSettings) -> Result<Self, StoreUnavailable> {
        let finder = Finder::new(&settings.target)?;
        let deadline = tokio::time::Instant::now() + settings.wait;
        loop {
            match finder.connect().await {
                Ok(manager) => {
                    return Ok(Self {
                        connection: Primary(Arc::new(Shared {
                            current: RwLock::new((0, manager)),
                            finder,
                        })),
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

/// A connection to the primary, wherever it is now.
#[derive(Clone)]
pub struct Primary(Arc<Shared>);

struct Shared {
    /// The manager in use, and how many times it has been replaced.
    current: RwLock<(u64, ConnectionManager)>,
    finder: Finder,
}

/// How the primary is found.
enum Finder {
    /// At one address.
    Direct(Client),
    /// By asking the sentinels; locked, so one lookup runs at a time.
    Sentinel(tokio::sync::Mutex<SentinelClient>),
}

fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CALL_TIMEOUT))
        .set_response_timeout(Some(CALL_TIMEOUT))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(1))
}

impl Finder {
    fn new(target: &RedisTarget) -> RedisResult<Self> {
        Ok(match target {
            RedisTarget::Direct(url) => Finder::Direct(Client::open(url.expose_secret())?),
            RedisTarget::Sentinel(sentinel) => {
                Finder::Sentinel(tokio::sync::Mutex::new(sentinel_client(sentinel)?))
            }
        })
    }

    /// A manager connected to the primary.
    async fn connect(&self) -> RedisResult<ConnectionManager> {
        let client = match self {
            Finder::Direct(client) => client.clone(),
            Finder::Sentinel(sentinel) => sentinel.lock().await.async_get_client().await?,
        };
        ConnectionManager::new_with_config(client, manager_config()).await
    }
}

fn sentinel_client(target: &SentinelTarget) -> RedisResult<SentinelClient> {
    let sentinels = target.sentinels.iter().map(|(host, port)| {
        if target.tls {
            ConnectionAddr::TcpTls {
                host: host.clone(),
                port: *port,
                insecure: false,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(host.clone(), *port)
        }
    });
    let mut builder =
        SentinelClientBuilder::new(sentinels, &target.master, SentinelServerType::Master)?
            .set_client_to_redis_db(target.db);
    if target.tls {
        builder = builder
            .set_client_to_redis_tls_mode(TlsMode::Secure)
            .set_client_to_sentinel_tls_mode(TlsMode::Secure);
    }
    if let Some(username) = &target.username {
        builder = builder.set_client_to_redis_username(username);
    }
    if let Some(password) = &target.password {
        builder = builder.set_client_to_redis_password(password.expose_secret());
    }
    if let Some(password) = &target.sentinel_password {
        builder = builder.set_client_to_sentinel_password(password.expose_secret());
    }
    builder.build()
}

/// The node answered, but from elsewhere than a primary (read-only, its
/// primary down, or a transaction aborted because of that).
fn from_a_replica(error: &RedisError) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
    ) || (error.kind() == ErrorKind::Server(ServerErrorKind::ExecAbort)
        && error.to_string().contains("READONLY"))
}

impl Primary {
    fn current(&self) -> (u64, ConnectionManager) {
        self.0
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, seen: u64, manager: ConnectionManager) {
        let mut current = self
            .0
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if current.0 == seen {
            *current = (seen + 1, manager);
        }
    }

    /// After `error` from manager `seen`: if it says the node is gone, hung,
    /// or not the primary, find the primary again. A plain manager
    /// reconnects to a node that went away by itself, but not one that
    /// hangs, nor one that came back as a replica.
    fn after(&self, seen: u64, error: &RedisError) {
        let hung = error.is_timeout();
        let elsewhere =
            error.is_io_error() || error.is_unrecoverable_error() || from_a_replica(error);
        match &self.0.finder {
            Finder::Direct(client) if hung => {
                // Lazily: the next call connects afresh.
                if let Ok(manager) =
                    ConnectionManager::new_lazy_with_config(client.clone(), manager_config())
                {
                    self.replace(seen, manager);
                }
            }
            Finder::Sentinel(_) if hung || elsewhere => {
                let this = self.clone();
                tokio::spawn(async move { this.look_up(seen).await });
            }
            _ => {}
        }
    }

    /// Asks the sentinels where the primary is now, unless a lookup is
    /// under way or done already.
    async fn look_up(&self, seen: u64) {
        let Finder::Sentinel(sentinel) = &self.0.finder else {
            return;
        };
        let Ok(mut sentinel) = sentinel.try_lock() else {
            return;
        };
        if self.current().0 != seen {
            return;
        }
        // During a failover the sentinels name no usable primary for a
        // second or two: this lookup fails, and the next error tries again.
        let found = sentinel
            .async_get_client()
            .await
            .and_then(|client| ConnectionManager::new_lazy_with_config(client, manager_config()));
        match found {
            Ok(manager) => {
                tracing::info!("Redis Sentinel: following the primary to where it is now");
                self.replace(seen, manager);
            }
            Err(error) => tracing::warn!("Redis Sentinel names no usable primary yet: {error}"),
        }
    }
}

impl ConnectionLike for Primary {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let (generation, mut manager) = self.current();
            let answer = manager.req_packed_command(cmd).await;
            if let Err(error) = &answer {
                self.after(generation, error);
            }
            answer
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let (generation, mut manager) = self.current();
            let answer = manager.req_packed_commands(pipeline, offset, count).await;
            if let Err(error) = &answer {
                self.after(generation, error);
            }
            answer
        })
    }

    fn get_db(&self) -> i64 {
        self.current().1.get_db()
    }
}
