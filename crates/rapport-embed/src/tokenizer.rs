//! XLM-R SentencePiece unigram tokenizer: per-codepoint normalisation from the model file,
//! metaspace (`▁`) handling and a Viterbi search for the highest-scoring segmentation.
//!
//! The behaviour deliberately mirrors the reference engine (including its tie-breaking and
//! one-character `<unk>` fallback) so that both produce the same ids for the same text.

use std::collections::HashMap;

use crate::format::RawVocab;

/// SentencePiece's word-boundary marker, U+2581.
const METASPACE: char = '\u{2581}';
/// The reference scores an unknown character 10 below the rarest piece.
const UNK_PENALTY: f32 = 10.0;

pub(crate) struct Tokenizer {
    ids: HashMap<Box<[u8]>, u32>,
    scores: Vec<f32>,
    unk_score: f32,
    max_piece_bytes: usize,
    pub(crate) bos: u32,
    pub(crate) eos: u32,
    unk: u32,
    /// Sorted codepoints that the normaliser rewrites, with their replacements.
    norm_from: Vec<char>,
    norm_to: Vec<Box<[char]>>,
}

impl Tokenizer {
    pub(crate) fn new(vocab: RawVocab) -> Self {
        let mut ids = HashMap::with_capacity(vocab.pieces.len());
        let mut max_piece_bytes = 1;
        for (id, piece) in vocab.pieces.into_iter().enumerate() {
            if piece.is_empty() {
                continue;
            }
            max_piece_bytes = max_piece_bytes.max(piece.len());
            // On duplicates the first (lowest) id wins, as in the reference.
            ids.entry(piece.into_boxed_slice()).or_insert(id as u32);
        }
        let min_score = vocab.scores.iter().copied().fold(f32::INFINITY, f32::min);
        let (norm_from, norm_to) = vocab
            .normaliser
            .into_iter()
            .map(|(c, to)| (c, to.into_boxed_slice()))
            .unzip();
        Tokenizer {
            ids,
            unk_score: if min_score.is_finite() {
                min_score
            } else {
                0.0
            } - UNK_PENALTY,
            scores: vocab.scores,
            max_piece_bytes,
            bos: vocab.bos,
            eos: vocab.eos,
            unk: vocab.unk,
            norm_from,
            norm_to,
        }
    }

    /// Content token ids of `text` (no `<s>`/`</s>`), in order.
    pub(crate) fn content_ids(&self, text: &str) -> Vec<u32> {
        let normalised = self.normalise(text);
        self.viterbi(&normalised)
    }

    /// Applies the normaliser table, collapses runs of spaces and turns spaces into `▁`,
    /// prepending one unless the text already starts with a space.
    fn normalise(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 3);
        let mut prev_space = false;
        let mut first = true;
        let mut push = |c: char, out: &mut String| {
            if c == ' ' {
                if prev_space {
                    return;
                }
                prev_space = true;
            } else {
                prev_space = false;
            }
            if first {
                first = false;
                if c != ' ' {
                    out.push(METASPACE);
                }
            }
            out.push(if c == ' ' { METASPACE } else { c });
        };
        for c in text.chars() {
            match self.norm_from.binary_search(&c) {
                Ok(i) => self.norm_to[i].iter().for_each(|&c| push(c, &mut out)),
                Err(_) => push(c, &mut out),
            }
        }
        if out.is_empty() {
            out.push(METASPACE);
        }
        out
    }

    /// Best segmentation of `s` by total piece score; characters no piece covers become
    /// single `<unk>` tokens.
    fn viterbi(&self, s: &str) -> Vec<u32> {
        // Byte offset of every char boundary, including the end.
        let bounds: Vec<usize> = s
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(s.len()))
            .collect();
        let n = bounds.len() - 1;
        let bytes = s.as_bytes();
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        // (piece id or None for unknown, start char) of the best path ending at each char.
        let mut back: Vec<(Option<u32>, usize)> = vec![(None, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            let start = bounds[i];
            for e in i + 1..=n {
                let len = bounds[e] - start;
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(&id) = self.ids.get(&bytes[start..bounds[e]]) {
                    if id == self.unk {
                        continue;
                    }
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (Some(id), i);
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                back[i + 1] = (None, i);
            }
        }
        let mut ids = Vec::new();
        let mut e = n;
        while e > 0 {
            let (id, from) = back[e];
            ids.push(id.unwrap_or(self.unk));
            e = from;
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy vocabulary: ids 0..3 are the usual specials, then `pieces` with their scores.
    fn toy(pieces: &[(&str, f32)], normaliser: &[(char, &str)]) -> Tokenizer {
        let mut all = vec![("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)];
        all.extend_from_slice(pieces);
        Tokenizer::new(RawVocab {
            pieces: all.iter().map(|(p, _)| p.as_bytes().to_vec()).collect(),
            scores: all.iter().map(|(_, s)| *s).collect(),
            bos: 0,
            eos: 2,
            unk: 3,
            normaliser: normaliser
                .iter()
                .map(|(c, to)| (*c, to.chars().collect()))
                .collect(),
        })
    }

    #[test]
    fn prefers_the_highest_total_score() {
        let t = toy(
            &[
                ("▁", -1.0),
                ("▁a", -2.0),
                ("b", -2.0),
                ("▁ab", -5.0),
                ("a", -3.0),
            ],
            &[],
        );
        // ▁a + b = -4 beats ▁ab = -5 and ▁ + a + b = -6.
        assert_eq!(t.content_ids("ab"), vec![5, 6]);
    }

    #[test]
    fn unknown_characters_fall_back_to_unk_one_by_one() {
        let t = toy(&[("▁", -1.0), ("a", -1.0)], &[]);
        assert_eq!(t.content_ids("a☃☃"), vec![4, 5, 3, 3]);
    }

    #[test]
    fn spaces_collapse_and_become_metaspace() {
        let t = toy(&[("▁a", -1.0), ("▁b", -1.0), ("▁", -3.0)], &[]);
        assert_eq!(t.content_ids("a   b"), vec![4, 5]);
        // A leading space is the metaspace itself; nothing extra is prepended.
        assert_eq!(t.content_ids(" a"), vec![4]);
        assert_eq!(t.content_ids("a "), vec![4, 6]);
    }

    #[test]
    fn normaliser_rewrites_and_deletes_codepoints() {
        let t = toy(
            &[("▁a", -1.0), ("▁b", -1.0), ("▁ab", -1.0)],
            &[('\t', " "), ('\u{200d}', ""), ('Ａ', "a")],
        );
        assert_eq!(t.content_ids("a\tb"), vec![4, 5]);
        assert_eq!(t.content_ids("a\u{200d}b"), vec![6]);
        assert_eq!(t.content_ids("Ａb"), vec![6]);
    }

    #[test]
    fn the_unk_piece_never_matches_literally() {
        let t = toy(&[("▁", -1.0)], &[]);
        assert_eq!(t.content_ids("<unk>").len(), 6);
        assert!(t.content_ids("<unk>")[1..].iter().all(|&id| id == 3));
    }

    #[test]
    fn empty_text_is_one_metaspace() {
        let t = toy(&[("▁", -1.0)], &[]);
        assert_eq!(t.content_ids(""), vec![4]);
    }
}
