//! Reference transcripts beside recordings, read by `eval asr` and
//! `eval live`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

fn strip_label(line: &str) -> &str {
    // "left: …", "speaker 2: …" → the words.
    if let Some((label, rest)) = line.split_once(':') {
        let l = label.trim();
        let words: Vec<&str> = l.split_whitespace().collect();
        let looks_like_label = !l.is_empty()
            && words.len() <= 2
            && l.chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '_' || c == '-');
        if looks_like_label {
            return rest.trim();
        }
    }
    line.trim()
}

/// The reference text beside `audio` (`.txt`, `.ref.json` or `.stm`) and
/// whether it labels channels `left:`/`right:`.
pub fn read_reference(audio: &Path) -> Result<Option<(String, bool)>> {
    let stem = audio.with_extension("");
    let txt = stem.with_extension("txt");
    if txt.is_file() {
        let text = std::fs::read_to_string(&txt)
            .with_context(|| format!("{}: cannot read reference", txt.display()))?;
        let per_channel = text.lines().any(|l| l.starts_with("left:"))
            && text.lines().any(|l| l.starts_with("right:"));
        let words: Vec<&str> = text.lines().map(strip_label).collect();
        return Ok(Some((words.join(" "), per_channel)));
    }
    let refj = PathBuf::from(format!("{}.ref.json", stem.display()));
    if refj.is_file() {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&refj)?)
            .with_context(|| format!("{}: not valid JSON", refj.display()))?;
        let turns = v.get("turns").cloned().unwrap_or(v);
        let mut parts: Vec<(f64, String)> = turns
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| {
                        Some((
                            t.get("start")?.as_f64().unwrap_or(0.0),
                            t.get("text")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        parts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let text: Vec<String> = parts.into_iter().map(|p| p.1).collect();
        return Ok(Some((text.join(" "), false)));
    }
    let stm = stem.with_extension("stm");
    if stm.is_file() {
        // STM: file channel speaker start end [<labels>] words…
        let text = std::fs::read_to_string(&stm)?;
        let words: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with(";;") && !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let mut rest = f.get(5..).unwrap_or(&[]).to_vec();
                if rest.first().is_some_and(|w| w.starts_with('<')) {
                    rest.remove(0);
                }
                rest.join(" ")
            })
            .collect();
        return Ok(Some((words.join(" "), false)));
    }
    Ok(None)
}
