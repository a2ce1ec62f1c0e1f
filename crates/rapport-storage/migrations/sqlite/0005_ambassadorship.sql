-- Employee ambassadorship and customer behaviour (seed 001). Pulse answers are anonymous by
-- construction: an answer keeps only the pulse, the team and the quarter; the invitation that
-- let it in is deleted when used, so no table joins an answer to a person.
CREATE TABLE pulses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    period TEXT NOT NULL,
    definition TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    created_at TEXT NOT NULL
);
CREATE INDEX pulses_org ON pulses (org_id, period);

CREATE TABLE pulse_invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    pulse_id INTEGER NOT NULL REFERENCES pulses(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    sent BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (pulse_id, user_id)
);

CREATE TABLE pulse_responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    pulse_id INTEGER NOT NULL REFERENCES pulses(id) ON DELETE CASCADE,
    team_id INTEGER NULL REFERENCES teams(id) ON DELETE SET NULL,
    period TEXT NOT NULL,
    enps INTEGER NULL,
    company REAL NULL,
    value_proposition REAL NULL,
    customer REAL NULL
);
CREATE INDEX pulse_responses_group ON pulse_responses (org_id, period, team_id);

CREATE TABLE customer_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('purchase', 'renewal', 'upgrade', 'churn', 'referral', 'complaint')),
    occurred_at TEXT NOT NULL,
    external_id TEXT NOT NULL,
    agent_id INTEGER NULL REFERENCES users(id) ON DELETE SET NULL,
    team_id INTEGER NULL REFERENCES teams(id) ON DELETE SET NULL,
    touchpoint_id INTEGER NULL REFERENCES touchpoints(id) ON DELETE SET NULL,
    amount REAL NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, external_id)
);
CREATE INDEX customer_events_customer ON customer_events (org_id, customer_id, occurred_at);
CREATE INDEX customer_events_time ON customer_events (org_id, occurred_at);

-- Quarterly pulses opened by the worker: one row per organisation and quarter, so that of
-- several workers exactly one opens each quarter's pulse.
ALTER TABLE organisations ADD COLUMN pulse_quarterly BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE pulse_schedule_runs (
    org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    PRIMARY KEY (org_id, period)
);
