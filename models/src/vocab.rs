//! The text vocabulary written into ggml files: GPT-2 byte-level BPE tokens
//! 0..50256, decoded from the byte-to-unicode form the tokenizer files use.

use std::collections::HashMap;

use crate::error::{ModelError, Result};

/// Number of text tokens whisper.cpp reads from the file (GPT-2's 50,257);
/// the loader adds the special tokens after them itself.
pub const TEXT_TOKENS: usize = 50_257;

/// GPT-2's table mapping each byte to a printable unicode character, reversed.
fn unicode_to_byte() -> HashMap<char, u8> {
    let printable =
        |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let mut map = HashMap::with_capacity(256);
    let mut extra = 0u32;
    for b in 0u32..256 {
        let c = if printable(b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        if let (Some(ch), Ok(byte)) = (char::from_u32(c), u8::try_from(b)) {
            map.insert(ch, byte);
        }
    }
    map
}

fn decode_token(
    token: &str,
    table: &HashMap<char, u8>,
    origin: &str,
    id: usize,
) -> Result<Vec<u8>> {
    token
        .chars()
        .map(|c| {
            table
                .get(&c)
                .copied()
                .ok_or_else(|| ModelError::InvalidTokenizer {
                    origin: origin.to_string(),
                    reason: format!(
                        "token {id} ({token:?}) has character {c:?} outside GPT-2's byte alphabet"
                    ),
                })
        })
        .collect()
}

fn invalid(origin: &str, reason: impl Into<String>) -> ModelError {
    ModelError::InvalidTokenizer {
        origin: origin.to_string(),
        reason: reason.into(),
    }
}

/// Text tokens 0..50256 as raw bytes, from a Hugging Face `tokenizer.json`
/// (`model.vocab`: token → id).
pub fn from_tokenizer_json(json: &[u8], origin: &str) -> Result<Vec<Vec<u8>>> {
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| invalid(origin, format!("not JSON: {e}")))?;
    let vocab = value
        .get("model")
        .and_then(|m| m.get("vocab"))
        .and_then(|v| v.as_object())
        .ok_or_else(|| invalid(origin, "no model.vocab object"))?;
    let mut tokens: Vec<Option<&str>> = vec![None; TEXT_TOKENS];
    for (token, id) in vocab {
        let id = id
            .as_u64()
            .ok_or_else(|| invalid(origin, format!("id of {token:?} is not a number")))?;
        if let Some(slot) = usize::try_from(id).ok().and_then(|i| tokens.get_mut(i)) {
            *slot = Some(token);
        }
    }
    let table = unicode_to_byte();
    tokens
        .iter()
        .enumerate()
        .map(|(id, t)| {
            let t = t.ok_or_else(|| invalid(origin, format!("no token with id {id}")))?;
            decode_token(t, &table, origin, id)
        })
        .collect()
}

/// Text tokens 0..50256 as raw bytes, from CTranslate2's `vocabulary.txt`
/// (one token per line, line number = id).
pub fn from_vocabulary_txt(text: &[u8], origin: &str) -> Result<Vec<Vec<u8>>> {
    let text = std::str::from_utf8(text).map_err(|_| invalid(origin, "not UTF-8"))?;
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.len() < TEXT_TOKENS {
        return Err(invalid(
            origin,
            format!("{} lines, expected at least {TEXT_TOKENS}", lines.len()),
        ));
    }
    let table = unicode_to_byte();
    lines[..TEXT_TOKENS]
        .iter()
        .enumerate()
        .map(|(id, t)| decode_token(t.strip_suffix('\r').unwrap_or(t), &table, origin, id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_table_is_a_bijection_with_gpt2_specials() {
        let t = unicode_to_byte();
        assert_eq!(t.len(), 256);
        assert_eq!(t[&'Ġ'], b' ');
        assert_eq!(t[&'Ċ'], b'\n');
        assert_eq!(t[&'!'], b'!');
        assert_eq!(t[&'\u{100}'], 0);
    }

    #[test]
    fn decodes_tokenizer_json() {
        let mut vocab = serde_json::Map::new();
        for id in 0..TEXT_TOKENS {
            vocab.insert(format!("Ġt{id}"), id.into());
        }
        vocab.insert("<|endoftext|>".into(), 50257.into());
        let json = serde_json::json!({"model": {"vocab": vocab}});
        let tokens = from_tokenizer_json(json.to_string().as_bytes(), "t").unwrap();
        assert_eq!(tokens.len(), TEXT_TOKENS);
        assert_eq!(tokens[7], b" t7".to_vec());
    }

    #[test]
    fn rejects_incomplete_or_foreign_input() {
        let json = serde_json::json!({"model": {"vocab": {"a": 0}}});
        let err = from_tokenizer_json(json.to_string().as_bytes(), "tok.json").unwrap_err();
        assert!(err.to_string().contains("no token with id 1"), "{err}");
        assert!(from_tokenizer_json(b"{", "x").is_err());
        assert!(from_vocabulary_txt(b"a\nb\n", "v").is_err());
    }
}
