//! The merge plan: what merging some batch files into the current dataset would do (authors
//! added, updated, unchanged, stored duplicates collapsed, field conflicts, blocked records,
//! unreadable input), computed without writing anything. The stored dataset and the batches are
//! streamed: only their keys and places are held, and full records only for the authors the
//! merge resolves from several rows; a new author of one batch row stays a place in its file.
//! Not here: writing the result (see `merge::apply`).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;

use super::MergeError;
use super::batch::{
    BatchEvent, BatchFindings, BatchRows, scan_batches, schema_reasons, score_version,
};
use super::key_hash::{KeyMap, KeySet};
use super::keys::{LineKey, joins_id_owner};
pub use super::report::{BatchSummary, BlockedRecord, IdCollision, UnreadableInput, UpdatedAuthor};
use super::resolve::{Candidate, FieldConflict, Origin, OriginKind, display_key, resolve};
use super::store::{CurrentVersion, Store};
use super::stored_rows::{RowSpan, ScanError, scan_rows};
use rayon::prelude::*;

use super::manifest::ExternalEdit;
use crate::dataset::{Record, parse_line, spool};
use crate::pipeline::custody::AnswerIndex;
use crate::pipeline::data_dir::DataDir;

/// Choices the operator makes for a merge.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Merge records that are placeholder-flagged or schema-invalid; recorded in the history.
    pub allow_flagged: bool,
    /// Build on a stored `latest.jsonl` changed outside influx (its sha256 no longer the
    /// manifest's); the old and new sha256 are recorded in the history.
    pub accept_external_edit: bool,
}

/// What a merge would do. Built by [`plan`], carried out by `merge::apply`.
#[derive(Debug, Clone, Serialize)]
pub struct MergePlan {
    pub data_dir: PathBuf,
    /// The version the plan was made against (None: no dataset yet).
    pub base_version: Option<u64>,
    pub count_before: u64,
    pub count_after: u64,
    pub batches: Vec<BatchSummary>,
    /// Handles of new authors, in input order.
    pub added: Vec<String>,
    pub updated: Vec<UpdatedAuthor>,
    /// Authors in the batches whose stored record stays as it is.
    pub unchanged: usize,
    /// Stored authors that had several rows, folded into one.
    pub collapsed: Vec<UpdatedAuthor>,
    pub conflicts: Vec<FieldConflict>,
    pub blocked: Vec<BlockedRecord>,
    /// Records merged with schema violations their stored record already had (not blocked: a
    /// refresh of the metrics does not make them worse; the audit still counts them).
    pub carried: usize,
    pub unreadable: Vec<UnreadableInput>,
    pub id_collisions: Vec<IdCollision>,
    pub allow_flagged: bool,
    /// The stored file no longer hashes as its manifest says: changed outside influx.
    pub external_edit: Option<ExternalEdit>,
    pub accept_external_edit: bool,
    /// `meta.score_version` of the result, as counts (None = records without one).
    #[serde(skip)]
    pub(super) score_versions: HashMap<Option<String>, u64>,
    #[serde(skip)]
    pub(super) edits: Edits,
}

/// How the stored file becomes the new one, by record ordinal in the stored file.
#[derive(Debug, Clone, Default)]
pub(super) struct Edits {
    pub base_file: Option<PathBuf>,
    pub base_name: Option<String>,
    /// Where every stored row is in `base_file`, by ordinal: untouched rows are copied from there.
    pub spans: Vec<RowSpan>,
    /// The record to write instead of the stored row at this ordinal.
    pub replace: HashMap<u32, Record>,
    /// Stored rows folded into another one.
    pub drop: HashSet<u32>,
    /// New authors, written after the stored ones.
    pub append: Vec<NewAuthor>,
    /// Where the batch rows are, for the new authors written from them.
    pub batch: BatchRows,
}

/// A new author as the plan holds it.
#[derive(Debug, Clone)]
pub(super) enum NewAuthor {
    /// Resolved from several rows: the record to write.
    Merged(Box<Record>),
    /// One batch row, by index: read again and merged alone when written.
    Row(u32),
}

impl MergePlan {
    /// True when applying would not change the stored dataset.
    pub fn changes_nothing(&self) -> bool {
        self.base_version.is_some()
            && self.edits.replace.is_empty()
            && self.edits.drop.is_empty()
            && self.edits.append.is_empty()
    }

    /// True when `apply` may run: every input read, nothing blocked (or the operator allowed it).
    pub(crate) fn can_apply(&self) -> bool {
        self.unreadable.is_empty()
            && (self.blocked.is_empty() || self.allow_flagged)
            && (self.external_edit.is_none() || self.accept_external_edit)
    }
}

/// Groups rows that are one author: same folded handle; rows without a handle by id; a row whose
/// id belongs to a different handle stays apart (and is reported).
#[derive(Default)]
struct Authors {
    by_handle: KeyMap<String, u32>,
    by_id: KeyMap<String, u32>,
    /// Whether the author group (named by its first row) has a handle.
    named: KeySet<u32>,
    /// Rows beyond the first, for groups with more than one.
    more: KeyMap<u32, Vec<u32>>,
    /// (id, group that owns it, row that also claimed it).
    collisions: Vec<(String, u32, u32)>,
}

impl Authors {
    fn with_capacity(rows: usize) -> Authors {
        Authors {
            by_handle: KeyMap::with_capacity_and_hasher(rows, Default::default()),
            by_id: KeyMap::with_capacity_and_hasher(rows, Default::default()),
            named: KeySet::with_capacity_and_hasher(rows, Default::default()),
            ..Authors::default()
        }
    }

    /// Places row `row`; returns the group (its first row).
    fn place(&mut self, row: u32, id: Option<&str>, handle_key: Option<&str>) -> u32 {
        self.place_renamed(row, id, handle_key, &[])
    }

    /// [`Authors::place`] for a row that names the handles its author had before (`aliases`):
    /// a new handle whose id belongs to an author stored under one of them joins that author
    /// (a rename), instead of standing apart as an id collision.
    fn place_renamed(
        &mut self,
        row: u32,
        id: Option<&str>,
        handle_key: Option<&str>,
        aliases: &[String],
    ) -> u32 {
        let by_id = id.and_then(|id| self.by_id.get(id).copied());
        let group = match handle_key {
            Some(h) => match self.by_handle.get(h) {
                Some(&g) => g,
                None => {
                    let joins = |g: u32| {
                        joins_id_owner(
                            self.named.contains(&g),
                            |h| self.by_handle.get(h) == Some(&g),
                            aliases,
                        )
                    };
                    let g = match by_id {
                        Some(g) if joins(g) => g,
                        _ => row,
                    };
                    self.by_handle.insert(h.to_string(), g);
                    self.named.insert(g);
                    g
                }
            },
            None => by_id.unwrap_or(row),
        };
        if let Some(id) = id {
            match by_id {
                None => {
                    self.by_id.insert(id.to_string(), group);
                }
                Some(owner) if owner != group => {
                    self.collisions.push((id.to_string(), owner, row));
                }
                Some(_) => {}
            }
        }
        if group != row {
            self.more.entry(group).or_default().push(row);
        }
        group
    }

    /// Room for `rows` more rows.
    fn reserve(&mut self, rows: usize) {
        self.by_handle.reserve(rows);
        self.by_id.reserve(rows);
        self.named.reserve(rows);
    }

    fn rows(&self, group: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(group).chain(self.more.get(&group).into_iter().flatten().copied())
    }
}

/// Plans merging `batches` into the dataset in `data_dir`. Unreadable or blocked input does not
/// fail the plan: it is reported in it, and `apply` refuses such a plan.
pub fn plan(
    data_dir: &DataDir,
    batches: &[PathBuf],
    options: &MergeOptions,
) -> Result<MergePlan, MergeError> {
    let store = Store::new(data_dir);
    let current = store.current()?;

    // Pass 1 over the stored file: keys only.
    // Sized up front from the manifest's count: growing maps of a million keys rehashes them
    // all several times over on the scan's one serial thread.
    let expected_rows = current.as_ref().map_or(0, expected_rows);
    let mut authors = Authors::with_capacity(expected_rows);
    let mut versions: Vec<Option<String>> = Vec::new();
    let mut version_of_row: Vec<u16> = Vec::new();
    let mut spans: Vec<RowSpan> = Vec::new();
    let mut external_edit = None;
    if let Some(cur) = &current {
        version_of_row.reserve(expected_rows);
        spans.reserve(expected_rows);
        let sha256 = scan_keys(
            cur,
            &mut authors,
            &mut versions,
            &mut version_of_row,
            &mut spans,
        )?;
        external_edit = ExternalEdit::of(&cur.manifest, sha256);
    }
    // `scan_keys` refuses a row past u32::MAX, so this cannot truncate.
    let stored_rows = spans.len() as u32;

    // One pass over the batches: keys in input order, each row checked on its own on every
    // core; no record is kept.
    let mut touched: Vec<u32> = Vec::new();
    let mut seen_groups = KeySet::default();
    // A compressed batch is spooled on the disk the merge writes to.
    let spool_dir = spool::nearest_dir(data_dir.root());
    // The directory's own runs: a batch record its answer contradicts is blocked.
    let answers = AnswerIndex::of_data_dir(data_dir)?;
    let (batch, mut findings) = scan_batches(
        batches,
        &spool_dir,
        &answers,
        |rows: BatchEvent<'_>| match rows {
            BatchEvent::Expect(n) => {
                authors.reserve(n);
                seen_groups.reserve(n);
                touched.reserve(n);
            }
            BatchEvent::Row(i, key) => {
                let group =
                    authors.place_renamed(stored_rows + i, key.id, key.handle_key, key.aliases);
                if seen_groups.insert(group) {
                    touched.push(group);
                }
            }
        },
    );
    let mut groups: Vec<u32> = authors
        .more
        .keys()
        .copied()
        .filter(|g| *g < stored_rows && !seen_groups.contains(g))
        .collect();
    drop(seen_groups);
    groups.extend(touched);
    groups.sort_unstable();
    // A new author of one batch row: written from that row, which is never held here.
    let alone = |group: u32| group >= stored_rows && !authors.more.contains_key(&group);

    // Pass 2 over the stored file and the batches: full records of the rows the merge
    // resolves or reports.
    let mut wanted: HashSet<u32> = groups
        .iter()
        .filter(|g| !alone(**g))
        .flat_map(|g| authors.rows(*g))
        .collect();
    for (_, owner, row) in &authors.collisions {
        wanted.extend([*owner, *row]);
    }
    let stored_wanted: HashSet<u32> = wanted
        .iter()
        .copied()
        .filter(|r| *r < stored_rows)
        .collect();
    let stored = match &current {
        Some(cur) => read_rows(cur, &spans, &stored_wanted)?,
        None => HashMap::new(),
    };
    let batch_wanted: Vec<u32> = wanted
        .iter()
        .filter(|r| **r >= stored_rows)
        .map(|r| r - stored_rows)
        .collect();
    let incoming = read_batch_rows(&batch, &batch_wanted)?;
    let record_at = |row: u32| -> Option<(&Record, Origin)> {
        if row < stored_rows {
            stored.get(&row).map(|(line, r)| {
                let origin = Origin {
                    source: OriginKind::Dataset,
                    path: current.as_ref().map(|c| c.data_file()).unwrap_or_default(),
                    line: *line,
                };
                (r, origin)
            })
        } else {
            let i = row - stored_rows;
            incoming.get(&i).map(|r| (r, batch.origin(i)))
        }
    };

    let mut edits = Edits {
        base_file: current.as_ref().map(CurrentVersion::data_file),
        base_name: current.as_ref().map(|c| c.name.clone()),
        spans,
        ..Edits::default()
    };
    let mut counts: HashMap<Option<String>, u64> = HashMap::new();
    for v in &version_of_row {
        *counts.entry(versions[*v as usize].clone()).or_default() += 1;
    }
    let mut adjust = |version: Option<&str>, by: i64| {
        let n = counts.entry(version.map(str::to_string)).or_default();
        *n = n.saturating_add_signed(by);
    };

    let mut blocked = std::mem::take(&mut findings.blocked);
    let mut added = Vec::new();
    let mut updated = Vec::new();
    let mut collapsed = Vec::new();
    let mut unchanged = 0;
    let mut conflicts = Vec::new();
    // Merged records whose schema is checked once all are known, on every core.
    let mut to_check: Vec<(u32, Written)> = Vec::new();
    // Every author is resolved on its own, so on every core; the bookkeeping below stays in
    // group order.
    let resolving: Vec<u32> = groups.iter().copied().filter(|g| !alone(*g)).collect();
    let mut resolved = resolving
        .par_iter()
        .map(|group| {
            let candidates: Vec<Candidate> = authors
                .rows(*group)
                .filter_map(&record_at)
                .map(|(record, origin)| Candidate { record, origin })
                .collect();
            resolve(&candidates)
        })
        .collect::<Vec<_>>()
        .into_iter();
    drop(resolving);
    for group in groups {
        if alone(group) {
            let i = group - stored_rows;
            if let Some(reasons) = findings.alone_invalid.remove(&i) {
                blocked
                    .entry(i)
                    .or_insert_with(|| blocked_record(&batch, &findings, i))
                    .reasons
                    .extend(reasons);
            }
            let v = findings.version_of_row[i as usize];
            adjust(findings.versions[v as usize].as_deref(), 1);
            added.push(std::mem::take(&mut findings.names[i as usize]));
            edits.append.push(NewAuthor::Row(i));
            continue;
        }
        let (merged, found) = resolved
            .next()
            .expect("every group that is not alone was resolved");
        let rows: Vec<u32> = authors.rows(group).collect();
        let stored_here: Vec<u32> = rows.iter().copied().filter(|r| *r < stored_rows).collect();
        conflicts.extend(found);
        let handle = display_key(&merged);
        let first_incoming = rows
            .iter()
            .find(|r| **r >= stored_rows)
            .map(|r| r - stored_rows);
        match stored_here.first() {
            None => {
                if let Some(i) = first_incoming {
                    to_check.push((i, Written::Appended(edits.append.len())));
                }
                adjust(score_version(&merged), 1);
                added.push(handle);
                edits.append.push(NewAuthor::Merged(Box::new(merged)));
            }
            Some(&first) => {
                let before = stored.get(&first).map(|(_, r)| r);
                if stored_here.len() > 1 {
                    collapsed.push(UpdatedAuthor {
                        handle: handle.clone(),
                        stored_rows: stored_here.len(),
                    });
                }
                let from_batch = first_incoming.is_some();
                if stored_here.len() == 1 && before == Some(&merged) {
                    unchanged += 1;
                    continue;
                }
                if let Some(i) = first_incoming {
                    to_check.push((i, Written::Replacing(first)));
                }
                if from_batch {
                    updated.push(UpdatedAuthor {
                        handle,
                        stored_rows: stored_here.len(),
                    });
                }
                for row in &stored_here {
                    adjust(stored.get(row).and_then(|(_, r)| score_version(r)), -1);
                }
                for row in &stored_here[1..] {
                    edits.drop.insert(*row);
                }
                adjust(score_version(&merged), 1);
                edits.replace.insert(first, merged);
            }
        }
    }

    let findings_of_merged: Vec<(u32, Vec<String>, bool)> = to_check
        .par_iter()
        .filter_map(|(i, written)| {
            let (merged, before) = match written {
                Written::Appended(k) => match &edits.append[*k] {
                    NewAuthor::Merged(record) => (&**record, None),
                    NewAuthor::Row(_) => return None,
                },
                Written::Replacing(row) => (&edits.replace[row], stored.get(row).map(|(_, r)| r)),
            };
            // A schema violation the stored record already has is carried, not a new flag:
            // refreshing an author's metrics does not make the record worse (the audit still
            // counts it). One rule for `merge` and `refresh` alike.
            let had: Vec<String> = before.map(schema_reasons).unwrap_or_default();
            let reasons = schema_reasons(merged);
            let new = reasons.iter().any(|r| !had.contains(r));
            Some((*i, reasons, new))
        })
        .collect();
    let mut carried = 0;
    for (i, reasons, new) in findings_of_merged {
        // Carried: only violations it had, and nothing else blocks it. Blocked for any other
        // reason, it is named with every violation, old ones included.
        if !new && !reasons.is_empty() && !blocked.contains_key(&i) {
            carried += 1;
            continue;
        }
        if !reasons.is_empty() {
            blocked
                .entry(i)
                .or_insert_with(|| blocked_record(&batch, &findings, i))
                .reasons
                .extend(reasons);
        }
    }
    let id_collisions = collisions(&authors, &record_at);
    let count_before = u64::from(stored_rows);
    let count_after = count_before + edits.append.len() as u64 - edits.drop.len() as u64;
    drop(incoming);
    edits.batch = batch;
    Ok(MergePlan {
        data_dir: data_dir.root().to_path_buf(),
        base_version: current.as_ref().map(|c| c.manifest.version),
        count_before,
        count_after,
        batches: findings.summaries,
        added,
        updated,
        unchanged,
        collapsed,
        conflicts,
        blocked: blocked.into_values().collect(),
        carried,
        unreadable: findings.unreadable,
        id_collisions,
        allow_flagged: options.allow_flagged,
        external_edit,
        accept_external_edit: options.accept_external_edit,
        score_versions: counts,
        edits,
    })
}

/// Full records of the wanted batch rows (by index among the batch rows), read by position on
/// every core. A batch that changed since it was scanned is refused.
fn read_batch_rows(batch: &BatchRows, wanted: &[u32]) -> Result<HashMap<u32, Record>, MergeError> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let opened = batch.open_unchanged()?;
    let read = wanted
        .par_iter()
        .map(|i| Ok((*i, batch.record(*i, &opened)?)))
        .collect::<Result<HashMap<u32, Record>, MergeError>>()?;
    batch.still_unchanged(&opened)?;
    Ok(read)
}

/// Where a merged record that came from the batch goes.
enum Written {
    /// `edits.append[k]`, a resolved record.
    Appended(usize),
    /// `edits.replace[row]`.
    Replacing(u32),
}

fn blocked_record(batch: &BatchRows, findings: &BatchFindings, i: u32) -> BlockedRecord {
    let origin = batch.origin(i);
    BlockedRecord {
        path: origin.path,
        line: origin.line,
        handle: findings.names[i as usize].clone(),
        reasons: Vec::new(),
    }
}

fn stored_error(cur: &CurrentVersion, e: impl std::fmt::Display) -> MergeError {
    MergeError::StoredUnreadable {
        path: cur.data_file(),
        reason: e.to_string(),
    }
}

/// The manifest's count, bounded by what the data file can hold (a row takes at least 3 bytes),
/// so that a wrong manifest cannot make the merge reserve more than the file warrants.
fn expected_rows(cur: &CurrentVersion) -> usize {
    let most = std::fs::metadata(cur.data_file()).map_or(0, |m| m.len() / 3);
    cur.manifest.count.min(most) as usize
}

/// Reads the key and place of every stored row, in file order (which matching depends on).
fn scan_keys(
    cur: &CurrentVersion,
    authors: &mut Authors,
    versions: &mut Vec<Option<String>>,
    version_of_row: &mut Vec<u16>,
    spans: &mut Vec<RowSpan>,
) -> Result<String, MergeError> {
    let rows = |e: ScanError| stored_error(cur, e);
    scan_rows(&cur.data_file(), |span, key: LineKey<'_>| {
        let row = u32::try_from(spans.len()).map_err(|_| ScanError::TooLong {
            line: span.line as usize,
        })?;
        authors.place(row, key.id.as_deref(), key.handle_key.as_deref());
        let score_version = key.score_version.as_deref();
        let v = match versions.iter().position(|v| v.as_deref() == score_version) {
            Some(i) => i,
            None => {
                versions.push(score_version.map(str::to_string));
                versions.len() - 1
            }
        };
        version_of_row.push(u16::try_from(v).unwrap_or(u16::MAX));
        spans.push(span);
        Ok::<(), ScanError>(())
    })
    .map_err(rows)
}

/// Full records of the wanted stored rows, with their line numbers, read by position.
fn read_rows(
    cur: &CurrentVersion,
    spans: &[RowSpan],
    wanted: &HashSet<u32>,
) -> Result<HashMap<u32, (usize, Record)>, MergeError> {
    use std::os::unix::fs::FileExt;
    let mut out = HashMap::with_capacity(wanted.len());
    if wanted.is_empty() {
        return Ok(out);
    }
    let path = cur.data_file();
    let file = std::fs::File::open(&path).map_err(|e| stored_error(cur, e))?;
    let mut rows: Vec<u32> = wanted.iter().copied().collect();
    rows.sort_unstable();
    // Each row is read by position and parsed on its own, so they spread over every core.
    let read: Vec<(u32, (usize, Record))> = rows
        .par_iter()
        .map(|&row| {
            let span = spans[row as usize];
            let line = span.line as usize;
            let mut buf = vec![0; span.len as usize];
            file.read_exact_at(&mut buf, span.start)
                .map_err(|e| stored_error(cur, e))?;
            let text = std::str::from_utf8(&buf)
                .map_err(|_| stored_error(cur, crate::dataset::LineError::NotUtf8 { line }))?;
            let record = parse_line(line, text).map_err(|e| stored_error(cur, e))?;
            Ok((row, (line, record)))
        })
        .collect::<Result<_, MergeError>>()?;
    out.extend(read);
    Ok(out)
}

fn collisions<'a>(
    authors: &Authors,
    record_at: &impl Fn(u32) -> Option<(&'a Record, Origin)>,
) -> Vec<IdCollision> {
    let mut out: Vec<IdCollision> = Vec::new();
    for (id, owner, row) in &authors.collisions {
        let handles: Vec<String> = [*owner, *row]
            .iter()
            .filter_map(|r| record_at(*r).map(|(rec, _)| display_key(rec)))
            .collect();
        match out.iter_mut().find(|c| &c.id == id) {
            Some(c) => {
                for h in handles {
                    if !c.handles.contains(&h) {
                        c.handles.push(h);
                    }
                }
            }
            None => out.push(IdCollision {
                id: id.clone(),
                handles,
            }),
        }
    }
    out
}
