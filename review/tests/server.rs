//! The server in-process on a record built from the postmortem crate's own
//! fixture call: the page, the token, a change saved with the renderings
//! and the save hook called, a stale change refused, and a record changed
//! on disk read again.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hotwash_postmortem::review::{item_keys, ItemKind};
use hotwash_postmortem::{build_record, load_transcripts, read_record, render_all, Options};
use hotwash_review::{Config, SavedHook, ServeError, Server};

fn incident_dir() -> tempfile::TempDir {
    let fixture = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../postmortem/tests/fixtures/search-bridge.json"
    ));
    let call = load_transcripts(&[fixture], None).unwrap();
    let r = build_record(&call, &Options::default());
    let d = tempfile::tempdir().unwrap();
    render_all(&r, d.path(), None).unwrap();
    d
}

fn config(dir: &Path, hook: Option<SavedHook>) -> Config {
    Config {
        dir: dir.to_path_buf(),
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        audio: None,
        on_saved: hook,
        token: None,
    }
}

fn start(dir: &Path, hook: Option<SavedHook>) -> String {
    let server = Server::bind(config(dir, hook)).unwrap();
    let url = server.url().to_string();
    std::thread::spawn(move || server.run());
    url
}

/// (status, body) of one request.
fn http(method: &str, url: &str, body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = raw.split_once("\r\n\r\n").map(|x| x.1).unwrap_or_default();
    (status, body.to_string())
}

#[test]
fn changes_are_saved_checked_and_announced() {
    let d = incident_dir();
    let saved: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let seen = saved.clone();
    let hook: SavedHook =
        Arc::new(move |_, written| seen.lock().unwrap().extend_from_slice(written));
    let url = start(d.path(), Some(hook));

    let (status, page) = http("GET", &url, "");
    assert_eq!(status, 200);
    assert!(page.contains("data-key=\"action:"), "{page}");
    assert!(
        page.contains("<script>"),
        "the script is bundled in the page"
    );
    assert!(
        page.contains("cannot play"),
        "no audio: the play buttons say why"
    );
    let origin = url.trim_end_matches('/').rsplit_once('/').unwrap().0;
    assert_eq!(http("GET", &format!("{origin}/wrong-token/"), "").0, 404);

    let r = read_record(&d.path().join("incident.json")).unwrap();
    let key = item_keys(&r, ItemKind::Action)[0].clone();
    let change = |rev: u64, action: &str, fields: serde_json::Value| {
        serde_json::json!({"key": key, "revision": rev, "reviewer": "Lee", "action": action, "fields": fields})
            .to_string()
    };
    let (status, body) = http(
        "POST",
        &format!("{url}api/change"),
        &change(
            0,
            "edit",
            serde_json::json!({"owner": "Lee", "due": "2026-12-20"}),
        ),
    );
    assert_eq!(status, 200, "{body}");
    let r = read_record(&d.path().join("incident.json")).unwrap();
    assert_eq!(r.action_items[0].owner.as_deref(), Some("Lee"));
    assert_eq!(r.review.get(&key).revision, 1);
    let csv = std::fs::read_to_string(d.path().join("actions-jira.csv")).unwrap();
    assert!(csv.contains("2026-12-20"), "{csv}");
    assert!(saved
        .lock()
        .unwrap()
        .iter()
        .any(|p| p.ends_with("incident.json")));

    let (status, body) = http(
        "POST",
        &format!("{url}api/change"),
        &change(0, "reject", serde_json::json!({})),
    );
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("reload"), "{body}");
    let (status, body) = http(
        "POST",
        &format!("{url}api/change"),
        &change(1, "edit", serde_json::json!({"due": "soon"})),
    );
    assert_eq!(status, 400, "{body}");

    // Confirmed-only export: the edited item alone.
    let (status, csv) = http(
        "GET",
        &format!("{url}export/actions-jira.csv?confirmed=1"),
        "",
    );
    assert_eq!(status, 200);
    assert_eq!(csv.matches(",Task\n").count(), 1, "{csv}");

    // The file changed under the server: the next request reads it again.
    let mut r = read_record(&d.path().join("incident.json")).unwrap();
    r.incident.title = "A title set elsewhere".into();
    std::thread::sleep(std::time::Duration::from_millis(20));
    render_all(&r, d.path(), None).unwrap();
    let (_, page) = http("GET", &url, "");
    assert!(page.contains("A title set elsewhere"));
}

#[test]
fn bad_directories_and_taken_ports_are_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    let e = Server::bind(config(&d.path().join("none"), None)).unwrap_err();
    assert!(matches!(e, ServeError::NoDir(_)), "{e}");
    let e = Server::bind(config(d.path(), None)).unwrap_err();
    assert!(e.to_string().contains("no incident.json"), "{e}");
    let inc = incident_dir();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = config(inc.path(), None);
    c.listen = taken.local_addr().unwrap();
    let e = Server::bind(c).unwrap_err();
    assert!(matches!(e, ServeError::PortInUse(_)), "{e}");
}
