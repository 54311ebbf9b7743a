//! Diagnostics: telling warm-up from leak. The [`sentinel`] watches a running job page by page; [`soak`]
//! samples RSS floors and fits the report `folio soak` prints.

pub mod sentinel;
pub mod soak;
