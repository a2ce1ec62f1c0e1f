-- The semantic tier: one multilingual-e5-small embedding per text (a response's comment or a
-- conversation turn), stored once, int8-quantised (4-byte scale + 384 bytes). Rows go with
-- their text (ON DELETE CASCADE), so a purged customer leaves no vector behind.
CREATE TABLE text_embeddings (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    response_id BIGINT NULL UNIQUE REFERENCES responses(id) ON DELETE CASCADE,
    conversation_id BIGINT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    turn_index INTEGER NULL,
    model TEXT NOT NULL,
    vector BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, turn_index),
    CHECK ((response_id IS NULL) <> (conversation_id IS NULL))
);
CREATE INDEX text_embeddings_org ON text_embeddings (org_id, id);
