//! Chain of custody: each record that claims an API source is proved against the raw answer it
//! came from, or said not to be. A harvest keeps every answer (`runs/<run>/responses.jsonl`)
//! and each record names its answer (`meta.custody`: run, line, sha256 of the user object's
//! bytes). Verification finds that answer, checks that it hashes as recorded, and compares the
//! record's API fields with it. One function ([`verify`]) for audit, merge and the console.
//!
//! The parts: `answers` (the runs' answers, read and indexed once), `answer_line` (the user
//! objects of one responses.jsonl line, found in one pass), `answer_fields` (what each
//! answer says of the API fields, read when a record is proved against it), `claim` (what a record says about
//! its source, read raw or from a parsed record), `verify` (the comparison).

mod answer_fields;
mod answer_line;
mod answers;
mod claim;
mod verify;

pub use answers::{AnswerIndex, AnswersError};
pub use claim::{Claim, CustodyRef, newest_ref};
pub(crate) use verify::{Custody, FieldDiff, verify, verify_one, verify_record};
