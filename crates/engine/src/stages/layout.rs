//! The layout stage (being written).
