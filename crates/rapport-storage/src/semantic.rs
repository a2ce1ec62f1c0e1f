//! Semantic-tier storage: one sentence embedding per text (a response's comment or a
//! conversation turn), as opaque bytes (the server quantises). A supertrait of
//! [`Storage`](crate::Storage), one SQL text for both backends via [`semantic_impl!`].
//!
//! Rows cascade with their text, so purging a customer removes their vectors too; the
//! increasing `id` lets each instance keep an in-memory index and load only what is new.

use async_trait::async_trait;
use rapport_domain::voc::ResponseId;
use rapport_domain::{ConversationId, OrgId};

use crate::StorageResult;

/// Where an embedded text lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbeddedText {
    Response(ResponseId),
    Turn(ConversationId, i32),
}

/// One stored embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmbedding {
    /// Increasing with insertion order (a cursor for incremental loading).
    pub id: i64,
    pub text: EmbeddedText,
    pub vector: Vec<u8>,
}

#[async_trait]
pub trait SemanticStore: Send + Sync {
    /// Insert or replace the embedding of a response's comment.
    async fn put_response_embedding(
        &self,
        org: OrgId,
        response: ResponseId,
        model: &str,
        vector: &[u8],
    ) -> StorageResult<()>;
    /// Insert or replace the embeddings of a conversation's turns (by turn index), atomically.
    async fn put_turn_embeddings(
        &self,
        org: OrgId,
        conversation: ConversationId,
        model: &str,
        turns: &[(i32, Vec<u8>)],
    ) -> StorageResult<()>;
    /// Embeddings with `id > after`, oldest first, at most `limit`.
    async fn embeddings_after(
        &self,
        org: OrgId,
        after: i64,
        limit: i64,
    ) -> StorageResult<Vec<StoredEmbedding>>;
    /// Number of embeddings of an organisation (to notice deletions).
    async fn embedding_count(&self, org: OrgId) -> StorageResult<i64>;
    /// Analysed responses (of any organisation, id above `after`) with a comment but no
    /// embedding, oldest
    /// first: the comment as stored (already redacted when the organisation redacts personal
    /// data). The backfill reads this after the model is installed.
    async fn responses_without_embedding(
        &self,
        after: rapport_domain::voc::ResponseId,
        limit: i64,
    ) -> StorageResult<Vec<(OrgId, ResponseId, String)>>;
    /// Analysed conversations (of any organisation) none of whose turns is embedded yet.
    async fn conversations_without_embedding(
        &self,
        after: ConversationId,
        limit: i64,
    ) -> StorageResult<Vec<(OrgId, ConversationId)>>;
}

/// `Storage`-side SQL for [`SemanticStore`], expanded in each backend's module.
macro_rules! semantic_impl {
    ($store:ident) => {
        use $crate::semantic::*;

        #[async_trait]
        impl SemanticStore for $store {
            async fn put_response_embedding(&self, org: OrgId, response: rapport_domain::voc::ResponseId, model: &str, vector: &[u8]) -> StorageResult<()> {
                // The response must belong to the organisation: never attach a vector across tenants.
                let done = sqlx::query(
                    "INSERT INTO text_embeddings (org_id, response_id, model, vector, created_at) \
                     SELECT $1, r.id, $3, $4, $5 FROM responses r WHERE r.id = $2 AND r.org_id = $1 \
                     ON CONFLICT (response_id) DO UPDATE SET model = excluded.model, vector = excluded.vector",
                )
                .bind(org.0)
                .bind(response.0)
                .bind(model)
                .bind(vector)
                .bind(Utc::now())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { entity: "response" });
                }
                Ok(())
            }

            async fn put_turn_embeddings(&self, org: OrgId, conversation: ConversationId, model: &str, turns: &[(i32, Vec<u8>)]) -> StorageResult<()> {
                let mut tx = self.begin().await?;
                let owned: Option<(i64,)> = sqlx::query_as("SELECT id FROM conversations WHERE id = $1 AND org_id = $2")
                    .bind(conversation.0)
                    .bind(org.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if owned.is_none() {
                    return Err(StorageError::NotFound { entity: "conversation" });
                }
                let now = Utc::now();
                for (turn, vector) in turns {
                    sqlx::query(
                        "INSERT INTO text_embeddings (org_id, conversation_id, turn_index, model, vector, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (conversation_id, turn_index) DO UPDATE SET model = excluded.model, vector = excluded.vector",
                    )
                    .bind(org.0)
                    .bind(conversation.0)
                    .bind(*turn)
                    .bind(model)
                    .bind(vector.as_slice())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn embeddings_after(&self, org: OrgId, after: i64, limit: i64) -> StorageResult<Vec<StoredEmbedding>> {
                let rows: Vec<(i64, Option<i64>, Option<i64>, Option<i32>, Vec<u8>)> = sqlx::query_as(
                    "SELECT id, response_id, conversation_id, turn_index, vector FROM text_embeddings \
                     WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(org.0)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, r, c, t, vector)| {
                        let text = match (r, c, t) {
                            (Some(r), _, _) => EmbeddedText::Response(rapport_domain::voc::ResponseId(r)),
                            (None, Some(c), Some(t)) => EmbeddedText::Turn(ConversationId(c), t),
                            _ => return Err(StorageError::Corrupt(format!("embedding {id} points nowhere"))),
                        };
                        Ok(StoredEmbedding { id, text, vector })
                    })
                    .collect()
            }

            async fn embedding_count(&self, org: OrgId) -> StorageResult<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM text_embeddings WHERE org_id = $1")
                    .bind(org.0)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn responses_without_embedding(&self, after: rapport_domain::voc::ResponseId, limit: i64) -> StorageResult<Vec<(OrgId, rapport_domain::voc::ResponseId, String)>> {
                let rows: Vec<(i64, i64, String)> = sqlx::query_as(
                    "SELECT r.org_id, r.id, r.comment FROM responses r \
                     WHERE r.id > $1 AND r.comment IS NOT NULL AND r.analysed_at IS NOT NULL \
                     AND NOT EXISTS (SELECT 1 FROM text_embeddings e WHERE e.response_id = r.id) \
                     ORDER BY r.id LIMIT $2",
                )
                .bind(after.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(o, id, c)| (OrgId(o), rapport_domain::voc::ResponseId(id), c)).collect())
            }

            async fn conversations_without_embedding(&self, after: ConversationId, limit: i64) -> StorageResult<Vec<(OrgId, ConversationId)>> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT c.org_id, c.id FROM conversations c \
                     WHERE c.id > $1 AND c.analysed_at IS NOT NULL \
                     AND NOT EXISTS (SELECT 1 FROM text_embeddings e WHERE e.conversation_id = c.id) \
                     ORDER BY c.id LIMIT $2",
                )
                .bind(after.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(o, id)| (OrgId(o), ConversationId(id))).collect())
            }
        }
    };
}
pub(crate) use semantic_impl;
