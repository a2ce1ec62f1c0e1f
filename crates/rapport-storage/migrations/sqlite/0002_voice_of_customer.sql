-- Voice of customer: surveys with versions, invitations, responses, and the durable job queue.
ALTER TABLE organisations ADD COLUMN redact_pii BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE organisations ADD COLUMN survey_cooldown_days INTEGER NOT NULL DEFAULT 30;

CREATE TABLE surveys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    touchpoint_id INTEGER NOT NULL REFERENCES touchpoints(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'closed')),
    current_version INTEGER NOT NULL,
    public_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX surveys_org ON surveys (org_id, touchpoint_id);

CREATE TABLE survey_versions (
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (survey_id, version)
);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    touchpoint_id INTEGER NOT NULL REFERENCES touchpoints(id),
    agent_id INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
    interaction_ref TEXT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT NULL,
    sent_at TEXT NULL,
    reminder_sent_at TEXT NULL
);
CREATE INDEX invitations_customer ON invitations (customer_id, created_at);

CREATE TABLE responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    journey_id INTEGER NOT NULL,
    stage_id INTEGER NOT NULL,
    touchpoint_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    customer_id INTEGER NULL REFERENCES customers(id) ON DELETE CASCADE,
    agent_id INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
    team_id INTEGER NULL,
    invitation_id INTEGER NULL UNIQUE REFERENCES invitations(id) ON DELETE SET NULL,
    locale TEXT NOT NULL,
    source TEXT NOT NULL,
    idempotency_key TEXT NULL,
    external_id TEXT NULL,
    submitted_at TEXT NOT NULL,
    day TEXT NOT NULL,
    week TEXT NOT NULL,
    month TEXT NOT NULL,
    answers TEXT NOT NULL,
    nps INTEGER NULL,
    csat INTEGER NULL,
    ces INTEGER NULL,
    expectation INTEGER NULL,
    experience INTEGER NULL,
    comment TEXT NULL,
    analysed_at TEXT NULL,
    language TEXT NULL,
    sentiment_label TEXT NULL,
    sentiment_score REAL NULL,
    topics TEXT NULL,
    analysis TEXT NULL,
    UNIQUE (survey_id, idempotency_key),
    UNIQUE (survey_id, external_id)
);
CREATE INDEX responses_org_time ON responses (org_id, submitted_at);
CREATE INDEX responses_touchpoint ON responses (org_id, touchpoint_id, submitted_at);
CREATE INDEX responses_customer ON responses (customer_id);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_at TEXT NOT NULL,
    locked_until TEXT NULL,
    locked_by TEXT NULL,
    last_error TEXT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT NULL
);
CREATE INDEX jobs_ready ON jobs (state, run_at);
