//! The executable's pages that only start-up read, let go once it is done.
//!
//! Start-up runs about 1 MB of code that no request runs again (reading the
//! settings, compiling the templates and the languages, loading the phone
//! metadata, building the router) and reads about 0.6 MB of read-only data
//! (the metadata's blob, the languages' sources). Those pages stayed mapped,
//! and counted in the resident size, for as long as the process ran.
//! `text-order.txt` lays out the functions requests run first and those
//! only start-up ran after them; at the end of start-up every read-only page
//! of the executable is unmapped (`MADV_DONTNEED`), and the first requests
//! map back what they run, from the page cache, as the next faults find it.
//! The kernel would drop the same clean pages by itself under memory
//! pressure; this does it when they are known to be done with.
//!
//! Only mappings that hold nothing but the file's own pages are let go: not
//! writable, and without a page of their own (`Anonymous: 0 kB`). The
//! loader's relocated data (`.data.rel.ro`, read-only once relocated) holds
//! pages of its own, and unmapping those would put back the file's
//! unrelocated bytes: it is never touched.

use std::ffi::c_void;

/// One mapping of the executable, as `/proc/self/smaps` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapping {
    start: usize,
    end: usize,
    writable: bool,
    private: bool,
    /// Pages the process made its own (copied on write), in KiB.
    anonymous_kib: u64,
    /// Resident, in KiB.
    resident_kib: u64,
}

impl Mapping {
    /// Holds only pages of the file, which can be mapped again as they were.
    fn only_the_files_pages(&self) -> bool {
        !self.writable && self.private && self.anonymous_kib == 0
    }
}

/// The executable's mappings, read from `smaps` (the text of
/// `/proc/self/smaps`), `exe` being the executable's path.
fn mappings_of(smaps: &str, exe: &str) -> Vec<Mapping> {
    let mut mappings = Vec::new();
    let mut current: Option<Mapping> = None;
    for line in smaps.lines() {
        // A mapping's line: range, permissions, offset, device, inode, then
        // the path after spaces (and the path may hold spaces itself).
        let mut header = line.splitn(6, ' ');
        let range = header.next().and_then(|range| range.split_once('-'));
        if let Some((start, end)) = range
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            mappings.extend(current.take());
            let perms = header.next().unwrap_or("").as_bytes();
            let path = header.nth(3).map(str::trim_start);
            if path == Some(exe) {
                current = Some(Mapping {
                    start,
                    end,
                    writable: perms.get(1) == Some(&b'w'),
                    private: perms.get(3) == Some(&b'p'),
                    anonymous_kib: 0,
                    resident_kib: 0,
                });
            }
            continue;
        }
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some(mapping) = current.as_mut() {
            let mut kib = || fields.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            match first {
                "Anonymous:" => mapping.anonymous_kib = kib(),
                "Rss:" => mapping.resident_kib = kib(),
                _ => {}
            }
        }
    }
    mappings.extend(current);
    mappings
}

/// The executable's mappings now; none where `/proc` cannot tell.
fn executables_mappings() -> Vec<Mapping> {
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
        return Vec::new();
    };
    let Some(exe) = exe.to_str() else {
        return Vec::new();
    };
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    mappings_of(&smaps, exe)
}

/// Unmaps the executable's read-only pages (see above); returns how many
/// KiB of them were resident. (Never inlined: `bench/text_order` tells
/// start-up's functions from the rest by when this returns.)
#[inline(never)]
pub fn let_go_of_start_up_pages() -> u64 {
    let mut let_go = 0;
    for mapping in executables_mappings() {
        if !mapping.only_the_files_pages() {
            continue;
        }
        // SAFETY: the range is a whole mapping of the executable's file,
        // private, not writable and without a page of its own, so every
        // page in it is the file's and is mapped again unchanged by the
        // next fault; no Rust object refers to it as memory it owns.
        let done = unsafe {
            libc::madvise(
                mapping.start as *mut c_void,
                mapping.end - mapping.start,
                libc::MADV_DONTNEED,
            )
        };
        if done == 0 {
            let_go += mapping.resident_kib;
        }
    }
    let_go
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0a0000000-55d0a0400000 r--p 00000000 fd:01 1234                       /opt/telnyx 2fa/telnyx-2fa
Rss:                1408 kB
Anonymous:             0 kB
55d0a0400000-55d0a0c00000 r-xp 00400000 fd:01 1234 /opt/telnyx 2fa/telnyx-2fa
Rss:                3128 kB
Anonymous:             0 kB
55d0a0c00000-55d0a0c86000 r--p 00c00000 fd:01 1234 /opt/telnyx 2fa/telnyx-2fa
Rss:                 536 kB
Anonymous:           536 kB
55d0a0c86000-55d0a0c8b000 rw-p 00c86000 fd:01 1234 /opt/telnyx 2fa/telnyx-2fa
Rss:                  20 kB
Anonymous:            20 kB
7f0000000000-7f0000100000 r-xp 00000000 fd:01 99                         /usr/lib/libc.so.6
7f0000100000-7f0000200000 r-xp 00000000 fd:01 98                         /usr/opt/telnyx 2fa/telnyx-2fa
Rss:                  64 kB
Anonymous:             0 kB
Rss:                1032 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0
Rss:                 100 kB
Anonymous:           100 kB
";

    #[test]
    fn only_the_executables_mappings_that_hold_nothing_but_its_files_pages_are_let_go() {
        let mappings = mappings_of(SMAPS, "/opt/telnyx 2fa/telnyx-2fa");
        assert_eq!(mappings.len(), 4, "{mappings:?}");
        let let_go: Vec<(usize, u64)> = mappings
            .iter()
            .filter(|m| m.only_the_files_pages())
            .map(|m| (m.start, m.resident_kib))
            .collect();
        assert_eq!(let_go, [(0x55d0a0000000, 1408), (0x55d0a0400000, 3128)]);
        // The relocated data and the writable data stay.
        assert_eq!(mappings[2].anonymous_kib, 536);
        assert!(mappings[3].writable);
    }

    #[test]
    fn the_running_test_lets_go_of_its_files_pages_and_keeps_its_relocated_data() {
        let before = executables_mappings();
        assert!(
            before.iter().any(Mapping::only_the_files_pages),
            "{before:?}"
        );
        let let_go = let_go_of_start_up_pages();
        assert!(let_go > 0);
        let after = executables_mappings();
        for (was, is) in before.iter().zip(&after) {
            assert_eq!((was.start, was.end), (is.start, is.end));
            if !was.only_the_files_pages() {
                assert_eq!(is.anonymous_kib, was.anonymous_kib, "{is:?}");
            }
        }
        // Code, constants and vtables (relocated data) all still work.
        let shown: Box<dyn std::fmt::Display> = Box::new(42_u64);
        assert_eq!(format!("{shown}, {}", "read-only"), "42, read-only");
    }
}
