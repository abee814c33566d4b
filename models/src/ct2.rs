//! Reader for CTranslate2 `model.bin` files (binary format version 6): the
//! variables of a converted Whisper model, with their aliases.

use std::collections::HashMap;

use half::{bf16, f16};

use crate::error::{ModelError, Result};

/// Element type of a CTranslate2 variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// 32-bit float.
    F32,
    /// 8-bit signed integer (quantized weights or flags).
    I8,
    /// 16-bit signed integer.
    I16,
    /// 32-bit signed integer.
    I32,
    /// 16-bit IEEE float.
    F16,
    /// bfloat16.
    BF16,
}

impl DType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::BF16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::BF16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One variable: name, row-major shape, element type and raw little-endian data.
#[derive(Debug, Clone)]
pub struct Variable<'a> {
    /// Name, e.g. `encoder/layer_0/self_attention/linear_0/weight`.
    pub name: String,
    /// Shape, slowest dimension first (numpy order); empty for scalars.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Raw data, `shape.product() * dtype.size()` bytes.
    pub data: &'a [u8],
}

impl Variable<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True for a variable with no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads element `i` as a float; `None` for integer variables.
    fn float_at(&self, i: usize) -> Option<f32> {
        let b = self.data;
        Some(match self.dtype {
            DType::F32 => f32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]),
            DType::F16 => f16::from_le_bytes([b[2 * i], b[2 * i + 1]]).to_f32(),
            DType::BF16 => bf16::from_le_bytes([b[2 * i], b[2 * i + 1]]).to_f32(),
            DType::I8 | DType::I16 | DType::I32 => return None,
        })
    }

    /// Elements `range` as f32, or `None` for integer variables.
    pub fn f32_range(&self, range: std::ops::Range<usize>) -> Option<Vec<f32>> {
        range.map(|i| self.float_at(i)).collect()
    }

    /// Elements `range` as little-endian f16 bytes (exact copy for f16 data,
    /// round-to-nearest-even for f32/bf16), or `None` for integer variables.
    pub fn f16_bytes_range(&self, range: std::ops::Range<usize>) -> Option<Vec<u8>> {
        if self.dtype == DType::F16 {
            return Some(self.data[2 * range.start..2 * range.end].to_vec());
        }
        let mut out = Vec::with_capacity(2 * range.len());
        for i in range {
            out.extend_from_slice(&f16::from_f32(self.float_at(i)?).to_le_bytes());
        }
        Some(out)
    }

    /// The value of an integer scalar (or one-element) variable.
    pub fn as_int(&self) -> Option<i64> {
        if self.len() != 1 {
            return None;
        }
        let b = self.data;
        Some(match self.dtype {
            DType::I8 => i64::from(b[0] as i8),
            DType::I16 => i64::from(i16::from_le_bytes([b[0], b[1]])),
            DType::I32 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            _ => return None,
        })
    }
}

/// A parsed `model.bin`, borrowing the file's bytes.
#[derive(Debug)]
pub struct Ct2Model<'a> {
    /// Spec name, `WhisperSpec` for Whisper models.
    pub spec: String,
    /// Spec revision.
    pub revision: u32,
    variables: Vec<Variable<'a>>,
    index: HashMap<String, usize>,
    aliases: HashMap<String, String>,
}

/// The only binary format version this reader understands.
pub const SUPPORTED_VERSION: u32 = 6;

struct Cursor<'a, 'o> {
    bytes: &'a [u8],
    pos: usize,
    origin: &'o str,
}

impl<'a> Cursor<'a, '_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.bytes.len() => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            _ => Err(ModelError::Ct2Truncated {
                origin: self.origin.to_string(),
                what: what.to_string(),
                needed: n as u64,
                offset: self.pos as u64,
                len: self.bytes.len() as u64,
            }),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self, what: &str) -> Result<String> {
        let n = self.u16(what)? as usize;
        let at = self.pos;
        let raw = self.take(n, what)?;
        let raw = match raw.split_last() {
            Some((0, s)) => s,
            _ => return Err(self.invalid(format!("{what} at offset {at} is not NUL-terminated"))),
        };
        String::from_utf8(raw.to_vec())
            .map_err(|_| self.invalid(format!("{what} at offset {at} is not UTF-8")))
    }

    fn invalid(&self, reason: String) -> ModelError {
        ModelError::InvalidCt2 {
            origin: self.origin.to_string(),
            reason,
        }
    }
}

impl<'a> Ct2Model<'a> {
    /// Parses `bytes`; `origin` names them in errors (e.g. the wheel member).
    pub fn parse(bytes: &'a [u8], origin: &str) -> Result<Self> {
        let mut c = Cursor {
            bytes,
            pos: 0,
            origin,
        };
        let version = c.u32("format version")?;
        if version != SUPPORTED_VERSION {
            return Err(c.invalid(format!(
                "binary format version {version} is not supported (expected {SUPPORTED_VERSION})"
            )));
        }
        let spec = c.string("spec name")?;
        let revision = c.u32("spec revision")?;
        let count = c.u32("variable count")? as usize;
        let mut variables = Vec::with_capacity(count.min(1 << 16));
        let mut index = HashMap::new();
        for i in 0..count {
            let name = c.string(&format!("name of variable {i}"))?;
            let rank = c.u8(&format!("rank of {name}"))? as usize;
            let mut shape = Vec::with_capacity(rank);
            for _ in 0..rank {
                shape.push(c.u32(&format!("shape of {name}"))? as usize);
            }
            let code = c.u8(&format!("dtype of {name}"))?;
            let dtype = DType::from_code(code).ok_or_else(|| {
                c.invalid(format!("variable {name} has unknown dtype code {code}"))
            })?;
            let nbytes = c.u32(&format!("byte count of {name}"))? as usize;
            let expected = shape
                .iter()
                .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d));
            if expected != Some(nbytes) {
                return Err(c.invalid(format!(
                    "variable {name} declares {nbytes} bytes but its shape {shape:?} of {dtype:?} needs {expected:?}"
                )));
            }
            let data = c.take(nbytes, &format!("data of {name}"))?;
            if index.insert(name.clone(), variables.len()).is_some() {
                return Err(c.invalid(format!("variable {name} appears twice")));
            }
            variables.push(Variable {
                name,
                shape,
                dtype,
                data,
            });
        }
        let mut aliases = HashMap::new();
        let n_alias = c.u32("alias count")?;
        for _ in 0..n_alias {
            let alias = c.string("alias name")?;
            let target = c.string(&format!("target of alias {alias}"))?;
            aliases.insert(alias, target);
        }
        if c.pos != bytes.len() {
            return Err(c.invalid(format!(
                "{} unexpected bytes after the alias table",
                bytes.len() - c.pos
            )));
        }
        Ok(Self {
            spec,
            revision,
            variables,
            index,
            aliases,
        })
    }

    /// All variables in file order (aliases excluded).
    pub fn variables(&self) -> &[Variable<'a>] {
        &self.variables
    }

    /// The alias table (alias → target).
    pub fn aliases(&self) -> &HashMap<String, String> {
        &self.aliases
    }

    /// Looks a variable up by name, following aliases.
    pub fn get(&self, name: &str) -> Option<&Variable<'a>> {
        let name = self.aliases.get(name).map_or(name, String::as_str);
        self.index.get(name).map(|&i| &self.variables[i])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a `model.bin` image from (name, shape, dtype code, data).
    pub(crate) fn image(vars: &[(&str, &[u32], u8, Vec<u8>)], aliases: &[(&str, &str)]) -> Vec<u8> {
        fn s(out: &mut Vec<u8>, v: &str) {
            out.extend_from_slice(&((v.len() + 1) as u16).to_le_bytes());
            out.extend_from_slice(v.as_bytes());
            out.push(0);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&6u32.to_le_bytes());
        s(&mut out, "WhisperSpec");
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
        for (name, shape, dt, data) in vars {
            s(&mut out, name);
            out.push(shape.len() as u8);
            for d in *shape {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.push(*dt);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
        }
        out.extend_from_slice(&(aliases.len() as u32).to_le_bytes());
        for (a, t) in aliases {
            s(&mut out, a);
            s(&mut out, t);
        }
        out
    }

    fn sample() -> Vec<u8> {
        let w: Vec<u8> = [1.0f32, -2.0, 0.5, 3.0]
            .iter()
            .flat_map(|v| f16::from_f32(*v).to_le_bytes())
            .collect();
        image(
            &[
                ("decoder/embeddings/weight", &[2, 2], 4, w),
                ("decoder/num_heads", &[], 2, 6i16.to_le_bytes().to_vec()),
            ],
            &[("decoder/projection/weight", "decoder/embeddings/weight")],
        )
    }

    #[test]
    fn parses_variables_scalars_and_aliases() {
        let bytes = sample();
        let m = Ct2Model::parse(&bytes, "test").unwrap();
        assert_eq!(m.spec, "WhisperSpec");
        assert_eq!(m.revision, 3);
        assert_eq!(m.variables().len(), 2);
        let p = m.get("decoder/projection/weight").unwrap();
        assert_eq!(p.shape, vec![2, 2]);
        assert_eq!(p.f32_range(0..4).unwrap(), vec![1.0, -2.0, 0.5, 3.0]);
        assert_eq!(p.f16_bytes_range(2..4).unwrap(), p.data[4..8].to_vec());
        assert_eq!(m.get("decoder/num_heads").unwrap().as_int(), Some(6));
    }

    #[test]
    fn every_truncation_is_a_typed_error() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            let err = Ct2Model::parse(&bytes[..cut], "cut").unwrap_err();
            assert!(
                matches!(
                    err,
                    ModelError::Ct2Truncated { .. } | ModelError::InvalidCt2 { .. }
                ),
                "cut at {cut}: {err}"
            );
        }
    }

    #[test]
    fn garbage_and_trailing_bytes_are_rejected() {
        let err = Ct2Model::parse(b"PK\x03\x04 definitely not a model", "zip").unwrap_err();
        assert!(err.to_string().contains("version"), "{err}");
        let mut bytes = sample();
        bytes.push(0);
        let err = Ct2Model::parse(&bytes, "extra").unwrap_err();
        assert!(err.to_string().contains("unexpected bytes"), "{err}");
    }
}
