//! The store in Redis, shared by every instance.
//!
//! Keys, under `store.key_prefix`:
//! - `ver:{id}`: a verification, one string laid out as `packed.rs` says,
//!   that expires at its `kept_until` (the hashes an earlier version kept
//!   under `v:{id}` are not read: they expire by themselves);
//! - `held`: a sorted set of verification ids scored by `kept_until`, which
//!   counts them for `limits.max_pending` and is trimmed by the sweep;
//! - `phone:{e164}`: a sorted set of the number's verification ids (the
//!   Verify API's `by_phone_number`), expiring with the newest, and
//!   `phone:{e164}:codes`: a hash of each one's code digest keyed by number
//!   and profile (`CodeKey::number_digest`), so that a code checked by
//!   number is compared in the same script that finds its verification;
//! - `limit:{kind}:{subject}`: a limit's GCRA arrival time in microseconds,
//!   expiring when it no longer matters;
//! - `pump:{destination}`: the SMS-pumping breaker's counts for a number
//!   prefix or a country;
//! - `handoff:{hash}`: an OpenID Connect authorization code, and
//!   `token:{hash}`: the access token it gave, each by the SHA-256 of the
//!   secret;
//! - `event:{hash}`: a delivery receipt already counted (24 h). (The
//!   `msg:{message id}` keys builds before receipt links wrote are not
//!   read: they expire with their verification.)
//!
//! Every operation is one Lua script, so it is atomic across instances and
//! one round trip. The scripts follow `memory.rs` rule for rule; the
//! store's tests run both.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::packed::{self, Field};
use super::{
    Answer, Checking, Delivered, EVENTS_REMEMBERED, Opened, Opening, Receipt, Redeemed,
    RedisConnection, Refusal, SecretHash, StoreUnavailable, Which,
};
use crate::clock::Timestamp;
use crate::limits::{Gcra, Limit, LimitHit, LimitKind, Subject};
use crate::phone::PhoneNumber;
use crate::pumping::Watch;
use crate::verification::{
    CheckOutcome, Delivery, Ended, KEPT_AFTER_EXPIRY, Status, Verification, VerificationId,
};

/// What a verification's key starts with, after `store.key_prefix`.
const VERIFICATION_KEYS: &str = "ver:";

/// The oldest Redis with every command the scripts use: `SET … KEEPTTL`
/// came in 6.0. On an older one a code would be sent that no check could
/// take, so the app will not start on it.
const OLDEST_REDIS: (u32, u32) = (6, 0);

/// The version an `INFO server` answer gives (`redis_version`, which
/// Valkey answers too), if it is older than `OLDEST_REDIS`.
fn too_old(info: &str) -> Option<&str> {
    let version = info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))?
        .trim();
    let mut numbers = version.split('.').map(|n| n.parse::<u32>().ok());
    let major = numbers.next().flatten()?;
    let minor = numbers.next().flatten().unwrap_or(0);
    ((major, minor) < OLDEST_REDIS).then_some(version)
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
-- A verification is one string (see packed.rs): `field(v, $STATUS)`
-- reads its status, `put(v, $STATUS, text)` is `v` with `text` (as wide as
-- the field) in its place.
local function field(v, at, width)
    return string.sub(v, at, at + width - 1)
end
local function put(v, at, width, text)
    return string.sub(v, 1, at - 1) .. text .. string.sub(v, at + width)
end
local function trimmed(text)
    return (string.gsub(text, ' ', ''))
end
-- Now in milliseconds, as a verification's times hold it (as packed.rs),
-- and as wide as they are.
local function millis_number(now)
    return math.min(math.floor(now / 1000), $LAST_MILLIS)
end
local function millis(now)
    return string.format('$FORMAT_OF_MILLIS', millis_number(now))
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
-- The hash beside a number's index that holds its verifications' number
-- digests, by id.
local function codes_of(index)
    return index .. ':codes'
end
local function ended(v, now)
    if not v then return 'missing' end
    if math.floor(now / 1000) >= tonumber(field(v, $EXPIRES)) then return 'expired' end
    local status = field(v, $STATUS)
    if status == '$IS_USED' then return 'used' end
    if status == '$IS_LOCKED' then return 'locked' end
    return nil
end
";

/// What the scripts' `$` names stand for: each field's place and width,
/// the letters of the statuses and deliveries, and the formats of the
/// numbers that are written into a verification.
fn substitutions() -> Vec<(&'static str, String)> {
    let letter = |l: u8| char::from(l).to_string();
    let mut names: Vec<(&str, String)> = Field::ALL.iter().map(|f| (f.token(), f.lua())).collect();
    names.extend([
        ("$IS_USED", letter(packed::status_letter(Status::Used))),
        ("$IS_LOCKED", letter(packed::status_letter(Status::Locked))),
        (
            "$IS_UNKNOWN",
            letter(packed::delivery_letter(Delivery::Unknown)),
        ),
        ("$IS_SENT", letter(packed::delivery_letter(Delivery::Sent))),
        (
            "$IS_DELIVERED",
            letter(packed::delivery_letter(Delivery::Delivered)),
        ),
        (
            "$IS_FAILED",
            letter(packed::delivery_letter(Delivery::Failed)),
        ),
        ("$NO_MESSAGE", " ".repeat(Field::Message.width())),
        ("$LAST_MILLIS", packed::LAST_MILLIS.to_string()),
        ("$TRY_RECORD", packed::try_record_lua()),
        (
            "$KEPT_AFTER_EXPIRY",
            KEPT_AFTER_EXPIRY.as_millis().to_string(),
        ),
        ("$PROFILE_AT", (packed::PROFILE_START + 1).to_string()),
        (
            "$FORMAT_OF_MILLIS",
            format!("%0{}.0f", Field::Updated.width()),
        ),
        (
            "$FORMAT_OF_WRONG",
            format!("%0{}d", Field::WrongTries.width()),
        ),
    ]);
    names
}

/// The prelude and `body`, with what `substitutions` names put in.
fn source(body: &str) -> String {
    let mut source = format!("{PRELUDE}{body}");
    for (name, value) in substitutions() {
        source = source.replace(name, &value);
    }
    source
}

fn script(body: &str) -> Script {
    Script::new(&source(body))
}

/// KEYS: the verification, the held set, the number's index, its two
/// pumping destinations, the limits, then the replaced verification if
/// ARGV[4] names one. ARGV: now (µs), most held, id, replaced id or '',
/// kept until (ms), the number of limits, 1 to index it by number, the
/// breaker's eight (see `pump_args`), each limit's interval and window
/// (µs), the verification, packed, then (indexed by number) its code's
/// number digest.
const OPEN_BODY: &str = r"
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
        local kept = tonumber(ARGV[5])
        local life = math.max(kept - now_ms, 1)
        redis.call('SET', KEYS[1], ARGV[16 + 2 * n], 'PX', life)
        redis.call('ZADD', KEYS[2], kept, ARGV[3])
        if ARGV[7] == '1' then
            local codes = codes_of(KEYS[3])
            redis.call('ZADD', KEYS[3], now_ms, ARGV[3])
            redis.call('HSET', codes, ARGV[3], ARGV[17 + 2 * n])
            for _, key in ipairs({KEYS[3], codes}) do
                if redis.call('PTTL', key) < life then redis.call('PEXPIRE', key, life) end
            end
        end
        return {'ok', unpack(pump_count(3, 7, now_ms, 1))}
        ";
static OPEN: LazyLock<Script> = LazyLock::new(|| script(OPEN_BODY));

/// KEYS: the verification, its two pumping destinations, then the limits.
/// ARGV: now (µs), the breaker's eight, then each limit's interval and
/// window (µs). Answers `ok`, how many destinations it blocked, which,
/// then the verification.
const REOPEN_BODY: &str = r"
        local now = tonumber(ARGV[1])
        local now_ms = math.floor(now / 1000)
        local v = redis.call('GET', KEYS[1])
        local why = ended(v, now)
        if why then return {why} end
        local blocked = pump_blocked(1, 1, now_ms)
        if blocked then return blocked end
        local refused = take_limits(3, 9, #KEYS - 3, now)
        if refused then return refused end
        local stamp = millis(now)
        v = put(put(v, $SENT, stamp), $UPDATED, stamp)
        -- Blank for a build before receipt links, if one still runs.
        v = put(put(v, $MESSAGE, '$NO_MESSAGE'), $DELIVERY, '$IS_UNKNOWN')
        redis.call('SET', KEYS[1], v, 'KEEPTTL')
        local tripped = pump_count(1, 1, now_ms, 1)
        local answer = {'ok', tostring(#tripped)}
        for _, t in ipairs(tripped) do answer[#answer + 1] = t end
        answer[#answer + 1] = v
        return answer
        ";
static REOPEN: LazyLock<Script> = LazyLock::new(|| script(REOPEN_BODY));

/// KEYS: the held set, the number's index, its two pumping destinations,
/// the limits, then the opened verification if ARGV[3] names one. ARGV:
/// now (µs), the number of limits, opened id or '', the breaker's eight,
/// then each limit's interval (µs).
const UNDO_BODY: &str = r"
        local now, n = tonumber(ARGV[1]), tonumber(ARGV[2])
        for i = 1, n do
            local tat = tonumber(redis.call('GET', KEYS[4 + i]) or 0) - tonumber(ARGV[11 + i])
            if tat > now then gcra_set(KEYS[4 + i], tat, now) else redis.call('DEL', KEYS[4 + i]) end
        end
        if ARGV[3] ~= '' then
            redis.call('DEL', KEYS[5 + n])
            redis.call('ZREM', KEYS[1], ARGV[3])
            redis.call('ZREM', KEYS[2], ARGV[3])
            redis.call('HDEL', codes_of(KEYS[2]), ARGV[3])
        end
        pump_count(2, 3, math.floor(now / 1000), -1)
        return 0
        ";
static UNDO: LazyLock<Script> = LazyLock::new(|| script(UNDO_BODY));

/// KEYS: the verification. ARGV: now (µs), 1 if accepted. Only the Verify
/// API's verifications (those with a profile) are found; an ended one is
/// answered with why and itself.
const SETTLE_BODY: &str = r"
        local now = tonumber(ARGV[1])
        local v = redis.call('GET', KEYS[1])
        if v and #v < $PROFILE_AT then v = false end
        local why = ended(v, now)
        if why then return {why, v or nil} end
        if field(v, $CUSTOM) ~= '1' then return {'not_custom'} end
        local status = '$IS_LOCKED'
        if ARGV[2] == '1' then status = '$IS_USED' end
        v = put(put(v, $STATUS, status), $UPDATED, millis(now))
        redis.call('SET', KEYS[1], v, 'KEEPTTL')
        return {'ok', v}
        ";
static SETTLE: LazyLock<Script> = LazyLock::new(|| script(SETTLE_BODY));

/// KEYS: the number's index. ARGV: the prefix of verification keys. Each
/// verification is its id then itself; ids whose verification has expired
/// are dropped from the index.
const LIST_BODY: &str = r"
        local out = {}
        for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, 99)) do
            local v = redis.call('GET', ARGV[1] .. id)
            if v then
                out[#out + 1] = id
                out[#out + 1] = v
            else
                redis.call('ZREM', KEYS[1], id)
                redis.call('HDEL', codes_of(KEYS[1]), id)
            end
        end
        return out
        ";
static LIST: LazyLock<Script> = LazyLock::new(|| script(LIST_BODY));

/// What both checks do once they have found a pending verification `v`
/// under `key`: compare the typed code's digests, ARGV[first] up to the
/// hand-off's arguments, with the stored `digest`, in time that does not
/// depend on where they differ (as in the memory store), within the
/// address's guessing limit KEYS[2]. ARGV: now (µs), the most wrong tries,
/// the limit's interval and window (µs), the pumping breaker's window (ms,
/// 0 when it is off), the prefix of its keys; with a hand-off (KEYS[3]),
/// the last four are its number (E.164), data, binding and end (ms). A
/// right code is counted for the number's pumping destinations, whose keys
/// are made here from the stored number, and keeps the hand-off if it is
/// about that number, until its end.
const CHECK_FOUND: &str = r"
local function check_found(key, v, digest, now, first)
    local interval = tonumber(ARGV[3])
    local wait, tat = gcra_wait(KEYS[2], interval, tonumber(ARGV[4]), now)
    if wait > 0 then return {'limited', string.format('%.0f', wait)} end
    local matched = false
    local last = #ARGV
    if KEYS[3] then last = last - 4 end
    for i = first, last do matched = equal(digest, ARGV[i]) or matched end
    if matched then
        v = put(put(v, $STATUS, '$IS_USED'), $UPDATED, millis(now))
        redis.call('SET', key, v, 'KEEPTTL')
        local phone = trimmed(field(v, $PHONE))
        if KEYS[3] and ARGV[last + 1] == phone then
            local ends = ARGV[last + 4]
            redis.call('HSET', KEYS[3], 'data', ARGV[last + 2], 'binding', ARGV[last + 3], 'expires', ends)
            redis.call('PEXPIRE', KEYS[3], math.max(tonumber(ends) - math.floor(now / 1000), 1))
        end
        local window = tonumber(ARGV[5])
        if window > 0 then
            local country = trimmed(field(v, $REGION))
            if country == '' then country = '001' end
            local now_ms = math.floor(now / 1000)
            for _, name in ipairs({string.sub(phone, 1, math.max(#phone - 4, 1)), country}) do
                local p = pump_read(ARGV[6] .. name)
                pump_rotate(p, now_ms, window)
                p.vc = p.vc + 1
                pump_write(ARGV[6] .. name, p, now_ms, window)
            end
        end
        return {'verified', v}
    end
    local wrong = tonumber(field(v, $WRONG)) + 1
    local status = field(v, $STATUS)
    if wrong >= tonumber(ARGV[2]) then status = '$IS_LOCKED' end
    -- The status, the wrong tries and the last change lie side by side: one
    -- piece, made by one format and put in once.
    local tried = string.format('%s$FORMAT_OF_WRONG$FORMAT_OF_MILLIS', status, wrong, millis_number(now))
    v = put(v, $TRY_RECORD, tried)
    redis.call('SET', key, v, 'KEEPTTL')
    gcra_set(KEYS[2], tat + interval, now)
    return {'wrong', v}
end
";

/// KEYS: the verification, the address's guessing limit, then the hand-off
/// if a right code makes one. ARGV: as `check_found` says, with ARGV[7] 1
/// if only the Verify API's verifications are to be found, and the typed
/// code's digests (one per code key) from ARGV[8]. An ended verification
/// is answered with why and, unless it is missing, itself: the caller names
/// its number without a second round trip.
const CHECK_BODY: &str = r"
        local now = tonumber(ARGV[1])
        local v = redis.call('GET', KEYS[1])
        if v and ARGV[7] == '1' and #v < $PROFILE_AT then v = false end
        local why = ended(v, now)
        if why then return {why, v or nil} end
        return check_found(KEYS[1], v, field(v, $DIGEST), now, 8)
        ";
static CHECK: LazyLock<Script> = LazyLock::new(|| script(&format!("{CHECK_FOUND}{CHECK_BODY}")));

/// KEYS: the number's index, the address's guessing limit. ARGV: as
/// `check_found` says, then the profile, the prefix of verification keys,
/// and the typed code's number digests (one per code key) from ARGV[9].
/// The code is for the newest verification of the profile that can take
/// one (as `verification::for_code_by_number`), and is compared with that
/// verification's number digest. None of the profile: `missing`; none that
/// can take a code: why the newest cannot, and itself. One made before
/// number digests were kept is answered `unindexed` with its id, and
/// checked by id. Ids whose verification is gone leave the index (as in
/// LIST), so a number sent to again and again does not fill its newest
/// hundred with them.
const CHECK_NUMBER_BODY: &str = r"
        local now = tonumber(ARGV[1])
        local now_ms = math.floor(now / 1000)
        local profile, prefix = ARGV[7], ARGV[8]
        local newest
        local codes = codes_of(KEYS[1])
        for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, 99)) do
            local v = redis.call('GET', prefix .. id)
            if not v then
                -- Gone: out of the index, as LIST does.
                redis.call('ZREM', KEYS[1], id)
                redis.call('HDEL', codes, id)
            -- Past its `kept_until` it is forgotten, expired key or not.
            elseif now_ms >= tonumber(field(v, $EXPIRES)) + $KEPT_AFTER_EXPIRY then v = false end
            if v and string.sub(v, $PROFILE_AT) == profile then
                local why = ended(v, now)
                if not why then
                    local digest = redis.call('HGET', codes, id)
                    -- None kept (an older build's), or none given: by id.
                    if not digest or digest == '' then return {'unindexed', id} end
                    return check_found(prefix .. id, v, digest, now, 9)
                end
                newest = newest or {why, v}
            end
        end
        return newest or {'missing'}
        ";
static CHECK_NUMBER: LazyLock<Script> =
    LazyLock::new(|| script(&format!("{CHECK_FOUND}{CHECK_NUMBER_BODY}")));

/// KEYS: the hand-off, the token it would issue. ARGV: now (ms), the
/// binding shown, the token's end (ms). A hand-off's `used` field is absent
/// until redeemed, then the key of the token it issued, or `-` for none.
const REDEEM_BODY: &str = r"
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
        ";
static REDEEM: LazyLock<Script> = LazyLock::new(|| script(REDEEM_BODY));

/// KEYS: the event's key, the verification. ARGV: how long events are
/// remembered (ms), the news (a `Delivery`'s letter), when the receipt's
/// send was (its `$SENT`), the number the message went to, the prefix of
/// cooldown keys. A receipt counts only for a verification of its number.
/// As `Delivery::after`: a delivery counts whichever send it was for, a
/// failure or a hand-over only for the last; nothing undoes a delivery. A
/// failure lifts the number's cooldown.
const DELIVER_BODY: &str = r"
        if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return {'duplicate'} end
        local v = redis.call('GET', KEYS[2])
        if not v or trimmed(field(v, $PHONE)) ~= ARGV[4] then return {'unknown'} end
        local current, news = field(v, $DELIVERY), ARGV[2]
        local latest = field(v, $SENT) == ARGV[3]
        local changed = false
        if news == '$IS_DELIVERED' then changed = current ~= '$IS_DELIVERED'
        elseif news == '$IS_FAILED' then changed = latest and (current == '$IS_UNKNOWN' or current == '$IS_SENT')
        elseif news == '$IS_SENT' then changed = latest and current == '$IS_UNKNOWN' end
        if not changed then return {'same', v} end
        v = put(v, $DELIVERY, news)
        redis.call('SET', KEYS[2], v, 'KEEPTTL')
        if news == '$IS_FAILED' then redis.call('DEL', ARGV[5] .. ARGV[4]) end
        return {'changed', v}
        ";
static DELIVER: LazyLock<Script> = LazyLock::new(|| script(DELIVER_BODY));

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

fn unreadable() -> StoreUnavailable {
    StoreUnavailable::new("an answer from Redis is not in this app's format")
}

fn unpackable() -> StoreUnavailable {
    StoreUnavailable::new("a verification's number does not fit the stored layout")
}

/// A verification from a reply's packed string.
fn read(packed: Option<&Vec<u8>>) -> Result<Verification, StoreUnavailable> {
    packed
        .and_then(|p| packed::unpack(p))
        .ok_or_else(unreadable)
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

    /// The server's version, if it is too old for the scripts. A Redis
    /// that will not say (`INFO` renamed or refused) is given the benefit
    /// of the doubt.
    pub async fn too_old(&self) -> Option<String> {
        let mut connection = self.connection.connection.clone();
        let info = redis::cmd("INFO")
            .arg("server")
            .query_async::<String>(&mut connection)
            .await;
        match info {
            Ok(info) => too_old(&info).map(str::to_owned),
            Err(error) => {
                tracing::warn!("could not read the Redis version: {error}");
                None
            }
        }
    }

    fn key(&self, id: &VerificationId) -> String {
        self.connection
            .key(format_args!("{VERIFICATION_KEYS}{}", id.encode()))
    }

    fn held_key(&self) -> String {
        self.connection.key("held")
    }

    fn phone_key(&self, phone: &PhoneNumber) -> String {
        self.connection.key(format_args!("phone:{}", phone.e164()))
    }

    fn hand_off_key(&self, key: &SecretHash) -> String {
        self.connection.key(format_args!("handoff:{}", hex(key)))
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
            by_number,
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
        invocation.arg(packed::pack(v).ok_or_else(unpackable)?);
        if v.profile.is_some() {
            // None would be a caller's mistake: an empty digest matches no code.
            invocation.arg(by_number.map_or(&[][..], |d| d.as_bytes().as_slice()));
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
            return Ok(Err(Refusal::Ended(why, None)));
        }
        match tag {
            b"ok" => {
                let count: usize = reply
                    .get(1)
                    .and_then(|c| text(c)?.parse().ok())
                    .ok_or_else(unreadable)?;
                let end = count.checked_add(2).ok_or_else(unreadable)?;
                let tripped = reply.get(2..end).ok_or_else(unreadable)?;
                let verification = read(reply.get(end))?;
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
            let verification = reply.get(1).map(|v| read(Some(v))).transpose()?;
            return Ok(Err(Refusal::Ended(why, verification.map(Box::new))));
        }
        match tag {
            b"ok" => read(reply.get(1)).map(Ok),
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
            .arg(self.connection.key(VERIFICATION_KEYS));
        let reply = self.run(&invocation).await?;
        reply
            .chunks(2)
            .map(|pair| {
                let id = text(&pair[0])
                    .and_then(VerificationId::decode)
                    .ok_or_else(unreadable)?;
                Ok((id, read(pair.get(1))?))
            })
            .collect()
    }

    pub(super) async fn check(
        &self,
        checking: &Checking<'_>,
        now: Timestamp,
    ) -> Result<CheckOutcome, StoreUnavailable> {
        let (phone, profile) = match checking.which {
            Which::Id(id) => return self.check_id(id, checking, now).await,
            Which::Newest { phone, profile } => (phone, profile),
        };
        let mut invocation = CHECK_NUMBER.prepare_invoke();
        invocation.key(self.phone_key(phone));
        self.check_args(&mut invocation, checking, now);
        invocation
            .arg(profile)
            .arg(self.connection.key(VERIFICATION_KEYS));
        for attempt in checking.typed.for_number(phone.e164(), profile) {
            invocation.arg(attempt.as_bytes());
        }
        let reply = self.run(&invocation).await?;
        if reply.first().map(Vec::as_slice) != Some(b"unindexed") {
            return Self::checked(&reply, checking);
        }
        // Made before number digests were kept: checked by its id.
        let id = reply
            .get(1)
            .and_then(|id| VerificationId::decode(text(id)?))
            .ok_or_else(unreadable)?;
        self.check_id(&id, checking, now).await
    }

    async fn check_id(
        &self,
        id: &VerificationId,
        checking: &Checking<'_>,
        now: Timestamp,
    ) -> Result<CheckOutcome, StoreUnavailable> {
        let mut invocation = CHECK.prepare_invoke();
        invocation.key(self.key(id));
        self.check_args(&mut invocation, checking, now);
        invocation.arg(u8::from(checking.api_only));
        for attempt in checking.typed.for_id(id.as_bytes()) {
            invocation.arg(attempt.as_bytes());
        }
        if let Some(hand_off) = &checking.hand_off {
            invocation
                .key(self.hand_off_key(hand_off.key))
                .arg(hand_off.phone.e164())
                .arg(hand_off.data)
                .arg(hand_off.binding.as_slice())
                .arg(hand_off.expires.as_millis());
        }
        let reply = self.run(&invocation).await?;
        Self::checked(&reply, checking)
    }

    /// The guessing limit's key, and the six arguments both checks start
    /// with (see `CHECK_FOUND`).
    fn check_args(
        &self,
        invocation: &mut redis::ScriptInvocation<'_>,
        checking: &Checking<'_>,
        now: Timestamp,
    ) {
        let gcra = Gcra::of(checking.guessing);
        invocation
            .key(self.limit_key(checking.guessing))
            .arg(Gcra::micros(now))
            .arg(checking.max_attempts)
            .arg(gcra.interval)
            .arg(gcra.window)
            .arg(checking.pumping_window.map_or(0, crate::pumping::millis))
            .arg(self.connection.key("pump:"));
    }

    /// A check's reply, read.
    fn checked(
        reply: &[Vec<u8>],
        checking: &Checking<'_>,
    ) -> Result<CheckOutcome, StoreUnavailable> {
        let tag = reply.first().map(Vec::as_slice).unwrap_or_default();
        if let Some(why) = ended(tag) {
            let verification = reply.get(1).map(|v| read(Some(v))).transpose()?;
            return Ok(CheckOutcome::Ended { why, verification });
        }
        Ok(match tag {
            b"verified" => CheckOutcome::Verified(read(reply.get(1))?),
            b"wrong" => {
                let verification = read(reply.get(1))?;
                CheckOutcome::Wrong {
                    tries_left: verification.tries_left(checking.max_attempts),
                    verification,
                }
            }
            b"limited" => {
                let wait: u64 = reply
                    .get(1)
                    .and_then(|w| text(w)?.parse().ok())
                    .ok_or_else(unreadable)?;
                CheckOutcome::Limited(LimitHit {
                    kind: checking.guessing.kind,
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
        let packed: Option<Vec<u8>> = redis::cmd("GET")
            .arg(self.key(id))
            .query_async(&mut connection)
            .await?;
        packed.as_ref().map(|p| read(Some(p))).transpose()
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
            .key(self.hand_off_key(key))
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

    /// The verifications expire by themselves; this trims the set that
    /// counts them.
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

    pub(super) async fn deliver(&self, receipt: &Receipt) -> Result<Delivered, StoreUnavailable> {
        let id = &receipt.send.verification;
        let mut invocation = DELIVER.prepare_invoke();
        invocation
            .key(
                self.connection
                    .key(format_args!("event:{:032x}", receipt.event)),
            )
            .key(self.key(id))
            .arg(EVENTS_REMEMBERED.as_millis() as u64)
            .arg(&[packed::delivery_letter(receipt.news)][..])
            .arg(packed::millis_text(receipt.send.sent))
            .arg(&receipt.to)
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
        Ok(Delivered::Known {
            id: id.clone(),
            verification: read(rest.first())?,
            changed,
        })
    }

    /// How long Redis keeps a verification still (ms; -1 for ever, -2
    /// gone), and how long its string is.
    #[cfg(test)]
    pub(super) async fn life_and_length(&self, id: &VerificationId) -> (i64, usize) {
        let mut connection = self.connection.connection.clone();
        let key = self.key(id);
        redis::pipe()
            .cmd("PTTL")
            .arg(&key)
            .cmd("STRLEN")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .unwrap_or((-3, 0))
    }

    /// The ids whose number digests `phone`'s index keeps, and how long it
    /// keeps them (ms; -2 gone).
    #[cfg(test)]
    pub(super) async fn number_digests(&self, phone: &PhoneNumber) -> (Vec<String>, i64) {
        let mut connection = self.connection.connection.clone();
        let codes = format!("{}:codes", self.phone_key(phone));
        redis::pipe()
            .cmd("HKEYS")
            .arg(&codes)
            .cmd("PTTL")
            .arg(&codes)
            .query_async(&mut connection)
            .await
            .unwrap_or((Vec::new(), -3))
    }

    /// Forgets verification `id`, as Redis does when its key expires.
    #[cfg(test)]
    pub(super) async fn forget(&self, id: &VerificationId) {
        let mut connection = self.connection.connection.clone();
        let _: Result<i64, _> = redis::cmd("DEL")
            .arg(self.key(id))
            .query_async(&mut connection)
            .await;
    }

    /// Forgets `phone`'s number digests, as a version before them kept none.
    #[cfg(test)]
    pub(super) async fn forget_number_digests(&self, phone: &PhoneNumber) {
        let mut connection = self.connection.connection.clone();
        let codes = format!("{}:codes", self.phone_key(phone));
        let _: Result<i64, _> = redis::cmd("DEL")
            .arg(codes)
            .query_async(&mut connection)
            .await;
    }

    /// How long Redis keeps hand-off `key` still (ms; -2 gone).
    #[cfg(test)]
    pub(super) async fn hand_off_life(&self, key: &SecretHash) -> i64 {
        let mut connection = self.connection.connection.clone();
        redis::cmd("PTTL")
            .arg(self.hand_off_key(key))
            .query_async(&mut connection)
            .await
            .unwrap_or(-3)
    }

    pub(super) async fn ping(&self) -> Result<(), StoreUnavailable> {
        let mut connection = self.connection.connection.clone();
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODIES: [&str; 10] = [
        OPEN_BODY,
        REOPEN_BODY,
        UNDO_BODY,
        SETTLE_BODY,
        LIST_BODY,
        CHECK_FOUND,
        CHECK_BODY,
        CHECK_NUMBER_BODY,
        REDEEM_BODY,
        DELIVER_BODY,
    ];

    #[test]
    fn every_name_in_a_script_is_put_in() {
        // A misspelt `'$IS_DELIVERD'` would be a Lua string that matches
        // nothing, not an error.
        for body in BODIES {
            let source = source(body);
            assert!(!source.contains('$'), "{source}");
        }
    }

    #[test]
    fn a_redis_older_than_6_0_is_too_old_and_valkey_is_not() {
        let info = |version: &str| format!("# Server\r\nredis_version:{version}\r\nos:Linux\r\n");
        assert_eq!(too_old(&info("5.0.7")), Some("5.0.7"));
        assert_eq!(too_old(&info("4.0.14")), Some("4.0.14"));
        assert_eq!(too_old(&info("6.0.0")), None);
        assert_eq!(too_old(&info("7.0.15")), None);
        assert_eq!(too_old(&info("10.0.1")), None);
        let valkey =
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n";
        assert_eq!(too_old(valkey), None);
        assert_eq!(too_old("# Server\r\nos:Linux\r\n"), None, "not said");
    }

    #[test]
    fn no_name_a_script_is_given_is_the_start_of_another() {
        // `script` puts them in one after another: `$WRONG` would spoil a
        // `$WRONG_…` put in after it.
        let names = substitutions();
        for (a, _) in &names {
            for (b, _) in &names {
                assert!(a == b || !b.starts_with(a), "{a} is the start of {b}");
            }
        }
    }
}
