//! The review page in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by scripts/setup.sh), driven over WebDriver
//! against the real `hotwash review` on an incident directory the real
//! `hotwash postmortem` built from the bundled call. Screenshots land in
//! `target/tmp/review/browser/`.

mod review_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use review_support::*;
use serde_json::{json, Value};

const CHROMIUM: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const DRIVER: [&str; 2] = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];

fn first_existing(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> (Driver, PathBuf) {
    let (Some(chromium), Some(driver)) = (first_existing(&CHROMIUM), first_existing(&DRIVER))
    else {
        panic!(
            "the review page's browser tests need Debian's chromium and chromium-driver \
             (looked for {CHROMIUM:?} and {DRIVER:?}); run scripts/setup.sh, which installs them"
        );
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot start: {e}", driver.display()));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (Driver { child, port }, chromium)
}

async fn browser(driver: &Driver, chromium: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium.display().to_string(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--mute-audio", "--autoplay-policy=no-user-gesture-required",
                     "--window-size=1400,1000"]
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless Chromium")
}

async fn shot(c: &Client, dir: &Path, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Waits until `script` returns true (2 s steps of 100 ms… up to `secs`).
async fn until(c: &Client, script: &str, secs: u64, what: &str) {
    let started = Instant::now();
    loop {
        if js(c, script).await == json!(true) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn item(key: &str) -> String {
    format!("li.item[data-key=\"{key}\"]")
}

async fn state_of(c: &Client, key: &str) -> String {
    let el = c.find(Locator::Css(&item(key))).await.unwrap();
    el.find(Locator::Css(".badge.state"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Clicks a button, first scrolled to the middle of the window (the
/// sticky header with the player covers the top).
async fn click(c: &Client, el: &fantoccini::elements::Element) {
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'}); return true;",
        vec![serde_json::to_value(el).unwrap()],
    )
    .await
    .unwrap();
    el.click().await.unwrap();
}

async fn press(c: &Client, key: &str, act: &str) {
    let sel = format!("{} button[data-act=\"{act}\"]", item(key));
    let el = c.find(Locator::Css(&sel)).await.unwrap();
    click(c, &el).await;
}

fn keys_of(rec: &Value, list: &str, kind: &str) -> Vec<String> {
    let mut seen = std::collections::HashMap::new();
    rec[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s: Vec<&str> = i["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            let base = format!("{kind}:{}", s.join("+"));
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}#{n}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_in_a_real_browser_keeps_every_decision() {
    let (driver, chromium) = start_driver();
    let out = out_dir("browser");
    let inc = out.join("incident");
    postmortem(&inc, &[]);
    let rec = record(&inc);
    let actions = keys_of(&rec, "action_items", "action");
    let decisions = keys_of(&rec, "decisions", "decision");
    let timeline = keys_of(&rec, "timeline", "timeline");
    assert!(
        actions.len() >= 2,
        "the bundled call has too few action items: {actions:?}"
    );
    assert!(!decisions.is_empty() && !timeline.is_empty());
    let roster: Vec<String> = rec["speakers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();

    let review = start_review(&inc, &[]);
    let c = browser(&driver, &chromium).await;
    c.goto(&review.url).await.unwrap();
    let title = c.title().await.unwrap();
    assert!(
        title.contains(rec["incident"]["id"].as_str().unwrap()),
        "{title}"
    );
    c.find(Locator::Id("reviewer"))
        .await
        .unwrap()
        .send_keys("Pat Reviewer")
        .await
        .unwrap();
    shot(&c, &out, "1-opened.png").await;

    // Play from the first decision's citation: the audio seeks to a second
    // before the cited utterance.
    until(
        &c,
        "return document.getElementById('audio-0').readyState >= 1;",
        20,
        "audio metadata",
    )
    .await;
    let play = c
        .find(Locator::Css(&format!(
            "{} button.play",
            item(&decisions[0])
        )))
        .await
        .unwrap();
    let utt = play.attr("data-utt").await.unwrap().unwrap();
    let cited_start = rec["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == utt.as_str())
        .unwrap()["offset_s"]
        .as_f64()
        .unwrap();
    let wanted = (cited_start - 1.0).max(0.0);
    click(&c, &play).await;
    until(
        &c,
        "return !document.getElementById('audio-0').seeking;",
        10,
        "the seek",
    )
    .await;
    let at = js(&c, "return document.getElementById('audio-0').currentTime;")
        .await
        .as_f64()
        .unwrap();
    assert!(
        (at - wanted).abs() <= 0.5,
        "played from {at:.2} s, the citation {utt} starts at {cited_start:.2} s (wanted {wanted:.2} s)"
    );
    let cited = js(
        &c,
        &format!("return document.getElementById('u-{utt}').classList.contains('cited');"),
    )
    .await;
    assert_eq!(
        cited,
        json!(true),
        "the cited transcript line is not highlighted"
    );
    js(
        &c,
        "document.getElementById('audio-0').pause(); return true;",
    )
    .await;
    shot(&c, &out, "2-playing.png").await;

    // The transcript is searchable.
    let word = rec["utterances"][1]["text"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .trim_matches(|ch: char| !ch.is_alphanumeric())
        .to_string();
    c.find(Locator::Id("search"))
        .await
        .unwrap()
        .send_keys(&word)
        .await
        .unwrap();
    let hidden = js(
        &c,
        "return document.querySelectorAll('#transcript li.hidden').length;",
    )
    .await;
    assert!(
        hidden.as_u64().unwrap() > 0,
        "searching {word:?} hid no line"
    );
    js(&c, "var s=document.getElementById('search'); s.value=''; s.dispatchEvent(new Event('input')); return true;").await;

    // Confirm one action item.
    press(&c, &actions[0], "confirm").await;
    until(
        &c,
        &format!(
            "return document.querySelector('{}').dataset.rev === '1';",
            item(&actions[0]).replace('\'', "\\'")
        ),
        10,
        "the confirm to be saved",
    )
    .await;
    assert_eq!(state_of(&c, &actions[0]).await, "confirmed");

    // Edit another's owner (from the roster) and due date.
    let owner = roster.last().unwrap().clone();
    press(&c, &actions[1], "edit-open").await;
    let form = c.find(Locator::Css(&item(&actions[1]))).await.unwrap();
    form.find(Locator::Css("select[name=owner]"))
        .await
        .unwrap()
        .select_by_value(&owner)
        .await
        .unwrap();
    let due = form.find(Locator::Css("input[name=due]")).await.unwrap();
    c.execute(
        "arguments[0].value = '2026-11-20'; return true;",
        vec![serde_json::to_value(&due).unwrap()],
    )
    .await
    .unwrap();
    shot(&c, &out, "3-editing.png").await;
    press(&c, &actions[1], "save").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    until(
        &c,
        "return document.readyState === 'complete';",
        10,
        "the page to reload",
    )
    .await;
    assert_eq!(state_of(&c, &actions[1]).await, "edited");

    // Reject a timeline item.
    press(&c, &timeline[0], "reject").await;
    until(
        &c,
        &format!(
            "return document.querySelector('{}').dataset.rev === '1';",
            item(&timeline[0]).replace('\'', "\\'")
        ),
        10,
        "the reject to be saved",
    )
    .await;

    // Reload: all kept.
    c.refresh().await.unwrap();
    assert_eq!(state_of(&c, &actions[0]).await, "confirmed");
    assert_eq!(state_of(&c, &actions[1]).await, "edited");
    assert_eq!(state_of(&c, &timeline[0]).await, "rejected");
    let reviewer = js(&c, "return document.getElementById('reviewer').value;").await;
    assert_eq!(
        reviewer,
        json!("Pat Reviewer"),
        "the reviewer's name was not kept"
    );
    shot(&c, &out, "4-reloaded.png").await;
    let saved = record(&inc);
    let edited = saved["action_items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&actions)
        .find(|(_, k)| **k == actions[1])
        .unwrap()
        .0
        .clone();
    assert_eq!(edited["owner"], owner.as_str());
    assert_eq!(edited["due"], "2026-11-20");
    assert_eq!(
        saved["review"]["items"][&actions[1]]["reviewer"],
        "Pat Reviewer"
    );

    // The Jira export from the page, limited to confirmed items.
    let csv = c
        .execute_async(
            "var done = arguments[arguments.length - 1];
             fetch(document.getElementById('export-jira-confirmed').getAttribute('href'))
               .then(function (r) { return r.text(); }).then(done);",
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap().to_string();
    check_confirmed_export(&csv, &owner, 2);

    // `hotwash postmortem` again over the same call: every decision kept,
    // and its own export limited to confirmed items.
    let said = postmortem(&inc, &["--confirmed-only"]);
    assert!(said.contains("kept 3 review decisions"), "{said}");
    let again = record(&inc);
    assert_eq!(again["review"], saved["review"]);
    assert_eq!(again["action_items"], saved["action_items"]);
    let file = std::fs::read_to_string(inc.join("actions-jira.csv")).unwrap();
    check_confirmed_export(&file, &owner, 2);
    let pm = std::fs::read_to_string(inc.join("postmortem.md")).unwrap();
    let rejected_text = rec["timeline"][0]["event"].as_str().unwrap();
    assert!(
        !pm.contains(rejected_text),
        "postmortem.md still shows the rejected timeline item"
    );

    // The page, reloaded after the re-run, still shows them.
    c.refresh().await.unwrap();
    assert_eq!(state_of(&c, &actions[0]).await, "confirmed");
    assert_eq!(state_of(&c, &actions[1]).await, "edited");
    assert_eq!(state_of(&c, &timeline[0]).await, "rejected");
    shot(&c, &out, "5-after-rerun.png").await;

    // Two tabs on one incident: both open the page, the first confirms a
    // decision, the second (now stale) rejects it and is refused with a
    // message, and the record keeps the first tab's decision.
    let other = browser(&driver, &chromium).await;
    other.goto(&review.url).await.unwrap();
    other
        .find(Locator::Id("reviewer"))
        .await
        .unwrap()
        .send_keys("Sam Second")
        .await
        .unwrap();
    let contested = &decisions[0];
    assert_eq!(state_of(&other, contested).await, "suggested");
    press(&c, contested, "confirm").await;
    until(
        &c,
        &format!(
            "return document.querySelector('{}').dataset.rev === '1';",
            item(contested).replace('\'', "\\'")
        ),
        10,
        "the first tab's confirm to be saved",
    )
    .await;
    press(&other, contested, "reject").await;
    until(
        &other,
        "return document.getElementById('banner').className.indexOf('error') >= 0;",
        10,
        "the second tab to be told its save was refused",
    )
    .await;
    let told = js(
        &other,
        "return document.getElementById('banner').textContent;",
    )
    .await;
    let told = told.as_str().unwrap();
    assert!(
        told.starts_with("Not saved:")
            && told.contains("changed elsewhere")
            && told.contains("reload"),
        "the stale tab was told: {told}"
    );
    shot(&other, &out, "6-stale-tab.png").await;
    let kept = record(&inc);
    assert_eq!(kept["review"]["items"][contested]["state"], "confirmed");
    assert_eq!(
        kept["review"]["items"][contested]["reviewer"],
        "Pat Reviewer"
    );
    other.refresh().await.unwrap();
    assert_eq!(state_of(&other, contested).await, "confirmed");
    other.close().await.unwrap();
    c.close().await.unwrap();
}

fn check_confirmed_export(csv: &str, owner: &str, rows: usize) {
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("Summary,"), "{csv}");
    let records = csv.matches(",Task\n").count();
    assert_eq!(
        records, rows,
        "the confirmed-only export has other items: {csv}"
    );
    assert!(
        csv.contains(owner),
        "the edited owner is not in the export: {csv}"
    );
}
