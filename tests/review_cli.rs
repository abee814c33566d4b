//! `hotwash review` without a browser: bad input gets one clear line and a
//! non-zero exit; the audio is served with byte ranges; a stale save is
//! refused with 409; the page works without the audio and says why.

mod review_support;

use review_support::*;

fn fails_with(args: &[&str], dir: &std::path::Path, wanted: &str) {
    let o = hotwash()
        .arg("review")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "succeeded: {err}");
    assert!(err.contains(wanted), "wanted {wanted:?} in: {err}");
    assert_eq!(err.trim().lines().count(), 1, "not one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_gets_one_clear_line() {
    let out = out_dir("bad-input");
    fails_with(&[], &out.join("nowhere"), "no such incident directory");
    fails_with(&[], &out, "no incident.json here");
    let other = out.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("incident.json"),
        "{\"schema\": \"someone.else/3\", \"incident\": {}}",
    )
    .unwrap();
    fails_with(&[], &other, "schema is \"someone.else/3\"");

    let inc = out.join("inc");
    postmortem(&inc, &[]);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    fails_with(&["--port", &port], &inc, "port is in use");
}

#[test]
fn audio_is_served_in_ranges_and_stale_saves_are_refused() {
    let out = out_dir("ranges");
    let inc = out.join("inc");
    postmortem(&inc, &[]);
    let review = start_review(&inc, &[]);
    assert!(
        review.url.starts_with("http://127.0.0.1:"),
        "{}",
        review.url
    );

    // Without the token nothing is served.
    let base = review.url.trim_end_matches('/');
    let (origin, _) = base.rsplit_once('/').unwrap();
    assert_eq!(http("GET", &format!("{origin}/"), &[], "").status, 404);
    assert_eq!(
        http("GET", &format!("{origin}/audio/0"), &[], "").status,
        404
    );

    let whole = http("GET", &format!("{}audio/0", review.url), &[], "");
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    let len = whole.body.len();
    assert_eq!(
        whole.body,
        std::fs::read(root().join("fixtures/audio/db-failover.flac")).unwrap()
    );
    let part = http(
        "GET",
        &format!("{}audio/0", review.url),
        &[("Range", "bytes=100-199")],
        "",
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, whole.body[100..200]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 100-199/{len}").as_str())
    );
    let past = http(
        "GET",
        &format!("{}audio/0", review.url),
        &[("Range", &format!("bytes={}-", len + 10))],
        "",
    );
    assert_eq!(past.status, 416);

    // Two tabs: the second save on the old revision is refused.
    let rec = record(&inc);
    let first = &rec["decisions"][0]["sources"];
    let key = format!(
        "decision:{}",
        first
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("+")
    );
    let body = |rev: u64, action: &str| {
        serde_json::json!({"key": key, "revision": rev, "reviewer": "Tab One", "action": action})
            .to_string()
    };
    let json = [("Content-Type", "application/json")];
    let ok = http(
        "POST",
        &format!("{}api/change", review.url),
        &json,
        &body(0, "confirm"),
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    let stale = http(
        "POST",
        &format!("{}api/change", review.url),
        &json,
        &body(0, "reject"),
    );
    assert_eq!(stale.status, 409, "{}", stale.text());
    assert!(
        stale.text().contains("changed elsewhere"),
        "{}",
        stale.text()
    );
    let rec = record(&inc);
    assert_eq!(rec["review"]["items"][&key]["state"], "confirmed");
    assert_eq!(rec["schema"], "hotwash.incident/2");
}

#[test]
fn without_the_audio_the_page_works_and_says_why() {
    let out = out_dir("no-audio");
    let inc = out.join("inc");
    postmortem(&inc, &[]);
    let mut rec = record(&inc);
    rec["recordings"][0]["path"] = "/nonexistent/bridge-call.json".into();
    std::fs::write(inc.join("incident.json"), rec.to_string()).unwrap();
    let review = start_review(&inc, &[]);
    let page = http("GET", &review.url, &[], "");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("No audio for"), "{html}");
    assert!(html.contains("cannot play: no audio found"), "{html}");
    assert!(!html.contains("src=\"audio/0\""));
}

#[test]
fn a_v1_record_is_read_and_saved_as_v2() {
    let out = out_dir("v1");
    let inc = out.join("inc");
    postmortem(&inc, &[]);
    let mut rec = record(&inc);
    rec["schema"] = "hotwash.incident/1".into();
    rec.as_object_mut().unwrap().remove("review");
    std::fs::write(inc.join("incident.json"), rec.to_string()).unwrap();
    let shown = hotwash()
        .args(["show"])
        .arg(inc.join("incident.json"))
        .arg("decisions")
        .output()
        .unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let review = start_review(&inc, &[]);
    assert_eq!(http("GET", &review.url, &[], "").status, 200);
}
