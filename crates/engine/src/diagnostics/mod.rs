//! Diagnostics: telling warm-up from leak. The [`sentinel`] watches a running job page by page; its slope
//! fitting is what `folio soak` reports too.

pub mod sentinel;
