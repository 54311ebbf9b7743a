//! Control: what keeps a running job inside the user's memory budget ([`budget`]) and what picks batch sizes
//! on the user's own pages ([`autotune`]). The worker carries out the budget's actions; nothing here runs
//! a model by itself except through the pipeline.

pub mod autotune;
pub mod budget;
