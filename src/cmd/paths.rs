//! Guards on where outputs go: an output must never be one of the inputs.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::{bail, Result};

/// True when `a` and `b` both exist and are the same file (same device and
/// inode: catches `./x`, `../d/x`, symbolic and hard links alike).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Fails with one line when `output` is one of `inputs`, before anything
/// is opened for writing (so nothing is truncated).
pub fn refuse_output_onto_input<'a>(
    output: &Path,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> Result<()> {
    for input in inputs {
        if same_file(output, input) {
            bail!(
                "{}: the output is the input {}; refusing to overwrite the recording (choose another output path)",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}
