//! The answers harvests received, read once and indexed by the SHA-256 of each user object's
//! bytes, so that verifying a million records is a million lookups, not a million searches.
//! A run is a directory holding `responses.jsonl`; the index reads one run, or every run in a
//! directory of runs (a data directory's `runs/`).

use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::pipeline::harvest::outputs::{RESPONSES_FILE, StoredAnswer};
use crate::pipeline::harvest::xapi::UsersBody;

#[derive(Debug, thiserror::Error)]
pub enum AnswersError {
    #[error("cannot read the runs in {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} holds no run (no responses.jsonl in it or in a directory under it)")]
    NoRun(PathBuf),
}

/// One user object of an answer: where its bytes are, and every place an answer held exactly
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct AnsweredUser {
    text: UserText,
    /// `(run index, responses.jsonl line)`, in the order read.
    pub places: Vec<(u32, u64)>,
}

/// Where a user object's bytes are kept: inside its run's `responses.jsonl` text, held by the
/// index (the common case: no copy), or copied (a body only the full parse could read).
#[derive(Debug, Clone, PartialEq)]
enum UserText {
    InRun { run: u32, start: usize, end: usize },
    Copied(Box<str>),
}

/// The answers of the runs read.
#[derive(Debug, Default)]
pub struct AnswerIndex {
    runs: Vec<(String, PathBuf)>,
    /// Each run's `responses.jsonl`, which the user objects' places point into (each place
    /// inside a line checked as UTF-8).
    texts: Vec<memmap2::Mmap>,
    /// Run number by id: looked up once per record.
    run_numbers: FxHashMap<String, u32>,
    /// Keyed by SHA-256 digests: already uniform, so the quick hasher spreads them well.
    users: FxHashMap<[u8; 32], AnsweredUser>,
    /// The directory of runs this index was read from, when it is a data directory's.
    runs_dir: Option<PathBuf>,
    /// 200 answers read, and lines that were not one (a torn last line, an error answer).
    pub answers: usize,
    pub other_lines: usize,
}

/// A user object's hash and its bytes: their place in the run's text, or a copy.
type HashedUser = ([u8; 32], Result<(usize, usize), Box<str>>);

impl AnswerIndex {
    /// The runs at `path`: one run directory, or a directory whose subdirectories are runs.
    pub fn open(path: &Path) -> Result<AnswerIndex, AnswersError> {
        let mut index = AnswerIndex::default();
        if path.join(RESPONSES_FILE).is_file() {
            index.read_run(path)?;
            return Ok(index);
        }
        let entries = std::fs::read_dir(path).map_err(|source| AnswersError::Dir {
            path: path.to_path_buf(),
            source,
        })?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join(RESPONSES_FILE).is_file())
            .collect();
        if dirs.is_empty() {
            return Err(AnswersError::NoRun(path.to_path_buf()));
        }
        dirs.sort();
        for dir in dirs {
            index.read_run(&dir)?;
        }
        Ok(index)
    }

    /// The runs of a data directory (`DIR/runs/`); none yet is an empty index.
    pub fn of_data_dir(root: &Path) -> Result<AnswerIndex, AnswersError> {
        let runs = root.join("runs");
        let mut index = match AnswerIndex::open(&runs) {
            Err(AnswersError::NoRun(_)) => AnswerIndex::default(),
            Err(AnswersError::Dir { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                AnswerIndex::default()
            }
            other => other?,
        };
        index.runs_dir = Some(runs);
        Ok(index)
    }

    /// The data directory's `runs/` this index was read from (see [`AnswerIndex::of_data_dir`]).
    pub fn runs_dir(&self) -> Option<&Path> {
        self.runs_dir.as_deref()
    }

    fn read_run(&mut self, dir: &Path) -> Result<(), AnswersError> {
        let path = dir.join(RESPONSES_FILE);
        let read_err = |source| AnswersError::Read {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::open(&path).map_err(read_err)?;
        // Mapped, not read: the answers of a large run are hundreds of megabytes, which a read
        // would copy into fresh memory the kernel must first clear. SAFETY: a run's
        // responses.jsonl is only ever appended to (by its harvest), never rewritten; an append
        // while it is mapped lies past the mapped length and is not seen.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(read_err)?;
        let run = self.runs.len() as u32;
        let id = crate::pipeline::harvest::xapi::run_id(dir);
        self.run_numbers.insert(id.clone(), run);
        self.runs.push((id, dir.to_path_buf()));
        // Each line is checked as UTF-8, read, and its users hashed on every core (lines split
        // at their ASCII line ends stay whole characters); the index is filled after.
        let bytes: &[u8] = &map;
        let base = bytes.as_ptr() as usize;
        let mut read: Vec<Option<Vec<HashedUser>>> = bytes
            .par_split(|b| *b == b'\n')
            .map(|line| {
                let line = std::str::from_utf8(line).ok()?;
                let stored = StoredAnswer::read(line)?;
                if stored.status != Some(200) {
                    return None;
                }
                let body = stored.body?;
                let hashed = |bytes: &str| crate::digest::sha256(bytes.as_bytes());
                // The bytes of each user, found in place; the full parse only for a body the
                // quick reading cannot take (it may still be one `UsersBody::parse` accepts).
                if let Some(users) = UsersBody::user_texts(body) {
                    return Some(
                        users
                            .into_iter()
                            .map(|u| {
                                let start = u.as_ptr() as usize - base;
                                (hashed(u), Ok((start, start + u.len())))
                            })
                            .collect(),
                    );
                }
                let body = UsersBody::parse(body.get().as_bytes()).ok()?;
                Some(
                    body.data
                        .into_iter()
                        .map(|u| (hashed(u.text.get()), Err(u.text.get().into())))
                        .collect(),
                )
            })
            .collect();
        // The piece after the last line end is no line.
        if bytes.last() == Some(&b'\n') || bytes.is_empty() {
            read.pop();
        }
        // Sized once: growing a map of a million users rehashes and moves it several times.
        let found: usize = read.iter().flatten().map(Vec::len).sum();
        self.users.reserve(found);
        for (at, users) in read.into_iter().enumerate() {
            let Some(users) = users else {
                self.other_lines += 1;
                continue;
            };
            self.answers += 1;
            let line = at as u64 + 1;
            for (key, place) in users {
                self.users
                    .entry(key)
                    .or_insert_with(|| AnsweredUser {
                        text: match place {
                            Ok((start, end)) => UserText::InRun { run, start, end },
                            Err(copy) => UserText::Copied(copy),
                        },
                        places: Vec::new(),
                    })
                    .places
                    .push((run, line));
            }
        }
        self.texts.push(map);
        Ok(())
    }

    /// The bytes of a user object, as received.
    pub fn text_of<'i>(&'i self, user: &'i AnsweredUser) -> &'i str {
        match &user.text {
            UserText::InRun { run, start, end } => {
                // Its line was checked as UTF-8, and a place starts and ends on ASCII delimiters.
                std::str::from_utf8(&self.texts[*run as usize][*start..*end])
                    .expect("a user object's place is UTF-8 text")
            }
            UserText::Copied(text) => text,
        }
    }

    /// The number of the run of this id, if it was read.
    pub fn run_number(&self, run: &str) -> Option<u32> {
        self.run_numbers.get(run).copied()
    }

    /// Whether a run of this id was read.
    pub fn has_run(&self, run: &str) -> bool {
        self.run_numbers.contains_key(run)
    }

    /// The id and directory of run number `index`.
    pub fn run(&self, index: u32) -> (&str, &Path) {
        let (id, dir) = &self.runs[index as usize];
        (id, dir)
    }

    /// The user object whose bytes hash to `sha256_hex`, if an answer held it.
    pub fn user(&self, sha256_hex: &str) -> Option<&AnsweredUser> {
        self.users.get(&crate::digest::sha256_from_hex(sha256_hex)?)
    }

    /// Distinct user objects indexed.
    pub fn users(&self) -> usize {
        self.users.len()
    }

    /// Where the runs were read from, for messages.
    pub fn describe(&self) -> String {
        match self.runs.as_slice() {
            [] => "no run".into(),
            [(id, _)] => format!("run {id}"),
            runs => format!("{} runs", runs.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(dir: &Path, lines: &[&str]) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(RESPONSES_FILE), lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn users_are_found_by_the_hash_of_their_bytes_at_their_run_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let user = r#"{"id":"1","name":"A","username":"a"}"#;
        run_with(
            &tmp.path().join("r1"),
            &[
                r#"{"status":429,"body":{"title":"Too Many Requests"}}"#,
                &format!(r#"{{"status":200,"body":{{"data":[{user}]}}}}"#),
                r#"{"status":200,"body":{"data":[{"id":"2""#,
            ],
        );
        let index = AnswerIndex::open(tmp.path()).unwrap();
        assert!(index.has_run("r1"));
        let found = index
            .user(&crate::digest::sha256_hex(user.as_bytes()))
            .unwrap();
        assert_eq!(index.text_of(found), user);
        assert_eq!(found.places, vec![(0, 2)]);
        assert_eq!((index.answers, index.other_lines), (1, 2));
        assert!(index.user(&"0".repeat(64)).is_none());
    }

    #[test]
    fn a_directory_without_runs_is_an_error_and_a_data_dir_without_runs_is_empty() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            AnswerIndex::open(tmp.path()),
            Err(AnswersError::NoRun(_))
        ));
        assert_eq!(AnswerIndex::of_data_dir(tmp.path()).unwrap().users(), 0);
    }
}
