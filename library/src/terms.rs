//! Choosing the words a full-text query ranks by. A word that most
//! incidents contain adds almost nothing to BM25 (its inverse document
//! frequency is near zero) but makes FTS5 score nearly every row, which is
//! what made `similar` slow on a large library. So each word is stemmed by
//! the index's own tokenizer (a temporary FTS5 table), its document
//! frequency read from the index's vocabulary, and only the rarest words,
//! at most a handful, are asked for.

use rusqlite::params;

use crate::error::{Error, Result};
use crate::Library;

/// Words in more than this share of the incidents are left out of the
/// query (unless every word is, when the rarest one is kept).
const COMMON: f64 = 0.5;

/// The query's words as FTS5 sees them: lowercase, alphanumeric, each once,
/// stopwords dropped, in the order given.
pub(crate) fn words(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in q.split(|c: char| !c.is_alphanumeric()) {
        let w = w.to_lowercase();
        if w.is_empty() || crate::STOPWORDS.contains(&w.as_str()) || out.contains(&w) {
            continue;
        }
        out.push(w);
    }
    out
}

impl Library {
    /// The FTS5 query for free text: the `max` rarest of its words (quoted,
    /// so punctuation and FTS syntax are never interpreted), any of them.
    /// Words no incident has are kept (they cost nothing); words most
    /// incidents have are dropped.
    pub(crate) fn match_query(&self, q: &str, max: usize) -> Result<String> {
        let ws = words(q);
        if ws.is_empty() {
            return Err(Error::EmptyQuery {
                query: q.to_string(),
            });
        }
        let chosen = if ws.len() <= 1 {
            ws
        } else {
            self.rarest(ws, max).map_err(self.err())?
        };
        Ok(chosen
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" OR "))
    }

    fn rarest(&self, ws: Vec<String>, max: usize) -> rusqlite::Result<Vec<String>> {
        self.conn.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_words USING fts5(w, tokenize = 'porter unicode61');
             CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_stems USING fts5vocab(temp, query_words, 'instance');
             CREATE VIRTUAL TABLE IF NOT EXISTS temp.library_vocab USING fts5vocab(main, incident_fts, 'row');
             DELETE FROM temp.query_words;",
        )?;
        {
            let mut put = self
                .conn
                .prepare_cached("INSERT INTO temp.query_words (rowid, w) VALUES (?, ?)")?;
            for (i, w) in ws.iter().enumerate() {
                put.execute(params![i as i64, w])?;
            }
        }
        let total: i64 = self
            .conn
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))?;
        let mut stems = self
            .conn
            .prepare_cached("SELECT doc, term FROM temp.query_stems ORDER BY doc, offset")?;
        let stemmed: Vec<(i64, String)> = stems
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut df = self
            .conn
            .prepare_cached("SELECT doc FROM temp.library_vocab WHERE term = ?")?;
        // A word's frequency: its rarest stem's (one word is one stem with
        // this tokenizer; a word the tokenizer splits counts by its parts).
        let mut freq: Vec<Option<i64>> = vec![None; ws.len()];
        for (doc, term) in &stemmed {
            let i = *doc as usize;
            if i >= ws.len() {
                continue;
            }
            let n: i64 = df.query_row([term], |r| r.get(0)).or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(0),
                e => Err(e),
            })?;
            freq[i] = Some(freq[i].map_or(n, |f| f.min(n)));
        }
        self.conn.execute("DELETE FROM temp.query_words", [])?;
        let mut ranked: Vec<(i64, usize)> = freq
            .iter()
            .enumerate()
            .map(|(i, n)| (n.unwrap_or(0), i))
            .collect();
        ranked.sort();
        let limit = (COMMON * total as f64).ceil() as i64;
        let mut keep: Vec<usize> = ranked
            .iter()
            .filter(|(n, _)| total < 20 || *n <= limit)
            .take(max.max(1))
            .map(|(_, i)| *i)
            .collect();
        if keep.is_empty() {
            keep.push(ranked[0].1);
        }
        keep.sort();
        Ok(keep.into_iter().map(|i| ws[i].clone()).collect())
    }
}
