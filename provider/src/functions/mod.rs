//! Provider-defined functions (`provider::oppie::...`), one file each.

pub mod name;
pub mod subnet_cidrs;
