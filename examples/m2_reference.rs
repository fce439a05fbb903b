//! Rebuilds the frozen M2 reference tables from a dataset and prints them as JSON:
//!
//! ```text
//! cargo run --example m2_reference -- tests/fixtures/latest-2025-11-14.jsonl > assets/m2/reference.json
//! ```
//!
//! The reference population is every record with activity metrics and a follower count. The file
//! must read completely: a reference built from part of a dataset would silently differ.

use std::path::Path;
use std::process::ExitCode;

use influx::dataset::read_dataset;
use influx::pipeline::score::{build_reference, bundled_lexicon};

fn main() -> ExitCode {
    let Some(source) = std::env::args().nth(1) else {
        eprintln!("usage: m2_reference DATASET.jsonl > assets/m2/reference.json");
        return ExitCode::from(2);
    };
    let path = Path::new(&source);
    let dataset = match read_dataset(path).and_then(|d| d.require_complete(path)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("m2_reference: {e}");
            return ExitCode::from(2);
        }
    };
    match build_reference(&source, &dataset.records, &bundled_lexicon()) {
        Ok(reference) => {
            let json = serde_json::to_string_pretty(&reference).expect("the reference serialises");
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("m2_reference: {source}: {e}");
            ExitCode::from(2)
        }
    }
}
