//! Bounded fuzzing of the transcript input path, inside the normal test
//! suite: the transcripts `hotwash postmortem` reads (the engine's JSON
//! document, its JSON Lines, hand-corrected `.ref.json`) are mutated with
//! a seeded generator — JSON-aware (numbers and times at their extremes,
//! types swapped, keys dropped, elements duplicated, deep nesting) and
//! byte-level (bit flips, truncation, garbage) — and each result goes
//! through [`parse_transcript`], then [`assemble`] and [`build_record`]
//! when it parses. No input may panic or take longer than [`TIME_LIMIT`];
//! errors must be one line naming the file.
//!
//! An input that fails is saved under `tests/crashers/` and the test
//! fails; `crashers_replay_cleanly` replays every file there.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hotwash_postmortem::input::assemble;
use hotwash_postmortem::input::parse::parse_transcript;
use hotwash_postmortem::{build_record, Options};
use serde_json::{json, Value};

/// Mutated inputs per seed.
const PER_SEED: usize = 2000;
/// Longest one input may take before it counts as a hang.
const TIME_LIMIT: Duration = Duration::from_secs(10);

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The seeds: file name (its extension chooses the parser) and text.
fn seeds() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let read =
        |p: PathBuf| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    // The engine's document, cut to its first utterances (speed).
    let mut bridge: Value =
        serde_json::from_str(&read(root().join("tests/fixtures/search-bridge.json"))).unwrap();
    if let Some(u) = bridge["utterances"].as_array_mut() {
        u.truncate(6);
    }
    out.push((
        "bridge.json".into(),
        serde_json::to_string_pretty(&bridge).unwrap(),
    ));
    out.push((
        "handoff.jsonl".into(),
        read(root().join("tests/fixtures/search-handoff.jsonl")),
    ));
    for name in ["db-failover", "live-check"] {
        out.push((
            format!("{name}.ref.json"),
            read(root().join(format!("../fixtures/audio/{name}.ref.json"))),
        ));
    }
    // A multitrack engine document with speakers and wall-clock starts.
    let doc = json!({
        "schema": "hotwash.transcript/1",
        "recording": {"sources": ["a.flac", "b.flac"], "tracks": ["ann", "bo"],
                      "start_utc": "2026-03-01T08:00:00Z", "duration": 30.0, "model": "m"},
        "utterances": [
            {"id": 0, "track": "ann", "speaker": "ann", "start": 0.5, "end": 3.0,
             "wall_start": "2026-03-01T08:00:00.500Z",
             "text": "Ann here, I am incident commander, this is a SEV2.",
             "words": [{"text": "Ann", "start": 0.5, "end": 0.8}, {"text": "here,", "start": 0.8, "end": 1.1}]},
            {"id": 1, "track": "bo", "speaker": "bo", "start": 3.5, "end": 8.0,
             "text": "Bo will roll back the deploy by 08:30 and post in the channel."},
            {"id": 2, "track": "ann", "start": 9.0, "end": 12.0,
             "text": "Decision: we fail over to the secondary region now."}
        ],
        "summary": {"audio_seconds": 30.0}
    });
    out.push(("tracks.json".into(), serde_json::to_string(&doc).unwrap()));
    out
}

/// Sentences whose numbers break date and time arithmetic in extraction.
const PHRASES: [&str; 12] = [
    "Next update in 9223372036854775807 hours.",
    "We will update you within 153722867280912930 minutes.",
    "Ken will fix it in 99999999999999 days.",
    "Action: Maya to file the ticket 9999999999999 weeks from now.",
    "The review is due in 4294967297 months.",
    "Rosa will roll back by 99:99 UTC tomorrow.",
    "At 25:61 the pager fired; we declared SEV99999999999999999999.",
    "Decision: due on 31 February 99999, owner Bo.",
    "It started 1e308 minutes ago and recovered at 00:00:00.000000000001.",
    "Next update in 0 minutes, then in -5 hours.",
    "Ann will deploy the fix by the 99th and report at 23:59:60.",
    "Follow-up: Bo owns it, due next week, in a couple of 18446744073709551616 days.",
];

/// Values that break numbers, times and types.
fn extreme(rng: &mut Rng) -> Value {
    if rng.below(4) == 0 {
        return json!(PHRASES[rng.below(PHRASES.len())]);
    }
    match rng.below(22) {
        0 => json!(1e308),
        1 => json!(-1e308),
        2 => json!(1e-308),
        3 => json!(0),
        4 => json!(-0.0),
        5 => json!(i64::MAX),
        6 => json!(i64::MIN),
        7 => json!(u64::MAX),
        8 => json!(9.3e18),
        9 => json!(""),
        10 => json!("x".repeat(10_000)),
        11 => json!("+262142-12-31T23:59:59Z"),
        12 => json!("-262143-01-01T00:00:00Z"),
        13 => json!("9999-12-31T23:59:59.999999999Z"),
        14 => json!("0000-01-01T00:00:00Z"),
        15 => Value::Null,
        16 => json!(true),
        17 => json!([]),
        18 => json!({}),
        19 => json!("\u{0}\u{202e}\u{1F600}\\u0000"),
        20 => json!(-1),
        _ => {
            let mut v = json!(1);
            for _ in 0..rng.below(200) {
                v = json!([v]);
            }
            v
        }
    }
}

/// Every node of a JSON value, as paths of keys and indexes.
fn paths(v: &Value, at: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                at.push(PathStep::Key(k.clone()));
                paths(x, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(PathStep::Index(i));
                paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn node<'a>(v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    let mut cur = v;
    for step in path {
        cur = match step {
            PathStep::Key(k) => cur.get_mut(k.as_str())?,
            PathStep::Index(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

/// One JSON-aware mutation of `v`.
fn mutate_value(rng: &mut Rng, v: &mut Value) {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    let path = all[rng.below(all.len())].clone();
    let op = rng.below(6);
    // Values sent for the next op, drawn before borrowing the node.
    let replacement = extreme(rng);
    let copies = 1 + rng.below(300);
    let Some(target) = node(v, &path) else {
        return;
    };
    match op {
        0 | 1 => *target = replacement,
        2 => {
            // Drop a key or an element.
            match target {
                Value::Object(m) if !m.is_empty() => {
                    let k = m.keys().nth(copies % m.len()).cloned().unwrap();
                    m.remove(&k);
                }
                Value::Array(a) if !a.is_empty() => {
                    a.remove(copies % a.len());
                }
                _ => *target = Value::Null,
            }
        }
        3 => {
            // Duplicate an element many times.
            if let Value::Array(a) = target {
                if let Some(first) = a.first().cloned() {
                    a.extend(std::iter::repeat_n(first, copies));
                }
            }
        }
        4 => {
            // A number as a string, a string as a number.
            *target = match target.take() {
                Value::Number(n) => Value::String(n.to_string()),
                Value::String(s) => s.parse::<f64>().map(|f| json!(f)).unwrap_or(json!(s.len())),
                other => json!([other]),
            };
        }
        _ => {
            // Scale a number (times out of order, negative, huge).
            if let Some(f) = target.as_f64() {
                let scale = [-1.0, 1e6, 1e15, -1e15, 0.5, 1e300][copies % 6];
                *target = json!(f * scale);
            }
        }
    }
}

/// One to three mutations of a seed, JSON-aware or on its bytes.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let jsonl = !text.trim_start().starts_with('{')
        || text.lines().filter(|l| l.starts_with('{')).count() > 1;
    let mut out = text.to_string();
    for _ in 0..1 + rng.below(3) {
        match rng.below(10) {
            0..=5 => {
                if jsonl {
                    let mut lines: Vec<String> = out.lines().map(String::from).collect();
                    if lines.is_empty() {
                        continue;
                    }
                    let i = rng.below(lines.len());
                    match rng.below(4) {
                        0 => {
                            let dup = lines[i].clone();
                            lines.insert(i, dup);
                        }
                        1 => {
                            lines.remove(i);
                        }
                        _ => {
                            if let Ok(mut v) = serde_json::from_str::<Value>(&lines[i]) {
                                mutate_value(rng, &mut v);
                                lines[i] = serde_json::to_string(&v).unwrap();
                            }
                        }
                    }
                    out = lines.join("\n");
                } else if let Ok(mut v) = serde_json::from_str::<Value>(&out) {
                    mutate_value(rng, &mut v);
                    out = serde_json::to_string(&v).unwrap();
                }
            }
            6 => {
                // Bit flips.
                let mut b = out.into_bytes();
                for _ in 0..1 + rng.below(8) {
                    if !b.is_empty() {
                        let at = rng.below(b.len());
                        b[at] ^= 1 << rng.below(8);
                    }
                }
                out = String::from_utf8_lossy(&b).into_owned();
            }
            7 => {
                let mut cut = rng.below(out.len() + 1);
                while !out.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.truncate(cut);
            }
            8 => {
                let mut at = rng.below(out.len() + 1);
                while !out.is_char_boundary(at) {
                    at -= 1;
                }
                let junk: String = (0..1 + rng.below(40))
                    .map(|_| {
                        ['{', '}', '[', ']', '"', ',', ':', '0', 'e', '-', '\\', ' '][rng.below(12)]
                    })
                    .collect();
                out.insert_str(at, &junk);
            }
            _ => {
                // Deep nesting around the whole document.
                let depth = 1 + rng.below(400);
                out = format!("{}{}{}", "[".repeat(depth), out, "]".repeat(depth));
            }
        }
    }
    out
}

/// What one input goes through; `Err` is a wrong message (a panic is
/// caught by the caller). `Ok(true)` when it parsed.
fn exercise(name: &str, text: &str) -> Result<bool, String> {
    let path = PathBuf::from(name);
    match parse_transcript(&path, text) {
        Ok(t) => {
            if t.utterances.is_empty() {
                return Ok(true);
            }
            let call = assemble(vec![(path, t)], None);
            let record = build_record(&call, &Options::default());
            // The record must serialise (it is written as JSON).
            serde_json::to_string(&record)
                .map_err(|e| format!("record does not serialise: {e}"))?;
            Ok(true)
        }
        Err(e) => {
            let msg = e.to_string();
            if msg.contains('\n') || !msg.contains(name) {
                return Err(format!("error is not one line naming the file: {msg:?}"));
            }
            Ok(false)
        }
    }
}

enum Outcome {
    Clean(bool),
    Failed(String),
    Hang,
}

/// Runs inputs on a worker thread under `catch_unwind` and the time limit.
struct Runner {
    jobs: mpsc::Sender<(String, String)>,
    results: mpsc::Receiver<Result<Result<bool, String>, String>>,
    slowest: Duration,
    stuck: bool,
}

impl Runner {
    fn new() -> Self {
        let (jobs, job_rx) = mpsc::channel::<(String, String)>();
        let (res_tx, results) = mpsc::channel();
        std::thread::spawn(move || {
            for (name, text) in job_rx {
                let r = catch_unwind(AssertUnwindSafe(|| exercise(&name, &text))).map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "a panic".into())
                });
                if res_tx.send(r).is_err() {
                    break;
                }
            }
        });
        Runner {
            jobs,
            results,
            slowest: Duration::ZERO,
            stuck: false,
        }
    }

    fn run(&mut self, name: &str, text: &str) -> Outcome {
        assert!(!self.stuck, "the worker is stuck on an earlier input");
        self.jobs
            .send((name.to_string(), text.to_string()))
            .unwrap();
        let t = Instant::now();
        let r = self.results.recv_timeout(TIME_LIMIT);
        self.slowest = self.slowest.max(t.elapsed());
        match r {
            Ok(Ok(Ok(parsed))) => Outcome::Clean(parsed),
            Ok(Ok(Err(msg))) => Outcome::Failed(msg),
            Ok(Err(panic)) => Outcome::Failed(format!("panicked: {panic}")),
            Err(_) => {
                self.stuck = true;
                Outcome::Hang
            }
        }
    }
}

fn crashers_dir() -> PathBuf {
    root().join("tests/crashers")
}

#[test]
fn mutated_transcripts_never_panic_or_hang() {
    let seeds = seeds();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let mut runner = Runner::new();
    let mut rng = Rng(0x7A5C_51A7_0BAD_F00D);
    let (mut tried, mut parsed) = (0usize, 0usize);
    let mut failures = Vec::new();
    'all: for (name, text) in &seeds {
        assert!(
            matches!(runner.run(name, text), Outcome::Clean(true)),
            "the seed {name} does not parse"
        );
        for i in 0..PER_SEED {
            let input = mutate(&mut rng, text);
            tried += 1;
            match runner.run(name, &input) {
                Outcome::Clean(p) => parsed += usize::from(p),
                Outcome::Failed(msg) => failures.push((format!("{i:04}-{name}"), input, msg)),
                Outcome::Hang => {
                    failures.push((format!("{i:04}-{name}"), input, "hang".into()));
                    break 'all;
                }
            }
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "fuzz_transcript: {tried} inputs from {} seeds in {:.1} s (slowest {:.0} ms), {parsed} parsed, {} failed",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        runner.slowest.as_secs_f64() * 1e3,
        failures.len()
    );
    if !failures.is_empty() {
        std::fs::create_dir_all(crashers_dir()).unwrap();
        for (name, input, _) in &failures {
            std::fs::write(crashers_dir().join(name), input).unwrap();
        }
        let list: Vec<String> = failures
            .iter()
            .take(20)
            .map(|(n, _, m)| format!("{n}: {m}"))
            .collect();
        panic!(
            "{} of {tried} inputs failed (saved under tests/crashers/):\n{}",
            failures.len(),
            list.join("\n")
        );
    }
}

#[test]
fn crashers_replay_cleanly() {
    let Ok(entries) = std::fs::read_dir(crashers_dir()) else {
        println!("no crashers saved");
        return;
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    std::panic::set_hook(Box::new(|_| {}));
    let mut runner = Runner::new();
    let mut failures = Vec::new();
    for path in &files {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        // Named NNNN-<seed file name>: the seed's name picks the parser.
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let name = file.split_once('-').map_or(file.as_str(), |(_, n)| n);
        match runner.run(name, &text) {
            Outcome::Clean(_) => {}
            Outcome::Failed(msg) => failures.push(format!("{file}: {msg}")),
            Outcome::Hang => {
                failures.push(format!("{file}: hang"));
                break;
            }
        }
    }
    let _ = std::panic::take_hook();
    println!("replayed {} crashers", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
