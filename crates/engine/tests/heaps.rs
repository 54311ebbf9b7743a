//! The C heap: however many threads allocate, they share the heaps `configure_allocator` allows.
//!
//! A file of its own, so the test runs in a process where nothing allocated from other threads first.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn threads_share_a_bounded_number_of_heaps() {
    use std::sync::{Arc, Barrier};

    folio_engine::memory::configure_allocator();
    // Eight threads allocating at once: left to itself, glibc gives each of them a heap of its own.
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let blocks: Vec<Vec<u8>> = (0..2000).map(|n| vec![i as u8; 64 + n % 512]).collect();
                barrier.wait();
                blocks.iter().map(|b| b.len()).sum::<usize>()
            })
        })
        .collect();
    for handle in handles {
        assert!(handle.join().unwrap() > 0);
    }
    let heaps = heap_count();
    assert!(heaps >= 1, "malloc_info lists at least the main heap");
    assert!(
        heaps <= folio_engine::memory::HEAP_ARENAS as usize,
        "{heaps} heaps for {threads} threads; configure_allocator allows {}",
        folio_engine::memory::HEAP_ARENAS
    );
}

/// Heaps glibc has made, from `malloc_info`'s report.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap_count() -> usize {
    let mut buffer: *mut libc::c_char = std::ptr::null_mut();
    let mut size: libc::size_t = 0;
    // SAFETY: open_memstream allocates the buffer and updates both pointers on fclose; malloc_info only
    // writes into the stream; the buffer is freed once copied.
    let report = unsafe {
        let stream = libc::open_memstream(&mut buffer, &mut size);
        assert!(!stream.is_null(), "open_memstream");
        assert_eq!(libc::malloc_info(0, stream), 0, "malloc_info");
        libc::fclose(stream);
        let report = std::slice::from_raw_parts(buffer as *const u8, size).to_vec();
        libc::free(buffer.cast());
        String::from_utf8_lossy(&report).into_owned()
    };
    report.matches("<heap nr=").count()
}
