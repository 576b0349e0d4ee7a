//! telnyx-2fa: verify a phone number with a one-time code sent by SMS.
//!
//! One core, `verifier::Verifier`, holds the flow and its rules; the pages
//! (`routes`, the tutorial's `GET /`, `POST /request`, `POST /verify`) are a
//! face over it. Each code belongs to one browser and one number, expires,
//! and allows a few tries.
//!
//! Public here is what the binary and the integration tests use (`settings`,
//! `startup`), plus a few types the benchmarks and the memory example
//! measure; every other module is private, so unused code shows.

mod allocator;
mod api;
mod around;
mod assets;
mod body;
mod clock;
mod errors;
mod header_timer;
mod i18n;
mod keys;
mod limits;
pub mod logs;
mod metrics;
mod oidc;
mod ops;
mod otp;
mod pages;
mod phone;
mod pumping;
mod resident;
mod routes;
mod session;
pub mod settings;
mod signing;
mod sms;
pub mod startup;
mod state;
mod store;
mod verification;
mod verifier;
mod webhooks;

/// Every program built on this crate (the binary, its tests, the benchmark
/// ceilings and the memory example) allocates through mimalloc: glibc's
/// malloc and free were 40–50% of the app's own instructions per request,
/// and a ceiling must run on the same allocator as what it is compared
/// with. Built without transparent huge pages, which more than doubled the
/// idle resident size. Asked through its plain calls wherever they align
/// the block (`allocator`).
#[global_allocator]
static ALLOCATOR: allocator::Mimalloc = allocator::Mimalloc;

pub use allocator::{GiveBack, StartingUp, give_back_freed_memory, starting_up};
pub use assets::stylesheet;
pub use clock::{Clock, Timestamp};
pub use resident::let_go_of_start_up_pages;

/// A hash table for keys no client chooses: message ids, route templates,
/// random verification ids, subjects already hashed with a secret key.
/// foldhash rather than std's SipHash, whose defence against keys chosen
/// to collide such tables do not need, at a fraction of a lookup's cost (a
/// wrong code looked up ten of them). Tables keyed by what a client sends
/// (a phone number, a destination) keep SipHash.
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// What the benchmarks and the memory example measure.
pub mod measured {
    pub use crate::limits::{Asker, ClientKey, LimitRules};
    pub use crate::otp::{Alphabet, CodeFormat, CodeKey, Typed};
    pub use crate::pages::{CodeFormPage, PhoneFormPage};
    pub use crate::phone::{PhoneNumber, PhoneRules};
    pub use crate::session::Session;
    pub use crate::store::{Checking, MemoryStore, Opening, Store, Which};
    pub use crate::verification::{Status, Verification, VerificationId};

    /// This process's resident size in KiB (`VmRSS`), 0 where unknown.
    pub fn resident_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
                line.split_whitespace().nth(1)?.parse().ok()
            })
            .unwrap_or(0)
    }
}
