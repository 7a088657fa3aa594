//! oppie: the workflow command for Terraform projects. `oppie drift` finds drift (live
//! infrastructure that no longer matches state), rates it with the policy library, suggests how to
//! revert or accept it, and keeps its history.
//!
//! The pieces: [`drift::plan`] reads drift out of plan JSON, [`drift::severity`] rates it,
//! [`remediate`] suggests fixes, [`report`] renders, [`history`] records scans in SQLite.

pub mod drift;
pub mod history;
pub mod remediate;
pub mod report;
