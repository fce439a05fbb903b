//! Rules on a single record that several steps apply alike (audit, merge, score and the console
//! through `audit::facts`): the published schema and the placeholder detectors.

pub mod placeholders;
pub mod schema;
