//! oppie: the workflow command for Terraform projects. `oppie drift` finds drift (live
//! infrastructure that no longer matches state), rates it with the policy library, suggests how to
//! revert or accept it, and keeps its history.
//!
//! The pieces: [`drift::plan`] reads drift out of plan JSON, [`drift::severity`] rates it,
//! [`drift::unmanaged`] finds what no state manages, [`remediate`] suggests fixes, [`revert`]
//! applies reverts, [`report`] renders, [`history`] records scans (SQLite or PostgreSQL), [`notify`]
//! and [`github_issue`] alert, [`watch`] schedules scans and serves their metrics.

pub mod drift;
pub mod github_issue;
pub mod history;
pub mod notify;
pub mod remediate;
pub mod report;
pub mod revert;
pub mod watch;
