//! Verifications in Redis, shared by every instance.
//!
//! Each is a hash under `{prefix}v:{id}` that expires with the code, and a
//! member of the sorted set `{prefix}pending` (scored by expiry) that counts
//! them for `limits.max_pending`. Checking a code is one Lua script, so N
//! simultaneous checks on N instances count N tries and verify at most once.

use redis::Script;
use std::sync::LazyLock;

use super::{CheckOutcome, State, Verification, VerificationId};
use crate::clock::Timestamp;
use crate::otp::CodeDigest;
use crate::phone::PhoneNumber;
use crate::shared_store::{SharedStore, StoreUnavailable};

/// KEYS[1]: the verification. ARGV: the typed code's digest, now (ms), the
/// most wrong tries. The digest is compared in time that does not depend on
/// where it differs, as in the memory store.
static CHECK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local v = redis.call('HMGET', KEYS[1], 'phone', 'cc', 'digest', 'expires', 'state')
        if not v[1] then return {'missing'} end
        if tonumber(ARGV[2]) >= tonumber(v[4]) then return {'expired'} end
        if v[5] == 'used' then return {'used'} end
        if v[5] == 'locked' then return {'locked'} end
        local stored, typed, diff = v[3], ARGV[1], 0
        if #stored ~= #typed then diff = 1 end
        for i = 1, math.min(#stored, #typed) do
            diff = bit.bor(diff, bit.bxor(string.byte(stored, i), string.byte(typed, i)))
        end
        if diff == 0 then
            redis.call('HSET', KEYS[1], 'state', 'used')
            return {'verified', v[1], v[2], v[4]}
        end
        local left = tonumber(ARGV[3]) - redis.call('HINCRBY', KEYS[1], 'wrong', 1)
        if left <= 0 then
            left = 0
            redis.call('HSET', KEYS[1], 'state', 'locked')
        end
        return {'wrong', v[1], v[2], v[4], tostring(left)}
        ",
    )
});

#[derive(Debug, Clone)]
pub struct RedisStore {
    shared: SharedStore,
}

fn state_name(state: State) -> &'static str {
    match state {
        State::Pending => "pending",
        State::Used => "used",
        State::Locked => "locked",
    }
}

fn millis(text: &str) -> Option<Timestamp> {
    text.parse().ok().map(Timestamp::from_millis)
}

impl RedisStore {
    pub fn new(shared: SharedStore) -> Self {
        Self { shared }
    }

    fn key(&self, id: &VerificationId) -> String {
        self.shared.key("v", id.encode())
    }

    fn pending_key(&self) -> String {
        self.shared.key("pending", "all")
    }

    pub(super) async fn insert(
        &self,
        id: &VerificationId,
        v: &Verification,
    ) -> Result<(), StoreUnavailable> {
        let key = self.key(id);
        let ttl_ms = v.created.until(v.expires).as_millis().max(1) as u64;
        let fields: [(&str, Vec<u8>); 7] = [
            ("phone", v.phone.e164().into()),
            ("cc", v.phone.country_code().to_string().into()),
            ("digest", v.digest.as_bytes().to_vec()),
            ("created", v.created.as_millis().to_string().into()),
            ("expires", v.expires.as_millis().to_string().into()),
            ("wrong", v.wrong_tries.to_string().into()),
            ("state", state_name(v.state).into()),
        ];
        let mut connection = self.shared.connection.clone();
        redis::pipe()
            .atomic()
            .hset_multiple(&key, &fields)
            .ignore()
            .pexpire(&key, ttl_ms as i64)
            .ignore()
            .zadd(self.pending_key(), id.encode(), v.expires.as_millis())
            .ignore()
            .query_async::<()>(&mut connection)
            .await?;
        Ok(())
    }

    pub(super) async fn get(
        &self,
        id: &VerificationId,
    ) -> Result<Option<Verification>, StoreUnavailable> {
        let mut connection = self.shared.connection.clone();
        let fields: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
            .arg(self.key(id))
            .arg(&[
                "phone", "cc", "digest", "created", "expires", "wrong", "state",
            ])
            .query_async(&mut connection)
            .await?;
        let text = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.as_deref())
                .and_then(|b| std::str::from_utf8(b).ok())
        };
        let Some(phone) = text(0) else {
            return Ok(None);
        };
        let verification = (|| {
            Some(Verification {
                phone: PhoneNumber::from_stored(phone, text(1)?.parse().ok()?)?,
                digest: CodeDigest::from_bytes(fields.get(2)?.as_deref()?)?,
                created: millis(text(3)?)?,
                expires: millis(text(4)?)?,
                wrong_tries: text(5)?.parse().ok()?,
                state: match text(6)? {
                    "used" => State::Used,
                    "locked" => State::Locked,
                    _ => State::Pending,
                },
            })
        })();
        verification.map(Some).ok_or_else(|| {
            StoreUnavailable::new("a verification in Redis is not in this app's format")
        })
    }

    pub(super) async fn remove(&self, id: &VerificationId) -> Result<(), StoreUnavailable> {
        let mut connection = self.shared.connection.clone();
        redis::pipe()
            .atomic()
            .del(self.key(id))
            .ignore()
            .zrem(self.pending_key(), id.encode())
            .ignore()
            .query_async::<()>(&mut connection)
            .await?;
        Ok(())
    }

    pub(super) async fn check(
        &self,
        id: &VerificationId,
        attempt: &CodeDigest,
        now: Timestamp,
        max_attempts: u32,
    ) -> Result<CheckOutcome, StoreUnavailable> {
        let mut connection = self.shared.connection.clone();
        let reply: Vec<String> = CHECK
            .key(self.key(id))
            .arg(attempt.as_bytes())
            .arg(now.as_millis())
            .arg(max_attempts)
            .invoke_async(&mut connection)
            .await?;
        let phone = || -> Result<PhoneNumber, StoreUnavailable> {
            let country_code = reply.get(2).and_then(|c| c.parse().ok()).unwrap_or(0);
            reply
                .get(1)
                .and_then(|p| PhoneNumber::from_stored(p, country_code))
                .ok_or_else(|| StoreUnavailable::new("a stored phone number is not E.164"))
        };
        let expires = || reply.get(3).and_then(|e| millis(e)).unwrap_or(now);
        Ok(match reply.first().map(String::as_str) {
            Some("verified") => CheckOutcome::Verified { phone: phone()? },
            Some("wrong") => CheckOutcome::WrongCode {
                phone: phone()?,
                tries_left: reply.get(4).and_then(|t| t.parse().ok()).unwrap_or(0),
                expires: expires(),
            },
            Some("expired") => CheckOutcome::Expired,
            Some("used") => CheckOutcome::AlreadyUsed,
            Some("locked") => CheckOutcome::Locked,
            _ => CheckOutcome::NotFound,
        })
    }

    /// The hashes expire by themselves; this trims the count of them.
    pub(super) async fn sweep(&self, now: Timestamp) -> Result<usize, StoreUnavailable> {
        let mut connection = self.shared.connection.clone();
        let removed: usize = redis::cmd("ZREMRANGEBYSCORE")
            .arg(self.pending_key())
            .arg("-inf")
            .arg(now.as_millis())
            .query_async(&mut connection)
            .await?;
        Ok(removed)
    }

    pub(super) async fn count(&self, now: Timestamp) -> Result<usize, StoreUnavailable> {
        let mut connection = self.shared.connection.clone();
        let count: usize = redis::cmd("ZCOUNT")
            .arg(self.pending_key())
            .arg(format!("({}", now.as_millis()))
            .arg("+inf")
            .query_async(&mut connection)
            .await?;
        Ok(count)
    }
}
