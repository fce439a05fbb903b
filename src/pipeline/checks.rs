//! Rules on a single record that several steps apply alike (audit, merge, score and the console
//! through `audit::facts`): the published schema, the placeholder detectors, and the language
//! of a user's bio.

pub mod language;
pub mod placeholders;
pub mod schema;
