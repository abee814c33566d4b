//! hotwash: turn an incident's war-room call into an auditable postmortem,
//! offline. This library holds the command-line front ends shared by the
//! `hotwash` and `transcribe` binaries; the work is done by the
//! `hotwash-engine`, `hotwash-models` and `hotwash-postmortem` crates.

pub mod cmd;
pub mod eval;

/// Runs a command's body and turns its outcome into a process exit code,
/// printing an error as one line (`error: what: why`) on stderr.
pub fn exit_code(result: anyhow::Result<i32>) -> i32 {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}
