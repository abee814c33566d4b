//! Helpers for the review page's tests: an incident directory built by the
//! real `hotwash postmortem` from the bundled call, a running `hotwash
//! review`, and plain HTTP requests to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `hotwash ARGS…`, stdin closed.
pub fn hotwash() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hotwash"));
    c.stdin(Stdio::null());
    c
}

/// The arguments that build the bundled call's record into `out`: its
/// hand-corrected transcript (its audio lies beside it) and its roster.
pub fn postmortem_args(out: &Path) -> Vec<String> {
    let fx = root().join("fixtures/audio");
    vec![
        "postmortem".into(),
        fx.join("db-failover.ref.json").display().to_string(),
        "--roster".into(),
        fx.join("db-failover.roster.toml").display().to_string(),
        "-o".into(),
        out.display().to_string(),
    ]
}

/// Runs `hotwash postmortem` into `out` (extra arguments after), asserting success.
///
/// These tests drive the page, not the extractor, so the record must not
/// change with what the model store holds: the run sees an empty model
/// store and uses the words-only act labeller whether or not MiniLM has
/// been fetched.
pub fn postmortem(out: &Path, extra: &[&str]) -> String {
    let models = out.with_extension("no-models");
    std::fs::create_dir_all(&models).expect("create an empty model store");
    let o = hotwash()
        .env("HOTWASH_MODELS", &models)
        .args(postmortem_args(out))
        .args(extra)
        .output()
        .expect("run hotwash postmortem");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "hotwash postmortem failed: {}\n{text}",
        String::from_utf8_lossy(&o.stderr)
    );
    text
}

/// A running `hotwash review`, stopped when dropped.
pub struct Review {
    child: Child,
    /// The page's URL, token included.
    pub url: String,
    /// What it printed to stderr before the URL (warnings).
    pub stdout_head: Vec<String>,
}

impl Drop for Review {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `hotwash review DIR ARGS…` and waits for the URL it prints.
pub fn start_review(dir: &Path, args: &[&str]) -> Review {
    let mut child = hotwash()
        .arg("review")
        .arg(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run hotwash review");
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let mut head = Vec::new();
    let url = loop {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(u) = l.strip_prefix("review: ") {
                    break u.to_string();
                }
                head.push(l);
            }
            _ => {
                let status = child.wait().unwrap();
                panic!("hotwash review exited ({status}) before printing its URL: {head:?}");
            }
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Review {
        child,
        url,
        stdout_head: head,
    }
}

/// A plain HTTP/1.1 answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Header lines, lowercased names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `METHOD url` with extra headers and a body, over a fresh connection.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = TcpStream::connect(host).expect("connect to the review server");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[end + 2 + size + 2..];
    }
}

/// The record `dir/incident.json` as JSON.
pub fn record(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("incident.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A fresh, empty output folder for one test under the target directory.
pub fn out_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("review")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
