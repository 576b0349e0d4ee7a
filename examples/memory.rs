//! Memory per pending verification, and proof that swept state stays bounded.
//!
//! Builds N pending verifications for N distinct numbers from N distinct
//! client addresses through the app's own store and limiter (the state one
//! `POST /request` leaves behind: the verification, and its number's hourly
//! count and cooldown and its client's hourly count), and reads the growth of
//! this process's resident size, each time once the allocator has given
//! back what is free. Then streams distinct numbers and addresses
//! through six simulated hours, sweeping as the app does, and reports the
//! most state held at once. Prints JSON lines.
//!
//! `cargo run --release --example memory -- 1000000` measures one count;
//! `-- stream` runs the stream. `bench/run` runs each in a process of its
//! own: a second count measured after a first would find memory the first
//! gave back (glibc keeps it, and raises its mmap threshold), and read low
//! or high by tens of bytes a verification.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use telnyx_2fa::Timestamp;
use telnyx_2fa::measured::{Alphabet, CodeFormat, CodeKey};
use telnyx_2fa::measured::{Asker, ClientKey, LimitRules};
use telnyx_2fa::measured::{MemoryStore, Opening, Store};
use telnyx_2fa::measured::{PhoneNumber, PhoneRules};
use telnyx_2fa::measured::{Status, Verification, VerificationId, resident_kib};
use telnyx_2fa::settings::{ConfigFile, Settings};

const FORMAT: CodeFormat = CodeFormat {
    alphabet: Alphabet::Digits,
    length: 6,
};

/// Resident size once the allocator has given back what is free. mimalloc
/// returns a freed page to the system only some time later, on a later
/// call, so a reading right after a burst of inserts counts garbage (a
/// hash table's old buckets, after it grew) as held state: 263 B a
/// verification instead of 233 at 1,000,000, by how fast the loop ran.
/// The app gives freed memory back the same way after each sweep.
fn settled_resident_kib() -> u64 {
    telnyx_2fa::give_back_freed_memory(telnyx_2fa::GiveBack::Everything);
    resident_kib()
}

struct World {
    store: Store,
    rules: LimitRules,
    key: CodeKey,
    phone_rules: PhoneRules,
    ttl: Duration,
}

impl World {
    fn new() -> Self {
        // The default limits but for the two that count every address of a
        // network, or every SMS of the service, which a million pending
        // verifications would need raised.
        let env = [
            ("TWOFA_LIMITS__SENDS_PER_NETWORK_PER_HOUR", "4000000000"),
            ("TWOFA_LIMITS__SMS_PER_HOUR", "4000000000"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
        let settings = Settings::load(ConfigFile::None, &env).expect("valid settings");
        Self {
            store: Store::default(),
            rules: LimitRules::new(settings.limits.clone()),
            key: CodeKey::new([1; 32]),
            phone_rules: settings.phone.clone(),
            ttl: settings.otp.ttl,
        }
    }

    /// What one successful `POST /request` for the `n`th number from the
    /// `n`th address leaves behind.
    async fn request(&self, n: u32, now: Timestamp) {
        let typed = format!("+1201{:07}", 2_000_000 + n % 7_000_000);
        let phone =
            PhoneNumber::parse(&typed, &self.phone_rules.default_country).expect("a valid number");
        let client = ClientKey::from(IpAddr::V4(Ipv4Addr::from_bits(0x0A00_0000 + n)));
        let id = VerificationId::random();
        let code = FORMAT.generate();
        let verification = Verification {
            phone,
            digest: self.key.digest(id.as_bytes(), &code),
            created: now,
            expires: now.after(self.ttl),
            sent: now,
            wrong_tries: 0,
            status: Status::Pending,
            profile: None,
            custom_code: false,
            updated: now,
            delivery: Default::default(),
        };
        let limits = self.rules.for_sending(&phone, &Asker::Address(client));
        let opened = self
            .store
            .open(
                &Opening {
                    id: &id,
                    verification: &verification,
                    limits: &limits,
                    max_pending: usize::MAX,
                    replaces: None,
                    watch: None,
                    by_number: None,
                },
                now,
            )
            .await;
        assert!(
            matches!(opened, Ok(Ok(_))),
            "distinct numbers and addresses are never refused"
        );
    }

    fn memory(&self) -> &MemoryStore {
        match &self.store {
            Store::Memory(memory) => memory,
            Store::Redis(_) => unreachable!("this example uses the memory store"),
        }
    }

    async fn held(&self) -> usize {
        self.store
            .held()
            .await
            .expect("the memory store never fails")
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let counts: Vec<u32> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let stream = args.is_empty() || args.iter().any(|a| a == "stream");
    let counts = if args.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        counts
    };
    let start = Timestamp::from_millis(1_800_000_000_000);
    for pending in counts {
        let world = World::new();
        let before = settled_resident_kib();
        for n in 0..pending {
            world.request(n, start).await;
        }
        let after = settled_resident_kib();
        let per = (after.saturating_sub(before) * 1024) as f64 / f64::from(pending);
        println!(
            "{{\"pending\":{pending},\"rss_before_kib\":{before},\"rss_after_kib\":{after},\
             \"bytes_per_verification\":{per:.0},\"limit_subjects\":{}}}",
            world.memory().limit_subjects()
        );
        // Past every window: one sweep leaves nothing.
        let later = start.after(Duration::from_secs(2 * 3600));
        world.store.sweep(later).await.expect("memory");
        let left = world.held().await;
        assert_eq!((left, world.memory().limit_subjects()), (0, 0));
    }

    if !stream {
        return;
    }
    // A stream: 100,000 new numbers and addresses an hour for six hours,
    // swept every minute as the app does.
    let world = World::new();
    let (per_minute, mut n, mut most_pending, mut most_subjects) = (100_000 / 60, 0u32, 0, 0);
    for minute in 0..360u64 {
        let now = start.after(Duration::from_secs(minute * 60));
        for _ in 0..per_minute {
            world.request(n, now).await;
            n += 1;
        }
        world.store.sweep(now).await.expect("memory");
        most_pending = most_pending.max(world.held().await);
        most_subjects = most_subjects.max(world.memory().limit_subjects());
    }
    println!(
        "{{\"stream_requests\":{n},\"stream_hours\":6,\"most_pending\":{most_pending},\
         \"most_limit_subjects\":{most_subjects},\"rss_end_kib\":{}}}",
        resident_kib()
    );
}
