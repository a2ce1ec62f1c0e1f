-- Closed loop: alert rules, cases with their history, outbound webhooks with a delivery log,
-- inbound helpdesk sources, and post-service follow-ups.
ALTER TABLE organisations ADD COLUMN sla_policy TEXT NULL;
ALTER TABLE users ADD COLUMN daily_digest BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN digest_sent_on TEXT NULL;

CREATE TABLE alert_rules (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    spec TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX alert_rules_org ON alert_rules (org_id);

CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('new', 'contacted', 'in_dialogue', 'resolved', 'closed')),
    outcome TEXT NULL CHECK (outcome IN ('won_back', 'not_recovered')),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    source TEXT NOT NULL CHECK (source IN ('response', 'conversation', 'manual')),
    response_id BIGINT NULL UNIQUE REFERENCES responses(id) ON DELETE SET NULL,
    source_ref TEXT NULL,
    customer_id BIGINT NULL REFERENCES customers(id) ON DELETE CASCADE,
    touchpoint_id BIGINT NULL REFERENCES touchpoints(id) ON DELETE SET NULL,
    agent_id BIGINT NULL REFERENCES users(id) ON DELETE SET NULL,
    team_id BIGINT NULL REFERENCES teams(id) ON DELETE SET NULL,
    owner_id BIGINT NULL REFERENCES users(id) ON DELETE SET NULL,
    triggers TEXT NOT NULL,
    root_causes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    first_contact_at TIMESTAMPTZ NULL,
    first_contact_due TIMESTAMPTZ NOT NULL,
    resolution_due TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NULL,
    close_reason TEXT NULL,
    escalated_at TIMESTAMPTZ NULL,
    escalated_to BIGINT NULL REFERENCES users(id) ON DELETE SET NULL,
    original_nps INTEGER NULL,
    followup_nps INTEGER NULL,
    followup_invitation_id BIGINT NULL UNIQUE REFERENCES invitations(id) ON DELETE SET NULL
);
CREATE INDEX cases_org_state ON cases (org_id, state, created_at);
CREATE INDEX cases_owner ON cases (org_id, owner_id);
CREATE INDEX cases_touchpoint ON cases (org_id, touchpoint_id);
CREATE INDEX cases_customer ON cases (customer_id);

CREATE TABLE case_events (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    from_state TEXT NULL,
    to_state TEXT NULL,
    note_kind TEXT NULL,
    body TEXT NULL,
    actor_id BIGINT NULL REFERENCES users(id) ON DELETE SET NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL,
    last_status INTEGER NULL,
    last_error TEXT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    give_up_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ NULL,
    -- Set for events that must be sent once per endpoint even when their job is retried.
    dedupe_key TEXT NULL,
    UNIQUE (webhook_id, dedupe_key)
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_state ON webhook_deliveries (org_id, state);

CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at TIMESTAMPTZ NOT NULL,
    status INTEGER NULL,
    error TEXT NULL,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

CREATE TABLE inbound_sources (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    public_id TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    mapping TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE inbound_events (
    id BIGSERIAL PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES inbound_sources(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    outcome TEXT NOT NULL,
    UNIQUE (source_id, external_id)
);

CREATE TABLE followup_plans (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    touchpoint_id BIGINT NOT NULL UNIQUE REFERENCES touchpoints(id) ON DELETE CASCADE,
    after_days INTEGER NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('call', 'survey')),
    survey_id BIGINT NULL REFERENCES surveys(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE followup_tasks (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    plan_id BIGINT NOT NULL REFERENCES followup_plans(id) ON DELETE CASCADE,
    touchpoint_id BIGINT NOT NULL REFERENCES touchpoints(id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    owner_id BIGINT NULL REFERENCES users(id) ON DELETE SET NULL,
    last_interaction_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('scheduled', 'done', 'skipped', 'surveyed')),
    outcome TEXT NULL,
    completed_at TIMESTAMPTZ NULL,
    completed_by BIGINT NULL REFERENCES users(id) ON DELETE SET NULL,
    invitation_id BIGINT NULL REFERENCES invitations(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- One scheduled follow-up per customer and plan: a new interaction moves its date.
CREATE UNIQUE INDEX followup_tasks_one_scheduled ON followup_tasks (plan_id, customer_id) WHERE state = 'scheduled';
CREATE INDEX followup_tasks_due ON followup_tasks (org_id, state, due_at);
