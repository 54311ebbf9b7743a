//! The process's C allocator: jemalloc, linked in place of the C library's `malloc` so that Rust, ONNX
//! Runtime and pdfium all allocate from it (docs/decisions/allocator-settings.md).
//!
//! glibc's heaps kept free space in pages shared with live blocks: over a long run RSS between pages moved by
//! megabytes with what the last pages had freed, and crept up with the number of page and tensor sizes seen.
//! jemalloc keeps blocks of one size class together and returns whole free pages.

use std::ffi::CStr;

// Linking the crate is what replaces `malloc`, `free` and the rest for the whole process.
use tikv_jemalloc_sys as jemalloc;

/// Makes freed memory leave the resident set at once: every arena, and every arena created later, gives
/// free pages back to the system as soon as they are free (decay times of 0) instead of after ten seconds.
/// Page images, arena regions and pdfium's caches then leave RSS when they are freed, so the memory panel's
/// parts add up and a budget can hold. Called once, as early as possible; later calls do nothing.
pub fn configure_allocator() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // For measuring what the setting is worth: `FOLIO_MALLOC_DEFAULTS=1` leaves jemalloc as it is (or as
        // `MALLOC_CONF` sets it).
        if std::env::var_os("FOLIO_MALLOC_DEFAULTS").is_some() {
            return;
        }
        for name in [c"arenas.dirty_decay_ms", c"arenas.muzzy_decay_ms"] {
            write_isize(name, 0);
        }
        let arenas = read::<u32>(c"arenas.narenas").unwrap_or(0);
        for arena in 0..arenas {
            for setting in ["dirty_decay_ms", "muzzy_decay_ms"] {
                // Arenas not yet created refuse the setting; they take the default above when they are.
                if let Ok(name) = std::ffi::CString::new(format!("arena.{arena}.{setting}")) {
                    write_isize(&name, 0);
                }
            }
        }
    });
}

/// What the C heap holds: bytes handed out and not yet freed, and bytes it keeps resident beyond them (free
/// space in pages it still uses, and its own bookkeeping).
pub fn heap_statistics() -> HeapStatistics {
    // The statistics are a snapshot refreshed by advancing the epoch.
    let mut epoch: u64 = 1;
    // SAFETY: "epoch" takes a u64; the pointer is valid for the call.
    unsafe {
        jemalloc::mallctl(c"epoch".as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), (&raw mut epoch).cast(), std::mem::size_of::<u64>());
    }
    let allocated = read::<usize>(c"stats.allocated").unwrap_or(0) as u64;
    let resident = read::<usize>(c"stats.resident").unwrap_or(0) as u64;
    HeapStatistics { in_use_bytes: allocated, free_resident_bytes: resident.saturating_sub(allocated) }
}

/// See [`heap_statistics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeapStatistics {
    pub in_use_bytes: u64,
    pub free_resident_bytes: u64,
}

/// Bytes the calling thread has allocated and not freed itself, ever: jemalloc counts each thread's
/// allocations and frees exactly (by size class, the same for a block's allocation and its free). A difference
/// across a call on one thread is what that call kept, whatever other threads do meanwhile and whatever sits
/// in the thread's cache of freed blocks. A block freed by another thread stays counted here.
pub fn thread_heap_balance() -> i64 {
    let allocated = read::<u64>(c"thread.allocated").unwrap_or(0);
    let deallocated = read::<u64>(c"thread.deallocated").unwrap_or(0);
    allocated as i64 - deallocated as i64
}

/// The bytes the C heap counts for a vector's buffer (its size class, not its capacity), 0 when it has none.
pub fn vec_block_bytes<T>(buffer: &Vec<T>) -> u64 {
    // SAFETY: a vector with capacity owns one heap block starting at its pointer.
    unsafe { block_bytes(buffer.as_ptr().cast(), buffer.capacity() * std::mem::size_of::<T>()) }
}

/// [`vec_block_bytes`] for a string.
pub fn string_block_bytes(text: &String) -> u64 {
    // SAFETY: as for a vector: a string with capacity owns one heap block starting at its pointer.
    unsafe { block_bytes(text.as_ptr().cast(), text.capacity()) }
}

/// # Safety
/// When `capacity_bytes` is not 0, `start` is the start of a block allocated through the C heap (Rust's
/// system allocator is `malloc`, which is jemalloc's).
unsafe fn block_bytes(start: *const libc::c_void, capacity_bytes: usize) -> u64 {
    if capacity_bytes == 0 {
        return 0;
    }
    jemalloc::malloc_usable_size(start) as u64
}

/// Gives every free page of every arena back to the system now (whatever the decay times).
pub fn release_free_pages() {
    // 4096 is jemalloc's index for every arena at once; "purge" takes no value and returns none.
    // SAFETY: no pointers are passed.
    unsafe {
        jemalloc::mallctl(c"arena.4096.purge".as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut(), 0);
    }
}

/// Hands the calling thread's cache of freed blocks back to the heap. jemalloc keeps small blocks a thread
/// frees (or that another thread allocated and this one freed) for that thread's next allocations; a thread
/// that goes idle keeps them, and each keeps the slab of same-sized blocks it lies in from being given back.
/// Given back, a slab whose blocks are all free leaves the resident set (the settled floors of a soak are 2 MB
/// lower for it; BENCHMARKS.md).
pub fn release_thread_cache() {
    // "thread.tcache.flush" takes no value and returns none; it fails only where the thread has no cache.
    // SAFETY: no pointers are passed.
    unsafe {
        jemalloc::mallctl(c"thread.tcache.flush".as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut(), 0);
    }
}

/// Sets a decay time; arenas not yet created refuse it, which is not an error here.
fn write_isize(name: &CStr, value: isize) {
    let mut value = value;
    // SAFETY: the decay settings take an ssize_t; the pointer is valid for the call.
    unsafe {
        jemalloc::mallctl(name.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut(), (&raw mut value).cast(), std::mem::size_of::<isize>());
    }
}

/// Reads a statistic or setting of type `T` (the type jemalloc documents for `name`).
fn read<T: Default>(name: &CStr) -> Option<T> {
    let mut value = T::default();
    let mut size = std::mem::size_of::<T>();
    // SAFETY: `T` is the named value's type; jemalloc writes at most `size` bytes into `value`.
    let status = unsafe { jemalloc::mallctl(name.as_ptr(), (&raw mut value).cast(), &mut size, std::ptr::null_mut(), 0) };
    (status == 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes this thread has allocated through jemalloc, ever.
    fn allocated_by_this_thread() -> u64 {
        read::<u64>(c"thread.allocated").unwrap()
    }

    #[test]
    fn libraries_loaded_at_run_time_bind_to_jemalloc() {
        // ONNX Runtime and pdfium are opened with dlopen: their `malloc` is whatever the global scope names.
        let names: [(&CStr, *const ()); 6] = [
            (c"malloc", jemalloc::malloc as *const ()),
            (c"free", jemalloc::free as *const ()),
            (c"calloc", jemalloc::calloc as *const ()),
            (c"realloc", jemalloc::realloc as *const ()),
            (c"posix_memalign", jemalloc::posix_memalign as *const ()),
            (c"aligned_alloc", jemalloc::aligned_alloc as *const ()),
        ];
        for (name, ours) in names {
            // SAFETY: dlsym only looks the name up.
            let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
            assert_eq!(found as *const (), ours, "{name:?} resolves to jemalloc's");
        }
    }

    #[test]
    fn the_c_librarys_malloc_is_jemalloc() {
        let before = allocated_by_this_thread();
        // SAFETY: a plain malloc/free pair through the C library's names, as ONNX Runtime and pdfium call them.
        let block = unsafe { libc::malloc(3 << 20) };
        assert!(!block.is_null());
        let after = allocated_by_this_thread();
        unsafe { libc::free(block) };
        assert!(after >= before + (3 << 20), "jemalloc counted {before} → {after} bytes allocated by this thread");
    }

    #[test]
    fn a_threads_balance_counts_what_it_keeps_and_not_what_others_do() {
        let before = thread_heap_balance();
        // SAFETY: plain malloc/free pairs through the C library's names.
        let kept = unsafe { libc::malloc(1 << 20) };
        let freed = unsafe { libc::malloc(2 << 20) };
        unsafe { libc::free(freed) };
        // Another thread allocating and keeping 4 MB meanwhile does not show here.
        let other = std::thread::spawn(|| unsafe { libc::malloc(4 << 20) } as usize).join().unwrap();
        let kept_here = thread_heap_balance() - before;
        unsafe {
            libc::free(kept);
            libc::free(other as *mut libc::c_void);
        }
        assert!((1 << 20..(1 << 20) + (64 << 10)).contains(&kept_here), "this thread kept {kept_here} bytes");
    }
}
