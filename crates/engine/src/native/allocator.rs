//! The C allocator's settings, made once before the native libraries allocate.

/// Makes the C heap give large blocks back to the system as soon as they are freed.
///
/// glibc serves blocks under its mmap threshold from heaps it keeps, and raises that threshold each time a
/// large block is freed, up to 32 MB: the inference arena's regions and page images then stay resident after
/// they are freed, as "other" memory nothing can use. A fixed threshold keeps every block of 1 MB or more in
/// its own mapping, unmapped on free; smaller ones are trimmed from the top of the heap past 8 MB. Called
/// once, as early as possible; later calls do nothing.
pub fn configure_allocator() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // For measuring what the setting is worth: `FOLIO_MALLOC_DEFAULTS=1` leaves glibc as it is.
        if std::env::var_os("FOLIO_MALLOC_DEFAULTS").is_some() {
            return;
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes glibc's tuning parameters.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 8 << 20);
        }
    });
}
