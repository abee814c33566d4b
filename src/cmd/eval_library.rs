//! `hotwash eval library DIR... --queries FILE`: how well "have we seen
//! this before?" finds the right past incident. Every scenario's reference
//! transcript becomes a record (as `hotwash postmortem` builds it), all go
//! into one fresh library, and each query (a symptom described in other
//! words than the call's) is asked with each signal alone and all fused.
//! Reports hit@1, hit@3 and mean reciprocal rank per ranking, and the
//! query time of the fused ranking.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use hotwash_library::{Library, Signals, SimilarTo};
use hotwash_postmortem::acts::{Embed, EmbedCache};
use hotwash_postmortem::{build_record, eval, render_all, Options};
use serde::{Deserialize, Serialize};

/// Arguments of `hotwash eval library`.
#[derive(Debug, Args)]
pub struct EvalLibraryArgs {
    /// Scenario directories (or files) with reference transcripts.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The queries: TOML `[[query]]` tables with `incident` (a scenario id) and `text`.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "fixtures/library-queries.toml"
    )]
    pub queries: PathBuf,
    /// Also grow the library to this many incidents with synthetic copies
    /// (ids changed, vectors jittered) and time `similar` and `search` on it.
    #[arg(long, value_name = "N")]
    pub synthetic: Option<usize>,
    /// Build the library in this directory and keep it (to profile or to
    /// time the CLI on it) instead of a temporary one; it must not exist.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Copies of every exported incident under new ids, with each stored
/// vector jittered (a deterministic xorshift), until the library holds `n`.
fn grow(lib: &mut Library, n: usize) -> Result<f64> {
    let mut dump = Vec::new();
    lib.export(&mut dump)?;
    let dump = String::from_utf8(dump)?;
    let mut lines = dump.lines();
    let header = lines.next().unwrap_or_default().to_string();
    let base: Vec<serde_json::Value> = lines
        .map(serde_json::from_str)
        .collect::<std::result::Result<_, _>>()?;
    let have = base.len();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let mut out = String::new();
    let mut made = 0;
    let mut copy = 0;
    while have + made < n {
        copy += 1;
        for b in &base {
            if have + made >= n {
                break;
            }
            let mut v = b.clone();
            let old = v["id"].as_str().unwrap_or_default().to_string();
            let id = format!("{old}-syn{copy}");
            v["id"] = id.clone().into();
            v["record"]["incident"]["id"] = id.clone().into();
            if let Some(acts) = v["actions"].as_array_mut() {
                for a in acts {
                    let item = a["item"].as_str().unwrap_or_default().to_string();
                    a["id"] = format!("{id}/{item}").into();
                    a["incident_id"] = id.clone().into();
                }
            }
            if let Some(vs) = v["vectors"].as_array_mut() {
                for vec in vs {
                    if let Some(xs) = vec["vector"].as_array_mut() {
                        let mut f: Vec<f32> = xs
                            .iter()
                            .map(|x| x.as_f64().unwrap_or(0.0) as f32 + 0.05 * noise())
                            .collect();
                        let norm = f.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                        f.iter_mut().for_each(|x| *x /= norm);
                        *xs = f.into_iter().map(serde_json::Value::from).collect();
                    }
                }
            }
            out.push_str(&v.to_string());
            out.push('\n');
            made += 1;
        }
    }
    let bytes_before = std::fs::metadata(lib.path())?.len();
    let text = format!("{header}\n{out}");
    lib.import(&mut text.as_bytes(), Path::new("synthetic.jsonl"))?;
    let bytes_after = std::fs::metadata(lib.path())?.len()
        + std::fs::metadata(lib.path().with_extension("db-wal")).map_or(0, |m| m.len());
    Ok((bytes_after.saturating_sub(bytes_before)) as f64 / made.max(1) as f64)
}

#[derive(Debug, Deserialize)]
struct QueryFile {
    query: Vec<Query>,
}

#[derive(Debug, Deserialize)]
struct Query {
    incident: String,
    text: String,
}

/// The figures of one ranking.
#[derive(Debug, Serialize)]
struct Figures {
    ranking: String,
    queries: usize,
    hit_at_1: f64,
    hit_at_3: f64,
    mrr: f64,
    /// Queries whose incident was not in the first 10.
    missed: Vec<String>,
}

/// Where the eval keeps sentence embeddings between runs (inside the checkout).
const EMBED_CACHE: &str = "target/eval-embeddings.json";

fn rank_of(lib: &Library, q: &Query, signals: Signals) -> Result<Option<usize>> {
    let a = lib.similar_with(SimilarTo::Text(&q.text), 10, signals)?;
    Ok(a.hits
        .iter()
        .position(|h| h.incident.id == q.incident)
        .map(|i| i + 1))
}

/// Runs `hotwash eval library`.
pub fn run(args: EvalLibraryArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.queries)
        .with_context(|| format!("{}: cannot read the queries", args.queries.display()))?;
    let queries: QueryFile = toml::from_str(&text)
        .with_context(|| format!("{}: not a queries file", args.queries.display()))?;
    let cases = eval::load_cases(&args.dirs)?;
    if cases.is_empty() {
        bail!("no scenarios found in the given directories");
    }
    let Some(dir) = crate::cmd::embedder::store_dir() else {
        bail!("no model store; set HOTWASH_MODELS or run `hotwash models fetch minilm`");
    };
    let minilm = crate::cmd::embedder::load(&dir).with_context(|| {
        "all-MiniLM-L6-v2 is needed for the meaning ranking: `hotwash models fetch minilm`"
    })?;
    let cache = Arc::new(EmbedCache::with_file(
        minilm.clone(),
        Path::new(EMBED_CACHE),
    ));
    let tmp = tempfile::tempdir()?;
    let home = match &args.keep {
        Some(k) => {
            if k.exists() {
                bail!(
                    "{}: already exists; --keep wants a new directory",
                    k.display()
                );
            }
            std::fs::create_dir_all(k)
                .with_context(|| format!("{}: cannot create it", k.display()))?;
            k.clone()
        }
        None => tmp.path().to_path_buf(),
    };
    let mut lib =
        Library::open(&home.join("library.db"))?.with_embedder(cache.clone() as Arc<dyn Embed>);
    let opts = Options {
        embedder: Some(cache.clone() as Arc<dyn Embed>),
        ..Options::default()
    };
    let mut add_ms = Vec::new();
    for case in &cases {
        let call = case.reference_call()?;
        let record = build_record(
            &call,
            &Options {
                id: Some(case.id.clone()),
                ..opts.clone()
            },
        );
        let out = home.join(&case.id);
        render_all(&record, &out, None)?;
        let t = Instant::now();
        lib.add(&out, "eval")?;
        add_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let known: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let qs: Vec<&Query> = queries
        .query
        .iter()
        .filter(|q| known.contains(&q.incident.as_str()))
        .collect();
    if qs.is_empty() {
        bail!(
            "{}: no query names a scenario of the given directories",
            args.queries.display()
        );
    }
    let rankings = [
        (
            "words (BM25)",
            Signals {
                signatures: false,
                meaning: false,
                words: true,
            },
        ),
        (
            "meaning (MiniLM)",
            Signals {
                signatures: false,
                meaning: true,
                words: false,
            },
        ),
        (
            "signatures + words",
            Signals {
                signatures: true,
                meaning: false,
                words: true,
            },
        ),
        ("fused (all)", Signals::default()),
    ];
    let mut out = Vec::new();
    let mut query_ms = Vec::new();
    for (name, signals) in rankings {
        let (mut h1, mut h3, mut rr) = (0usize, 0usize, 0.0f64);
        let mut missed = Vec::new();
        for q in &qs {
            let t = Instant::now();
            let r = rank_of(&lib, q, signals)?;
            if signals == Signals::default() {
                query_ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
            match r {
                Some(r) => {
                    h1 += usize::from(r == 1);
                    h3 += usize::from(r <= 3);
                    rr += 1.0 / r as f64;
                }
                None => missed.push(q.incident.clone()),
            }
        }
        let n = qs.len() as f64;
        out.push(Figures {
            ranking: name.to_string(),
            queries: qs.len(),
            hit_at_1: h1 as f64 / n,
            hit_at_3: h3 as f64 / n,
            mrr: rr / n,
            missed,
        });
    }
    if let Err(e) = cache.save() {
        eprintln!("note: the embedding cache was not kept: {e}");
    }
    let pct = |v: &mut Vec<f64>, p: f64| -> f64 {
        v.sort_by(f64::total_cmp);
        v.get(((v.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let mut scale = None;
    let mut big_add = Vec::new();
    if let Some(n) = args.synthetic {
        let per = grow(&mut lib, n)?;
        let (mut sim, mut words) = (Vec::new(), Vec::new());
        for q in &qs {
            let t = Instant::now();
            lib.similar(SimilarTo::Text(&q.text), 10)?;
            sim.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            lib.search(&q.text, &hotwash_library::Filters::default(), 10)?;
            words.push(t.elapsed().as_secs_f64() * 1e3);
        }
        // Adding at this size: each scenario's incident again (an update,
        // which replaces every row), its embeddings already cached, so the
        // figure is the store's own cost.
        for case in &cases {
            let t = Instant::now();
            lib.add(&home.join(&case.id), "eval")?;
            big_add.push(t.elapsed().as_secs_f64() * 1e3);
        }
        scale = Some((
            n,
            per,
            pct(&mut sim, 0.5),
            pct(&mut sim, 0.95),
            pct(&mut words, 0.5),
            pct(&mut words, 0.95),
            pct(&mut big_add, 0.5),
            pct(&mut big_add, 0.95),
        ));
    }
    // What embedding a query costs when it is not cached.
    let mut embed_ms: Vec<f64> = qs
        .iter()
        .map(|q| {
            let t = Instant::now();
            let _ = minilm.embed(&[q.text.as_str()]);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let e50 = pct(&mut embed_ms, 0.5);
    let e95 = pct(&mut embed_ms, 0.95);
    let q50 = pct(&mut query_ms, 0.5);
    let q95 = pct(&mut query_ms, 0.95);
    let a50 = pct(&mut add_ms, 0.5);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "incidents": cases.len(),
                "rankings": out,
                "fused_query_ms": {"p50": q50, "p95": q95},
                "add_ms_p50": a50,
                "query_embedding_ms": {"p50": e50, "p95": e95},
                "synthetic": scale.map(|(n, per, s50, s95, w50, w95, a50, a95)| serde_json::json!({
                    "incidents": n, "bytes_per_incident": per,
                    "add_ms_embedding_cached": {"p50": a50, "p95": a95},
                    "similar_ms": {"p50": s50, "p95": s95},
                    "search_ms": {"p50": w50, "p95": w95},
                })),
            }))?
        );
        return Ok(());
    }
    println!(
        "{} incidents, {} queries (embeddings cached in {EMBED_CACHE} after the first run)",
        cases.len(),
        qs.len()
    );
    println!(
        "{:<22} {:>6} {:>6} {:>6}",
        "ranking", "hit@1", "hit@3", "MRR"
    );
    for f in &out {
        println!(
            "{:<22} {:>6.2} {:>6.2} {:>6.2}{}",
            f.ranking,
            f.hit_at_1,
            f.hit_at_3,
            f.mrr,
            if f.missed.is_empty() {
                String::new()
            } else {
                format!("  missed: {}", f.missed.join(", "))
            }
        );
    }
    println!("fused query: p50 {q50:.1} ms, p95 {q95:.1} ms; add p50 {a50:.0} ms (embedding included unless cached in {EMBED_CACHE})");
    println!(
        "embedding one query with all-MiniLM-L6-v2 (not cached): p50 {e50:.1} ms, p95 {e95:.1} ms"
    );
    if let Some((n, per, s50, s95, w50, w95, a50, a95)) = scale {
        println!(
            "at {n} incidents ({per:.0} bytes each): similar p50 {s50:.1} ms p95 {s95:.1} ms (query embedding cached); search p50 {w50:.1} ms p95 {w95:.1} ms; add p50 {a50:.0} ms p95 {a95:.0} ms (embeddings cached)"
        );
    }
    Ok(())
}
