//! Data source types, one file each.

pub mod catalog;
