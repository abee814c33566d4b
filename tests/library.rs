//! End to end: incident directories built by the real `hotwash postmortem`
//! from the project's own calls, added to a library on a real SQLite file,
//! searched, asked what fixed it, one action tracked to verified, exported
//! and imported, checked — and two processes adding at once.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{bin, root, stderr, stdout};

/// `hotwash ARGS… --db DB`, isolated from the user's own library.
fn hotwash(home: &Path, db: &Path, args: &[&str]) -> Command {
    let mut c = bin("hotwash");
    c.env_remove("HOTWASH_DB")
        .env("HOTWASH_HOME", home)
        .env("HOTWASH_USER", "tester")
        .args(args)
        .arg("--db")
        .arg(db);
    c
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// One-line error: non-zero exit, no panic, a single `error:` line.
fn one_line_error(o: &Output) -> String {
    assert!(!o.status.success(), "succeeded: {}", stdout(o));
    let err = stderr(o);
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    lines[0].to_string()
}

/// `hotwash postmortem` on the scenario's reference transcript (laid out
/// from its script) into `<tmp>/<id>/`.
fn incident_dir(tmp: &Path, scenario: &str, id: &str) -> PathBuf {
    let path = root()
        .join("fixtures/scenarios")
        .join(format!("{scenario}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let reference = hotwash_postmortem::eval::estimated_reference(&v);
    let t = tmp.join(format!("{scenario}.ref.json"));
    std::fs::write(&t, serde_json::to_string_pretty(&reference).unwrap()).unwrap();
    let out = tmp.join(id);
    let o = bin("hotwash")
        .args(["postmortem"])
        .arg(&t)
        .args(["--id", id, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    ok(o);
    assert!(out.join("incident.json").is_file());
    out
}

fn first_id(json: &str, key: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let first = &v[0];
    let id = if key.is_empty() {
        &first["incident"]["id"]
    } else {
        &first[key]
    };
    id.as_str().unwrap_or_default().to_string()
}

#[test]
fn library_search_fixes_actions_export_import_and_check() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("home");
    let db = d.path().join("lib/library.db");
    let cert = incident_dir(d.path(), "own-10-midnight-db-cert-chain", "inc-cert");
    let cache = incident_dir(d.path(), "own-07-cup-final-shield-misses", "inc-cache");
    let queue = incident_dir(d.path(), "own-08-eu-two-upgrade-status-sync", "inc-queue");
    let pos = incident_dir(d.path(), "own-06-black-friday-pos-terminals", "inc-pos");
    let s = |p: &Path| p.display().to_string();

    let out = ok(hotwash(
        &home,
        &db,
        &[
            "library",
            "add",
            &s(&cert),
            &s(&cache),
            &s(&queue),
            &s(&pos),
        ],
    )
    .output()
    .unwrap());
    assert!(out.contains("added inc-cert"), "{out}");
    assert!(db.is_file());
    let list = ok(hotwash(&home, &db, &["library", "list"]).output().unwrap());
    assert_eq!(list.lines().count(), 4, "{list}");

    // Search: the incident whose words match comes first.
    let hits = ok(hotwash(
        &home,
        &db,
        &[
            "library",
            "search",
            "intermediate certificate expired database connections",
            "--json",
        ],
    )
    .output()
    .unwrap());
    assert_eq!(first_id(&hits, ""), "inc-cert", "{hits}");
    let hits = ok(hotwash(
        &home,
        &db,
        &[
            "library",
            "search",
            "origin shield cache hit ratio packager",
            "--json",
        ],
    )
    .output()
    .unwrap());
    assert_eq!(first_id(&hits, ""), "inc-cache", "{hits}");
    // A filter that excludes it.
    let hits = ok(hotwash(
        &home,
        &db,
        &[
            "library",
            "search",
            "origin shield cache",
            "--since",
            "2099-01-01",
        ],
    )
    .output()
    .unwrap());
    assert!(hits.contains("no incident matches"), "{hits}");

    // Fixes: mitigations that worked, best-matching incident first.
    let fixes_json = ok(hotwash(
        &home,
        &db,
        &[
            "library",
            "fixes",
            "database connections failing certificate chain",
            "--json",
        ],
    )
    .output()
    .unwrap());
    let fixes: serde_json::Value = serde_json::from_str(&fixes_json).unwrap();
    let fixes = fixes.as_array().unwrap();
    assert!(!fixes.is_empty(), "no fixes: {fixes_json}");
    assert_eq!(fixes[0]["incident_id"], "inc-cert", "{fixes_json}");
    assert_eq!(fixes[0]["mitigation"]["worked"], true);
    assert!(
        !fixes[0]["mitigation"]["cited"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{fixes_json}"
    );
    let text = ok(
        hotwash(&home, &db, &["library", "fixes", "certificate chain"])
            .output()
            .unwrap(),
    );
    assert!(text.contains("cited"), "{text}");

    // Have we seen this before: a description in other words finds the
    // incident by meaning (real all-MiniLM-L6-v2), an error signature by name.
    let sim = ok(hotwash(
        &home,
        &db,
        &[
            "library",
            "similar",
            "database connections dropping when a pinned certificate ran out",
            "--json",
        ],
    )
    .output()
    .unwrap());
    let v: serde_json::Value = serde_json::from_str(&sim).unwrap();
    assert_eq!(v["hits"][0]["incident"]["id"], "inc-cert", "{sim}");
    assert_eq!(v["by_meaning"], true, "{sim}");
    let sim = ok(hotwash(&home, &db, &["library", "similar", "inc-cert"])
        .output()
        .unwrap());
    assert!(!sim.contains("inc-cert  "), "{sim}");

    // Status back from Jira: the hotwash export, as Jira exports it again.
    let jira = std::fs::read_to_string(cache.join("actions-jira.csv")).unwrap();
    let mut rd = csv::Reader::from_reader(jira.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let mut back = String::from("Issue key,Status");
    for h in &header {
        back.push(',');
        back.push_str(h);
    }
    back.push('\n');
    for (i, row) in rd.records().enumerate() {
        let row = row.unwrap();
        let cells: Vec<String> = row
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        back.push_str(&format!("OPS-{},Done,{}\n", i + 1, cells.join(",")));
    }
    let back_path = d.path().join("jira-export.csv");
    std::fs::write(&back_path, back).unwrap();
    let imported = ok(hotwash(&home, &db, &["actions", "import", &s(&back_path)])
        .output()
        .unwrap());
    assert!(imported.contains("tied to actions here"), "{imported}");
    assert!(imported.contains("not verified here"), "{imported}");

    // Close-out: what is missing, and a review date listed when due.
    let c = ok(hotwash(
        &home,
        &db,
        &["closeout", "inc-cache", "--review-on", "2026-04-01"],
    )
    .output()
    .unwrap());
    assert!(c.contains("[ ] runbook updated"), "{c}");
    let o = hotwash(&home, &db, &["closeout", "inc-cache", "--check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    let due = ok(hotwash(
        &home,
        &db,
        &["closeout", "--reviews-due", "--today", "2026-04-02"],
    )
    .output()
    .unwrap());
    assert!(
        due.contains("inc-cache  review due 2026-04-01  (late)"),
        "{due}"
    );

    // One action, open → in progress → done → verified with evidence.
    let actions = ok(
        hotwash(&home, &db, &["actions", "list", "--incident", "inc-cert"])
            .output()
            .unwrap(),
    );
    let action = actions
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    assert!(action.starts_with("inc-cert/"), "{actions}");
    let line = one_line_error(
        &hotwash(
            &home,
            &db,
            &["actions", "set", &action, "verified", "--evidence", "x"],
        )
        .output()
        .unwrap(),
    );
    assert!(line.contains("set it done first"), "{line}");
    ok(
        hotwash(&home, &db, &["actions", "set", &action, "in-progress"])
            .output()
            .unwrap(),
    );
    ok(hotwash(&home, &db, &["actions", "set", &action, "done"])
        .output()
        .unwrap());
    // clap refuses verified without --evidence.
    let o = hotwash(&home, &db, &["actions", "set", &action, "verified"])
        .output()
        .unwrap();
    assert!(
        !o.status.success() && stderr(&o).contains("--evidence"),
        "{}",
        stderr(&o)
    );
    let out = ok(hotwash(
        &home,
        &db,
        &[
            "actions",
            "set",
            &action,
            "verified",
            "--evidence",
            "https://ci.example/cert-expiry-check passed on the staging chain",
        ],
    )
    .output()
    .unwrap());
    assert!(out.contains("verified"), "{out}");
    let hist = ok(hotwash(&home, &db, &["actions", "history", &action])
        .output()
        .unwrap());
    assert_eq!(hist.lines().count(), 4, "{hist}");
    assert!(
        hist.contains("done -> verified  by tester: https://ci.example"),
        "{hist}"
    );
    // Re-adding keeps the status.
    ok(hotwash(&home, &db, &["library", "add", &s(&cert)])
        .output()
        .unwrap());
    let verified = ok(
        hotwash(&home, &db, &["actions", "list", "--status", "verified"])
            .output()
            .unwrap(),
    );
    assert!(verified.contains(&action), "{verified}");

    // Export → import into a fresh library → export again: the same lines.
    let dump = d.path().join("dump.jsonl");
    ok(hotwash(&home, &db, &["library", "export", &s(&dump)])
        .output()
        .unwrap());
    let fresh = d.path().join("fresh.db");
    let out = ok(hotwash(&home, &fresh, &["library", "import", &s(&dump)])
        .output()
        .unwrap());
    assert!(out.contains("imported 4 incidents"), "{out}");
    let again = ok(hotwash(&home, &fresh, &["library", "export"])
        .output()
        .unwrap());
    assert_eq!(again, std::fs::read_to_string(&dump).unwrap());

    // Check passes, then fails once an artifact is altered.
    let out = ok(hotwash(&home, &db, &["library", "check"]).output().unwrap());
    assert!(out.starts_with("ok: 4 incidents"), "{out}");
    std::fs::write(cert.join("postmortem.md"), "rewritten by hand\n").unwrap();
    let o = hotwash(&home, &db, &["library", "check"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("postmortem.md") && stdout(&o).contains("changed"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_input_is_one_line_naming_the_thing_and_what_to_do() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("home");
    let db = d.path().join("library.db");
    let missing = d.path().join("no-such-incident");
    let line = one_line_error(
        &hotwash(&home, &db, &["library", "add"])
            .arg(&missing)
            .output()
            .unwrap(),
    );
    assert!(
        line.contains("no-such-incident") && line.contains("hotwash postmortem"),
        "{line}"
    );
    let file = d.path().join("notes.txt");
    std::fs::write(&file, "not an incident\n").unwrap();
    let line = one_line_error(
        &hotwash(&home, &db, &["library", "add"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(
        line.contains("notes.txt") && line.contains("not an incident directory"),
        "{line}"
    );
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let line = one_line_error(
        &hotwash(&home, &db, &["library", "add"])
            .arg(&empty)
            .output()
            .unwrap(),
    );
    assert!(line.contains("no incident.json"), "{line}");
    let broken = d.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("incident.json"), "{\"schema\": ").unwrap();
    let line = one_line_error(
        &hotwash(&home, &db, &["library", "add"])
            .arg(&broken)
            .output()
            .unwrap(),
    );
    assert!(
        line.contains("incident.json") && line.contains("rebuild"),
        "{line}"
    );
    let line = one_line_error(
        &hotwash(&home, &db, &["library", "show", "inc-nope"])
            .output()
            .unwrap(),
    );
    assert!(
        line.contains("inc-nope") && line.contains("library list"),
        "{line}"
    );
    let line = one_line_error(
        &hotwash(&home, &db, &["actions", "set", "inc-nope/A1", "done"])
            .output()
            .unwrap(),
    );
    assert!(
        line.contains("inc-nope/A1") && line.contains("actions list"),
        "{line}"
    );
    let line = one_line_error(
        &hotwash(&home, &db, &["library", "import"])
            .arg(d.path().join("none.jsonl"))
            .output()
            .unwrap(),
    );
    assert!(line.contains("none.jsonl"), "{line}");
    // A file that is not a database.
    let junk = d.path().join("junk.db");
    std::fs::write(&junk, "not sqlite at all\n".repeat(300)).unwrap();
    let line = one_line_error(
        &hotwash(&home, &junk, &["library", "list"])
            .output()
            .unwrap(),
    );
    assert!(
        line.contains("junk.db") && line.contains("not an SQLite database"),
        "{line}"
    );
    // Without --db: $HOTWASH_HOME/library.db.
    let o = bin("hotwash")
        .env_remove("HOTWASH_DB")
        .env("HOTWASH_HOME", &home)
        .args(["library", "list"])
        .output()
        .unwrap();
    ok(o);
    assert!(home.join("library.db").is_file());
}

#[test]
fn two_processes_adding_at_once_both_succeed() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("home");
    let db = d.path().join("library.db");
    let a = incident_dir(d.path(), "own-10-midnight-db-cert-chain", "inc-a");
    let b = incident_dir(d.path(), "own-07-cup-final-shield-misses", "inc-b");
    let spawn = |dir: &Path| {
        hotwash(&home, &db, &["library", "add"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    for _ in 0..3 {
        let (pa, pb) = (spawn(&a), spawn(&b));
        ok(pa.wait_with_output().unwrap());
        ok(pb.wait_with_output().unwrap());
    }
    let list = ok(hotwash(&home, &db, &["library", "list"]).output().unwrap());
    assert_eq!(list.lines().count(), 2, "{list}");
    let out = ok(hotwash(&home, &db, &["library", "check"]).output().unwrap());
    assert!(out.starts_with("ok: 2 incidents"), "{out}");
}

/// `library add` killed with SIGKILL at many moments (before, during and
/// after its transaction): every time, the database passes `check` and
/// the incident is either wholly in (its record, every action item, every
/// artifact) or not there at all.
#[test]
fn a_killed_add_leaves_the_incident_wholly_in_or_out() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("home");
    let db = d.path().join("library.db");
    let a = incident_dir(d.path(), "own-10-midnight-db-cert-chain", "inc-a");
    let b = incident_dir(d.path(), "own-07-cup-final-shield-misses", "inc-b");
    ok(hotwash(&home, &db, &["library", "add"])
        .arg(&a)
        .output()
        .unwrap());
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("incident.json")).unwrap()).unwrap();
    let want_actions = record["action_items"].as_array().unwrap().len();
    // How long a whole add takes here (with or without the embedding
    // model), to spread the kills over it.
    let spare = d.path().join("timing.db");
    let started = std::time::Instant::now();
    ok(hotwash(&home, &spare, &["library", "add"])
        .arg(&b)
        .output()
        .unwrap());
    let whole = started.elapsed().as_millis() as u64;
    let (mut seen_in, mut seen_out) = (0, 0);
    let rounds = 24u64;
    for step in 0..rounds {
        let at = whole * 6 * step / (5 * rounds);
        // Take the incident out again when an earlier round left it in, so
        // every kill can land in a first add.
        let shown = hotwash(&home, &db, &["library", "show", "inc-b", "--json"])
            .output()
            .unwrap();
        if shown.status.success() {
            std::fs::remove_file(&db).unwrap();
            for ext in ["db-wal", "db-shm"] {
                let _ = std::fs::remove_file(db.with_extension(ext));
            }
            ok(hotwash(&home, &db, &["library", "add"])
                .arg(&a)
                .output()
                .unwrap());
        }
        let mut child = hotwash(&home, &db, &["library", "add"])
            .arg(&b)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(at));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();

        let check = ok(hotwash(&home, &db, &["library", "check"]).output().unwrap());
        assert!(check.starts_with("ok:"), "after a kill at {at} ms: {check}");
        let shown = hotwash(&home, &db, &["library", "show", "inc-b", "--json"])
            .output()
            .unwrap();
        if shown.status.success() {
            seen_in += 1;
            let v: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
            assert_eq!(
                v["actions"].as_array().unwrap().len(),
                want_actions,
                "half an incident after a kill at {at} ms"
            );
            assert_eq!(v["record"]["incident"]["id"], "inc-b");
            assert!(!v["artifacts"].as_array().unwrap().is_empty());
        } else {
            seen_out += 1;
            assert!(stderr(&shown).contains("inc-b"), "{}", stderr(&shown));
        }
        let list = ok(hotwash(&home, &db, &["library", "list"]).output().unwrap());
        assert!(list.contains("inc-a"), "{list}");
    }
    // Both outcomes happened, so kills landed on both sides of the commit.
    assert!(seen_in > 0 && seen_out > 0, "in {seen_in}, out {seen_out}");
}
