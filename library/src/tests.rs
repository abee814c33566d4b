//! Unit tests on real SQLite files in temporary directories.

use std::path::{Path, PathBuf};

use hotwash_postmortem::record::{
    ActionItem, Category, Evidence, EvidenceKind, Mitigation, Priority,
};
use hotwash_postmortem::{build_record, load_transcripts, render_all, Options};

use super::*;

/// Writes an incident directory the way `hotwash postmortem` does (record
/// and renderings) from a few spoken lines, with one mitigation (whether it
/// worked as given) and one action item, and returns the directory.
fn incident(
    root: &Path,
    id: &str,
    title: &str,
    lines: &[&str],
    fix: &str,
    worked: bool,
) -> PathBuf {
    let dir = root.join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let mut t = 1.0;
    let turns: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let start = t;
            t += 6.0;
            serde_json::json!({"id": format!("t{:02}", i + 1), "speaker": "ann",
                "start": start, "end": start + 5.0, "text": text})
        })
        .collect();
    let transcript = root.join(format!("{id}.ref.json"));
    std::fs::write(
        &transcript,
        serde_json::json!({"id": id, "title": title, "start_utc": "2026-03-01T10:00:00Z",
            "speakers": {"ann": {"name": "Ann"}}, "turns": turns})
        .to_string(),
    )
    .unwrap();
    let call = load_transcripts(&[&transcript], None).unwrap();
    let mut r = build_record(
        &call,
        &Options {
            id: Some(id.to_string()),
            title: Some(title.to_string()),
            severity: Some("SEV2".into()),
            ..Options::default()
        },
    );
    let src = r.utterances.last().unwrap().id.clone();
    r.mitigations = vec![Mitigation {
        offset_s: 12.0,
        time_utc: None,
        what: fix.to_string(),
        who: Some("Ann".into()),
        worked: Some(worked),
        result: Some(if worked { "that fixed it" } else { "no change" }.into()),
        result_offset_s: None,
        sources: vec![src.clone()],
        why: None,
        confidence: None,
    }];
    r.action_items = vec![ActionItem {
        id: "A1".into(),
        offset_s: 12.0,
        time_utc: None,
        action: format!("Add an alert for {title}"),
        owner: Some("Ann".into()),
        owner_how: Some("self".into()),
        due: Some(NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()),
        due_said: None,
        priority: Priority::High,
        dependencies: vec![],
        category: Category::Detection,
        verification: Some("the alert fires in the game day".into()),
        vague: false,
        vague_reasons: vec![],
        sources: vec![src],
        why: None,
        confidence: None,
    }];
    r.incident.systems = vec!["Checkout".into()];
    r.evidence.push(Evidence {
        kind: EvidenceKind::Deploy,
        value: format!("D{}", 7000 + title.len()),
        said: "the deploy".into(),
        offset_s: 3.0,
        sources: vec![],
    });
    render_all(&r, &dir, None).unwrap();
    dir
}

fn three(root: &Path) -> Vec<PathBuf> {
    vec![
        incident(
            root,
            "inc-pool",
            "Orders API connection pool exhausted",
            &[
                "The connection pool is exhausted on the orders API, every request waits for a connection.",
                "We raised the pool size and restarted the workers.",
            ],
            "raise the connection pool size and restart the workers",
            true,
        ),
        incident(
            root,
            "inc-cert",
            "Login failures after the intermediate certificate expired",
            &[
                "Logins fail with a TLS handshake error since midnight.",
                "The intermediate certificate expired; we rotated the chain.",
            ],
            "rotate the certificate chain",
            true,
        ),
        incident(
            root,
            "inc-queue",
            "Payments queue backlog",
            &[
                "The payments queue backlog is growing, consumers are stuck.",
                "We scaled the consumers but nothing changed.",
            ],
            "scale the consumers",
            false,
        ),
    ]
}

fn lib_in(d: &Path) -> Library {
    Library::open(&d.join("lib/library.db")).unwrap()
}

#[test]
fn a_new_library_has_the_latest_schema_in_wal_mode_with_fts5() {
    let d = tempfile::tempdir().unwrap();
    let lib = lib_in(d.path());
    assert_eq!(lib.schema_version().unwrap(), schema::VERSION);
    let mode: String = lib
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fts: i64 = lib
        .conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'incident_fts'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fts, 1);
    drop(lib);
    // Reopening migrates nothing and keeps the version.
    assert_eq!(lib_in(d.path()).schema_version().unwrap(), schema::VERSION);
}

#[test]
fn foreign_corrupt_and_newer_files_are_refused_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let junk = d.path().join("junk.db");
    std::fs::write(
        &junk,
        "this is not a database, it is a shopping list\n".repeat(100),
    )
    .unwrap();
    let e = Library::open(&junk).unwrap_err();
    assert!(matches!(e, Error::NotADatabase { .. }), "{e}");
    assert!(e.to_string().contains("junk.db"), "{e}");

    let other = d.path().join("other.db");
    let c = Connection::open(&other).unwrap();
    c.execute_batch("CREATE TABLE invoices (n INTEGER);")
        .unwrap();
    drop(c);
    let e = Library::open(&other).unwrap_err();
    assert!(matches!(e, Error::Foreign { .. }), "{e}");
    assert!(e.to_string().contains("other.db"), "{e}");

    let newer = d.path().join("newer.db");
    drop(Library::open(&newer).unwrap());
    let c = Connection::open(&newer).unwrap();
    c.execute_batch("PRAGMA user_version = 999;").unwrap();
    drop(c);
    let e = Library::open(&newer).unwrap_err();
    assert!(matches!(e, Error::TooNew { found: 999, .. }), "{e}");
}

#[test]
fn bad_incident_directories_give_errors_that_say_what_to_do() {
    let d = tempfile::tempdir().unwrap();
    let mut lib = lib_in(d.path());
    let e = lib.add(&d.path().join("nope"), "t").unwrap_err();
    assert!(
        matches!(e, Error::NoSuchDir { .. }) && e.to_string().contains("nope"),
        "{e}"
    );
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = lib.add(&empty, "t").unwrap_err();
    assert!(e.to_string().contains("no incident.json"), "{e}");
    let broken = d.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("incident.json"),
        "{\"schema\": \"hotwash.incident/1\", ",
    )
    .unwrap();
    let e = lib.add(&broken, "t").unwrap_err();
    assert!(
        e.to_string().contains("incident.json") && e.to_string().contains("hotwash postmortem"),
        "{e}"
    );
    assert!(matches!(
        lib.show("inc-none").unwrap_err(),
        Error::UnknownIncident { .. }
    ));
    assert!(lib.list(&Filters::default()).unwrap().is_empty());
}

#[test]
fn add_stores_record_artifacts_transcript_tags_and_actions() {
    let d = tempfile::tempdir().unwrap();
    let dirs = three(d.path());
    let mut lib = lib_in(d.path());
    let a = lib.add(&dirs[0], "tester").unwrap();
    assert!(!a.updated);
    assert_eq!((a.actions, a.new_actions), (1, 1));
    assert!(a.artifacts >= 7, "{a:?}");
    assert!(a
        .suggested
        .iter()
        .any(|s| s.tag == "connection-pool-exhaustion"));
    let v = lib.show("inc-pool").unwrap();
    assert_eq!(v.summary.severity.as_deref(), Some("SEV2"));
    assert_eq!(v.summary.services, vec!["checkout"]);
    assert!(v
        .artifacts
        .iter()
        .any(|a| a.name == "incident.json" && a.sha256.len() == 64));
    assert_eq!(v.record.incident.id, "inc-pool");
    assert_eq!(v.actions[0].id, "inc-pool/A1");
    assert_eq!(v.actions[0].status, ActionStatus::Open);
    let transcript: String = lib
        .conn
        .query_row(
            "SELECT transcript FROM incidents WHERE id = 'inc-pool'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        transcript.contains("every request waits for a connection"),
        "{transcript}"
    );
}

#[test]
fn search_and_fixes_rank_the_matching_incident_first_and_filters_narrow() {
    let d = tempfile::tempdir().unwrap();
    let mut lib = lib_in(d.path());
    for dir in three(d.path()) {
        lib.add(&dir, "t").unwrap();
    }
    let hits = lib
        .search("connection pool exhausted", &Filters::default(), 10)
        .unwrap();
    assert_eq!(hits[0].incident.id, "inc-pool", "{hits:?}");
    let hits = lib
        .search("TLS handshake expired certificate", &Filters::default(), 10)
        .unwrap();
    assert_eq!(hits[0].incident.id, "inc-cert", "{hits:?}");
    // An evidence id said on the call finds its incident.
    let deploy = format!("D{}", 7000 + "Payments queue backlog".len());
    let hits = lib.search(&deploy, &Filters::default(), 10).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].incident.id, "inc-queue");
    // Punctuation and FTS syntax in the query are only words.
    assert!(lib
        .search("\"pool\" AND (NEAR", &Filters::default(), 10)
        .is_ok());
    assert!(matches!(
        lib.search(" ?! ", &Filters::default(), 10).unwrap_err(),
        Error::EmptyQuery { .. }
    ));

    let fixes = lib
        .fixes("connection pool exhausted", &Filters::default(), 10)
        .unwrap();
    assert_eq!(fixes[0].incident_id, "inc-pool", "{fixes:?}");
    assert!(fixes[0].mitigation.what.contains("pool size"));
    assert!(!fixes[0].mitigation.cited.is_empty());
    assert!(fixes[0].mitigation.cited[0]
        .text
        .contains("raised the pool size"));
    // Only mitigations that worked.
    assert!(lib
        .fixes("payments queue backlog", &Filters::default(), 10)
        .unwrap()
        .iter()
        .all(|f| f.incident_id != "inc-queue"));

    let only_cert = Filters {
        tags: vec!["certificate-expiry".into()],
        ..Filters::default()
    };
    let hits = lib.search("connection pool", &only_cert, 10).unwrap();
    assert!(hits.iter().all(|h| h.incident.id == "inc-cert"), "{hits:?}");
    let sev = Filters {
        severity: Some("sev 3".into()),
        ..Filters::default()
    };
    assert!(lib.search("pool", &sev, 10).unwrap().is_empty());
    let svc = Filters {
        service: Some("CHECKOUT".into()),
        since: Some("2026-02-01T00:00:00Z".parse().unwrap()),
        ..Filters::default()
    };
    assert_eq!(lib.list(&svc).unwrap().len(), 3);
    let later = Filters {
        since: Some("2026-04-01T00:00:00Z".parse().unwrap()),
        ..Filters::default()
    };
    assert!(lib.list(&later).unwrap().is_empty());
}

#[test]
fn actions_move_through_the_workflow_with_history_and_illegal_moves_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let dirs = three(d.path());
    let mut lib = lib_in(d.path());
    lib.add(&dirs[0], "t").unwrap();
    let id = "inc-pool/A1";
    let e = lib
        .set_status(id, ActionStatus::Verified, Some("x"), None, "ann")
        .unwrap_err();
    assert!(e.to_string().contains("set it done first"), "{e}");
    lib.set_status(id, ActionStatus::InProgress, None, None, "ann")
        .unwrap();
    lib.set_status(id, ActionStatus::Done, None, None, "ann")
        .unwrap();
    let e = lib
        .set_status(id, ActionStatus::Verified, None, None, "ann")
        .unwrap_err();
    assert!(e.to_string().contains("--evidence"), "{e}");
    let a = lib
        .set_status(
            id,
            ActionStatus::Verified,
            Some("game day 2026-03-12: alert fired"),
            None,
            "bo",
        )
        .unwrap();
    assert_eq!(a.status, ActionStatus::Verified);
    assert_eq!(
        a.evidence.as_deref(),
        Some("game day 2026-03-12: alert fired")
    );
    let h = lib.history(id).unwrap();
    let moves: Vec<_> = h.iter().map(|h| (h.from, h.to)).collect();
    assert_eq!(
        moves,
        vec![
            (None, ActionStatus::Open),
            (Some(ActionStatus::Open), ActionStatus::InProgress),
            (Some(ActionStatus::InProgress), ActionStatus::Done),
            (Some(ActionStatus::Done), ActionStatus::Verified),
        ]
    );
    assert_eq!(h[3].who, "bo");
    assert!(lib
        .set_status(id, ActionStatus::Open, None, None, "ann")
        .is_err());
    assert!(matches!(
        lib.set_status("inc-pool/A9", ActionStatus::Done, None, None, "ann")
            .unwrap_err(),
        Error::UnknownAction { .. }
    ));
    // Re-adding the incident keeps the status and the history.
    let again = lib.add(&dirs[0], "t").unwrap();
    assert!(again.updated);
    assert_eq!(again.new_actions, 0);
    assert_eq!(lib.action(id).unwrap().status, ActionStatus::Verified);
    assert_eq!(lib.history(id).unwrap().len(), 4);

    lib.add(&dirs[1], "t").unwrap();
    let e = lib
        .set_status("inc-cert/A1", ActionStatus::WontDo, None, None, "ann")
        .unwrap_err();
    assert!(e.to_string().contains("--reason"), "{e}");
    lib.set_status(
        "inc-cert/A1",
        ActionStatus::WontDo,
        None,
        Some("covered by INC-9"),
        "ann",
    )
    .unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
    assert!(lib.overdue(today).unwrap().is_empty());
    assert!(lib.due(today, 7).unwrap().is_empty());
    lib.add(&dirs[2], "t").unwrap();
    assert_eq!(lib.due(today, 7).unwrap()[0].id, "inc-queue/A1");
    let later = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
    assert_eq!(lib.overdue(later).unwrap().len(), 1);
    let mine = lib
        .actions(&ActionFilter {
            owner: Some("ann".into()),
            status: Some(ActionStatus::Verified),
            ..ActionFilter::default()
        })
        .unwrap();
    assert_eq!(mine.len(), 1);
}

#[test]
fn tags_are_added_removed_and_counted_and_a_removal_survives_a_re_add() {
    let d = tempfile::tempdir().unwrap();
    let dirs = three(d.path());
    let mut lib = lib_in(d.path());
    for dir in &dirs {
        lib.add(dir, "t").unwrap();
    }
    let tags = lib
        .tag("inc-pool", &["Database Saturation".into()], false)
        .unwrap();
    assert!(tags
        .iter()
        .any(|t| t.tag == "database-saturation" && t.source == "user"));
    lib.tag("inc-pool", &["connection-pool-exhaustion".into()], true)
        .unwrap();
    lib.add(&dirs[0], "t").unwrap();
    let s = lib.show("inc-pool").unwrap().summary;
    assert!(
        !s.tags.contains(&"connection-pool-exhaustion".to_string()),
        "{s:?}"
    );
    assert!(s.tags.contains(&"database-saturation".to_string()));
    assert!(lib.tag("inc-pool", &["never-there".into()], true).is_err());
    assert!(lib.tag("inc-nope", &["x".into()], false).is_err());
    let counts = lib.tag_counts().unwrap();
    assert!(counts
        .iter()
        .any(|(t, n)| t == "database-saturation" && *n >= 1));
}

fn export_string(lib: &Library) -> String {
    let mut out = Vec::new();
    lib.export(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn export_then_import_into_a_fresh_library_is_lossless() {
    let d = tempfile::tempdir().unwrap();
    let dirs = three(d.path());
    let mut a = lib_in(d.path());
    for dir in &dirs {
        a.add(dir, "t").unwrap();
    }
    a.tag("inc-queue", &["capacity".into()], false).unwrap();
    a.set_status("inc-pool/A1", ActionStatus::InProgress, None, None, "ann")
        .unwrap();
    a.update_closeout(
        "inc-cert",
        &CloseoutUpdate {
            runbook: Some("wiki/certs#rotation".into()),
            review_on: NaiveDate::from_ymd_opt(2026, 4, 1),
            review_done: None,
        },
        "ann",
    )
    .unwrap();
    let first = export_string(&a);
    assert!(first.contains("wiki/certs#rotation"));
    assert_eq!(first.lines().count(), 4);
    let mut b = Library::open(&d.path().join("b.db")).unwrap();
    let n = b
        .import(&mut first.as_bytes(), Path::new("x.jsonl"))
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(export_string(&b), first);
    // Search works on the imported library, and importing again replaces.
    assert_eq!(
        b.search("pool exhausted", &Filters::default(), 5).unwrap()[0]
            .incident
            .id,
        "inc-pool"
    );
    b.import(&mut first.as_bytes(), Path::new("x.jsonl"))
        .unwrap();
    assert_eq!(export_string(&b), first);
    // A broken line is refused, naming the file and line, and nothing is written.
    let mut c = Library::open(&d.path().join("c.db")).unwrap();
    let broken = format!("{}{{\"type\": \"incident\"}}\n", first);
    let e = c
        .import(&mut broken.as_bytes(), Path::new("x.jsonl"))
        .unwrap_err();
    assert!(e.to_string().contains("x.jsonl:5"), "{e}");
    assert!(c.list(&Filters::default()).unwrap().is_empty());
}

#[test]
fn check_passes_then_finds_an_altered_and_a_missing_artifact() {
    let d = tempfile::tempdir().unwrap();
    let dirs = three(d.path());
    let mut lib = lib_in(d.path());
    for dir in &dirs {
        lib.add(dir, "t").unwrap();
    }
    let r = lib.check().unwrap();
    assert!(r.ok(), "{r:?}");
    assert_eq!(r.incidents, 3);
    std::fs::write(dirs[0].join("postmortem.md"), "edited by hand\n").unwrap();
    std::fs::remove_file(dirs[1].join("brief-exec.md")).unwrap();
    let r = lib.check().unwrap();
    assert_eq!(r.problems.len(), 2, "{r:?}");
    assert!(r
        .problems
        .iter()
        .any(|p| p.contains("postmortem.md") && p.contains("changed")));
    assert!(r
        .problems
        .iter()
        .any(|p| p.contains("brief-exec.md") && p.contains("missing")));
}

#[test]
fn two_writers_at_once_both_succeed() {
    let d = tempfile::tempdir().unwrap();
    let dirs = three(d.path());
    let db = d.path().join("shared.db");
    let handles: Vec<_> = dirs
        .into_iter()
        .map(|dir| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut lib = Library::open(&db).unwrap();
                for _ in 0..5 {
                    lib.add(&dir, "t").unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let lib = Library::open(&db).unwrap();
    assert_eq!(lib.list(&Filters::default()).unwrap().len(), 3);
}

#[test]
fn the_default_path_follows_hotwash_home() {
    // Only reads the environment; HOTWASH_HOME is not set by other tests.
    if let Some(home) = std::env::var_os("HOTWASH_HOME") {
        assert_eq!(default_path().unwrap(), PathBuf::from(home).join(DB_FILE));
    } else {
        let p = default_path().unwrap();
        assert!(p.ends_with("hotwash/library.db"), "{}", p.display());
    }
}

#[test]
fn severities_normalise() {
    assert_eq!(normalise_severity("sev 2"), "SEV2");
    assert_eq!(normalise_severity("2"), "SEV2");
    assert_eq!(normalise_severity("SEV-1"), "SEV1");
}

/// A deterministic stand-in for the sentence model in unit tests: words
/// hashed into 64 buckets, unit length. Texts sharing words are close.
#[derive(Debug)]
struct BagOfWords;

impl Embed for BagOfWords {
    fn name(&self) -> &str {
        "bag-of-words-64"
    }
    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; 64];
                for w in t
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| w.len() > 3)
                {
                    let h = w
                        .to_lowercase()
                        .bytes()
                        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
                    v[(h % 64) as usize] += 1.0;
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                v.iter().map(|x| x / n).collect()
            })
            .collect())
    }
}

#[test]
fn similar_ranks_a_shared_signature_first_and_leaves_the_query_out() {
    let d = tempfile::tempdir().unwrap();
    let mut lib = lib_in(d.path());
    for dir in three(d.path()) {
        lib.add(&dir, "t").unwrap();
    }
    // No embedder: signatures and words only, and the answer says so.
    let a = lib
        .similar(
            SimilarTo::Text("five oh threes while the pool is exhausted"),
            3,
        )
        .unwrap();
    assert!(!a.by_meaning);
    assert!(a
        .query_signatures
        .contains(&"connection-pool-exhausted".to_string()));
    assert_eq!(a.hits[0].incident.id, "inc-pool");
    assert!(!a.hits[0].signatures.is_empty());
    let a = lib.similar(SimilarTo::Incident("inc-pool"), 5).unwrap();
    assert!(a.hits.iter().all(|h| h.incident.id != "inc-pool"));
    assert!(lib.similar(SimilarTo::Text("  "), 3).is_err());
    assert!(matches!(
        lib.similar(SimilarTo::Incident("inc-nope"), 3),
        Err(Error::UnknownIncident { .. })
    ));
}

#[test]
fn similar_by_meaning_uses_stored_vectors_and_reindex_fills_missing_ones() {
    let d = tempfile::tempdir().unwrap();
    let dirs = three(d.path());
    // Added without a model: no vectors; reindex with one embeds them all.
    let mut plain = lib_in(d.path());
    for dir in &dirs {
        plain.add(dir, "t").unwrap();
    }
    assert!(plain.reindex().is_err());
    drop(plain);
    let mut lib = lib_in(d.path()).with_embedder(Arc::new(BagOfWords));
    assert_eq!(lib.reindex().unwrap(), 3);
    assert_eq!(lib.reindex().unwrap(), 0);
    let a = lib
        .similar(
            SimilarTo::Text("login handshake failures, certificate rotated"),
            3,
        )
        .unwrap();
    assert!(a.by_meaning);
    assert_eq!(a.hits[0].incident.id, "inc-cert");
    assert!(a.hits[0].meaning.unwrap() > a.hits[1].meaning.unwrap_or(0.0));
    assert!(a.hits[0].closest.is_some());
    // The cache follows writes from another connection.
    let mut other = lib_in(d.path()).with_embedder(Arc::new(BagOfWords));
    other
        .add(
            &incident(
                d.path(),
                "inc-login",
                "Login handshake failures after certificate rotation",
                &["Login handshake failures again, the certificate was rotated wrong."],
                "roll the certificate back",
                true,
            ),
            "t",
        )
        .unwrap();
    let a = lib
        .similar(
            SimilarTo::Text("login handshake failures, certificate rotated"),
            5,
        )
        .unwrap();
    assert!(a.hits.iter().any(|h| h.incident.id == "inc-login"));
}

#[test]
fn adding_a_recurrence_names_the_past_incident_and_its_unverified_actions() {
    let d = tempfile::tempdir().unwrap();
    let mut lib = lib_in(d.path()).with_embedder(Arc::new(BagOfWords));
    for dir in three(d.path()) {
        lib.add(&dir, "t").unwrap();
    }
    let again = incident(
        d.path(),
        "inc-pool-2",
        "Inventory service connection pool exhausted",
        &["Inventory requests hang: the connection pool is exhausted again."],
        "recycle the inventory pods",
        true,
    );
    let added = lib.add(&again, "t").unwrap();
    let r = added
        .recurrences
        .iter()
        .find(|r| r.hit.incident.id == "inc-pool")
        .expect("the past pool incident is named");
    assert!(r
        .hit
        .signatures
        .iter()
        .any(|s| s.starts_with("connection-pool-exhausted")));
    assert_eq!(r.unverified.len(), 1);
    assert_eq!(r.unverified[0].id, "inc-pool/A1");
    // Once verified, it is still named but with nothing outstanding.
    lib.set_status("inc-pool/A1", ActionStatus::Done, None, None, "t")
        .unwrap();
    lib.set_status(
        "inc-pool/A1",
        ActionStatus::Verified,
        Some("game day passed"),
        None,
        "t",
    )
    .unwrap();
    let added = lib.add(&again, "t").unwrap();
    let r = added
        .recurrences
        .iter()
        .find(|r| r.hit.incident.id == "inc-pool")
        .unwrap();
    assert!(r.unverified.is_empty());
}

#[test]
fn closeout_says_which_criteria_are_met_and_lists_due_reviews() {
    let d = tempfile::tempdir().unwrap();
    let mut lib = lib_in(d.path());
    for dir in three(d.path()) {
        lib.add(&dir, "t").unwrap();
    }
    let c = lib.closeout("inc-cert").unwrap();
    assert!(!c.closed());
    assert_eq!(c.criteria.len(), 4);
    // The fixture's only action is a detection item: no prevention tracked.
    assert!(!c.criteria[0].met && c.criteria[0].detail.contains("no prevention action"));
    assert!(c.criteria[1].detail.contains("inc-cert/A1"));
    assert!(!c.criteria[2].met && !c.criteria[3].met);
    assert!(lib
        .update_closeout(
            "inc-cert",
            &CloseoutUpdate {
                runbook: Some("  ".into()),
                ..CloseoutUpdate::default()
            },
            "t"
        )
        .is_err());
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
    lib.update_closeout(
        "inc-cert",
        &CloseoutUpdate {
            runbook: Some("runbooks/tls.md: rotation steps".into()),
            review_on: Some(day(10)),
            review_done: None,
        },
        "rosa",
    )
    .unwrap();
    let due = lib.reviews_due(day(12)).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].incident.id.as_str(), due[0].due),
        ("inc-cert", day(10))
    );
    assert!(lib.reviews_due(day(9)).unwrap().is_empty());
    lib.set_status("inc-cert/A1", ActionStatus::Done, None, None, "t")
        .unwrap();
    lib.set_status(
        "inc-cert/A1",
        ActionStatus::Verified,
        Some("fired in the drill"),
        None,
        "t",
    )
    .unwrap();
    let c = lib
        .update_closeout(
            "inc-cert",
            &CloseoutUpdate {
                review_done: Some("no recurrence in four weeks".into()),
                ..CloseoutUpdate::default()
            },
            "rosa",
        )
        .unwrap();
    assert!(c.criteria[1].met && c.criteria[2].met && c.criteria[3].met);
    assert!(!c.criteria[0].met, "still no prevention action");
    assert!(lib.reviews_due(day(30)).unwrap().is_empty());
    assert!(matches!(
        lib.closeout("inc-nope"),
        Err(Error::UnknownIncident { .. })
    ));
}

#[test]
fn a_tracker_export_moves_actions_forward_and_reports_drift() {
    let d = tempfile::tempdir().unwrap();
    let mut lib = lib_in(d.path());
    for dir in three(d.path()) {
        lib.add(&dir, "t").unwrap();
    }
    lib.set_status("inc-queue/A1", ActionStatus::Done, None, None, "t")
        .unwrap();
    // Jira's export: repeated Labels columns, the marker among them.
    let jira = d.path().join("jira.csv");
    std::fs::write(
        &jira,
        "Summary,Issue key,Issue id,Status,Labels,Labels,Labels\n\
         Add an alert,OPS-1,1001,Done,postmortem,hotwash-inc-pool-A1,detection\n\
         Add an alert,OPS-2,1002,In Progress,hotwash-inc-cert-A1,,\n\
         Add an alert,OPS-3,1003,To Do,hotwash-inc-queue-A1,,\n\
         Other work,OPS-4,1004,Done,unrelated,,\n\
         Lost,OPS-5,1005,Done,hotwash-inc-gone-A9,,\n",
    )
    .unwrap();
    let r = lib.import_tracker(&jira, "t").unwrap();
    assert_eq!(r.tracker, Tracker::Jira);
    assert_eq!((r.issues, r.matched), (5, 3));
    let moved: Vec<(&str, ActionStatus)> =
        r.moved.iter().map(|m| (m.action.as_str(), m.to)).collect();
    assert_eq!(
        moved,
        [
            ("inc-pool/A1", ActionStatus::Done),
            ("inc-cert/A1", ActionStatus::InProgress)
        ]
    );
    let drift: Vec<&str> = r.drift.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(drift, ["inc-pool/A1", "inc-queue/A1"]);
    assert!(
        r.drift[0].note.contains("not verified here"),
        "{}",
        r.drift[0].note
    );
    assert!(r.drift[1].note.contains("reopened"), "{}", r.drift[1].note);
    assert_eq!(r.unknown_markers, ["OPS-5 (hotwash-inc-gone-A9)"]);
    let a = lib.action("inc-pool/A1").unwrap();
    assert_eq!(a.tracker.as_ref().unwrap().key, "OPS-1");
    let h = lib.history("inc-pool/A1").unwrap();
    assert!(h.last().unwrap().note.as_deref().unwrap().contains("OPS-1"));
    // Linear's export: one Labels cell, comma separated.
    let linear = d.path().join("linear.csv");
    std::fs::write(
        &linear,
        "ID,Team,Title,Status,Labels\nENG-7,Eng,Add an alert,Canceled,\"postmortem, hotwash-inc-cert-A1\"\n",
    )
    .unwrap();
    let r = lib.import_tracker(&linear, "t").unwrap();
    assert_eq!(r.tracker, Tracker::Linear);
    assert!(r.drift[0].note.contains("wont-do"), "{}", r.drift[0].note);
    // Files that are not tracker exports.
    let junk = d.path().join("junk.csv");
    std::fs::write(&junk, "a,b\n1,2\n").unwrap();
    let e = lib.import_tracker(&junk, "t").unwrap_err().to_string();
    assert!(
        e.contains("junk.csv") && e.contains("Jira or Linear"),
        "{e}"
    );
    let empty = d.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert!(lib.import_tracker(&empty, "t").is_err());
}

#[test]
fn a_version_one_library_is_migrated_keeping_its_incidents() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("old.db");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(schema::MIGRATIONS[0]).unwrap();
        c.execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = 1;",
            schema::APPLICATION_ID
        ))
        .unwrap();
        c.execute(
            "INSERT INTO incidents (id, title, status, dir, record_json, transcript, added_utc, updated_utc)
             VALUES ('inc-old', 'Old one', 'resolved', '/x', '{}', '', 'a', 'b')",
            [],
        )
        .unwrap();
    }
    let lib = Library::open(&path).unwrap();
    assert_eq!(lib.schema_version().unwrap(), schema::VERSION);
    let n: i64 = lib
        .conn
        .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    let has: i64 = lib
        .conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info('actions') WHERE name = 'tracker_key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(has, 1);
}
