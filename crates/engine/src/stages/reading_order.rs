//! The reading_order stage (being written).
