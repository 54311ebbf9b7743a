//! Tauri commands, grouped by domain. Each one takes state, calls one engine function and returns.

pub mod export;
pub mod jobs;
pub mod library;
pub mod memory;
pub mod models;
pub mod search;
pub mod store;
