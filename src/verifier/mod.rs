//! The flow of a phone verification, as the domain operations every face
//! calls: `start` (text a new code), `resend` (text the same code again),
//! `check` (a typed code), `status`, and for the Verify API, `list`,
//! `check_by_number` and `settle`.
//!
//! The `Verifier` owns everything the flow touches (the store, the SMS
//! sender, the code key, the clock and the rules), so the rules hold the same
//! whichever face a request came through, and the steps that must undo each
//! other live in one place: a send first takes capacity and limits and
//! stores the verification in one atomic step of the store, then texts the
//! code; if the text certainly did not go, the verification is removed and
//! the limits given back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::clock::{Clock, Timestamp};
use crate::i18n::Language;
use crate::limits::{Asker, Limit, LimitHit, LimitKind, LimitRules};
use crate::metrics::{CheckResult, Metrics, Refused, SmsResult};
use crate::otp::{CodeFormat, CodeKey, OtpCode, Typed};
use crate::phone::{PhoneError, PhoneNumber, PhoneRules};
use crate::pumping::{PumpingRules, Watch};
use crate::sms::{SmsError, SmsSender, code_message};
use crate::store::{
    Checking, Delivered, Opened, Opening, Receipt, Refusal, Store, StoreUnavailable, Which,
};
use crate::verification::{
    CheckOutcome, Delivery, Ended, ProfileId, SendRef, Status, Verification, VerificationId,
    for_code_by_number,
};

/// The rules of the flow, typed from the settings.
#[derive(Debug, Clone)]
pub struct Rules {
    pub phone: PhoneRules,
    pub code: CodeFormat,
    /// How long a code works.
    pub ttl: Duration,
    /// Wrong codes a verification allows.
    pub max_attempts: u32,
    pub limits: LimitRules,
    pub pumping: PumpingRules,
    /// Who the SMS says it is from (`branding.name`; a profile's
    /// `app_name` instead): "Your Acme verification code is 123456".
    pub sender_name: Option<String>,
}

/// A Verify API profile: the rules of the verifications made under it,
/// where they differ from the app's.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: ProfileId,
    pub name: String,
    /// Names the sender in the SMS.
    pub app_name: Option<String>,
    /// The language its codes are texted in, whoever asks.
    pub language: Option<Language>,
    /// Digits, of the profile's length.
    pub code: CodeFormat,
    pub ttl: Duration,
    /// Its countries (`whitelisted_destinations`), with the app's line rules.
    pub phone: PhoneRules,
    pub whitelisted_destinations: Vec<String>,
    /// Where its events go.
    pub webhook_url: Option<url::Url>,
}

/// Who asked, as the limits count them; the language they read (a
/// profile's wins); for a browser, also the host an SMS's origin-bound line
/// (WebOTP) names, if any.
#[derive(Debug, Clone)]
pub struct Requester {
    pub asker: Asker,
    pub language: Language,
    pub origin_host: Option<String>,
}

/// What a person holds to come back to their verification: its id, and the
/// code itself, so "send it again" can text the same code while the store
/// keeps only its HMAC. The pages keep it in the encrypted session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode {
    pub id: VerificationId,
    pub code: OtpCode,
    pub phone: PhoneNumber,
    pub expires: Timestamp,
}

/// A code texted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub pending: PendingCode,
    pub verification: Verification,
    /// The same code as before, texted again.
    pub resent: bool,
    /// Telnyx may or may not have taken the SMS (it timed out, failed with
    /// a 5xx, or its answer was cut off): the code is kept, and so are the
    /// limits, since a code may yet arrive.
    pub uncertain: bool,
}

/// How a typed code is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The pages: only a code of the app's format is checked; anything
    /// else is malformed and costs no try.
    Strict,
    /// The API: any short run of letters and digits is checked, and counts.
    Loose,
}

/// What a typed code turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The right code: the number is verified, and the code used up.
    Verified(Verification),
    /// A wrong code, counted; at no tries left the verification is locked.
    Wrong {
        verification: Verification,
        tries_left: u32,
    },
    /// Not a code at all: nothing was spent.
    Malformed(Verification),
}

/// Why an operation did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("limit reached: {:?}, retry in {:?}", .0.kind, .0.retry_after)]
    Limited(LimitHit),
    #[error("too many pending verifications")]
    Busy,
    /// With the verification as it stands, when it was read on the way.
    #[error("the verification cannot take a code: {0:?}")]
    Ended(Ended, Option<Box<Verification>>),
    #[error("only a verification whose code the caller chose can be settled by the caller")]
    NotCustomCode,
    #[error("the pumping breaker blocks {destination} for {retry_after:?}")]
    Blocked {
        destination: String,
        retry_after: Duration,
    },
    #[error(transparent)]
    Store(#[from] StoreUnavailable),
    #[error("SMS not sent: {0}")]
    Sms(#[from] SmsError),
}

impl From<Refusal> for VerifyError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Busy => VerifyError::Busy,
            Refusal::Limit(hit) => VerifyError::Limited(hit),
            Refusal::Ended(ended, verification) => VerifyError::Ended(ended, verification),
            Refusal::NotCustomCode => VerifyError::NotCustomCode,
            Refusal::Pumping {
                destination,
                retry_after,
            } => VerifyError::Blocked {
                destination,
                retry_after,
            },
        }
    }
}

/// What the last step of a send needs to know.
struct Send<'a> {
    /// The verification was stored by this send (not a resend).
    new: bool,
    app_name: Option<&'a str>,
    language: Language,
    limits: &'a [Limit],
    watch: Option<&'a Watch>,
    now: Timestamp,
    /// The verification's `sent` as this send stored it: with its id, what
    /// the SMS's receipts will name.
    sent: Timestamp,
}

/// Names, in the log, the destinations a send blocked.
fn report_trips(opened: &Opened, phone: &PhoneNumber) {
    for destination in &opened.tripped {
        tracing::warn!(
            destination = %destination,
            to = %phone,
            "SMS-pumping breaker: many codes sent to {destination} and few typed back: blocking it"
        );
    }
}

/// A new code, and what it is made under.
struct NewCode<'a> {
    code: OtpCode,
    ttl: Duration,
    profile: Option<&'a Profile>,
    custom: bool,
}

#[derive(Debug)]
pub struct Verifier {
    store: Store,
    sms: SmsSender,
    /// The first keys new codes; all check (key rotation). Never empty.
    code_keys: Vec<CodeKey>,
    clock: Clock,
    rules: Rules,
    /// When the service-wide SMS limit was last said to be reached.
    saturated_warned: AtomicU64,
    metrics: Metrics,
}

impl Verifier {
    pub fn new(
        store: Store,
        sms: SmsSender,
        code_keys: Vec<CodeKey>,
        clock: Clock,
        rules: Rules,
        metrics: Metrics,
    ) -> Self {
        // Settings always give one; a random key keeps this total.
        let code_keys = if code_keys.is_empty() {
            vec![CodeKey::random()]
        } else {
            code_keys
        };
        Self {
            store,
            sms,
            code_keys,
            clock,
            rules,
            saturated_warned: AtomicU64::new(0),
            metrics,
        }
    }

    /// A refusal, as the error a face shows; reaching the service-wide SMS
    /// limit is said in the log, once a minute at most.
    fn refused(&self, refusal: Refusal, now: Timestamp) -> VerifyError {
        match &refusal {
            Refusal::Busy => self.metrics.refusal(Refused::Capacity),
            Refusal::Limit(hit) => self.metrics.refusal(Refused::Limit(hit.kind)),
            Refusal::Pumping { .. } => self.metrics.refusal(Refused::Pumping),
            Refusal::Ended(..) | Refusal::NotCustomCode => {}
        }
        if let Refusal::Limit(hit) = &refusal
            && hit.kind == LimitKind::SmsPerHour
        {
            let last = self.saturated_warned.load(Ordering::Relaxed);
            let due = now.as_millis() >= last.saturating_add(60_000);
            if due
                && self
                    .saturated_warned
                    .compare_exchange(last, now.as_millis(), Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                tracing::warn!(
                    "limits.sms_per_hour reached: refusing every new SMS for {:?}",
                    hit.retry_after
                );
            }
        }
        refusal.into()
    }

    fn current_code_key(&self) -> &CodeKey {
        &self.code_keys[0]
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The clock the flow reads; tests move it forward.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Typed text as a number this app will text, or why not.
    pub fn read_phone(&self, typed: &str) -> Result<PhoneNumber, PhoneError> {
        self.rules.phone.parse(typed)
    }

    /// Texts a new code to `phone`, by the app's rules (the pages). When
    /// `previous` (the code this person is waiting on) is for the same
    /// number and still pending, texts that code again instead, so asking
    /// twice never resets the wrong tries; a previous verification for
    /// another number is replaced.
    pub async fn start(
        &self,
        phone: PhoneNumber,
        requester: &Requester,
        previous: Option<&PendingCode>,
    ) -> Result<Sent, VerifyError> {
        if let Some(previous) = previous.filter(|p| p.phone == phone) {
            match self.resend(previous, requester).await {
                Err(VerifyError::Ended(..)) => {}
                done => return done,
            }
        }
        let new = NewCode {
            code: self.rules.code.generate(),
            ttl: self.rules.ttl,
            profile: None,
            custom: false,
        };
        self.open(phone, requester, new, previous.map(|p| &p.id))
            .await
    }

    /// Texts a new code to `phone` under a Verify API profile: the caller's
    /// `custom_code` if given, else one of the profile's length; the
    /// caller's `ttl` if given, else the profile's.
    pub async fn start_for(
        &self,
        phone: PhoneNumber,
        requester: &Requester,
        profile: &Profile,
        custom_code: Option<OtpCode>,
        ttl: Option<Duration>,
    ) -> Result<Sent, VerifyError> {
        let new = NewCode {
            custom: custom_code.is_some(),
            code: custom_code.unwrap_or_else(|| profile.code.generate()),
            ttl: ttl.unwrap_or(profile.ttl),
            profile: Some(profile),
        };
        self.open(phone, requester, new, None).await
    }

    /// Stores a new verification, within capacity and the limits, then
    /// texts its code.
    async fn open(
        &self,
        phone: PhoneNumber,
        requester: &Requester,
        new: NewCode<'_>,
        replaces: Option<&VerificationId>,
    ) -> Result<Sent, VerifyError> {
        let now = self.clock.now();
        let id = VerificationId::random();
        let verification = Verification {
            phone,
            digest: self.current_code_key().digest(id.as_bytes(), &new.code),
            created: now,
            expires: now.after(new.ttl),
            sent: now,
            wrong_tries: 0,
            status: Status::Pending,
            profile: new.profile.map(|p| p.id.clone()),
            custom_code: new.custom,
            updated: now,
            delivery: crate::verification::Delivery::Unknown,
        };
        let by_number = verification.profile.as_ref().map(|profile| {
            self.current_code_key()
                .number_digest(phone.e164(), profile.as_str(), &new.code)
        });
        let limits = self.rules.limits.for_sending(&phone, &requester.asker);
        let max_pending = self.rules.limits.max_pending();
        let watch = self.rules.pumping.watch(&phone);
        let opened = self
            .store
            .open(
                &Opening {
                    id: &id,
                    verification: &verification,
                    limits: &limits,
                    max_pending,
                    replaces,
                    watch: watch.as_ref(),
                    by_number: by_number.as_ref(),
                },
                now,
            )
            .await?
            .map_err(|refusal| self.refused(refusal, now))?;
        report_trips(&opened, &phone);
        let pending = PendingCode {
            id,
            code: new.code,
            phone,
            expires: verification.expires,
        };
        let send = Send {
            new: true,
            app_name: new
                .profile
                .and_then(|p| p.app_name.as_deref())
                .or(self.rules.sender_name.as_deref()),
            language: new
                .profile
                .and_then(|p| p.language)
                .unwrap_or(requester.language),
            limits: &limits,
            watch: watch.as_ref(),
            now,
            sent: verification.sent,
        };
        let uncertain = self.text(&pending, requester, send).await?;
        self.metrics.verification_started(&pending.phone);
        Ok(Sent {
            pending,
            verification,
            resent: false,
            uncertain,
        })
    }

    /// Texts a pending verification's code again, within the limits.
    pub async fn resend(
        &self,
        pending: &PendingCode,
        requester: &Requester,
    ) -> Result<Sent, VerifyError> {
        let now = self.clock.now();
        let limits = self
            .rules
            .limits
            .for_sending(&pending.phone, &requester.asker);
        let watch = self.rules.pumping.watch(&pending.phone);
        let (verification, opened) = self
            .store
            .reopen(&pending.id, &limits, watch.as_ref(), now)
            .await?
            .map_err(|refusal| self.refused(refusal, now))?;
        report_trips(&opened, &pending.phone);
        let send = Send {
            new: false,
            app_name: self.rules.sender_name.as_deref(),
            language: requester.language,
            limits: &limits,
            watch: watch.as_ref(),
            now,
            sent: verification.sent,
        };
        let uncertain = self.text(pending, requester, send).await?;
        Ok(Sent {
            pending: pending.clone(),
            verification,
            resent: true,
            uncertain,
        })
    }

    /// The last step of a send: the SMS. If it certainly did not go, the
    /// verification a new send stored is removed (so a code that was not
    /// sent never works), the limits are given back and the send is taken
    /// off the breaker's count. If it may have gone, all of it stays, and
    /// the answer is `true`: uncertain.
    async fn text(
        &self,
        pending: &PendingCode,
        requester: &Requester,
        send: Send<'_>,
    ) -> Result<bool, VerifyError> {
        let text = code_message(
            &pending.code,
            send.app_name,
            requester.origin_host.as_deref(),
            send.language,
        );
        let about = SendRef {
            verification: pending.id.clone(),
            sent: send.sent,
        };
        let started = std::time::Instant::now();
        let sent = self.sms.send(&pending.phone, &text, &about).await;
        if matches!(self.sms, SmsSender::Telnyx(_)) {
            self.metrics.telnyx_request(started.elapsed());
        }
        let result = match &sent {
            Ok(_) => SmsResult::Sent,
            Err(error) if error.certainly_unsent() => SmsResult::Failed,
            Err(_) => SmsResult::Ambiguous,
        };
        self.metrics.sms(&pending.phone, result);
        match sent {
            Ok(message) => {
                tracing::info!(
                    to = %pending.phone,
                    resend = !send.new,
                    message_id = message.as_ref().map(tracing::field::display),
                    "code sent"
                );
                Ok(false)
            }
            Err(error) if error.certainly_unsent() => {
                // Best effort: if the store is failing too, an unsent code
                // expires unused, and the limits count one SMS too many
                // until they refill.
                let opened = send.new.then_some(&pending.id);
                let undone = self
                    .store
                    .undo(opened, &pending.phone, send.limits, send.watch, send.now)
                    .await;
                if let Err(store) = undone {
                    tracing::warn!("could not undo a send that failed: {store}");
                }
                Err(error.into())
            }
            Err(error) => {
                tracing::warn!(
                    to = %pending.phone,
                    "the SMS may or may not have been sent ({error}); the code stays valid and the limits stay taken"
                );
                Ok(true)
            }
        }
    }

    /// Checks a typed code against verification `id`, within the guessing
    /// limit of `requester`.
    pub async fn check(
        &self,
        id: &VerificationId,
        typed: &str,
        reading: Reading,
        requester: &Requester,
    ) -> Result<Checked, VerifyError> {
        self.check_handing_off(id, typed, reading, requester, None)
            .await
    }

    /// `check`, which also keeps `hand_off` when the code is right, in the
    /// same step: its secret is then good to give.
    pub async fn check_handing_off(
        &self,
        id: &VerificationId,
        typed: &str,
        reading: Reading,
        requester: &Requester,
        hand_off: Option<&HandOff>,
    ) -> Result<Checked, VerifyError> {
        self.check_sought(Which::Id(id), typed, reading, requester, hand_off)
            .await
    }

    /// Checks a code a program typed against the newest verification of
    /// `phone` under Verify API profile `profile` that can take one (see
    /// `verification::for_code_by_number`), found in the check's own step.
    pub async fn check_by_number(
        &self,
        phone: &PhoneNumber,
        profile: &str,
        typed: &str,
        requester: &Requester,
    ) -> Result<Checked, VerifyError> {
        let which = Which::Newest { phone, profile };
        self.check_sought(which, typed, Reading::Loose, requester, None)
            .await
    }

    async fn check_sought(
        &self,
        which: Which<'_>,
        typed: &str,
        reading: Reading,
        requester: &Requester,
        hand_off: Option<&HandOff>,
    ) -> Result<Checked, VerifyError> {
        // One body, whose every way out the metrics then count.
        let checked: Result<Checked, VerifyError> = async {
            let now = self.clock.now();
            let attempt = match reading {
                Reading::Strict => self.rules.code.read_attempt(typed),
                Reading::Loose => OtpCode::read_loosely(typed),
            };
            let Ok(attempt) = attempt else {
                // Not a code at all: say so, without spending a try.
                return Ok(Checked::Malformed(self.sought(which, now).await?));
            };
            let guessing = self
                .rules
                .limits
                .for_guessing(&requester.asker, self.rules.max_attempts);
            let checking = Checking {
                which,
                typed: Typed::new(&self.code_keys, &attempt),
                guessing: &guessing,
                max_attempts: self.rules.max_attempts,
                pumping_window: self.rules.pumping.window(),
                // A caller with an API key reaches only the API's verifications.
                api_only: matches!(requester.asker, Asker::ApiKey(_)),
                hand_off: hand_off.map(|hand_off| hand_off.kept(now)),
            };
            let outcome = self.store.check(&checking, now).await?;
            checked(outcome, hand_off)
        }
        .await;
        if let Some(result) = check_result(&checked) {
            self.metrics.code_check(result);
        }
        if let Err(VerifyError::Limited(hit)) = &checked {
            self.metrics.refusal(Refused::Limit(hit.kind));
        }
        checked
    }

    /// The caller that chose the code checked it itself (the API's `status:
    /// accepted | rejected`): the verification is used, or locked.
    pub async fn settle(
        &self,
        id: &VerificationId,
        accepted: bool,
    ) -> Result<Verification, VerifyError> {
        let now = self.clock.now();
        let settled = self.store.settle(id, accepted, now).await??;
        // The caller checked the code: count it as a check of ours would be.
        self.metrics.code_check(if accepted {
            CheckResult::Verified
        } else {
            CheckResult::Wrong
        });
        if accepted {
            tracing::info!(to = %settled.phone, "phone number verified by its caller");
        }
        Ok(settled)
    }

    /// The Verify API verifications of `phone`, newest first.
    pub async fn list(
        &self,
        phone: &PhoneNumber,
    ) -> Result<Vec<(VerificationId, Verification)>, VerifyError> {
        Ok(self.store.list(phone, self.clock.now()).await?)
    }

    /// Verification `id` as it stands; `Ended::Missing` if there is none.
    pub async fn status(&self, id: &VerificationId) -> Result<Verification, VerifyError> {
        self.store
            .get(id)
            .await?
            .ok_or(VerifyError::Ended(Ended::Missing, None))
    }

    /// The verification `which` names, if it can still take a code; if
    /// not, why not.
    async fn sought(&self, which: Which<'_>, now: Timestamp) -> Result<Verification, VerifyError> {
        let found = match which {
            Which::Id(id) => {
                let verification = self.status(id).await?;
                match verification.still_pending(now) {
                    Ok(()) => Ok(verification),
                    Err(why) => Err((why, Some(verification))),
                }
            }
            Which::Newest { phone, profile } => {
                let listed = self.store.list(phone, now).await?;
                let newest_first = listed.iter().map(|(id, v)| (id, v));
                match for_code_by_number(newest_first, profile, now) {
                    Ok((_, verification)) => Ok(verification.clone()),
                    Err((why, verification)) => Err((why, verification.cloned())),
                }
            }
        };
        found.map_err(|(why, verification)| VerifyError::Ended(why, verification.map(Box::new)))
    }

    /// How long until `verification`'s code may be texted again, if at all:
    /// at once if its last SMS could not be delivered.
    pub fn resend_wait(&self, verification: &Verification) -> Option<Duration> {
        if verification.delivery == Delivery::Failed {
            return None;
        }
        let ready = verification.sent.after(self.rules.limits.resend_cooldown());
        let wait = self.clock.now().until(ready);
        (!wait.is_zero()).then_some(wait)
    }

    /// Applies Telnyx's word on what became of a message (see
    /// `Delivery::after`), once per event.
    pub async fn deliver(&self, receipt: &Receipt) -> Result<Delivered, StoreUnavailable> {
        let delivered = self.store.deliver(receipt, self.clock.now()).await?;
        if let Delivered::Known {
            verification,
            changed: true,
            ..
        } = &delivered
        {
            tracing::info!(
                to = %verification.phone,
                delivery = verification.delivery.name(),
                "Telnyx reports on the code's SMS"
            );
        }
        Ok(delivered)
    }

    /// Forgets what has expired; returns how many verifications went.
    pub async fn sweep(&self) -> Result<usize, StoreUnavailable> {
        self.store.sweep(self.clock.now()).await
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<(), StoreUnavailable> {
        self.store.ping().await
    }

    /// Where the flow and the faces count what happens.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Every metric in the Prometheus text format, with the number of
    /// verifications held read now, if the store answers.
    pub async fn scrape(&self) -> String {
        match self.store.held().await {
            Ok(held) => self.metrics.pending_verifications(held),
            Err(error) => tracing::debug!("cannot count held verifications: {error}"),
        }
        self.metrics.render()
    }
}

/// What the store's answer to a check means, with the log lines it calls
/// for. A right code's verification of another number than `hand_off`'s
/// is refused: the store kept no hand-off, and its secret is not to be
/// given.
fn checked(outcome: CheckOutcome, hand_off: Option<&HandOff>) -> Result<Checked, VerifyError> {
    match outcome {
        CheckOutcome::Verified(verification) => {
            if hand_off.is_some_and(|hand_off| !hand_off.is_for(&verification.phone)) {
                tracing::warn!(to = %verification.phone, "a hand-off about another number was refused");
                return Err(VerifyError::Ended(Ended::Missing, None));
            }
            tracing::info!(to = %verification.phone, "phone number verified");
            Ok(Checked::Verified(verification))
        }
        CheckOutcome::Wrong {
            verification,
            tries_left,
        } => {
            // Once, when it happens; the refusals after it are debug.
            if tries_left == 0 {
                tracing::info!(to = %verification.phone, "verification locked: too many wrong codes");
            }
            Ok(Checked::Wrong {
                verification,
                tries_left,
            })
        }
        CheckOutcome::Limited(hit) => Err(VerifyError::Limited(hit)),
        CheckOutcome::Ended { why, verification } => {
            Err(VerifyError::Ended(why, verification.map(Box::new)))
        }
    }
}

/// A code check as the metrics count it; `None` for a check that never
/// got to the code (the store failed).
fn check_result(checked: &Result<Checked, VerifyError>) -> Option<CheckResult> {
    Some(match checked {
        Ok(Checked::Verified(_)) => CheckResult::Verified,
        Ok(Checked::Wrong { .. }) => CheckResult::Wrong,
        Ok(Checked::Malformed(_)) => CheckResult::Malformed,
        Err(VerifyError::Ended(Ended::Expired, _)) => CheckResult::Expired,
        Err(VerifyError::Ended(Ended::Used, _)) => CheckResult::Used,
        Err(VerifyError::Ended(Ended::Locked, _)) => CheckResult::Locked,
        Err(VerifyError::Ended(Ended::Missing, _)) => CheckResult::None,
        Err(_) => return None,
    })
}

mod hand_off;
#[cfg(test)]
mod tests;

pub use hand_off::{HandOff, Redemption};
