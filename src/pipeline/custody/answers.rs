//! The answers harvests received, read once and indexed by run, line and the SHA-256 of each
//! user object's bytes, so that verifying a million records is a million lookups, not a
//! million searches.
//! A run is a directory holding `responses.jsonl`; the index reads one run, or every run in a
//! directory of runs (a data directory's `runs/`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::answer_fields::{AnswerFields, FieldPlaces};
use super::answer_line::answer_users;
use crate::pipeline::data_dir::DataDir;
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
    /// Where its API fields' texts lie in its bytes, noted while the index read them (`None`:
    /// too large to place; read again when asked).
    places: Option<FieldPlaces>,
}

/// A user object found for a record: its bytes as received and what they say of the API fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserAnswer<'i> {
    pub text: &'i str,
    pub fields: AnswerFields<'i>,
}

/// The user objects of one responses.jsonl line, in the order received; `None`: the line is
/// not a 200 answer with users (an error answer, a torn last line).
type LineUsers = Option<AnsweredLine>;

/// One answer line's users, and the first eight bytes of each one's hash on their own: finding
/// a record's user among a line's hundred reads those 800 bytes, not the users' 10 KB.
#[derive(Debug)]
struct AnsweredLine {
    prefixes: Vec<u64>,
    users: Vec<AnsweredUser>,
}

impl AnsweredLine {
    fn new(users: Vec<AnsweredUser>) -> AnsweredLine {
        AnsweredLine {
            prefixes: users.iter().map(|u| prefix(&u.sha256)).collect(),
            users,
        }
    }

    fn find(&self, sha: &[u8; 32]) -> Option<&AnsweredUser> {
        let want = prefix(sha);
        let mut at = 0;
        while let Some(k) = self.prefixes[at..].iter().position(|p| *p == want) {
            let user = &self.users[at + k];
            if user.sha256 == *sha {
                return Some(user);
            }
            at += k + 1;
        }
        None
    }
}

fn prefix(sha: &[u8; 32]) -> u64 {
    u64::from_le_bytes(sha[..8].try_into().expect("eight bytes"))
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
    /// Per run, per line, the user objects read: a record names its answer's run and line, so
    /// proving it looks at that line's hundred users or so. Kept line by line as the parallel
    /// read made them, not copied into one list after it (that copy ran on one core).
    lines: Vec<Vec<LineUsers>>,
    /// The first place (run, line index, position) of each distinct user object by its hash,
    /// built the first time a record that names no answer (harvested before records did) asks
    /// for one. Keyed by SHA-256 digests: already uniform, so the quick hasher spreads them.
    by_hash: OnceLock<FxHashMap<[u8; 32], (u32, u32, u32)>>,
    /// The directory of runs this index was read from, when it is a data directory's.
    runs_dir: Option<PathBuf>,
    /// 200 answers read, and lines that were not one (a torn last line, an error answer).
    pub answers: usize,
    pub other_lines: usize,
}

impl AnswerIndex {
    /// The runs at `path`: one run directory, or a directory whose subdirectories are runs.
    pub(crate) fn open(path: &Path) -> Result<AnswerIndex, AnswersError> {
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
    pub fn of_data_dir(data_dir: &DataDir) -> Result<AnswerIndex, AnswersError> {
        let runs = data_dir.runs_dir();
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
    pub(crate) fn runs_dir(&self) -> Option<&Path> {
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
        let read = read_lines(&map);
        let answers = read.iter().filter(|users| users.is_some()).count();
        self.answers += answers;
        self.other_lines += read.len() - answers;
        self.lines.push(read);
        self.texts.push(map);
        Ok(())
    }
}

/// Every line of a run's answers, read on every core: the text is cut into a stretch per
/// piece of work at line ends, and each stretch's lines are found (memchr), checked as UTF-8,
/// read, and their users hashed and placed where they lie; the lists are joined in order.
/// (Finding the lines of 500 MB first, on one core, was a tenth of the index's time.)
fn read_lines(bytes: &[u8]) -> Vec<LineUsers> {
    const STRETCH: usize = 8 << 20;
    let base = bytes.as_ptr() as usize;
    let mut stretches = Vec::with_capacity(bytes.len() / STRETCH + 1);
    let mut start = 0;
    while start < bytes.len() {
        let end = match memchr::memchr(b'\n', &bytes[(start + STRETCH).min(bytes.len())..]) {
            Some(at) => (start + STRETCH).min(bytes.len()) + at + 1,
            None => bytes.len(),
        };
        stretches.push(&bytes[start..end]);
        start = end;
    }
    let read_line = |line: &[u8]| -> LineUsers {
        let line = std::str::from_utf8(line).ok()?;
        let users = answer_users(line)?;
        Some(AnsweredLine::new(
            users
                .into_iter()
                .map(|u| AnsweredUser {
                    sha256: crate::digest::sha256(u.text.as_bytes()),
                    start: u.text.as_ptr() as usize - base,
                    len: u.text.len() as u32,
                    places: u.places,
                })
                .collect(),
        ))
    };
    let read: Vec<Vec<LineUsers>> = stretches
        .into_par_iter()
        .map(|stretch| {
            let mut lines = Vec::with_capacity(stretch.len() / 4096 + 1);
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', stretch) {
                lines.push(read_line(&stretch[start..end]));
                start = end + 1;
            }
            // A last line without its line end (a torn write) is still a line.
            if start < stretch.len() {
                lines.push(read_line(&stretch[start..]));
            }
            lines
        })
        .collect();
    read.into_iter().flatten().collect()
}

impl AnswerIndex {
    /// A user object: its bytes as received, and its fields from the places noted.
    fn answer_of(&self, run: u32, user: &AnsweredUser) -> UserAnswer<'_> {
        let bytes = &self.texts[run as usize][user.start..user.start + user.len as usize];
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: its line was checked as UTF-8 when the index read it (`read_run`), and a
        // user object's place starts at a `{` and ends at a `}`, so it splits no character.
        // Checking its bytes again for every record proved was a tenth of the proof's time.
        let text = unsafe { std::str::from_utf8_unchecked(bytes) };
        let fields = match &user.places {
            Some(places) => AnswerFields::placed(text, places),
            None => AnswerFields::read(text),
        };
        UserAnswer { text, fields }
    }

    /// The user object hashing to `sha256_hex` that line `line` of run number `run` holds, if
    /// it holds one.
    pub(crate) fn user_at(&self, run: u32, line: u64, sha256_hex: &str) -> Option<UserAnswer<'_>> {
        let sha = crate::digest::sha256_from_hex(sha256_hex)?;
        let at = usize::try_from(line).ok()?.checked_sub(1)?;
        let line = self.lines.get(run as usize)?.get(at)?.as_ref()?;
        Some(self.answer_of(run, line.find(&sha)?))
    }

    /// The first place an answer held the user object hashing to `sha256_hex`: run number,
    /// line and the object.
    pub(crate) fn user_by_hash(&self, sha256_hex: &str) -> Option<(u32, u64, UserAnswer<'_>)> {
        let sha = crate::digest::sha256_from_hex(sha256_hex)?;
        let by_hash = self.by_hash.get_or_init(|| {
            let mut map = FxHashMap::default();
            map.reserve(self.users());
            for (run, lines) in self.lines.iter().enumerate() {
                for (at, users) in lines.iter().enumerate() {
                    let users = users.iter().flat_map(|l| &l.users);
                    for (k, u) in users.enumerate() {
                        map.entry(u.sha256)
                            .or_insert((run as u32, at as u32, k as u32));
                    }
                }
            }
            map
        });
        let &(run, at, k) = by_hash.get(&sha)?;
        let user = &self.lines[run as usize][at as usize].as_ref()?.users[k as usize];
        Some((run, u64::from(at) + 1, self.answer_of(run, user)))
    }

    /// The number of the run of this id, if it was read.
    pub(crate) fn run_number(&self, run: &str) -> Option<u32> {
        self.run_numbers.get(run).copied()
    }

    /// Whether a run of this id was read.
    pub(crate) fn has_run(&self, run: &str) -> bool {
        self.run_numbers.contains_key(run)
    }

    /// The id and directory of run number `index`.
    pub(crate) fn run(&self, index: u32) -> (&str, &Path) {
        let (id, dir) = &self.runs[index as usize];
        (id, dir)
    }

    /// User objects read (each time an answer held one).
    pub(crate) fn users(&self) -> usize {
        let lines = self.lines.iter().flatten().flatten();
        lines.map(|l| l.users.len()).sum()
    }

    /// Where the runs were read from, for messages.
    pub(crate) fn describe(&self) -> String {
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
        let found = index.user_at(0, 2, &sha).unwrap();
        assert_eq!(found.text, user);
        assert_eq!(found.fields, AnswerFields::read(user));
        assert_eq!(found.fields.get("handle"), Some(r#""a""#));
        assert_eq!(index.user_at(0, 1, &sha), None, "another line");
        assert_eq!(index.user_at(0, 4, &sha), None, "no such line");
        assert_eq!(index.user_at(1, 2, &sha), None, "no such run");
        assert_eq!(index.user_by_hash(&sha), Some((0, 2, found)));
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
        assert_eq!(
            AnswerIndex::of_data_dir(&DataDir::new(tmp.path()))
                .unwrap()
                .users(),
            0
        );
    }
}
