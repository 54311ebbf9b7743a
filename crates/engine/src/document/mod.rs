//! Documents: what a path the user dropped becomes ([`source`]): PDFs and images recognised by their bytes,
//! folders of images as one document. Opening reads page counts and sizes only: rendering and the documents
//! a user has open live in the `render` and `library` modules, above this one.

pub mod source;
