//! The embed stage (being written).
