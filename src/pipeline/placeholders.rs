//! Sample-data placeholder detectors (contract only; detectors land from the `audit` branch).

use serde::Serialize;

use crate::dataset::Record;

/// One reason to suspect a record is sample data, in words, with the rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceholderFlag {
    /// Short stable id of the detector (`placeholder_name`, `snowflake_mismatch`, ...).
    pub detector: &'static str,
    /// The reason in plain words, with the evidence.
    pub reason: String,
}

/// Record-level flags: detectors that need only the record itself.
pub fn record_flags(_record: &Record) -> Vec<PlaceholderFlag> {
    Vec::new()
}
