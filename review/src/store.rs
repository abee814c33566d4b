//! The incident record behind the page: read once, changed one reviewer
//! action at a time, and written back (with every rendering) after each.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use chrono::Utc;
use hotwash_postmortem::review::{
    add_item, apply_change, Addition, Change, ItemReview, ReviewError,
};
use hotwash_postmortem::{read_record, render_again, IncidentRecord};

use crate::error::ServeError;

/// Called after every save with the incident directory and the files
/// written (the command line uses it to keep the directory's manifest).
pub type SavedHook = Arc<dyn Fn(&Path, &[PathBuf]) + Send + Sync>;

/// Why a reviewer's change was not saved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The change itself was refused (stale, unknown item, bad value).
    #[error(transparent)]
    Review(#[from] ReviewError),
    /// The record or a rendering could not be written.
    #[error(transparent)]
    Save(#[from] hotwash_postmortem::Error),
}

/// The record as last read or written, and the file's modification time then.
struct Held {
    record: IncidentRecord,
    stamp: Option<SystemTime>,
}

/// The record of one incident directory, shared by every request. When
/// the file changes under the server (`hotwash postmortem` run again), the
/// next request reads it again.
pub struct Store {
    dir: PathBuf,
    held: Mutex<Held>,
    on_saved: Option<SavedHook>,
}

fn stamp(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

impl Store {
    /// Reads `dir/incident.json` (a `/1` record is migrated in memory and
    /// written as the current schema on the first change).
    pub fn open(dir: &Path, on_saved: Option<SavedHook>) -> Result<Store, ServeError> {
        if !dir.is_dir() {
            return Err(ServeError::NoDir(dir.to_path_buf()));
        }
        let path = dir.join("incident.json");
        if !path.is_file() {
            return Err(ServeError::NoRecord(dir.to_path_buf()));
        }
        let stamp = stamp(&path);
        let record = read_record(&path)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            held: Mutex::new(Held { record, stamp }),
            on_saved,
        })
    }

    /// The incident directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self) -> PathBuf {
        self.dir.join("incident.json")
    }

    /// The held record, read again first when the file changed since.
    fn lock(&self) -> MutexGuard<'_, Held> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let now = stamp(&self.path());
        if now != held.stamp {
            if let Ok(r) = read_record(&self.path()) {
                held.record = r;
                held.stamp = now;
            }
        }
        held
    }

    /// A copy of the record as it stands.
    pub fn snapshot(&self) -> IncidentRecord {
        self.lock().record.clone()
    }

    /// Writes the record and every rendering; the in-memory record changes
    /// only once the files are written.
    fn commit(&self, held: &mut Held, next: IncidentRecord) -> Result<(), StoreError> {
        let written = render_again(&next, &self.dir)?;
        held.record = next;
        held.stamp = stamp(&self.path());
        if let Some(hook) = &self.on_saved {
            hook(&self.dir, &written);
        }
        Ok(())
    }

    /// Applies and saves one change.
    pub fn change(&self, change: &Change) -> Result<ItemReview, StoreError> {
        let mut held = self.lock();
        let mut next = held.record.clone();
        let review = apply_change(&mut next, change, Utc::now())?;
        self.commit(&mut held, next)?;
        Ok(review)
    }

    /// Adds and saves an item; returns its key.
    pub fn add(&self, addition: &Addition) -> Result<String, StoreError> {
        let mut held = self.lock();
        let mut next = held.record.clone();
        let key = add_item(&mut next, addition, Utc::now())?;
        self.commit(&mut held, next)?;
        Ok(key)
    }
}
