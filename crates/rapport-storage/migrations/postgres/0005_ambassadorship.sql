-- Employee ambassadorship and customer behaviour (seed 001). Pulse answers are anonymous by
-- construction: an answer keeps only the pulse, the team and the quarter; the invitation that
-- let it in is deleted when used, so no table joins an answer to a person.
CREATE TABLE pulses (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    period TEXT NOT NULL,
    definition TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pulses_org ON pulses (org_id, period);

CREATE TABLE pulse_invitations (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    pulse_id BIGINT NOT NULL REFERENCES pulses(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    sent BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (pulse_id, user_id)
);

CREATE TABLE pulse_responses (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    pulse_id BIGINT NOT NULL REFERENCES pulses(id) ON DELETE CASCADE,
    team_id BIGINT NULL REFERENCES teams(id) ON DELETE SET NULL,
    period TEXT NOT NULL,
    enps INTEGER NULL,
    company DOUBLE PRECISION NULL,
    value_proposition DOUBLE PRECISION NULL,
    customer DOUBLE PRECISION NULL
);
CREATE INDEX pulse_responses_group ON pulse_responses (org_id, period, team_id);

CREATE TABLE customer_events (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('purchase', 'renewal', 'upgrade', 'churn', 'referral', 'complaint')),
    occurred_at TIMESTAMPTZ NOT NULL,
    external_id TEXT NOT NULL,
    agent_id BIGINT NULL REFERENCES users(id) ON DELETE SET NULL,
    team_id BIGINT NULL REFERENCES teams(id) ON DELETE SET NULL,
    touchpoint_id BIGINT NULL REFERENCES touchpoints(id) ON DELETE SET NULL,
    amount DOUBLE PRECISION NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, external_id)
);
CREATE INDEX customer_events_customer ON customer_events (org_id, customer_id, occurred_at);
CREATE INDEX customer_events_time ON customer_events (org_id, occurred_at);

-- Quarterly pulses opened by the worker: one row per organisation and quarter, so that of
-- several workers exactly one opens each quarter's pulse.
ALTER TABLE organisations ADD COLUMN pulse_quarterly BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE pulse_schedule_runs (
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    PRIMARY KEY (org_id, period)
);
