-- The frontline: conversations with per-turn analysis, auto-QA evaluations with evidence and
-- reviews, coaching, managers' listening log, recognition, legacy stories, anonymous check-ins.
ALTER TABLE organisations ADD COLUMN listening_target_minutes INTEGER NOT NULL DEFAULT 240;
ALTER TABLE organisations ADD COLUMN min_group_size INTEGER NOT NULL DEFAULT 5;
ALTER TABLE users ADD COLUMN listening_target_minutes INTEGER NULL;
-- The organisation's own QA rubric as JSON; the built-in one when NULL.
ALTER TABLE organisations ADD COLUMN qa_rubric TEXT NULL;

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    agent_id INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
    agent_ref TEXT NULL,
    team_id INTEGER NULL REFERENCES teams(id) ON DELETE SET NULL,
    customer_id INTEGER NULL REFERENCES customers(id) ON DELETE CASCADE,
    customer_ref TEXT NULL,
    touchpoint_id INTEGER NULL REFERENCES touchpoints(id) ON DELETE SET NULL,
    started_at TEXT NOT NULL,
    language TEXT NULL,
    turn_count INTEGER NOT NULL,
    handle_seconds REAL NULL,
    -- The turns as the JSON import format (PII already redacted when the organisation asks).
    turns TEXT NOT NULL,
    -- Per-turn insights and the conversation metrics, written by the analysis job.
    insights TEXT NULL,
    metrics TEXT NULL,
    analysed_at TEXT NULL,
    customer_start REAL NULL,
    customer_lowest REAL NULL,
    customer_end REAL NULL,
    emotional_lift REAL NULL,
    peak_anger REAL NULL,
    qa_overall INTEGER NULL,
    -- Effective QA score per criterion (reviewers' where given), for scorecards.
    qa_scores TEXT NULL,
    praised BOOLEAN NOT NULL DEFAULT FALSE,
    praise_quote TEXT NULL,
    flags TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (org_id, external_id)
);
CREATE INDEX conversations_agent ON conversations (org_id, agent_id, started_at);
CREATE INDEX conversations_customer ON conversations (org_id, customer_id, started_at);
CREATE INDEX conversations_started ON conversations (org_id, started_at);

CREATE TABLE qa_evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
    agent_id INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
    rubric TEXT NOT NULL,
    criteria TEXT NOT NULL,
    flags TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('auto', 'reviewed', 'acknowledged', 'disputed')),
    reviewer_id INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
    reviewed_at TEXT NULL,
    coaching_note TEXT NULL,
    agent_comment TEXT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX qa_evaluations_agent ON qa_evaluations (org_id, agent_id);

CREATE TABLE coaching_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    agent_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    manager_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    focus TEXT NOT NULL,
    agreed TEXT NOT NULL,
    conversation_ids TEXT NOT NULL,
    follow_up_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX coaching_agent ON coaching_sessions (org_id, agent_id);

CREATE TABLE listening_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    manager_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id INTEGER NULL REFERENCES conversations(id) ON DELETE SET NULL,
    minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 480),
    listened_on TEXT NOT NULL,
    note TEXT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX listening_manager ON listening_log (org_id, manager_id, listened_on);

CREATE TABLE kudos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    from_user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    to_user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    conversation_id INTEGER NULL REFERENCES conversations(id) ON DELETE SET NULL,
    response_id INTEGER NULL REFERENCES responses(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX kudos_to ON kudos (org_id, to_user, created_at);

CREATE TABLE stories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    agent_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    team_id INTEGER NULL REFERENCES teams(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    value TEXT NOT NULL,
    customer_words TEXT NOT NULL,
    agent_did TEXT NOT NULL,
    outcome TEXT NOT NULL,
    conversation_id INTEGER NULL REFERENCES conversations(id) ON DELETE SET NULL,
    response_id INTEGER NULL REFERENCES responses(id) ON DELETE SET NULL,
    approved BOOLEAN NOT NULL DEFAULT FALSE,
    created_by INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    approved_by INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX stories_team ON stories (org_id, team_id, approved);

-- Anonymous by construction: the answer keeps only team and day; the separate mark that stops
-- a second answer the same day keeps only person and day, and shares no key with the answer.
CREATE TABLE checkins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    mood INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5)
);
CREATE INDEX checkins_team ON checkins (org_id, team_id, day);
CREATE TABLE checkin_marks (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- Manager 360 on seed 003's service-leader traits, anonymous like check-ins: the rating keeps
-- the manager and the quarter, the mark that stops a second rating keeps only rater and quarter.
CREATE TABLE manager_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    manager_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    authenticity INTEGER NOT NULL CHECK (authenticity BETWEEN 1 AND 5),
    humility INTEGER NOT NULL CHECK (humility BETWEEN 1 AND 5),
    connectedness INTEGER NOT NULL CHECK (connectedness BETWEEN 1 AND 5),
    care INTEGER NOT NULL CHECK (care BETWEEN 1 AND 5)
);
CREATE INDEX manager_ratings_manager ON manager_ratings (org_id, manager_id, period);
CREATE TABLE manager_rating_marks (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    manager_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    PRIMARY KEY (user_id, manager_id, period)
);
