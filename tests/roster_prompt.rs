//! The roster's names and terms in whisper's initial prompt, end to end
//! with the real tiny.en model on the project's own bridge-call fixture.

mod common;

use common::*;

const ROSTER: &str = r#"terms = ["orders API", "runbook"]

[speakers.rosa]
name = "Rosa Diaz"

[speakers.ken]
name = "Ken Ito"
aliases = ["S2"]

[speakers.ian]
name = "Ian Park"
"#;

fn roster_file(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("roster.toml");
    std::fs::write(&p, ROSTER).unwrap();
    p
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Without the roster tiny.en writes "Rosah" for Rosa, "Then" for Ken and
/// "round book" for runbook; with it, the names and the term come out as
/// the team spells them, every sentence is still there (a prompt makes
/// whisper end a window early; the rest is decoded again), and the
/// transcript records the prompt it was made with.
#[test]
fn roster_names_and_terms_are_spelt_right() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster_file(dir.path());
    let audio = fixture("audio/db-failover.flac");
    let plain = transcript(&transcribe(&["-q", "-f", "json", s(&audio)]));
    let prompted = transcript(&transcribe(&[
        "-q",
        "-f",
        "json",
        "--roster",
        s(&roster),
        s(&audio),
    ]));
    assert!(plain["recording"].get("prompt").is_none(), "{plain}");
    assert_eq!(
        prompted["recording"]["prompt"],
        "Ian Park, Ken Ito, Rosa Diaz, orders API, runbook."
    );
    let (p, q) = (words(&text_of(&plain)), words(&text_of(&prompted)));
    let has = |ws: &[String], w: &str| ws.iter().any(|x| x == w);
    for w in ["rosa", "ken", "runbook"] {
        assert!(
            has(&q, w),
            "{w} missing with the roster: {}",
            text_of(&prompted)
        );
    }
    // The case that makes this a test of the prompt: the plain run misses them.
    assert!(
        !has(&p, "rosa") && !has(&p, "runbook"),
        "{}",
        text_of(&plain)
    );
    // Nothing lost: the last sentence ("… with a drill") is there.
    assert!(has(&q, "drill"), "{}", text_of(&prompted));
    let n = |d: &serde_json::Value| d["utterances"].as_array().map_or(0, Vec::len);
    assert!(n(&prompted) >= n(&plain), "{prompted}");
}

/// A roster with a wrong `terms` type is refused with the file's name.
#[test]
fn bad_terms_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("team.toml");
    std::fs::write(&roster, "terms = \"orders API\"\n").unwrap();
    let o = transcribe(&[
        "-q",
        "--roster",
        s(&roster),
        s(&fixture("audio/db-failover.flac")),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("team.toml") && e.contains("terms"), "{e}");
}
