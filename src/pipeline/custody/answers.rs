//! The answers harvests received, read once and indexed by run, line and the SHA-256 of each
//! user object's bytes, so that verifying a million records is a million lookups, not a
//! million searches.
//! A run is a directory holding `responses.jsonl`; the index reads one run, or every run in a
//! directory of runs (a data directory's `runs/`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::answer_line::answer_users;
use crate::pipeline::harvest::outputs::RESPONSES_FILE;

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

/// One user object an answer held: the SHA-256 of its bytes and where they are.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AnsweredUser {
    sha256: [u8; 32],
    /// Its bytes: `texts[run][start..start + len]`.
    start: usize,
    len: u32,
    run: u32,
    /// Its responses.jsonl line (1-based).
    line: u32,
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
    /// Every user object read, run by run and line by line, in the order received: a record
    /// names its answer's run and line, so proving it looks at that line's hundred users or so,
    /// and records proved in the order they were harvested read this list in order.
    users: Vec<AnsweredUser>,
    /// Per run, where each line's users begin in `users`: line `n`'s are
    /// `line_starts[run][n - 1]..line_starts[run][n]`.
    line_starts: Vec<Vec<usize>>,
    /// The first place of each distinct user object by its hash, built the first time a record
    /// that names no answer (harvested before records did) asks for one. Keyed by SHA-256
    /// digests: already uniform, so the quick hasher spreads them well.
    by_hash: OnceLock<FxHashMap<[u8; 32], usize>>,
    /// The directory of runs this index was read from, when it is a data directory's.
    runs_dir: Option<PathBuf>,
    /// 200 answers read, and lines that were not one (a torn last line, an error answer).
    pub answers: usize,
    pub other_lines: usize,
}

/// A user object's hash and its bytes' place in the run's text.
type HashedUser = ([u8; 32], usize, u32);

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
        // The lines are found first (memchr), then each is checked as UTF-8, read, and its
        // users hashed on every core; the index is filled after, in the order of the lines.
        let bytes: &[u8] = &map;
        let base = bytes.as_ptr() as usize;
        let mut lines = Vec::with_capacity(bytes.len() / 4096 + 1);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', bytes) {
            lines.push(start..end);
            start = end + 1;
        }
        // A last line without its line end (a torn write) is still a line.
        if start < bytes.len() {
            lines.push(start..bytes.len());
        }
        let read: Vec<Option<Vec<HashedUser>>> = lines
            .into_par_iter()
            .map(|range| {
                let line = std::str::from_utf8(&bytes[range]).ok()?;
                let users = answer_users(line)?;
                Some(
                    users
                        .into_iter()
                        .map(|u| {
                            let sha = crate::digest::sha256(u.as_bytes());
                            (sha, u.as_ptr() as usize - base, u.len() as u32)
                        })
                        .collect(),
                )
            })
            .collect();
        let found: usize = read.iter().flatten().map(Vec::len).sum();
        self.users.reserve(found);
        let mut starts = Vec::with_capacity(read.len() + 1);
        starts.push(self.users.len());
        for (at, users) in read.into_iter().enumerate() {
            match users {
                Some(users) => {
                    self.answers += 1;
                    let line = at as u32 + 1;
                    self.users
                        .extend(users.into_iter().map(|(sha256, start, len)| AnsweredUser {
                            sha256,
                            start,
                            len,
                            run,
                            line,
                        }));
                }
                None => self.other_lines += 1,
            }
            starts.push(self.users.len());
        }
        self.line_starts.push(starts);
        self.texts.push(map);
        Ok(())
    }

    /// The bytes of a user object, as received.
    fn text_of(&self, user: &AnsweredUser) -> &str {
        let bytes = &self.texts[user.run as usize][user.start..user.start + user.len as usize];
        // Its line was checked as UTF-8, and a place starts and ends on ASCII delimiters.
        std::str::from_utf8(bytes).expect("a user object's place is UTF-8 text")
    }

    /// The bytes of the user object hashing to `sha256_hex` that line `line` of run number
    /// `run` holds, if it holds one.
    pub fn user_at(&self, run: u32, line: u64, sha256_hex: &str) -> Option<&str> {
        let sha = crate::digest::sha256_from_hex(sha256_hex)?;
        let starts = self.line_starts.get(run as usize)?;
        let at = usize::try_from(line).ok()?.checked_sub(1)?;
        let (from, to) = (*starts.get(at)?, *starts.get(at + 1)?);
        let user = self.users[from..to].iter().find(|u| u.sha256 == sha)?;
        Some(self.text_of(user))
    }

    /// The first place an answer held the user object hashing to `sha256_hex`: run number,
    /// line and bytes.
    pub fn user_by_hash(&self, sha256_hex: &str) -> Option<(u32, u64, &str)> {
        let sha = crate::digest::sha256_from_hex(sha256_hex)?;
        let by_hash = self.by_hash.get_or_init(|| {
            let mut map = FxHashMap::default();
            map.reserve(self.users.len());
            for (i, u) in self.users.iter().enumerate() {
                map.entry(u.sha256).or_insert(i);
            }
            map
        });
        let user = &self.users[*by_hash.get(&sha)?];
        Some((user.run, u64::from(user.line), self.text_of(user)))
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

    /// User objects read (each time an answer held one).
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
        let sha = crate::digest::sha256_hex(user.as_bytes());
        assert_eq!(index.user_at(0, 2, &sha), Some(user));
        assert_eq!(index.user_at(0, 1, &sha), None, "another line");
        assert_eq!(index.user_at(0, 4, &sha), None, "no such line");
        assert_eq!(index.user_at(1, 2, &sha), None, "no such run");
        assert_eq!(index.user_by_hash(&sha), Some((0, 2, user)));
        assert_eq!((index.answers, index.other_lines), (1, 2));
        assert!(index.user_by_hash(&"0".repeat(64)).is_none());
        assert!(index.user_at(0, 2, "not hex").is_none());
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
