//! The global allocator: mimalloc, asked for what a layout needs.
//!
//! The `mimalloc` crate's own `GlobalAlloc` asks for every block through
//! `mi_malloc_aligned`, whatever its alignment. mimalloc v3 serves that from
//! its fast path only when a free block of the size class happens to sit at
//! the alignment; otherwise (no free block at hand, a block over 1 KiB, or a
//! size class that is not a power of two) it takes the generic path, which
//! over-allocates by the alignment and pads the block. A `GET /` paid ~2.2k
//! instructions for it (about 8 blocks a request, of 45), measured with
//! callgrind, and the padding held memory for nothing.
//!
//! Every size class of mimalloc is a multiple of 8, and of 16 from 16 up,
//! and a page's first block is 16-aligned, so a block of a size that is a
//! multiple of its alignment, at most 16, is aligned as plain `mi_malloc`
//! places it (16 is what mimalloc promises, `MI_MAX_ALIGN_SIZE`: larger
//! alignments often come out right too, but are not promised). Only other
//! layouts take the aligned calls. (The same
//! dispatch as the standard library's `System` allocator, which calls
//! `malloc` for alignments `malloc` guarantees.)

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The largest alignment a plain `mi_malloc` block of a size that is a
/// multiple of it has (mimalloc's `MI_MAX_ALIGN_SIZE`).
const PLAIN_ALIGNMENT: usize = 16;

/// Whether a block of `size` bytes from the plain calls is aligned to `align`.
fn plain_calls_align(size: usize, align: usize) -> bool {
    align <= PLAIN_ALIGNMENT && size.is_multiple_of(align)
}

/// mimalloc, through its plain calls wherever they align the block.
pub struct Mimalloc;

/// A block for `layout` from `plain` where it aligns it, else from `aligned`.
///
/// # Safety
/// As `GlobalAlloc::alloc`: `layout` has a non-zero size.
#[inline]
unsafe fn allocate(
    layout: Layout,
    plain: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: mimalloc's allocation calls take any size and a power-of-two
    // alignment, which a `Layout` always has.
    unsafe {
        if plain_calls_align(layout.size(), layout.align()) {
            plain(layout.size()).cast()
        } else {
            aligned(layout.size(), layout.align()).cast()
        }
    }
}

// SAFETY: every block comes from mimalloc, aligned as its layout asks
// (`plain_calls_align`, else the aligned calls), and goes back to it; a
// null pointer is returned as mimalloc returns it, for an allocation that
// failed.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `allocate`'s.
        unsafe { allocate(layout, mi::mi_malloc, mi::mi_malloc_aligned) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe { allocate(layout, mi::mi_zalloc, mi::mi_zalloc_aligned) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (the caller's contract),
        // and `mi_free` takes a block of either kind of call.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout` (the
        // caller's contract); the new block is aligned as `alloc` would
        // align a block of `new_size`.
        unsafe {
            if plain_calls_align(new_size, layout.align()) {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

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
    unsafe { mi::mi_collect(how == GiveBack::Everything) };
}

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_t`, in v2
/// and v3 alike): how long a freed page waits before it goes back to the
/// system.
const PURGE_DELAY: mi::mi_option_t = 15;

/// The app starting up: a page it frees goes back to the system at once,
/// rather than after mimalloc's delay. Start-up builds and drops tables by
/// the megabyte, and with the delay the pages it emptied were kept: 0.8 MB
/// of the resident size at rest (measured, `RssAnon` 6.8-7.1 MB against
/// 5.9-6.3). Under load the delay stays, where a page emptied is often
/// filled again (giving pages back at every free cost 2% of a flood's rate).
#[must_use = "done() puts mimalloc's delay back"]
pub struct StartingUp {
    /// The delay to put back; `None` if purging is off
    /// (`MIMALLOC_PURGE_DELAY=-1`), which start-up leaves as it is.
    delay: Option<std::ffi::c_long>,
}

/// Frees memory at once until `StartingUp::done`. (Set while the runtime's
/// workers are parked: mimalloc reads an option as a plain value, and a
/// stale read only delays a purge.)
pub fn starting_up() -> StartingUp {
    // SAFETY: an option is a plain value that mimalloc reads as it goes;
    // reading or setting one takes no pointers.
    let delay = unsafe { mi::mi_option_get(PURGE_DELAY) };
    if delay < 0 {
        return StartingUp { delay: None };
    }
    unsafe { mi::mi_option_set(PURGE_DELAY, 0) };
    StartingUp { delay: Some(delay) }
}

impl StartingUp {
    /// Gives back whatever start-up left free, and puts the delay back (as
    /// it was: `MIMALLOC_PURGE_DELAY` if the operator set one).
    pub fn done(self) {
        give_back_freed_memory(GiveBack::Everything);
        if let Some(delay) = self.delay {
            // SAFETY: as in `starting_up`.
            unsafe { mi::mi_option_set(PURGE_DELAY, delay) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measured::resident_kib;

    #[test]
    fn freed_memory_is_given_back_to_the_system_when_asked() {
        // Many small blocks, as state is made of: 128 MiB in 64-byte
        // pieces, so that the other tests running beside this one cannot
        // hide the difference (the process's resident size is read).
        let blocks: Vec<Box<[u8; 64]>> = (0..1 << 21).map(|i| Box::new([i as u8; 64])).collect();
        let held = resident_kib();
        drop(blocks);
        give_back_freed_memory(GiveBack::Everything);
        let after = resident_kib();
        // Without the call, the blocks stay resident (seen with 64 MiB:
        // 83.5 MB held, 85.3 MB after the drop, 11.5 MB after the call).
        assert!(
            after + 64 * 1024 < held,
            "held {held} KiB, after {after} KiB"
        );
    }

    #[test]
    fn while_starting_up_freed_memory_goes_back_at_once_and_the_delay_comes_back_after() {
        // The option is mimalloc's purge delay: 1000 ms is its default.
        // SAFETY: reading an option.
        let delay = unsafe { mi::mi_option_get(PURGE_DELAY) };
        assert_eq!(delay, 1000);
        let starting = starting_up();
        // As in the test above, but with no call to give it back.
        let blocks: Vec<Box<[u8; 64]>> = (0..1 << 21).map(|i| Box::new([i as u8; 64])).collect();
        let held = resident_kib();
        drop(blocks);
        let after = resident_kib();
        starting.done();
        // With the delay, the blocks stayed resident until a call
        // (157.7 MB held, 159.3 MB after the drop); at once, 12.0 MB.
        assert!(
            after + 64 * 1024 < held,
            "held {held} KiB, after {after} KiB"
        );
        // SAFETY: reading an option.
        assert_eq!(unsafe { mi::mi_option_get(PURGE_DELAY) }, delay);
        // With purging off (`MIMALLOC_PURGE_DELAY=-1`), start-up leaves it off.
        // SAFETY: setting an option.
        unsafe { mi::mi_option_set(PURGE_DELAY, -1) };
        let starting = starting_up();
        // SAFETY: reading an option.
        assert_eq!(unsafe { mi::mi_option_get(PURGE_DELAY) }, -1);
        starting.done();
        // SAFETY: reading an option, and putting the default back.
        assert_eq!(unsafe { mi::mi_option_get(PURGE_DELAY) }, -1);
        unsafe { mi::mi_option_set(PURGE_DELAY, delay) };
    }

    #[test]
    fn every_block_is_aligned_as_its_layout_asks_through_either_kind_of_call() {
        let mut plain = 0;
        let mut held = vec![];
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096] {
            // Every size up to 300, large ones, and odd multiples of the
            // alignment, whose size classes are not powers of two.
            let multiples = (1..=12).map(|k| k * align);
            let sizes = (1..=300).chain([511, 512, 1000, 1536, 4000, 9000, 70_000]);
            for size in sizes.chain(multiples) {
                let layout = Layout::from_size_align(size, align).expect("a valid layout");
                plain += usize::from(plain_calls_align(size, align));
                // Several blocks of each layout held at once, so that they
                // sit side by side in their size class, not in one slot.
                for zeroed in [false, true, false, true] {
                    // SAFETY: a layout of non-zero size; the block is
                    // written within its size, and freed below.
                    let block = unsafe {
                        let block = if zeroed {
                            Mimalloc.alloc_zeroed(layout)
                        } else {
                            Mimalloc.alloc(layout)
                        };
                        assert!(!block.is_null());
                        assert_eq!(block as usize % align, 0, "{size} bytes at {align}");
                        if zeroed {
                            let bytes = std::slice::from_raw_parts(block, size);
                            assert!(bytes.iter().all(|b| *b == 0), "{size} bytes zeroed");
                        }
                        block.write_bytes(0xa5, size);
                        block
                    };
                    held.push((block, layout));
                }
            }
        }
        for (block, layout) in &mut held {
            let (size, align) = (layout.size(), layout.align());
            let grown = Layout::from_size_align(size * 3, align).expect("a valid layout");
            // SAFETY: the block came from this allocator with `layout`.
            unsafe {
                let moved = Mimalloc.realloc(*block, *layout, grown.size());
                assert_eq!(moved as usize % align, 0, "{size} grown at {align}");
                assert_eq!(moved.add(size - 1).read(), 0xa5, "kept on growing");
                *block = moved;
            }
            *layout = grown;
        }
        for (block, layout) in held {
            // SAFETY: each block came from `realloc` above with this layout.
            unsafe { Mimalloc.dealloc(block, layout) };
        }
        // Both kinds of call were made.
        assert!(plain > 500, "{plain}");
    }
}
