//! The orientation stage (being written).
