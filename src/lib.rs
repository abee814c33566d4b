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

/// Parses the command line into `P`. A value a flag's parser refuses
/// (`--track a=`, `--workers 0`, `--start-time 9am`) is said in one line on
/// stderr, like every other refusal; other usage errors, `--help` and
/// `--version` are clap's own.
pub fn parse_args<P: clap::Parser>() -> P {
    P::try_parse().unwrap_or_else(|e| {
        if e.kind() == clap::error::ErrorKind::ValueValidation {
            let text = e.render().to_string();
            eprintln!("{}", text.lines().next().unwrap_or("error: invalid value"));
            std::process::exit(e.exit_code());
        }
        e.exit()
    })
}
