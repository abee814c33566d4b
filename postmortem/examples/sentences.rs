//! Prints how extraction reads a transcript: every sentence with its time,
//! normalised text and the evidence found in it, then the record's decisions,
//! mitigations, hypotheses and action items.
//!
//! `cargo run -p hotwash-postmortem --example sentences -- TRANSCRIPT.json [FROM_S TO_S]`

use std::path::Path;

use hotwash_postmortem::extract::{build_record, context, evidence, Options};
use hotwash_postmortem::load_transcripts;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: sentences TRANSCRIPT.json [FROM_S TO_S]");
        std::process::exit(2);
    };
    let from: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0.0);
    let to: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(f64::MAX);
    let call = match load_transcripts(&[Path::new(path)], None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sentences: {e}");
            std::process::exit(1);
        }
    };
    let sents = context::sentences(&call);
    for (i, s) in sents.iter().enumerate() {
        if s.offset_s < from || s.offset_s > to {
            continue;
        }
        println!("{:7.1} u{} | {}", s.offset_s, s.utt, s.norm);
        let next = sents.get(i + 1).filter(|n| n.utt == s.utt);
        for f in evidence::find(s, next) {
            println!("          evidence {} {}", f.kind.as_str(), f.value);
        }
    }
    let r = build_record(&call, &Options::default());
    let within = |o: f64| o >= from && o <= to;
    for d in r.decisions.iter().filter(|d| within(d.offset_s)) {
        println!("decision   {:7.1} {}", d.offset_s, d.decision);
    }
    for m in r.mitigations.iter().filter(|m| within(m.offset_s)) {
        println!("mitigation {:7.1} {} ({:?})", m.offset_s, m.what, m.worked);
    }
    for h in r.hypotheses.iter().filter(|h| within(h.offset_s)) {
        println!("hypothesis {:7.1} {}", h.offset_s, h.text);
    }
    for a in r.action_items.iter().filter(|a| within(a.offset_s)) {
        println!(
            "action     {:7.1} {} [owner {:?} due {:?}]",
            a.offset_s, a.action, a.owner, a.due
        );
    }
}
