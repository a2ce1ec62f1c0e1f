//! The semantic tier in the server: the multilingual-e5-small encoder (loaded once, shared by
//! all threads), int8 storage of embeddings, and a per-organisation in-memory vector index for
//! "find similar" that each instance keeps in step with the database (so several stateless
//! instances can serve one PostgreSQL database).
//!
//! Everything here is optional: without the model file the server logs one line and the
//! fast tier answers alone.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use rapport_domain::{ConversationId, OrgId};
use rapport_embed::{Encoder, Prefix, MODEL_FILE};
use rapport_storage::{EmbeddedText, Storage, StorageResult};
use tokio::sync::Mutex;

/// Name stored with each vector, so a future model change can re-embed what is stale.
pub const MODEL_NAME: &str = "multilingual-e5-small-q4";

/// Bytes of one stored vector: an f32 scale and one i8 per dimension.
pub fn quantize(v: &[f32]) -> Vec<u8> {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let mut out = Vec::with_capacity(4 + v.len());
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend(
        v.iter()
            .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8 as u8),
    );
    out
}

/// The scale and the i8 components of a stored vector (`None` for a malformed one).
fn split(bytes: &[u8]) -> Option<(f32, &[u8])> {
    if bytes.len() < 5 {
        return None;
    }
    let scale = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    scale.is_finite().then_some((scale, &bytes[4..]))
}

/// A stored vector back as f32 (for clustering and heads).
pub fn dequantize(bytes: &[u8]) -> Option<Vec<f32>> {
    let (scale, q) = split(bytes)?;
    Some(q.iter().map(|&b| (b as i8) as f32 * scale).collect())
}

/// All embeddings of one organisation, contiguous for a fast scan.
#[derive(Default)]
struct OrgIndex {
    last_id: i64,
    texts: Vec<EmbeddedText>,
    scales: Vec<f32>,
    /// `texts.len() × dim` i8 components.
    data: Vec<i8>,
    dim: usize,
}

impl OrgIndex {
    /// Load the rows stored since the last load.
    async fn catch_up(&mut self, store: &dyn Storage, org: OrgId) -> StorageResult<()> {
        loop {
            let page = store.embeddings_after(org, self.last_id, 5000).await?;
            let Some(last) = page.last().map(|e| e.id) else {
                return Ok(());
            };
            for e in &page {
                self.push(e.text, &e.vector);
            }
            self.last_id = last;
        }
    }

    fn push(&mut self, text: EmbeddedText, bytes: &[u8]) {
        let Some((scale, q)) = split(bytes) else {
            return;
        };
        if self.dim == 0 {
            self.dim = q.len();
        }
        if q.len() != self.dim {
            return;
        }
        self.texts.push(text);
        self.scales.push(scale);
        self.data.extend(q.iter().map(|&b| b as i8));
    }

    /// The `k` nearest texts to a unit query vector by cosine (vectors are unit length
    /// before quantisation, so the scaled dot product is the cosine).
    fn nearest(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(&EmbeddedText) -> bool,
    ) -> Vec<(EmbeddedText, f32)> {
        if self.dim == 0 || query.len() != self.dim {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f32)> = self
            .data
            .chunks_exact(self.dim)
            .enumerate()
            .filter(|(i, _)| keep(&self.texts[*i]))
            .map(|(i, row)| {
                let dot: f32 = row.iter().zip(query).map(|(&a, &b)| a as f32 * b).sum();
                (i, dot * self.scales[i])
            })
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(k);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .map(|(i, s)| (self.texts[i], s))
            .collect()
    }

    /// For each conversation in `among`, the best cosine of any of its turns to any `examples`
    /// turn of *another* conversation (an example does not resemble itself), with the index of
    /// its turn that matched.
    fn resemblance(
        &self,
        examples: &HashSet<(ConversationId, i32)>,
        among: &HashSet<ConversationId>,
    ) -> HashMap<ConversationId, (f32, i32)> {
        let mut best: HashMap<ConversationId, (f32, i32)> = HashMap::new();
        if self.dim == 0 || examples.is_empty() {
            return best;
        }
        let rows = || {
            self.texts
                .iter()
                .zip(self.data.chunks_exact(self.dim))
                .zip(&self.scales)
        };
        let ex: Vec<(ConversationId, Vec<f32>)> = rows()
            .filter_map(|((t, row), scale)| match t {
                EmbeddedText::Turn(c, i) if examples.contains(&(*c, *i)) => {
                    Some((*c, row.iter().map(|&x| f32::from(x) * scale).collect()))
                }
                _ => None,
            })
            .collect();
        for ((t, row), scale) in rows() {
            let EmbeddedText::Turn(c, turn) = *t else {
                continue;
            };
            if !among.contains(&c) {
                continue;
            }
            for (ec, ev) in &ex {
                if *ec == c {
                    continue;
                }
                let cos = row
                    .iter()
                    .zip(ev)
                    .map(|(&a, &b)| f32::from(a) * b)
                    .sum::<f32>()
                    * scale;
                let e = best.entry(c).or_insert((f32::MIN, turn));
                if cos > e.0 {
                    *e = (cos, turn);
                }
            }
        }
        best
    }
}

/// The loaded encoder and the indexes built from stored embeddings.
pub struct Semantic {
    encoder: Encoder,
    indexes: Mutex<HashMap<OrgId, Arc<Mutex<OrgIndex>>>>,
}

/// Which stored texts a similarity search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchScope {
    Responses,
    Turns,
    All,
}

impl Semantic {
    /// Load the model from `dir` if it is there; log why the tier is off otherwise.
    pub fn load(dir: &Path) -> Option<Arc<Semantic>> {
        let path = dir.join(MODEL_FILE);
        if !path.exists() {
            tracing::info!(
                path = %path.display(),
                "semantic tier off: model file not found (run `rapport models fetch`); the fast tier answers alone"
            );
            return None;
        }
        match Encoder::load(&path) {
            Ok(encoder) => {
                tracing::info!(path = %path.display(), "semantic tier on");
                Some(Arc::new(Semantic {
                    encoder,
                    indexes: Mutex::new(HashMap::new()),
                }))
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "semantic tier off: the model file does not load");
                None
            }
        }
    }

    /// Embeddings of `texts` (as features and for symmetric search, the model card's
    /// `query:` prefix), on the blocking pool: this is CPU work.
    pub async fn embed(self: &Arc<Self>, texts: Vec<String>) -> Vec<Vec<f32>> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            me.encoder.embed_batch(&refs, Prefix::Query)
        })
        .await
        .unwrap_or_default()
    }

    async fn index(&self, store: &dyn Storage, org: OrgId) -> StorageResult<Arc<Mutex<OrgIndex>>> {
        let idx = self.indexes.lock().await.entry(org).or_default().clone();
        {
            let mut g = idx.lock().await;
            g.catch_up(store, org).await?;
            // Rows went away (a purge): start over. A re-embedded text keeps its row id and,
            // with the same model, its vector, so it needs nothing.
            if store.embedding_count(org).await? != g.texts.len() as i64 {
                *g = OrgIndex::default();
                g.catch_up(store, org).await?;
            }
        }
        Ok(idx)
    }

    /// How much each conversation in `among` resembles the example turns (see
    /// `OrgIndex::resemblance`), on the blocking pool: a scan of every stored turn.
    pub async fn resemblance(
        self: &Arc<Self>,
        store: &dyn Storage,
        org: OrgId,
        examples: HashSet<(ConversationId, i32)>,
        among: HashSet<ConversationId>,
    ) -> StorageResult<HashMap<ConversationId, (f32, i32)>> {
        if examples.is_empty() || among.is_empty() {
            return Ok(HashMap::new());
        }
        let idx = self.index(store, org).await?;
        tokio::task::spawn_blocking(move || idx.blocking_lock().resemblance(&examples, &among))
            .await
            .map_err(|e| rapport_storage::StorageError::Corrupt(format!("resemblance task: {e}")))
    }

    /// The stored texts of `org` nearest in meaning to `text`, best first, with cosines.
    pub async fn similar(
        self: &Arc<Self>,
        store: &dyn Storage,
        org: OrgId,
        text: &str,
        scope: SearchScope,
        k: usize,
    ) -> StorageResult<Vec<(EmbeddedText, f32)>> {
        let q = self
            .embed(vec![text.to_string()])
            .await
            .pop()
            .unwrap_or_default();
        let idx = self.index(store, org).await?;
        let g = idx.lock().await;
        Ok(g.nearest(&q, k, |t| {
            matches!(
                (scope, t),
                (SearchScope::All, _)
                    | (SearchScope::Responses, EmbeddedText::Response(_))
                    | (SearchScope::Turns, EmbeddedText::Turn(..))
            )
        }))
    }
}

/// Embed the turns of a stored conversation (what each speaker said, personal data already
/// redacted at import when the organisation asks) and store them.
pub async fn embed_conversation(
    state: &crate::state::AppState,
    org: OrgId,
    id: rapport_domain::ConversationId,
) -> StorageResult<()> {
    let Some(sem) = &state.semantic else {
        return Ok(());
    };
    let conv = state.store.get_conversation(org, id).await?;
    let turns: Vec<(i32, String)> = conv
        .turns
        .iter()
        .enumerate()
        .filter(|(_, t)| t.text.chars().filter(|c| c.is_alphabetic()).count() >= 3)
        .filter_map(|(i, t)| Some((i32::try_from(i).ok()?, t.text.clone())))
        .collect();
    if turns.is_empty() {
        return Ok(());
    }
    let vectors = sem
        .embed(turns.iter().map(|(_, t)| t.clone()).collect())
        .await;
    let rows: Vec<(i32, Vec<u8>)> = turns
        .iter()
        .zip(&vectors)
        .map(|((i, _), v)| (*i, quantize(v)))
        .collect();
    state
        .store
        .put_turn_embeddings(org, id, MODEL_NAME, &rows)
        .await
}

/// After the model is installed, embed what was analysed before: responses first, then
/// conversations, a batch at a time, then keep watching for stragglers. New texts are embedded
/// by their analysis jobs; this only walks the backlog, once per instance start.
pub async fn backfill(
    state: crate::state::AppState,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let Some(sem) = state.semantic.clone() else {
        return;
    };
    let mut after_response = rapport_domain::voc::ResponseId(0);
    let mut after_conversation = rapport_domain::ConversationId(0);
    let mut done = 0usize;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let step: StorageResult<bool> = async {
            let rows = state
                .store
                .responses_without_embedding(after_response, 32)
                .await?;
            if let Some((_, last, _)) = rows.last() {
                after_response = *last;
                let vectors = sem.embed(rows.iter().map(|r| r.2.clone()).collect()).await;
                for ((org, id, _), v) in rows.iter().zip(&vectors) {
                    match state
                        .store
                        .put_response_embedding(*org, *id, MODEL_NAME, &quantize(v))
                        .await
                    {
                        // Deleted meanwhile: nothing to embed.
                        Ok(()) | Err(rapport_storage::StorageError::NotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                done += rows.len();
                return Ok(true);
            }
            let convs = state
                .store
                .conversations_without_embedding(after_conversation, 4)
                .await?;
            if let Some((_, last)) = convs.last() {
                after_conversation = *last;
                for (org, id) in &convs {
                    match embed_conversation(&state, *org, *id).await {
                        Ok(()) | Err(rapport_storage::StorageError::NotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                done += convs.len();
                return Ok(true);
            }
            Ok(false)
        }
        .await;
        let pause = match step {
            Ok(true) => continue,
            Ok(false) => {
                if done > 0 {
                    tracing::info!(texts = done, "semantic backfill caught up");
                    done = 0;
                }
                std::time::Duration::from_secs(60)
            }
            Err(e) => {
                tracing::warn!(error = %e, "semantic backfill failed; will try again");
                std::time::Duration::from_secs(10)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_domain::voc::ResponseId;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn quantisation_keeps_cosine() {
        let a = unit(
            &(0..384)
                .map(|i| ((i * 7) % 13) as f32 - 6.0)
                .collect::<Vec<_>>(),
        );
        let back = dequantize(&quantize(&a)).unwrap();
        let cos: f32 = a.iter().zip(&back).map(|(x, y)| x * y).sum::<f32>()
            / back.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(cos > 0.999, "{cos}");
        assert!(dequantize(&[1, 2]).is_none());
    }

    #[test]
    fn nearest_ranks_by_cosine_and_filters() {
        let mut idx = OrgIndex::default();
        let vs = [
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.7, 0.7, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
        ];
        for (i, v) in vs.iter().enumerate() {
            idx.push(EmbeddedText::Response(ResponseId(i as i64)), &quantize(v));
        }
        idx.push(
            EmbeddedText::Turn(rapport_domain::ConversationId(9), 0),
            &quantize(&unit(&[1.0, 0.1, 0.0])),
        );
        let hits = idx.nearest(&unit(&[1.0, 0.0, 0.0]), 2, |_| true);
        assert_eq!(hits[0].0, EmbeddedText::Response(ResponseId(0)));
        assert!(hits[0].1 > 0.99);
        assert_eq!(hits.len(), 2);
        let only_responses = idx.nearest(&unit(&[1.0, 0.0, 0.0]), 10, |t| {
            matches!(t, EmbeddedText::Response(_))
        });
        assert_eq!(only_responses.len(), 3);
        assert_eq!(only_responses[2].0, EmbeddedText::Response(ResponseId(2)));
        // A malformed or wrong-length vector is skipped, never a panic.
        idx.push(EmbeddedText::Response(ResponseId(7)), &[0, 0]);
        idx.push(EmbeddedText::Response(ResponseId(8)), &quantize(&[1.0; 5]));
        assert_eq!(idx.texts.len(), 4);
        assert!(idx.nearest(&[1.0], 3, |_| true).is_empty());
    }

    #[test]
    fn resemblance_takes_the_best_turn_and_never_the_example_itself() {
        use rapport_domain::ConversationId as C;
        let mut idx = OrgIndex::default();
        let turns = [
            (C(1), 0, unit(&[1.0, 0.0, 0.0])), // the known problem
            (C(1), 1, unit(&[0.0, 1.0, 0.0])),
            (C(2), 0, unit(&[0.0, 1.0, 0.0])),
            (C(2), 1, unit(&[0.9, 0.1, 0.0])), // resembles it
            (C(3), 0, unit(&[0.0, 0.0, 1.0])), // does not
        ];
        for (c, i, v) in &turns {
            idx.push(EmbeddedText::Turn(*c, *i), &quantize(v));
        }
        idx.push(
            EmbeddedText::Response(ResponseId(1)),
            &quantize(&unit(&[1.0, 0.0, 0.0])),
        );
        let examples: HashSet<(C, i32)> = [(C(1), 0)].into();
        let among: HashSet<C> = [C(1), C(2), C(3)].into();
        let r = idx.resemblance(&examples, &among);
        assert_eq!(r[&C(2)].1, 1);
        assert!(r[&C(2)].0 > 0.98, "{:?}", r[&C(2)]);
        assert!(r[&C(3)].0.abs() < 0.02, "{:?}", r[&C(3)]);
        assert!(
            !r.contains_key(&C(1)),
            "an example does not resemble itself"
        );
        assert!(idx.resemblance(&HashSet::new(), &among).is_empty());
    }
}
