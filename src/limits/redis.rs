//! Limit state in Redis, shared by every instance: one key per subject
//! holding its GCRA theoretical arrival time, expiring when it no longer
//! matters. Taking several limits is one Lua script, so a limit of 20 an hour
//! is 20 across all instances, not 20 each.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::{Gcra, Limit, LimitKind, Permit, Refusal, Refused, Subject};
use crate::clock::Timestamp;
use crate::shared_store::{SharedStore, StoreUnavailable};

/// KEYS: one per limit. ARGV[1]: now (µs); then per limit its interval and
/// window (µs). Returns {0, 0} when every limit was taken, else {i, wait}
/// for the limit with the longest wait, and takes none.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local now = tonumber(ARGV[1])
        local tats, worst, worst_wait = {}, 0, 0
        for i, key in ipairs(KEYS) do
            local interval, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
            local tat = math.max(tonumber(redis.call('GET', key) or 0), now)
            tats[i] = tat
            local wait = tat + interval - window - now
            if wait > worst_wait then worst, worst_wait = i, wait end
        end
        if worst > 0 then return {worst, string.format('%.0f', worst_wait)} end
        for i, key in ipairs(KEYS) do
            local tat = tats[i] + tonumber(ARGV[2 * i])
            redis.call('SET', key, string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
        end
        return {0, '0'}
        ",
    )
});

/// KEYS: the limits a permit took. ARGV[1]: now (µs); then each interval.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local now = tonumber(ARGV[1])
        for i, key in ipairs(KEYS) do
            local tat = tonumber(redis.call('GET', key) or 0) - tonumber(ARGV[i + 1])
            if tat > now then
                redis.call('SET', key, string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
            else
                redis.call('DEL', key)
            end
        end
        return 0
        ",
    )
});

#[derive(Debug, Clone)]
pub struct RedisLimiter {
    shared: SharedStore,
}

fn kind_name(kind: LimitKind) -> &'static str {
    match kind {
        LimitKind::ResendCooldown => "cooldown",
        LimitKind::SendsPerPhone => "sends-phone",
        LimitKind::SendsPerAddress => "sends-ip",
        LimitKind::VerifyFailuresPerAddress => "failures-ip",
    }
}

impl RedisLimiter {
    pub fn new(shared: SharedStore) -> Self {
        Self { shared }
    }

    fn key(&self, limit: &Limit) -> String {
        let kind = kind_name(limit.kind);
        match limit.subject {
            Subject::Phone(phone) => self
                .shared
                .key("limit", format_args!("{kind}:{}", phone.e164())),
            Subject::Client(client) => self.shared.key("limit", format_args!("{kind}:{client}")),
        }
    }

    pub(super) async fn acquire(
        &self,
        limits: Vec<Limit>,
        now: Timestamp,
    ) -> Result<Permit, Refused> {
        let mut invocation = ACQUIRE.prepare_invoke();
        invocation.arg(Gcra::micros(now));
        for limit in &limits {
            let gcra = Gcra::of(limit);
            invocation
                .key(self.key(limit))
                .arg(gcra.interval)
                .arg(gcra.window);
        }
        let mut connection = self.shared.connection.clone();
        let (refused, wait): (usize, String) = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(StoreUnavailable::from)?;
        match refused.checked_sub(1).and_then(|i| limits.get(i)) {
            None => Ok(Permit { limits }),
            Some(limit) => Err(Refused::Limit(Refusal {
                kind: limit.kind,
                retry_after: Duration::from_micros(wait.parse().unwrap_or(0)),
            })),
        }
    }

    pub(super) async fn wait(
        &self,
        limit: &Limit,
        now: Timestamp,
    ) -> Result<Option<Duration>, StoreUnavailable> {
        let mut connection = self.shared.connection.clone();
        let tat: Option<u64> = redis::cmd("GET")
            .arg(self.key(limit))
            .query_async(&mut connection)
            .await?;
        Ok(Gcra::of(limit).wait(tat, Gcra::micros(now)))
    }

    pub(super) async fn release(
        &self,
        permit: Permit,
        now: Timestamp,
    ) -> Result<(), StoreUnavailable> {
        let mut invocation = RELEASE.prepare_invoke();
        invocation.arg(Gcra::micros(now));
        for limit in &permit.limits {
            invocation
                .key(self.key(limit))
                .arg(Gcra::of(limit).interval);
        }
        let mut connection = self.shared.connection.clone();
        invocation.invoke_async::<i64>(&mut connection).await?;
        Ok(())
    }
}
