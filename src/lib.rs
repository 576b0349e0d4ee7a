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
mod assets;
mod clock;
mod errors;
mod i18n;
mod keys;
mod limits;
mod metrics;
mod oidc;
mod ops;
mod otp;
mod pages;
mod phone;
mod pumping;
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

/// How much of the freed memory `give_back_freed_memory` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveBack {
    /// Every free page of this thread's, found by walking all its pages
    /// and their free lists, and every range the arenas hold for later:
    /// once, after start, when the state is small.
    Everything,
    /// The ranges whose delay has passed (process-wide) and the pages this
    /// thread has emptied: after each sweep, when the state may be large
    /// and the walk would hold up a worker.
    WhatIsDue,
}

/// Gives memory that is free back to the system now.
///
/// mimalloc returns a freed page only on a later call into it, after a
/// delay; a process that has gone quiet makes no such call, and kept what
/// starting up had used and dropped (about 1.5 MB of the idle resident
/// size, measured). Only the calling thread's pages are collected: what a
/// sweep frees on pages of another worker goes back when that worker next
/// allocates.
pub fn give_back_freed_memory(how: GiveBack) {
    // SAFETY: `mi_collect` takes no pointers and touches only memory the
    // allocator holds as free; other threads reach a page only through its
    // atomic free list, and the arenas are locked: it may be called from
    // any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(how == GiveBack::Everything) };
}

pub use assets::stylesheet;
pub use clock::{Clock, Timestamp};

/// What the benchmarks and the memory example measure.
pub mod measured {
    pub use crate::limits::{Asker, ClientKey, LimitRules};
    pub use crate::otp::{Alphabet, CodeFormat, CodeKey};
    pub use crate::pages::{CodeFormPage, PhoneFormPage};
    pub use crate::phone::{PhoneNumber, PhoneRules};
    pub use crate::session::Session;
    pub use crate::store::{MemoryStore, Opening, Store};
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

#[cfg(test)]
mod tests {
    use super::measured::resident_kib;

    #[test]
    fn freed_memory_is_given_back_to_the_system_when_asked() {
        // Many small blocks, as state is made of: 128 MiB in 64-byte
        // pieces, so that the other tests running beside this one cannot
        // hide the difference (the process's resident size is read).
        let blocks: Vec<Box<[u8; 64]>> = (0..1 << 21).map(|i| Box::new([i as u8; 64])).collect();
        let held = resident_kib();
        drop(blocks);
        super::give_back_freed_memory(super::GiveBack::Everything);
        let after = resident_kib();
        // Without the call, the blocks stay resident (seen with 64 MiB:
        // 83.5 MB held, 85.3 MB after the drop, 11.5 MB after the call).
        assert!(
            after + 64 * 1024 < held,
            "held {held} KiB, after {after} KiB"
        );
    }
}
