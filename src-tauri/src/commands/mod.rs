//! Tauri commands, grouped by domain. Each one takes state, calls one engine function and returns.

pub mod jobs;
pub mod library;
pub mod memory;
pub mod store;
