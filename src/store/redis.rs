//! The store in Redis, shared by every instance.
//!
//! Keys, under `store.key_prefix`:
//! - `v:{id}`: a verification, a hash of `FIELDS` that expires at its
//!   `kept_until`;
//! - `held`: a sorted set of verification ids scored by `kept_until`, which
//!   counts them for `limits.max_pending` and is trimmed by the sweep;
//! - `phone:{e164}`: a sorted set of the number's verification ids (the
//!   Verify API's `by_phone_number`), expiring with the newest;
//! - `limit:{kind}:{subject}`: a limit's GCRA arrival time in microseconds,
//!   expiring when it no longer matters;
//! - `pump:{destination}`: the SMS-pumping breaker's counts for a number
//!   prefix or a country;
//! - `handoff:{hash}`: an OpenID Connect authorization code, and
//!   `token:{hash}`: the access token it gave, each by the SHA-256 of the
//!   secret;
//! - `msg:{message id}`: the verification a Telnyx message belongs to, and
//!   `event:{hash}`: a delivery receipt already counted (24 h).
//!
//! Every operation is one Lua script, so it is atomic across instances and
//! one round trip. The scripts follow `memory.rs` rule for rule; the
//! store's tests run both.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::{
    Answer, Delivered, EVENTS_REMEMBERED, Opened, Opening, Receipt, Redeemed, RedisConnection,
    Refusal, SecretHash, StoreUnavailable,
};
use crate::clock::Timestamp;
use crate::limits::{Gcra, Limit, LimitHit, LimitKind, Subject};
use crate::otp::CodeDigest;
use crate::phone::PhoneNumber;
use crate::pumping::Watch;
use crate::verification::{
    CheckOutcome, Delivery, Ended, MessageId, ProfileId, Status, Verification, VerificationId,
};

/// The fields of a verification's hash, in the order the scripts read them:
/// `v[1]` is the phone number, `v[5]` the expiry, `v[8]` the status, `v[10]`
/// whether the caller chose the code, `v[11]` when it last changed, `v[12]`
/// the number's country, `v[13]` its last Telnyx message, `v[14]` that
/// message's delivery.
const FIELDS: [&str; 14] = [
    "phone", "cc", "digest", "created", "expires", "sent", "wrong", "status", "profile", "custom",
    "updated", "region", "msg", "delivery",
];
const SENT_FIELD: &str = FIELDS[5];
const WRONG_FIELD: &str = FIELDS[6];
const STATUS_FIELD: &str = FIELDS[7];
const UPDATED_FIELD: &str = FIELDS[10];
const MESSAGE_FIELD: &str = FIELDS[12];
const DELIVERY_FIELD: &str = FIELDS[13];

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pending => "pending",
        Status::Used => "used",
        Status::Locked => "locked",
    }
}

fn kind_name(kind: LimitKind) -> &'static str {
    match kind {
        LimitKind::ResendCooldown => "cooldown",
        LimitKind::SendsPerPhone => "sends-phone",
        LimitKind::SendsPerAddress => "sends-ip",
        LimitKind::VerifyFailuresPerAddress => "failures-ip",
        LimitKind::SendsPerApiKey => "sends-key",
        LimitKind::VerifyFailuresPerApiKey => "failures-key",
        LimitKind::SendsPerNetwork => "sends-net",
        LimitKind::SmsPerHour => "sms",
    }
}

/// Helpers every script starts with. GCRA as in `limits::Gcra`: `wait` is
/// how long until one more fits (not positive: it fits now).
const PRELUDE: &str = r"
local function gcra_wait(key, interval, window, now)
    local tat = math.max(tonumber(redis.call('GET', key) or 0), now)
    return tat + interval - window - now, tat
end
local function gcra_set(key, tat, now)
    redis.call('SET', key, string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
end
-- Takes the n limits KEYS[k + i], whose interval and window (µs) are
-- ARGV[a + 2i - 1] and ARGV[a + 2i], if every one has room; else takes none
-- and returns {'limit', i, wait} for the one with the longest wait.
local function take_limits(k, a, n, now)
    local tats, worst, worst_wait = {}, 0, 0
    for i = 1, n do
        local wait, tat = gcra_wait(KEYS[k + i], tonumber(ARGV[a + 2 * i - 1]), tonumber(ARGV[a + 2 * i]), now)
        tats[i] = tat
        if wait > worst_wait then worst, worst_wait = i, wait end
    end
    if worst > 0 then return {'limit', tostring(worst), string.format('%.0f', worst_wait)} end
    for i = 1, n do gcra_set(KEYS[k + i], tats[i] + tonumber(ARGV[a + 2 * i - 1]), now) end
    return nil
end
-- Whether two strings are equal, in time that says nothing of where they
-- differ: their SHA-1s are compared, so an early mismatch is a mismatch of
-- hashes, which a guess cannot steer (the double-hashing comparison). In C:
-- a byte loop in Lua cost 6 µs a comparison, the slowest part of a check.
local function equal(a, b)
    return redis.sha1hex(a) == redis.sha1hex(b)
end
local function millis(now)
    return string.format('%.0f', math.floor(now / 1000))
end
-- The pumping breaker's counts of one destination, as in pumping.rs.
local function pump_read(key)
    local h = redis.call('HMGET', key, 'start', 'sc', 'sp', 'vc', 'vp', 'until')
    return {start = tonumber(h[1]) or 0, sc = tonumber(h[2]) or 0, sp = tonumber(h[3]) or 0,
            vc = tonumber(h[4]) or 0, vp = tonumber(h[5]) or 0, till = tonumber(h[6]) or 0}
end
local function pump_rotate(p, now, window)
    if now < p.start + window then return end
    local n = math.floor((now - p.start) / window)
    if n == 1 then p.sp, p.vp = p.sc, p.vc else p.sp, p.vp = 0, 0 end
    p.sc, p.vc = 0, 0
    p.start = p.start + n * window
end
local function pump_estimate(current, previous, p, now, window)
    return current + previous * (1 - math.min((now - p.start) / window, 1))
end
local function pump_write(key, p, now, window)
    redis.call('HSET', key, 'start', string.format('%.0f', p.start), 'sc', p.sc, 'sp', p.sp,
        'vc', p.vc, 'vp', p.vp, 'until', string.format('%.0f', p.till))
    redis.call('PEXPIRE', key, math.max(2 * window, p.till - now, 1))
end
-- A send's two destinations are KEYS[k + 1] and KEYS[k + 2]; ARGV[a + 1]
-- is 1 when the breaker is on, then its window (ms), minimum conversion,
-- block (ms), and per destination its minimum sends and 1 if exempt.
local function pump_blocked(k, a, now)
    if ARGV[a + 1] ~= '1' then return nil end
    for i = 1, 2 do
        if ARGV[a + 4 + 2 * i] ~= '1' then
            local till = tonumber(redis.call('HGET', KEYS[k + i], 'until') or 0)
            if till > now then return {'pumping', tostring(i), string.format('%.0f', till - now)} end
        end
    end
    return nil
end
-- Counts a send (step 1) or takes one back (step -1); returns the
-- destinations (1, 2) this send blocked.
local function pump_count(k, a, now, step)
    local tripped = {}
    if ARGV[a + 1] ~= '1' then return tripped end
    local window, conversion, block = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
    for i = 1, 2 do
        if ARGV[a + 4 + 2 * i] ~= '1' then
            local p = pump_read(KEYS[k + i])
            pump_rotate(p, now, window)
            p.sc = math.max(p.sc + step, 0)
            if step > 0 and p.till <= now then
                local sent = pump_estimate(p.sc, p.sp, p, now, window)
                local verified = pump_estimate(p.vc, p.vp, p, now, window)
                if sent >= tonumber(ARGV[a + 3 + 2 * i]) and verified < conversion * sent then
                    p.till = now + block
                    tripped[#tripped + 1] = tostring(i)
                end
            end
            pump_write(KEYS[k + i], p, now, window)
        end
    end
    return tripped
end
local function ended(v, now)
    if not v[1] then return 'missing' end
    if math.floor(now / 1000) >= tonumber(v[5]) then return 'expired' end
    if v[8] == '$USED' then return 'used' end
    if v[8] == '$LOCKED' then return 'locked' end
    return nil
end
";

/// A script: the prelude and `body`, with the field and status names of
/// this file put in for `$FIELDS`, `$STATUS`, `$USED` and so on.
fn script(body: &str) -> Script {
    let fields: Vec<String> = FIELDS.iter().map(|f| format!("'{f}'")).collect();
    let source = format!("{PRELUDE}{body}")
        .replace("$FIELDS", &fields.join(", "))
        .replace("$STATUS", STATUS_FIELD)
        .replace("$SENT", SENT_FIELD)
        .replace("$WRONG", WRONG_FIELD)
        .replace("$UPDATED", UPDATED_FIELD)
        .replace("$MESSAGE", MESSAGE_FIELD)
        .replace("$DELIVERY", DELIVERY_FIELD)
        .replace("$UNKNOWN", Delivery::Unknown.name())
        .replace("$USED", status_name(Status::Used))
        .replace("$LOCKED", status_name(Status::Locked));
    Script::new(&source)
}

/// KEYS: the verification, the held set, the number's index, its two
/// pumping destinations, the limits, then the replaced verification if
/// ARGV[4] names one. ARGV: now (µs), most held, id, replaced id or '',
/// kept until (ms), the number of limits, 1 to index it by number, the
/// breaker's eight (see `pump_args`), each limit's interval and window
/// (µs), then the verification's fields and values.
static OPEN: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        local now, n, replaced = tonumber(ARGV[1]), tonumber(ARGV[6]), ARGV[4]
        local now_ms = math.floor(now / 1000)
        local held = redis.call('ZCARD', KEYS[2])
        if replaced ~= '' and redis.call('ZSCORE', KEYS[2], replaced) then held = held - 1 end
        if held >= tonumber(ARGV[2]) then return {'busy'} end
        local blocked = pump_blocked(3, 7, now_ms)
        if blocked then return blocked end
        local refused = take_limits(5, 15, n, now)
        if refused then return refused end
        if replaced ~= '' then
            redis.call('DEL', KEYS[6 + n])
            redis.call('ZREM', KEYS[2], replaced)
        end
        local fields = {}
        for i = 16 + 2 * n, #ARGV do fields[#fields + 1] = ARGV[i] end
        redis.call('HSET', KEYS[1], unpack(fields))
        local kept = tonumber(ARGV[5])
        local life = math.max(kept - now_ms, 1)
        redis.call('PEXPIRE', KEYS[1], life)
        redis.call('ZADD', KEYS[2], kept, ARGV[3])
        if ARGV[7] == '1' then
            redis.call('ZADD', KEYS[3], now_ms, ARGV[3])
            if redis.call('PTTL', KEYS[3]) < life then redis.call('PEXPIRE', KEYS[3], life) end
        end
        return {'ok', unpack(pump_count(3, 7, now_ms, 1))}
        ",
    )
});

/// KEYS: the verification, its two pumping destinations, then the limits.
/// ARGV: now (µs), the breaker's eight, then each limit's interval and
/// window (µs). Answers `ok`, how many destinations it blocked, which,
/// then the verification's fields.
static REOPEN: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        local now = tonumber(ARGV[1])
        local now_ms = math.floor(now / 1000)
        local v = redis.call('HMGET', KEYS[1], $FIELDS)
        local why = ended(v, now)
        if why then return {why} end
        local blocked = pump_blocked(1, 1, now_ms)
        if blocked then return blocked end
        local refused = take_limits(3, 9, #KEYS - 3, now)
        if refused then return refused end
        v[6], v[11], v[13], v[14] = millis(now), millis(now), '', '$UNKNOWN'
        redis.call('HSET', KEYS[1], '$SENT', v[6], '$UPDATED', v[11], '$MESSAGE', '', '$DELIVERY', v[14])
        local tripped = pump_count(1, 1, now_ms, 1)
        local answer = {'ok', tostring(#tripped)}
        for _, t in ipairs(tripped) do answer[#answer + 1] = t end
        for _, field in ipairs(v) do answer[#answer + 1] = field end
        return answer
        ",
    )
});

/// KEYS: the held set, the number's index, its two pumping destinations,
/// the limits, then the opened verification if ARGV[3] names one. ARGV:
/// now (µs), the number of limits, opened id or '', the breaker's eight,
/// then each limit's interval (µs).
static UNDO: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        local now, n = tonumber(ARGV[1]), tonumber(ARGV[2])
        for i = 1, n do
            local tat = tonumber(redis.call('GET', KEYS[4 + i]) or 0) - tonumber(ARGV[11 + i])
            if tat > now then gcra_set(KEYS[4 + i], tat, now) else redis.call('DEL', KEYS[4 + i]) end
        end
        if ARGV[3] ~= '' then
            redis.call('DEL', KEYS[5 + n])
            redis.call('ZREM', KEYS[1], ARGV[3])
            redis.call('ZREM', KEYS[2], ARGV[3])
        end
        pump_count(2, 3, math.floor(now / 1000), -1)
        return 0
        ",
    )
});

/// KEYS: the verification. ARGV: now (µs), 1 if accepted.
static SETTLE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        local now = tonumber(ARGV[1])
        local v = redis.call('HMGET', KEYS[1], $FIELDS)
        local why = ended(v, now)
        if why then return {why} end
        if v[10] ~= '1' then return {'not_custom'} end
        if ARGV[2] == '1' then v[8] = '$USED' else v[8] = '$LOCKED' end
        v[11] = millis(now)
        redis.call('HSET', KEYS[1], '$STATUS', v[8], '$UPDATED', v[11])
        return {'ok', unpack(v)}
        ",
    )
});

/// KEYS: the number's index. ARGV: the prefix of verification keys. Each
/// verification is its id then its fields; ids whose hash has expired are
/// dropped from the index.
static LIST: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        local out = {}
        for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, 99)) do
            local v = redis.call('HMGET', ARGV[1] .. id, $FIELDS)
            if v[1] then
                out[#out + 1] = id
                for i = 1, #v do out[#out + 1] = v[i] end
            else
                redis.call('ZREM', KEYS[1], id)
            end
        end
        return out
        ",
    )
});

/// KEYS: the verification, the address's guessing limit. ARGV: now (µs),
/// the most wrong tries, the limit's interval and window (µs), the pumping
/// breaker's window (ms, 0 when it is off), the prefix of its keys, then
/// the typed code's digests (one per code key). Each is compared in time
/// that does not depend on where it differs, as in the memory store. A
/// right code is counted for the number's pumping destinations, whose keys
/// are made here from the stored number.
static CHECK: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        local now = tonumber(ARGV[1])
        local v = redis.call('HMGET', KEYS[1], $FIELDS)
        local why = ended(v, now)
        if why then return {why} end
        local interval = tonumber(ARGV[3])
        local wait, tat = gcra_wait(KEYS[2], interval, tonumber(ARGV[4]), now)
        if wait > 0 then return {'limited', string.format('%.0f', wait)} end
        v[11] = millis(now)
        local matched = false
        for i = 7, #ARGV do matched = equal(v[3], ARGV[i]) or matched end
        if matched then
            v[8] = '$USED'
            redis.call('HSET', KEYS[1], '$STATUS', v[8], '$UPDATED', v[11])
            local window = tonumber(ARGV[5])
            if window > 0 then
                local country = v[12]
                if country == '' then country = '001' end
                local now_ms = math.floor(now / 1000)
                for _, name in ipairs({string.sub(v[1], 1, math.max(#v[1] - 4, 1)), country}) do
                    local p = pump_read(ARGV[6] .. name)
                    pump_rotate(p, now_ms, window)
                    p.vc = p.vc + 1
                    pump_write(ARGV[6] .. name, p, now_ms, window)
                end
            end
            return {'verified', unpack(v)}
        end
        local wrong = tonumber(v[7]) + 1
        v[7] = tostring(wrong)
        if wrong >= tonumber(ARGV[2]) then v[8] = '$LOCKED' end
        redis.call('HSET', KEYS[1], '$WRONG', v[7], '$STATUS', v[8], '$UPDATED', v[11])
        gcra_set(KEYS[2], tat + interval, now)
        return {'wrong', unpack(v)}
        ",
    )
});

/// KEYS: the hand-off, the token it would issue. ARGV: now (ms), the
/// binding shown, the token's end (ms). A hand-off's `used` field is absent
/// until redeemed, then the key of the token it issued, or `-` for none.
static REDEEM: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        local h = redis.call('HMGET', KEYS[1], 'data', 'binding', 'expires', 'used')
        if not h[1] then return {'unknown'} end
        if h[4] then
            if h[4] == '-' then return {'reused'} end
            redis.call('DEL', h[4])
            redis.call('HSET', KEYS[1], 'used', '-')
            return {'revoked'}
        end
        local now, token_end = tonumber(ARGV[1]), tonumber(ARGV[3])
        if now >= tonumber(h[3]) or not equal(h[2], ARGV[2]) then
            redis.call('HSET', KEYS[1], 'used', '-')
            return {'refused'}
        end
        redis.call('HSET', KEYS[1], 'used', KEYS[2])
        if token_end > tonumber(h[3]) then
            redis.call('PEXPIRE', KEYS[1], math.max(token_end - now, 1))
        end
        redis.call('HSET', KEYS[2], 'data', h[1], 'expires', ARGV[3])
        redis.call('PEXPIRE', KEYS[2], math.max(token_end - now, 1))
        return {'issued', h[1]}
        ",
    )
});

/// KEYS: the verification, the message's key. ARGV: the message id, the
/// verification's id.
/// The message's key lives as long as the verification.
static SENT_AS: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        local life = redis.call('PTTL', KEYS[1])
        if life <= 0 then return 0 end
        redis.call('HSET', KEYS[1], '$MESSAGE', ARGV[1])
        redis.call('SET', KEYS[2], ARGV[2], 'PX', life)
        return 1
        ",
    )
});

/// KEYS: the event's key, the message's key. ARGV: how long events are
/// remembered (ms), the news (a `Delivery` name), the message id, the
/// prefix of verification keys, the prefix of cooldown keys. As
/// `Delivery::after`: a delivery counts whichever send it was for, a
/// failure or a hand-over only for the last; nothing undoes a delivery. A
/// failure lifts the number's cooldown.
static DELIVER: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
        if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return {'duplicate'} end
        local id = redis.call('GET', KEYS[2])
        if not id then return {'unknown'} end
        local key = ARGV[4] .. id
        local v = redis.call('HMGET', key, $FIELDS)
        if not v[1] then return {'unknown'} end
        local current, news, latest = v[14], ARGV[2], v[13] == ARGV[3]
        local changed = false
        if news == 'delivered' then changed = current ~= 'delivered'
        elseif news == 'failed' then changed = latest and (current == '$UNKNOWN' or current == 'sent')
        elseif news == 'sent' then changed = latest and current == '$UNKNOWN' end
        if not changed then return {'same', id, unpack(v)} end
        v[14] = news
        redis.call('HSET', key, '$DELIVERY', news)
        if news == 'failed' then redis.call('DEL', ARGV[5] .. v[1]) end
        return {'changed', id, unpack(v)}
        ",
    )
});

fn hex(hash: &SecretHash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone)]
pub struct RedisStore {
    connection: RedisConnection,
}

fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

fn millis(bytes: &[u8]) -> Option<Timestamp> {
    text(bytes)?.parse().ok().map(Timestamp::from_millis)
}

/// A verification from its hash's fields, in `FIELDS` order.
fn verification(fields: &[Vec<u8>]) -> Option<Verification> {
    let [
        phone,
        cc,
        digest,
        created,
        expires,
        sent,
        wrong,
        status,
        profile,
        custom,
        updated,
        region,
        _message,
        delivery,
    ] = fields
    else {
        return None;
    };
    Some(Verification {
        phone: PhoneNumber::from_stored(text(phone)?, text(cc)?.parse().ok()?, text(region)?)?,
        digest: CodeDigest::from_bytes(digest)?,
        created: millis(created)?,
        expires: millis(expires)?,
        sent: millis(sent)?,
        wrong_tries: text(wrong)?.parse().ok()?,
        status: [Status::Pending, Status::Used, Status::Locked]
            .into_iter()
            .find(|s| status_name(*s).as_bytes() == status.as_slice())?,
        profile: Some(text(profile)?)
            .filter(|p| !p.is_empty())
            .map(ProfileId::new),
        custom_code: custom.as_slice() == b"1",
        updated: millis(updated)?,
        delivery: Delivery::ALL
            .into_iter()
            .find(|d| d.name().as_bytes() == delivery.as_slice())?,
    })
}

/// The fields of `v`, in `FIELDS` order.
fn fields_of(v: &Verification) -> [Vec<u8>; 14] {
    [
        v.phone.e164().into(),
        v.phone.country_code().to_string().into(),
        v.digest.as_bytes().to_vec(),
        v.created.as_millis().to_string().into(),
        v.expires.as_millis().to_string().into(),
        v.sent.as_millis().to_string().into(),
        v.wrong_tries.to_string().into(),
        status_name(v.status).into(),
        v.profile
            .as_ref()
            .map(|p| p.as_str().as_bytes().to_vec())
            .unwrap_or_default(),
        if v.custom_code {
            b"1".to_vec()
        } else {
            b"0".to_vec()
        },
        v.updated.as_millis().to_string().into(),
        v.phone.region_code().into(),
        // The last message: named by `SENT_AS` once Telnyx took the SMS.
        Vec::new(),
        v.delivery.name().into(),
    ]
}

fn unreadable() -> StoreUnavailable {
    StoreUnavailable::new("an answer from Redis is not in this app's format")
}

/// `missing`, `expired`, `used` or `locked`.
fn ended(tag: &[u8]) -> Option<Ended> {
    match tag {
        b"missing" => Some(Ended::Missing),
        b"expired" => Some(Ended::Expired),
        b"used" => Some(Ended::Used),
        b"locked" => Some(Ended::Locked),
        _ => None,
    }
}

/// `{'limit', i, wait}`: the `i`th (from 1) of `limits` refused.
fn limit_hit(reply: &[Vec<u8>], limits: &[Limit]) -> Option<LimitHit> {
    let i: usize = text(reply.get(1)?)?.parse().ok()?;
    let wait: u64 = text(reply.get(2)?)?.parse().ok()?;
    Some(LimitHit {
        kind: limits.get(i.checked_sub(1)?)?.kind,
        retry_after: Duration::from_micros(wait),
    })
}

impl RedisStore {
    pub fn new(connection: RedisConnection) -> Self {
        Self { connection }
    }

    fn key(&self, id: &VerificationId) -> String {
        self.connection.key(format_args!("v:{}", id.encode()))
    }

    fn held_key(&self) -> String {
        self.connection.key("held")
    }

    fn phone_key(&self, phone: &PhoneNumber) -> String {
        self.connection.key(format_args!("phone:{}", phone.e164()))
    }

    fn limit_key(&self, limit: &Limit) -> String {
        let kind = kind_name(limit.kind);
        match limit.subject {
            Subject::Phone(phone) => self
                .connection
                .key(format_args!("limit:{kind}:{}", phone.e164())),
            Subject::Client(client) => self.connection.key(format_args!("limit:{kind}:{client}")),
            Subject::ApiKey(key) => self.connection.key(format_args!("limit:{kind}:{key}")),
            Subject::Network(network) => {
                self.connection.key(format_args!("limit:{kind}:{network}"))
            }
            Subject::Everyone => self.connection.key(format_args!("limit:{kind}:all")),
        }
    }

    async fn run(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<Vec<Vec<u8>>, StoreUnavailable> {
        let mut connection = self.connection.connection.clone();
        Ok(invocation.invoke_async(&mut connection).await?)
    }

    /// The keys of `watch`'s two destinations (placeholders when the
    /// breaker is off, so the scripts' key order stays the same).
    fn pump_keys(&self, watch: Option<&Watch>) -> [String; 2] {
        match watch {
            Some(watch) => watch
                .destinations
                .each_ref()
                .map(|d| self.connection.key(format_args!("pump:{}", d.name))),
            None => [self.connection.key("pump:-"), self.connection.key("pump:-")],
        }
    }

    /// The breaker's eight arguments: on, window (ms), minimum conversion,
    /// block (ms), and per destination its minimum sends and whether exempt.
    fn pump_args(invocation: &mut redis::ScriptInvocation<'_>, watch: Option<&Watch>) {
        let Some(watch) = watch else {
            invocation
                .arg(0)
                .arg(0)
                .arg(0)
                .arg(0)
                .arg(0)
                .arg(0)
                .arg(0)
                .arg(0);
            return;
        };
        invocation
            .arg(1)
            .arg(watch.window_ms())
            .arg(watch.min_conversion)
            .arg(watch.block_ms());
        for destination in &watch.destinations {
            invocation
                .arg(destination.min_sends)
                .arg(u8::from(destination.exempt));
        }
    }

    /// `{'pumping', i, wait}`: the `i`th destination (from 1) is blocked.
    fn pump_refusal(reply: &[Vec<u8>], watch: Option<&Watch>) -> Option<Refusal> {
        let i: usize = text(reply.get(1)?)?.parse().ok()?;
        let wait: u64 = text(reply.get(2)?)?.parse().ok()?;
        Some(Refusal::Pumping {
            destination: watch?.destinations.get(i.checked_sub(1)?)?.name.clone(),
            retry_after: Duration::from_millis(wait),
        })
    }

    /// The destinations named by number (from 1) in `tripped`.
    fn tripped(tripped: &[Vec<u8>], watch: Option<&Watch>) -> Opened {
        let tripped = tripped
            .iter()
            .filter_map(|i| {
                let i: usize = text(i)?.parse().ok()?;
                Some(watch?.destinations.get(i.checked_sub(1)?)?.name.clone())
            })
            .collect();
        Opened { tripped }
    }

    pub(super) async fn open(&self, opening: &Opening<'_>, now: Timestamp) -> Answer<Opened> {
        let Opening {
            id,
            verification: v,
            limits,
            max_pending,
            replaces,
            watch,
        } = *opening;
        let mut invocation = OPEN.prepare_invoke();
        let [prefix, country] = self.pump_keys(watch);
        invocation
            .key(self.key(id))
            .key(self.held_key())
            .key(self.phone_key(&v.phone))
            .key(prefix)
            .key(country);
        invocation
            .arg(Gcra::micros(now))
            .arg(max_pending)
            .arg(id.encode())
            .arg(replaces.map(VerificationId::encode).unwrap_or_default())
            .arg(v.kept_until().as_millis())
            .arg(limits.len())
            .arg(u8::from(v.profile.is_some()));
        Self::pump_args(&mut invocation, watch);
        for limit in limits {
            let gcra = Gcra::of(limit);
            invocation
                .key(self.limit_key(limit))
                .arg(gcra.interval)
                .arg(gcra.window);
        }
        if let Some(old) = replaces {
            invocation.key(self.key(old));
        }
        for (field, value) in FIELDS.iter().zip(fields_of(v)) {
            invocation.arg(*field).arg(value);
        }
        let reply = self.run(&invocation).await?;
        match reply.first().map(Vec::as_slice) {
            Some(b"ok") => Ok(Ok(Self::tripped(&reply[1..], watch))),
            Some(b"busy") => Ok(Err(Refusal::Busy)),
            Some(b"pumping") => Self::pump_refusal(&reply, watch)
                .map(Err)
                .ok_or_else(unreadable),
            Some(b"limit") => limit_hit(&reply, limits)
                .map(|hit| Err(Refusal::Limit(hit)))
                .ok_or_else(unreadable),
            _ => Err(unreadable()),
        }
    }

    pub(super) async fn reopen(
        &self,
        id: &VerificationId,
        limits: &[Limit],
        watch: Option<&Watch>,
        now: Timestamp,
    ) -> Answer<(Verification, Opened)> {
        let mut invocation = REOPEN.prepare_invoke();
        let [prefix, country] = self.pump_keys(watch);
        invocation
            .key(self.key(id))
            .key(prefix)
            .key(country)
            .arg(Gcra::micros(now));
        Self::pump_args(&mut invocation, watch);
        for limit in limits {
            let gcra = Gcra::of(limit);
            invocation
                .key(self.limit_key(limit))
                .arg(gcra.interval)
                .arg(gcra.window);
        }
        let reply = self.run(&invocation).await?;
        let tag = reply.first().map(Vec::as_slice).unwrap_or_default();
        if let Some(why) = ended(tag) {
            return Ok(Err(Refusal::Ended(why)));
        }
        match tag {
            b"ok" => {
                let count: usize = reply
                    .get(1)
                    .and_then(|c| text(c)?.parse().ok())
                    .ok_or_else(unreadable)?;
                let tripped = reply.get(2..2 + count).ok_or_else(unreadable)?;
                let fields = reply.get(2 + count..).ok_or_else(unreadable)?;
                let verification = verification(fields).ok_or_else(unreadable)?;
                Ok(Ok((verification, Self::tripped(tripped, watch))))
            }
            b"pumping" => Self::pump_refusal(&reply, watch)
                .map(Err)
                .ok_or_else(unreadable),
            b"limit" => limit_hit(&reply, limits)
                .map(|hit| Err(Refusal::Limit(hit)))
                .ok_or_else(unreadable),
            _ => Err(unreadable()),
        }
    }

    pub(super) async fn undo(
        &self,
        opened: Option<&VerificationId>,
        phone: &PhoneNumber,
        limits: &[Limit],
        watch: Option<&Watch>,
        now: Timestamp,
    ) -> Result<(), StoreUnavailable> {
        let mut invocation = UNDO.prepare_invoke();
        let [prefix, country] = self.pump_keys(watch);
        invocation
            .key(self.held_key())
            .key(self.phone_key(phone))
            .key(prefix)
            .key(country)
            .arg(Gcra::micros(now))
            .arg(limits.len())
            .arg(opened.map(VerificationId::encode).unwrap_or_default());
        Self::pump_args(&mut invocation, watch);
        for limit in limits {
            invocation
                .key(self.limit_key(limit))
                .arg(Gcra::of(limit).interval);
        }
        if let Some(id) = opened {
            invocation.key(self.key(id));
        }
        let mut connection = self.connection.connection.clone();
        invocation.invoke_async::<i64>(&mut connection).await?;
        Ok(())
    }

    pub(super) async fn settle(
        &self,
        id: &VerificationId,
        accepted: bool,
        now: Timestamp,
    ) -> Answer<Verification> {
        let mut invocation = SETTLE.prepare_invoke();
        invocation
            .key(self.key(id))
            .arg(Gcra::micros(now))
            .arg(u8::from(accepted));
        let reply = self.run(&invocation).await?;
        let tag = reply.first().map(Vec::as_slice).unwrap_or_default();
        if let Some(why) = ended(tag) {
            return Ok(Err(Refusal::Ended(why)));
        }
        match tag {
            b"ok" => verification(&reply[1..]).map(Ok).ok_or_else(unreadable),
            b"not_custom" => Ok(Err(Refusal::NotCustomCode)),
            _ => Err(unreadable()),
        }
    }

    pub(super) async fn list(
        &self,
        phone: &PhoneNumber,
    ) -> Result<Vec<(VerificationId, Verification)>, StoreUnavailable> {
        let mut invocation = LIST.prepare_invoke();
        invocation
            .key(self.phone_key(phone))
            .arg(self.connection.key("v:"));
        let reply = self.run(&invocation).await?;
        reply
            .chunks(1 + FIELDS.len())
            .map(|chunk| {
                let id = text(&chunk[0]).and_then(VerificationId::decode);
                id.zip(verification(&chunk[1..])).ok_or_else(unreadable)
            })
            .collect()
    }

    pub(super) async fn check(
        &self,
        id: &VerificationId,
        attempts: &[CodeDigest],
        guessing: &Limit,
        max_attempts: u32,
        pumping_window: Option<Duration>,
        now: Timestamp,
    ) -> Result<CheckOutcome, StoreUnavailable> {
        let gcra = Gcra::of(guessing);
        let mut invocation = CHECK.prepare_invoke();
        invocation
            .key(self.key(id))
            .key(self.limit_key(guessing))
            .arg(Gcra::micros(now))
            .arg(max_attempts)
            .arg(gcra.interval)
            .arg(gcra.window)
            .arg(pumping_window.map_or(0, crate::pumping::millis))
            .arg(self.connection.key("pump:"));
        for attempt in attempts {
            invocation.arg(attempt.as_bytes());
        }
        let reply = self.run(&invocation).await?;
        let tag = reply.first().map(Vec::as_slice).unwrap_or_default();
        if let Some(why) = ended(tag) {
            return Ok(CheckOutcome::Ended(why));
        }
        let read = || verification(reply.get(1..).unwrap_or_default()).ok_or_else(unreadable);
        Ok(match tag {
            b"verified" => CheckOutcome::Verified(read()?),
            b"wrong" => {
                let verification = read()?;
                CheckOutcome::Wrong {
                    tries_left: verification.tries_left(max_attempts),
                    verification,
                }
            }
            b"limited" => {
                let wait: u64 = reply
                    .get(1)
                    .and_then(|w| text(w)?.parse().ok())
                    .ok_or_else(unreadable)?;
                CheckOutcome::Limited(LimitHit {
                    kind: guessing.kind,
                    retry_after: Duration::from_micros(wait),
                })
            }
            _ => return Err(unreadable()),
        })
    }

    pub(super) async fn get(
        &self,
        id: &VerificationId,
    ) -> Result<Option<Verification>, StoreUnavailable> {
        let mut connection = self.connection.connection.clone();
        let fields: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
            .arg(self.key(id))
            .arg(&FIELDS)
            .query_async(&mut connection)
            .await?;
        if fields.first().is_none_or(Option::is_none) {
            return Ok(None);
        }
        let fields: Option<Vec<Vec<u8>>> = fields.into_iter().collect();
        fields
            .as_deref()
            .and_then(verification)
            .map(Some)
            .ok_or_else(unreadable)
    }

    pub(super) async fn hand_off(
        &self,
        key: &SecretHash,
        data: &[u8],
        binding: &SecretHash,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreUnavailable> {
        let key = self.connection.key(format_args!("handoff:{}", hex(key)));
        let ttl = now.until(expires).as_millis().max(1) as i64;
        let end = expires.as_millis().to_string();
        let fields: [(&str, &[u8]); 3] = [
            ("data", data),
            ("binding", binding),
            ("expires", end.as_bytes()),
        ];
        let mut connection = self.connection.connection.clone();
        redis::pipe()
            .atomic()
            .hset_multiple(&key, &fields)
            .ignore()
            .pexpire(&key, ttl)
            .ignore()
            .query_async::<()>(&mut connection)
            .await?;
        Ok(())
    }

    pub(super) async fn redeem(
        &self,
        key: &SecretHash,
        binding: &SecretHash,
        token: &SecretHash,
        token_expires: Timestamp,
        now: Timestamp,
    ) -> Result<Redeemed, StoreUnavailable> {
        let mut invocation = REDEEM.prepare_invoke();
        invocation
            .key(self.connection.key(format_args!("handoff:{}", hex(key))))
            .key(self.connection.key(format_args!("token:{}", hex(token))))
            .arg(now.as_millis())
            .arg(binding.as_slice())
            .arg(token_expires.as_millis());
        let reply = self.run(&invocation).await?;
        Ok(match reply.first().map(Vec::as_slice) {
            Some(b"issued") => Redeemed::Issued(reply.get(1).cloned().ok_or_else(unreadable)?),
            Some(b"revoked") => Redeemed::Revoked,
            Some(b"reused") => Redeemed::Reused,
            Some(b"refused") => Redeemed::Refused,
            Some(b"unknown") => Redeemed::Unknown,
            _ => return Err(unreadable()),
        })
    }

    pub(super) async fn token(
        &self,
        token: &SecretHash,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>, StoreUnavailable> {
        let key = self.connection.key(format_args!("token:{}", hex(token)));
        let mut connection = self.connection.connection.clone();
        let (data, expires): (Option<Vec<u8>>, Option<u64>) = redis::cmd("HMGET")
            .arg(key)
            .arg(&["data", "expires"])
            .query_async(&mut connection)
            .await?;
        Ok(data.filter(|_| expires.is_some_and(|end| now.as_millis() < end)))
    }

    /// The hashes expire by themselves; this trims the set that counts them.
    pub(super) async fn sweep(&self, now: Timestamp) -> Result<usize, StoreUnavailable> {
        let mut connection = self.connection.connection.clone();
        let removed: usize = redis::cmd("ZREMRANGEBYSCORE")
            .arg(self.held_key())
            .arg("-inf")
            .arg(now.as_millis())
            .query_async(&mut connection)
            .await?;
        Ok(removed)
    }

    pub(super) async fn held(&self) -> Result<usize, StoreUnavailable> {
        let mut connection = self.connection.connection.clone();
        let held: usize = redis::cmd("ZCARD")
            .arg(self.held_key())
            .query_async(&mut connection)
            .await?;
        Ok(held)
    }

    fn message_key(&self, message: MessageId) -> String {
        self.connection.key(format_args!("msg:{message}"))
    }

    pub(super) async fn sent_as(
        &self,
        id: &VerificationId,
        message: MessageId,
    ) -> Result<(), StoreUnavailable> {
        let mut invocation = SENT_AS.prepare_invoke();
        invocation
            .key(self.key(id))
            .key(self.message_key(message))
            .arg(message.to_string())
            .arg(id.encode());
        let mut connection = self.connection.connection.clone();
        invocation.invoke_async::<i64>(&mut connection).await?;
        Ok(())
    }

    pub(super) async fn deliver(&self, receipt: &Receipt) -> Result<Delivered, StoreUnavailable> {
        let mut invocation = DELIVER.prepare_invoke();
        invocation
            .key(
                self.connection
                    .key(format_args!("event:{:032x}", receipt.event)),
            )
            .key(self.message_key(receipt.message))
            .arg(EVENTS_REMEMBERED.as_millis() as u64)
            .arg(receipt.news.name())
            .arg(receipt.message.to_string())
            .arg(self.connection.key("v:"))
            .arg(self.connection.key("limit:cooldown:"));
        let reply = self.run(&invocation).await?;
        let (tag, rest) = reply.split_first().ok_or_else(unreadable)?;
        let changed = match tag.as_slice() {
            b"duplicate" => return Ok(Delivered::Duplicate),
            b"unknown" => return Ok(Delivered::Unknown),
            b"changed" => true,
            b"same" => false,
            _ => return Err(unreadable()),
        };
        let (id, fields) = rest.split_first().ok_or_else(unreadable)?;
        Ok(Delivered::Known {
            id: text(id)
                .and_then(VerificationId::decode)
                .ok_or_else(unreadable)?,
            verification: verification(fields).ok_or_else(unreadable)?,
            changed,
        })
    }

    pub(super) async fn ping(&self) -> Result<(), StoreUnavailable> {
        let mut connection = self.connection.connection.clone();
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok(())
    }
}
