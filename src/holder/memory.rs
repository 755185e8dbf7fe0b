//! Giving memory back. A holder spends most of its life idle, and fifty of
//! them should cost little more than one: what starting up or a burst of
//! output touched and no longer uses goes back to the system.

use nix::libc;

/// Returns the heap's free pages to the system: glibc keeps freed memory
/// mapped for reuse otherwise (setup's allocations, client buffers after a
/// flood).
pub fn release_free_heap() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only releases memory that is free.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// How much stack below the caller is kept resident: the poll loop's own
/// depth. Deeper pages used later are simply faulted in again.
const STACK_KEPT: usize = 16 * 1024;
const PAGE: usize = 4096;

/// Releases the stack pages that starting up touched (argument parsing,
/// SQLite, JSON) below what the caller will use from here on: they would
/// stay resident, and private, for the holder's whole life. Only on the
/// main thread (the holder's loop runs there); elsewhere it does nothing.
#[inline(never)]
pub fn release_unused_stack() {
    let marker = 0u8;
    let here = std::ptr::addr_of!(marker) as usize;
    let Some((low, high)) = main_stack() else {
        return;
    };
    if let Some((start, len)) = releasable(low, high, here) {
        // SAFETY: [start, start + len) is the part of this thread's stack
        // mapping more than STACK_KEPT below the live frames: nothing lives
        // there now, and MADV_DONTNEED on private anonymous memory makes
        // it read back as zeroes if it is ever used again.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED);
        }
    }
}

/// The range of the stack mapping `low..high` that lies more than
/// STACK_KEPT below `here`, if `here` is on that stack.
fn releasable(low: usize, high: usize, here: usize) -> Option<(usize, usize)> {
    if !(low..high).contains(&here) {
        return None;
    }
    let end = here.saturating_sub(STACK_KEPT) & !(PAGE - 1);
    (end > low).then(|| (low, end - low))
}

/// The main thread's stack mapping.
fn main_stack() -> Option<(usize, usize)> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let line = maps.lines().find(|l| l.ends_with("[stack]"))?;
    let (range, _) = line.split_once(' ')?;
    let (low, high) = range.split_once('-')?;
    Some((
        usize::from_str_radix(low, 16).ok()?,
        usize::from_str_radix(high, 16).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_stack_well_below_the_caller_is_released() {
        let (low, high) = (0x7000_0000, 0x7010_0000);
        let here = 0x700f_0123;
        let (start, len) = releasable(low, high, here).unwrap();
        assert_eq!(start, low);
        assert_eq!(start + len, (here - STACK_KEPT) & !(PAGE - 1));
        assert!(start + len <= here - STACK_KEPT);
        // Not on that stack (another thread's): nothing.
        assert_eq!(releasable(low, high, 0x6000_0000), None);
        assert_eq!(releasable(low, high, high), None);
        // Too shallow to release anything.
        assert_eq!(releasable(low, high, low + 100), None);
    }

    #[test]
    fn the_main_stack_is_found() {
        let (low, high) = main_stack().expect("a [stack] mapping");
        assert!(low < high);
    }
}
