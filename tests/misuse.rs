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

/// Starts `transcribe ARGS…` and sends it `signal` after `after`; returns
/// its exit code (None when the signal killed it).
fn signal_after(args: &[&str], signal: &str, after: std::time::Duration) -> Option<i32> {
    let mut child = bin("transcribe")
        .args(args)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let k = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(k.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("transcribe did not stop after {signal}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

const PRIOR: &str = "{\"schema\": \"hotwash.transcript/1\", \"prior\": true}\n";

#[test]
fn sigterm_finishes_like_ctrl_c_and_keeps_the_json_whole() {
    let d = tempfile::tempdir().unwrap();
    let prior = d.path().join("prior.json");
    std::fs::write(&prior, PRIOR).unwrap();
    let audio = fixture("audio/db-failover.flac");
    let args = [
        "-q",
        "--workers",
        "1",
        "--threads",
        "1",
        "-f",
        "json",
        "-o",
        s(&prior),
        s(&audio),
    ];
    let code = signal_after(&args, "-TERM", std::time::Duration::from_millis(1200));
    assert_eq!(code, Some(143), "SIGTERM should exit 143");
    let text = std::fs::read_to_string(&prior).unwrap();
    if text != PRIOR {
        let doc: serde_json::Value = serde_json::from_str(&text).expect("complete JSON");
        assert_eq!(doc["schema"], "hotwash.transcript/1");
        assert_eq!(doc["summary"]["stopped_early"], true, "{doc}");
    }
    let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "temporary files left: {names:?}");
}

#[test]
fn sigkill_never_leaves_a_half_written_json_and_streams_keep_whole_lines() {
    let d = tempfile::tempdir().unwrap();
    let prior = d.path().join("prior.json");
    std::fs::write(&prior, PRIOR).unwrap();
    let audio = fixture("audio/db-failover.flac");
    let args = [
        "-q",
        "--workers",
        "1",
        "--threads",
        "1",
        "--speakers",
        "off",
        "-f",
        "json",
        "-o",
        s(&prior),
        s(&audio),
    ];
    let code = signal_after(&args, "-KILL", std::time::Duration::from_millis(1500));
    assert_eq!(code, None);
    assert_eq!(std::fs::read_to_string(&prior).unwrap(), PRIOR);
    // Without diarization, so that utterances stream out before the kill
    // (a diarized stream holds them for the speaker turns until the end).
    let jsonl = d.path().join("t.jsonl");
    let args = [
        "-q",
        "--workers",
        "1",
        "--threads",
        "1",
        "--speakers",
        "off",
        "-f",
        "jsonl",
        "-o",
        s(&jsonl),
        s(&audio),
    ];
    signal_after(&args, "-KILL", std::time::Duration::from_millis(2500));
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "cut line: {text:?}"
    );
    for line in text.lines() {
        let u: serde_json::Value = serde_json::from_str(line).expect("whole JSON line");
        assert!(u["text"].is_string(), "{u}");
    }
}

fn postmortem(args: &[&str]) -> std::process::Output {
    bin("hotwash")
        .arg("postmortem")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn rerun_refuses_to_overwrite_hand_edits_and_other_incidents() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("INC");
    let t = d.path().join("call.json");
    std::fs::copy(fixture("audio/db-failover.ref.json"), &t).unwrap();
    let other = d.path().join("other.json");
    std::fs::copy(fixture("audio/live-check.ref.json"), &other).unwrap();
    let o = postmortem(&[s(&t), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join(".hotwash-manifest.json").is_file());
    // The same inputs again, nothing touched: replaced without fuss.
    let o = postmortem(&[s(&t), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A hand edit is never overwritten silently.
    let pm = out.join("postmortem.md");
    let edited = std::fs::read_to_string(&pm).unwrap() + "\nHand-written lessons.\n";
    std::fs::write(&pm, &edited).unwrap();
    let line = one_line_error(&postmortem(&[s(&t), "-o", s(&out)]));
    assert!(
        line.contains("postmortem.md") && line.contains("--force"),
        "{line}"
    );
    assert_eq!(std::fs::read_to_string(&pm).unwrap(), edited);
    // --keep-previous moves the edited version aside.
    let o = postmortem(&[s(&t), "-o", s(&out), "--keep-previous"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let aside: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("previous-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read_to_string(aside[0].path().join("postmortem.md")).unwrap(),
        edited
    );
    assert_ne!(std::fs::read_to_string(&pm).unwrap(), edited);
    // Another incident into the same directory (the default -o postmortem too).
    let line = one_line_error(&postmortem(&[s(&other), "-o", s(&out)]));
    assert!(line.contains("other inputs"), "{line}");
    let o = bin("hotwash")
        .current_dir(d.path())
        .args(["postmortem", "call.json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bin("hotwash")
        .current_dir(d.path())
        .args(["postmortem", "other.json"])
        .output()
        .unwrap();
    one_line_error(&o);
    let o = postmortem(&[s(&other), "-o", s(&out), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Files hotwash has no record of writing.
    let foreign = d.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("postmortem.md"), "mine\n").unwrap();
    one_line_error(&postmortem(&[s(&t), "-o", s(&foreign)]));
    assert_eq!(
        std::fs::read_to_string(foreign.join("postmortem.md")).unwrap(),
        "mine\n"
    );
}

/// Runs `cmd` with a deadline; panics (killing it) when it runs past it.
fn output_within(mut cmd: std::process::Command, secs: u64) -> std::process::Output {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(o) => o.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("still running after {secs} s");
        }
    }
}

/// `transcribe ARGS…` on one core when `taskset` is here, else on all.
fn on_one_core(args: &[&str]) -> std::process::Command {
    let have_taskset = std::process::Command::new("taskset")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut c = if have_taskset {
        let mut c = std::process::Command::new("taskset");
        c.args(["-c", "0", env!("CARGO_BIN_EXE_transcribe")]);
        c
    } else {
        eprintln!("taskset is not here: using every core");
        std::process::Command::new(env!("CARGO_BIN_EXE_transcribe"))
    };
    c.args(args).stdin(std::process::Stdio::null());
    c
}

#[test]
fn threads_beyond_the_cores_are_lowered_with_a_note() {
    let Some(jfk) = shared("real/jfk.wav") else {
        return;
    };
    for (w, t) in [("1", "1000"), ("1", "2"), ("1000", "1")] {
        let o = output_within(on_one_core(&["--workers", w, "--threads", t, s(&jfk)]), 90);
        assert!(o.status.success(), "{}", stderr(&o));
        let notes: Vec<String> = stderr(&o)
            .lines()
            .filter(|l| l.contains("core(s) this process may use"))
            .map(str::to_string)
            .collect();
        assert_eq!(
            notes.len(),
            1,
            "--workers {w} --threads {t}: {}",
            stderr(&o)
        );
        assert!(
            stdout(&o).to_lowercase().contains("country"),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn zero_workers_or_threads_is_an_error() {
    for flag in ["--workers", "--threads"] {
        let o = transcribe(&[flag, "0", s(&fixture("audio/db-failover.flac"))]);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(err.contains("at least 1") && err.contains(flag), "{err}");
    }
}

#[test]
fn empty_or_duplicate_track_names_are_refused() {
    let f = fixture("audio/db-failover.flac");
    let a = format!("a={}", s(&f));
    let empty = format!("={}", s(&f));
    let upper = format!("A={}", s(&f));
    for args in [
        vec!["--track", &empty],
        vec!["--track", &a, "--track", &a],
        vec!["--track", &a, "--track", &upper],
        vec!["--track", "a="],
    ] {
        let line = one_line_error(&transcribe(&args));
        assert!(line.contains("--track"), "{line}");
        let mut pm = vec!["postmortem"];
        pm.extend(&args);
        let line = one_line_error(&bin("hotwash").args(&pm).output().unwrap());
        assert!(line.contains("--track"), "{line}");
    }
}

#[test]
fn model_errors_say_the_reason_once() {
    let d = tempfile::tempdir().unwrap();
    let f = fixture("audio/db-failover.flac");
    let missing = d.path().join("nope/ggml-x.bin");
    for model in [d.path(), missing.as_path()] {
        let line = one_line_error(&transcribe(&["-q", "--model", s(model), s(&f)]));
        assert!(line.contains(s(model)), "{line}");
        let reason = line.rsplit(": ").next().unwrap().to_string();
        assert_eq!(line.matches(&reason).count(), 1, "doubled: {line}");
    }
    let line = one_line_error(&transcribe(&["-q", "--model", s(d.path()), s(&f)]));
    assert!(line.contains("directory"), "{line}");
}

#[test]
fn a_roster_naming_nobody_who_spoke_is_flagged() {
    let d = tempfile::tempdir().unwrap();
    let roster = d.path().join("roster.toml");
    std::fs::write(
        &roster,
        "[speakers.zed]\nname = \"Zed Nobody\"\nrole = \"Ghost\"\n",
    )
    .unwrap();
    let o = bin("hotwash")
        .arg("postmortem")
        .arg(fixture("audio/db-failover.ref.json"))
        .args(["--roster", s(&roster), "-o", s(&d.path().join("out"))])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("names nobody who spoke"),
        "{}",
        stderr(&o)
    );
}

/// A mono 16 kHz WAV of a 440 Hz tone at `dbfs` RMS, `secs` long.
fn tone_wav(path: &Path, dbfs: f64, secs: f64) {
    let n = (16_000.0 * secs) as u32;
    let amp = 10f64.powf(dbfs / 20.0) * 2f64.sqrt() * 32767.0;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + 2 * n).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&32_000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(2 * n).to_le_bytes());
    for i in 0..n {
        let x = amp * (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / 16_000.0).sin();
        b.extend_from_slice(&(x.round() as i16).to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn very_quiet_input_is_flagged() {
    let d = tempfile::tempdir().unwrap();
    let quiet = d.path().join("quiet.wav");
    tone_wav(&quiet, -60.0, 3.0);
    let o = transcribe(&[s(&quiet)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("very quiet"), "{}", stderr(&o));
    let loud = d.path().join("loud.wav");
    tone_wav(&loud, -20.0, 3.0);
    let o = transcribe(&[s(&loud)]);
    assert!(!stderr(&o).contains("very quiet"), "{}", stderr(&o));
}

#[test]
fn text_from_several_files_says_which_file_each_line_came_from() {
    let Some(jfk) = shared("real/jfk.wav") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let other = d.path().join("other.wav");
    std::fs::copy(&jfk, &other).unwrap();
    let o = transcribe(&["-q", s(&jfk), s(&other)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().any(|l| l.contains("] jfk: ")), "{text}");
    assert!(lines.iter().any(|l| l.contains("] other: ")), "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("] jfk: ") || l.contains("] other: ")),
        "{text}"
    );
}

#[test]
fn multi_track_totals_count_every_track() {
    let Some(jfk) = shared("real/jfk.wav") else {
        return;
    };
    let Some(spliced) = shared("real/three_speakers_spliced.wav") else {
        return;
    };
    let a = format!("a={}", s(&jfk));
    let b = format!("b={}", s(&spliced));
    let o = transcribe(&["-f", "json", "--track", &a, "--track", &b]);
    let doc = transcript(&o);
    let total = doc["summary"]["audio_seconds"].as_f64().unwrap();
    let call = doc["summary"]["call_seconds"].as_f64().unwrap();
    let one = transcript(&transcribe(&["-q", "-f", "json", s(&jfk)]))["summary"]["audio_seconds"]
        .as_f64()
        .unwrap();
    let two = transcript(&transcribe(&["-q", "-f", "json", s(&spliced)]))["summary"]
        ["audio_seconds"]
        .as_f64()
        .unwrap();
    assert!(
        (total - (one + two)).abs() < 0.1,
        "{total} vs {one} + {two}"
    );
    assert!(
        (call - one.max(two)).abs() < 0.1,
        "{call} vs max({one}, {two})"
    );
    let line = stderr(&o);
    assert!(
        line.contains(&format!("{total:.1} s of audio (2 tracks")),
        "{line}"
    );
}

#[test]
fn sigterm_during_postmortem_keeps_the_earlier_record() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("INC");
    let audio = fixture("audio/db-failover.flac");
    let t = d.path().join("call.json");
    std::fs::copy(fixture("audio/db-failover.ref.json"), &t).unwrap();
    // An earlier record from the reference transcript, then a run from the
    // audio into the same directory, stopped by SIGTERM.
    let o = postmortem(&[s(&t), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = std::fs::read(out.join("incident.json")).unwrap();
    let mut child = bin("hotwash")
        .args(["postmortem", s(&audio), "-o", s(&out), "--force"])
        .args(["--workers", "1", "--threads", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(143));
    assert_eq!(std::fs::read(out.join("incident.json")).unwrap(), before);
    let tr = read_json(&out.join("db-failover.transcript.json"));
    assert_eq!(tr["summary"]["stopped_early"], true, "{tr}");
}

/// A memory cgroup of `limit` bytes for this test, when the machine lets
/// us make one (root, cgroup v1 or v2); its directory, removed on drop.
struct MemoryCgroup(std::path::PathBuf);

impl MemoryCgroup {
    fn new(limit: u64) -> Option<Self> {
        let name = format!("hotwash-test-{}", std::process::id());
        for (root, file) in [
            ("/sys/fs/cgroup/memory", "memory.limit_in_bytes"),
            ("/sys/fs/cgroup", "memory.max"),
        ] {
            let dir = Path::new(root).join(&name);
            if std::fs::create_dir(&dir).is_ok() {
                if std::fs::write(dir.join(file), limit.to_string()).is_ok() {
                    return Some(Self(dir));
                }
                let _ = std::fs::remove_dir(&dir);
            }
        }
        None
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn workers_are_capped_by_the_memory_free() {
    let Some(audio) = shared("real/librivox_sense_and_sensibility.wav") else {
        return;
    };
    // ~230 MB a tiny.en worker: 500 MB holds one, not two.
    let Some(cgroup) = MemoryCgroup::new(500 << 20) else {
        eprintln!("skipping: cannot make a memory cgroup here (needs root and cgroupfs)");
        return;
    };
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec \"$0\" \"$@\"",
        cgroup.0.display()
    );
    let o = std::process::Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_transcribe")])
        .args(["--workers", "2", "--threads", "1", "-f", "json", s(&audio)])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("need more memory than is free; using 1"),
        "no note on the lowered worker count: {err}"
    );
    assert!(!text_of(&transcript(&o)).is_empty());
}
