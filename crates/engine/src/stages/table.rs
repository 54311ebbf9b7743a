//! The table stage (being written).
