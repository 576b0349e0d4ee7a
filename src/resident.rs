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
//! writable, without a page of their own in memory or in swap
//! (`Anonymous: 0 kB`, `Swap: 0 kB`), and clear of the executable's
//! relocated data (its `PT_GNU_RELRO` segment, found from its program
//! headers). That data (`.data.rel.ro`, the GOT: read-only once the loader
//! has relocated it) is the process's own copy, and unmapping it would put
//! back the file's unrelocated bytes. Where any of that cannot be read,
//! nothing is let go.

use std::ffi::c_void;

/// One mapping of the executable, as `/proc/self/smaps` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapping {
    start: usize,
    end: usize,
    writable: bool,
    private: bool,
    /// Pages the process made its own (copied on write), in KiB: those in
    /// memory, and those swapped out. `None` if smaps did not say.
    anonymous_kib: Option<u64>,
    swap_kib: Option<u64>,
    /// Resident, in KiB.
    resident_kib: u64,
}

impl Mapping {
    /// Holds only pages of the file, which can be mapped again as they were.
    fn only_the_files_pages(&self) -> bool {
        !self.writable && self.private && self.anonymous_kib == Some(0) && self.swap_kib == Some(0)
    }

    fn overlaps(&self, (start, end): (usize, usize)) -> bool {
        self.start < end && start < self.end
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
                    anonymous_kib: None,
                    swap_kib: None,
                    resident_kib: 0,
                });
            }
            continue;
        }
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some(mapping) = current.as_mut() {
            let kib = fields.next().and_then(|n| n.parse().ok());
            match first {
                "Anonymous:" => mapping.anonymous_kib = kib,
                "Swap:" => mapping.swap_kib = kib,
                "Rss:" => mapping.resident_kib = kib.unwrap_or(0),
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

/// Of the executable's `mappings`, those to let go: known to hold nothing
/// but the file's pages, and clear of the `relocated` data.
fn to_let_go(mappings: Vec<Mapping>, relocated: (usize, usize)) -> impl Iterator<Item = Mapping> {
    mappings
        .into_iter()
        .filter(move |m| m.only_the_files_pages() && !m.overlaps(relocated))
}

/// The executable's relocated read-only data (`PT_GNU_RELRO`), as the
/// addresses it spans, from the program headers the loader was handed
/// (`AT_PHDR`).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn relocated_data() -> Option<(usize, usize)> {
    // SAFETY: `getauxval` reads the auxiliary vector, and takes no pointers.
    let (headers, count) = unsafe {
        (
            libc::getauxval(libc::AT_PHDR),
            libc::getauxval(libc::AT_PHNUM),
        )
    };
    if headers == 0 || count == 0 {
        return None;
    }
    // SAFETY: `AT_PHDR` is the address of the executable's `AT_PHNUM`
    // program headers, mapped (read-only) for the process's whole life.
    let headers = unsafe {
        std::slice::from_raw_parts(
            headers as *const libc::Elf64_Phdr,
            usize::try_from(count).ok()?,
        )
    };
    let at = |header: &libc::Elf64_Phdr| usize::try_from(header.p_vaddr).ok();
    let own = headers.iter().find(|h| h.p_type == libc::PT_PHDR)?;
    let base = (headers.as_ptr() as usize).checked_sub(at(own)?)?;
    let relro = headers.iter().find(|h| h.p_type == libc::PT_GNU_RELRO)?;
    let start = base.checked_add(at(relro)?)?;
    Some((
        start,
        start.checked_add(usize::try_from(relro.p_memsz).ok()?)?,
    ))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn relocated_data() -> Option<(usize, usize)> {
    None
}

/// Unmaps the executable's read-only pages (see above); returns how many
/// KiB of them were resident. (Never inlined: `bench/text_order` tells
/// start-up's functions from the rest by when this returns.)
#[inline(never)]
pub fn let_go_of_start_up_pages() -> u64 {
    let Some(relocated) = relocated_data() else {
        return 0;
    };
    let mut let_go = 0;
    for mapping in to_let_go(executables_mappings(), relocated) {
        // SAFETY: the range is a whole mapping of the executable's file,
        // private, not writable, without a page of its own in memory or in
        // swap, and clear of the relocated data, so every page in it is
        // the file's and is mapped again unchanged by the next fault; no
        // Rust object refers to it as memory it owns. (Nothing in the app
        // writes to or changes the protection of these mappings; a
        // debugger's breakpoint set between the read of smaps and this call
        // would be dropped.)
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

    const EXE: &str = "/opt/telnyx 2fa/telnyx-2fa";

    /// A process's smaps, cut down: the executable's text and read-only
    /// data, its relocated data (in memory, then swapped out), its
    /// writable data, a mapping smaps says nothing of, a library, another
    /// file whose path ends as the executable's does, and the heap.
    const SMAPS: &str = "\
55d0a0000000-55d0a0400000 r--p 00000000 fd:01 1234                       /opt/telnyx 2fa/telnyx-2fa
Rss:                1408 kB
Anonymous:             0 kB
Swap:                  0 kB
VmFlags: rd mr mw me dw sd
55d0a0400000-55d0a0c00000 r-xp 00400000 fd:01 1234                       /opt/telnyx 2fa/telnyx-2fa
Rss:                3128 kB
Anonymous:             0 kB
Swap:                  0 kB
55d0a0c00000-55d0a0c86000 r--p 00c00000 fd:01 1234                       /opt/telnyx 2fa/telnyx-2fa
Rss:                 536 kB
Anonymous:           536 kB
Swap:                  0 kB
55d0a0c86000-55d0a0c88000 r--p 00c86000 fd:01 1234                       /opt/telnyx 2fa/telnyx-2fa
Rss:                   0 kB
Anonymous:             0 kB
Swap:                  8 kB
55d0a0c88000-55d0a0c8b000 rw-p 00c88000 fd:01 1234                       /opt/telnyx 2fa/telnyx-2fa
Rss:                  12 kB
Anonymous:            12 kB
Swap:                  0 kB
55d0a0c8b000-55d0a0c8c000 r--p 00c8b000 fd:01 1234                       /opt/telnyx 2fa/telnyx-2fa
Rss:                   4 kB
7f0000000000-7f0000100000 r-xp 00000000 fd:01 99                         /usr/lib/libc.so.6
Rss:                1032 kB
Anonymous:             0 kB
Swap:                  0 kB
7f0000100000-7f0000200000 r-xp 00000000 fd:01 98                         /usr/opt/telnyx 2fa/telnyx-2fa
Rss:                  64 kB
Anonymous:             0 kB
Swap:                  0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0
Rss:                 100 kB
Anonymous:           100 kB
Swap:                  0 kB
";

    #[test]
    fn only_the_executables_mappings_known_to_hold_nothing_but_its_files_pages_are_let_go() {
        let mappings = mappings_of(SMAPS, EXE);
        assert_eq!(mappings.len(), 6, "the executable's own: {mappings:?}");
        assert_eq!(mappings[5].anonymous_kib, None);
        let let_go = |relocated| -> Vec<(usize, u64)> {
            to_let_go(mappings.clone(), relocated)
                .map(|m| (m.start, m.resident_kib))
                .collect()
        };
        // Not the relocated data, in memory or swapped out, nor the
        // writable data, nor a mapping whose pages smaps did not count.
        let relro = (0x55d0a0c00000, 0x55d0a0c88000);
        assert_eq!(
            let_go(relro),
            [(0x55d0a0000000, 1408), (0x55d0a0400000, 3128)]
        );
        // Nor, whatever smaps says, one the program headers call relocated.
        let claimed = (0x55d0a0400000, 0x55d0a0401000);
        assert_eq!(let_go(claimed), [(0x55d0a0000000, 1408)]);
    }

    #[test]
    fn a_mapping_that_touches_the_relocated_data_is_found_to_overlap_it() {
        let mapping = |start, end| Mapping {
            start,
            end,
            writable: false,
            private: true,
            anonymous_kib: Some(0),
            swap_kib: Some(0),
            resident_kib: 0,
        };
        let relocated = (0x2000, 0x3000);
        assert!(mapping(0x1000, 0x2001).overlaps(relocated));
        assert!(mapping(0x2fff, 0x4000).overlaps(relocated));
        assert!(mapping(0x1000, 0x5000).overlaps(relocated));
        assert!(!mapping(0x1000, 0x2000).overlaps(relocated));
        assert!(!mapping(0x3000, 0x4000).overlaps(relocated));
    }

    /// The executable's mappings that are not writable: what the let-go
    /// may touch (the writable ones change as other tests run).
    fn read_only() -> Vec<Mapping> {
        let mut mappings = executables_mappings();
        mappings.retain(|m| !m.writable);
        mappings
    }

    #[test]
    fn the_running_test_lets_go_of_its_files_pages_and_keeps_its_relocated_data() {
        let relocated = relocated_data().expect("the test binary's program headers name its RELRO");
        let before = read_only();
        let holding = before.iter().find(|m| m.overlaps(relocated));
        assert!(
            holding.is_some_and(|m| m.anonymous_kib.unwrap_or(0) > 0),
            "the relocated data lies in a mapping of the process's own pages: {relocated:x?} {before:?}"
        );
        assert!(
            before.iter().any(Mapping::only_the_files_pages),
            "{before:?}"
        );
        let let_go = let_go_of_start_up_pages();
        assert!(let_go > 0);
        // (Another test's panic may map the file anew, to read its symbols:
        // each mapping is found by where it starts.)
        let after = read_only();
        let own = |m: &Mapping| m.anonymous_kib.unwrap_or(0) + m.swap_kib.unwrap_or(0);
        for was in &before {
            let is = after.iter().find(|is| is.start == was.start);
            let is = is.unwrap_or_else(|| panic!("{was:?} is gone: {after:?}"));
            assert_eq!(is.end, was.end);
            if !was.only_the_files_pages() {
                assert_eq!(own(is), own(was), "{is:?}");
            }
        }
        // Code, constants and vtables (relocated data) all still work.
        let shown: Box<dyn std::fmt::Display> = Box::new(42_u64);
        assert_eq!(format!("{shown}, {}", "read-only"), "42, read-only");
    }
}
