//! The command line refuses a flag that would be ignored (issue 12): live
//! capture's flags without `--live`, recorded input with it, `--rate` and
//! `--channels` without `--raw`. Each refusal is clap's usage error,
//! before any audio is opened or any model loaded.

mod common;

use common::*;

/// Runs `bin ARGS…` and returns its stderr, asserting a usage error (exit
/// status 2, clap's message naming `needle`).
fn refused(bin_name: &str, args: &[&str], needle: &str) -> String {
    let o = bin(bin_name).args(args).output().unwrap();
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?} should be refused: {err}"
    );
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err}"
    );
    err
}

#[test]
fn live_only_flags_need_live() {
    let f = fixture("audio/db-failover.flac");
    for flag in [
        vec!["--device", "mic"],
        vec!["--out", "incident"],
        vec!["--duration", "5"],
        vec!["--stop-after-silence", "5"],
        vec!["--reconnect"],
        vec!["--partials"],
    ] {
        let err = refused("transcribe", &flag, "--live");
        assert!(err.contains("required"), "{err}");
        let mut sub = vec!["transcribe"];
        sub.extend(&flag);
        refused("hotwash", &sub, "--live");
        // With a file, the flag would be ignored as much as without --live.
        let mut with_file = flag.clone();
        with_file.push(s(&f));
        let err = refused("transcribe", &with_file, flag[0]);
        assert!(err.contains("cannot be used with"), "{err}");
    }
}

#[test]
fn recorded_input_conflicts_with_live() {
    let f = fixture("audio/db-failover.flac");
    let track = format!("a={}", s(&f));
    for (args, flag) in [
        (vec!["--live", s(&f)], "FILE"),
        (vec!["--live", "--track", &track], "--track"),
        (vec!["--live", "--split-channels"], "--split-channels"),
        (vec!["--live", "--raw", "s16le"], "--raw"),
        (
            vec!["--live", "--start-time", "2026-03-14T09:02:00Z"],
            "--start-time",
        ),
    ] {
        let err = refused("transcribe", &args, flag);
        assert!(err.contains("cannot be used with"), "{err}");
    }
}

#[test]
fn raw_format_flags_need_raw() {
    let f = fixture("audio/db-failover.flac");
    for flag in ["--rate", "--channels"] {
        let err = refused("transcribe", &[flag, "2", s(&f)], "--raw");
        assert!(err.contains("required"), "{err}");
    }
}

#[test]
fn bad_values_are_one_line() {
    for (args, flag) in [
        (vec!["--start-time", "09:02", "x.flac"], "--start-time"),
        (vec!["--track", "maya", "x.flac"], "--track"),
    ] {
        let o = transcribe(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(lines[0].contains(flag), "{err}");
    }
    let o = bin("hotwash")
        .args(["postmortem", "x.json", "--start-time", "tomorrow"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("RFC 3339"), "{}", stderr(&o));
}

#[test]
fn the_old_start_time_names_still_parse() {
    // `--start-utc` (postmortem's old name) is an alias of `--start-time`
    // on both commands: a bad value is refused under the new name.
    let o = transcribe(&["--start-utc", "soon", "x.flac"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--start-time"), "{}", stderr(&o));
    let o = bin("hotwash")
        .args(["postmortem", "x.json", "--start-utc", "soon"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--start-time"), "{}", stderr(&o));
    // A good value under the old name gets past parsing (to the missing file).
    let o = bin("hotwash")
        .args([
            "postmortem",
            "/nonexistent/x.json",
            "--start-utc",
            "2026-10-06T14:10:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no such file"), "{}", stderr(&o));
}
