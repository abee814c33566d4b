//! Misuse and kills (issue 14): outputs onto inputs, clashing names,
//! killed runs, re-runs over earlier results, and resource requests beyond
//! the machine. Every refusal is one line on stderr and a non-zero exit.

mod common;

use std::path::Path;

use common::*;

fn one_line_error(o: &std::process::Output) -> String {
    assert!(!o.status.success(), "should fail: {}", stderr(o));
    let err = stderr(o);
    assert!(!err.contains("panicked"), "panic: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    lines[0].to_string()
}

#[test]
fn transcribe_refuses_to_write_onto_its_input() {
    let d = tempfile::tempdir().unwrap();
    let v = d.path().join("v.flac");
    std::fs::copy(fixture("audio/db-failover.flac"), &v).unwrap();
    let before = std::fs::read(&v).unwrap();
    let o = transcribe(&["-q", "-o", s(&v), s(&v)]);
    let line = one_line_error(&o);
    assert!(line.contains("v.flac"), "{line}");
    assert_eq!(
        std::fs::read(&v).unwrap(),
        before,
        "the recording was changed"
    );
    // The same file under another name: a symbolic link, a hard link, `./`.
    let sym = d.path().join("sym.flac");
    std::os::unix::fs::symlink(&v, &sym).unwrap();
    let hard = d.path().join("hard.flac");
    std::fs::hard_link(&v, &hard).unwrap();
    for out in [&sym, &hard] {
        let o = transcribe(&["-q", "-f", "json", "-o", s(out), s(&v)]);
        one_line_error(&o);
        assert_eq!(std::fs::read(&v).unwrap(), before, "{}", out.display());
    }
    let o = bin("transcribe")
        .current_dir(d.path())
        .args(["-q", "-o", "./v.flac", "--track", "a=v.flac"])
        .output()
        .unwrap();
    one_line_error(&o);
    assert_eq!(std::fs::read(&v).unwrap(), before);
}

#[test]
fn postmortem_refuses_to_write_onto_its_input() {
    let d = tempfile::tempdir().unwrap();
    let inc = d.path().join("incident.json");
    std::fs::copy(fixture("audio/db-failover.ref.json"), &inc).unwrap();
    let before = std::fs::read(&inc).unwrap();
    let o = bin("hotwash")
        .args(["postmortem", s(&inc), "-o", s(d.path())])
        .output()
        .unwrap();
    let line = one_line_error(&o);
    assert!(line.contains("incident.json"), "{line}");
    assert_eq!(std::fs::read(&inc).unwrap(), before);
    // An earlier transcript in the output directory, given again as input
    // next to the audio it came from.
    let t = d.path().join("db-failover.transcript.json");
    std::fs::copy(fixture("audio/db-failover.ref.json"), &t).unwrap();
    let o = bin("hotwash")
        .args(["postmortem", s(&t)])
        .arg(fixture("audio/db-failover.flac"))
        .args(["-o", s(d.path())])
        .output()
        .unwrap();
    one_line_error(&o);
    assert_eq!(std::fs::read(&t).unwrap(), before);
    assert!(!Path::new(&d.path().join("postmortem.md")).exists());
}

fn read_json(p: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn postmortem_gives_inputs_with_one_stem_their_own_transcripts() {
    let Some(jfk) = shared("real/jfk.wav") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let sub = d.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let a = d.path().join("jfk.wav");
    std::fs::copy(&jfk, &a).unwrap();
    let b = sub.join("jfk.wav");
    std::fs::copy(&jfk, &b).unwrap();
    let pm = d.path().join("pm");
    let o = bin("hotwash")
        .args(["postmortem", s(&a), s(&b), s(&a), "-o", s(&pm)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let first = read_json(&pm.join("jfk.transcript.json"));
    let second = read_json(&pm.join("jfk-2.transcript.json"));
    for t in [&first, &second] {
        assert_eq!(t["schema"], "hotwash.transcript/1");
        assert!(!t["utterances"].as_array().unwrap().is_empty(), "{t}");
    }
    let record = read_json(&pm.join("incident.json"));
    let recs = record["recordings"].as_array().unwrap();
    assert_eq!(recs.len(), 2, "each recording once: {recs:?}");
    let paths: Vec<&str> = recs.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert!(
        paths.iter().any(|p| p.ends_with("jfk.transcript.json")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.ends_with("jfk-2.transcript.json")),
        "{paths:?}"
    );
    assert!(stderr(&o).contains("reading it once"), "{}", stderr(&o));
}
