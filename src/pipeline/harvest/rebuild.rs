//! Answers an earlier attempt kept but never journaled: a run killed between an answer's line in
//! responses.jsonl and its batch's journal line. The line names its batch, its request (the
//! handles in its path, or the page it read) and holds the whole body, so a resume builds that
//! batch's records from it instead of asking X again: no request is asked twice, ever, and no
//! user is billed twice. Not here: writing the records or the journal (the engine does, as for
//! any answered batch).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::batch::{AnsweredBatch, Batch, Finish, build_answered, build_page, lookup_evidence};
use super::outputs::RESPONSES_FILE;
use super::page::PageAsk;
use super::xapi::{AnswerPlace, LookupBy, UsersBody, run_id};
use crate::dataset::parse_time;

/// What a kept answer line says of itself (the fields `batch::run_batch` writes).
#[derive(Deserialize)]
struct KeptAnswer<'a> {
    batch: Option<usize>,
    path: Option<&'a str>,
    status: Option<u16>,
    sent_at: Option<&'a str>,
    #[serde(default)]
    page: Option<PageAsk>,
    #[serde(borrow)]
    body: Option<&'a RawValue>,
}

/// A batch rebuilt from its kept answer, and the answer's line.
#[derive(Debug)]
pub(super) struct Rebuilt {
    pub batch: Batch,
    pub answered: AnsweredBatch,
    pub response_line: u64,
}

/// The handles a lookup path asked for (`usernames=a,b` or `ids=1,2`).
fn asked_in(path: &str) -> Option<(Vec<String>, LookupBy)> {
    let query = path.split_once('?')?.1;
    for pair in query.split('&') {
        if let Some(v) = pair.strip_prefix("usernames=") {
            return Some((
                v.split(',').map(str::to_string).collect(),
                LookupBy::Usernames,
            ));
        }
        if let Some(v) = pair.strip_prefix("ids=") {
            return Some((v.split(',').map(str::to_string).collect(), LookupBy::Ids));
        }
    }
    None
}

/// Every batch of `run_dir` whose last answer is a 200 kept in responses.jsonl but whose
/// number the journal does not hold (`journaled`), rebuilt as the engine would have built it.
pub(super) fn unjournaled(
    run_dir: &Path,
    journaled: &HashSet<usize>,
    finish: &Finish,
) -> std::io::Result<Vec<Rebuilt>> {
    let text = match std::fs::read_to_string(run_dir.join(RESPONSES_FILE)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    // The last line of each batch decides: a 5xx then a 200 is answered, a 200 is final.
    let mut last: BTreeMap<usize, (u64, &str)> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let Ok(kept) = serde_json::from_str::<KeptAnswer<'_>>(line) else {
            continue;
        };
        if let Some(n) = kept.batch.filter(|n| !journaled.contains(n)) {
            last.insert(n, (i as u64 + 1, line));
        }
    }
    let run = run_id(run_dir);
    let mut out = Vec::new();
    for (number, (response_line, line)) in last {
        let Ok(kept) = serde_json::from_str::<KeptAnswer<'_>>(line) else {
            continue;
        };
        let (Some(200), Some(body), Some(sent_at)) =
            (kept.status, kept.body, kept.sent_at.and_then(parse_time))
        else {
            continue;
        };
        let Ok(body) = UsersBody::parse(body.get().as_bytes()) else {
            continue;
        };
        let place = AnswerPlace {
            run: run.clone(),
            response_line,
        };
        let built = rebuild(number, kept.path, kept.page, body, &place, sent_at, finish);
        if let Some((batch, answered)) = built {
            out.push(Rebuilt {
                batch,
                answered,
                response_line,
            });
        }
    }
    Ok(out)
}

fn rebuild(
    number: usize,
    path: Option<&str>,
    page: Option<PageAsk>,
    body: UsersBody,
    place: &AnswerPlace,
    sent_at: DateTime<Utc>,
    finish: &Finish,
) -> Option<(Batch, AnsweredBatch)> {
    if let Some(page) = page {
        let answered = build_page(&page, body, place, sent_at, finish);
        return Some((Batch::page(number, page), answered));
    }
    let (handles, by) = asked_in(path?)?;
    let evidence = lookup_evidence(by, number);
    let answered = build_answered(&handles, body, place, sent_at, &evidence, finish, by);
    Some((Batch::lookup(number, handles), answered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_path_names_the_handles_or_ids_it_asked_for() {
        let (h, by) = asked_in("/2/users/by?usernames=a,B_c&user.fields=x%2Cy").unwrap();
        assert_eq!(
            (h, by),
            (
                vec!["a".to_string(), "B_c".to_string()],
                LookupBy::Usernames
            )
        );
        let (h, by) = asked_in("/2/users?ids=1,22&user.fields=x").unwrap();
        assert_eq!(
            (h, by),
            (vec!["1".to_string(), "22".to_string()], LookupBy::Ids)
        );
        assert!(asked_in("/2/lists/1/members?max_results=100").is_none());
    }
}
