-- Roll-up writes once per transaction instead of once per statement.
--
-- Until now the statement triggers of 0006/0007 upserted the roll-ups directly. A transaction
-- of many statements — the group commit (one INSERT per response, up to 256 a transaction),
-- a CSV import batch, the analysis worker, a bulk load — then updated the same roll-up rows
-- (today's, per touchpoint, topic, team...) once per statement. Row versions superseded inside
-- a transaction that is still open cannot be pruned, so the pages filled (despite 0008's
-- fillfactor 50) and the updates spilled to new pages: after a fresh 10M-response load the
-- topic roll-up was many times its live size and the journey map's scan of it took 135 ms.
--
-- Now the statement triggers append their per-statement aggregate to a delta table private to
-- the session (a temporary table, ON COMMIT DELETE ROWS: no WAL, no locks, no vacuum) and
-- register the transaction in `rollup_pending`; a deferred constraint trigger on that table
-- fires once, at COMMIT, sums the deltas and applies them with one upsert per roll-up row.
-- So a transaction writes each roll-up row once whatever its number of statements, the
-- previous version is dead as soon as it commits (and pruned in place, HOT, by the next
-- update), and roll-up row locks are held only while committing.
--
-- Consistency is unchanged for every other transaction: the roll-ups change in the same
-- commit as the responses. Only the writing transaction itself no longer sees its own
-- roll-up changes before COMMIT (nothing reads roll-ups inside a write transaction). A
-- rolled-back statement, savepoint or transaction takes its deltas and its `rollup_pending`
-- row with it; `SET CONSTRAINTS ALL IMMEDIATE` flushes early, and later statements register
-- again.

-- One row per transaction that has deltas waiting; it exists only inside that transaction
-- (the flush deletes it), so it never needs to survive a crash.
CREATE UNLOGGED TABLE rollup_pending (txid BIGINT PRIMARY KEY);

-- Creates this session's delta tables on first use (same columns as the roll-ups, no keys)
-- and registers the transaction for the flush at COMMIT.
CREATE FUNCTION rollup_defer() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.response_rollup_delta') IS NULL THEN
        CREATE TEMPORARY TABLE response_rollup_delta (LIKE response_rollup) ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE response_touchpoint_rollup_delta (LIKE response_touchpoint_rollup) ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE response_topic_rollup_delta (LIKE response_topic_rollup) ON COMMIT DELETE ROWS;
    END IF;
    INSERT INTO rollup_pending (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
END;
$$;

-- The statement triggers of 0006 and 0007, writing to the deltas instead of the roll-ups.

CREATE OR REPLACE FUNCTION responses_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_rollup_delta (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT n.org_id AS org_id, n.survey_id AS survey_id, n.journey_id AS journey_id, n.stage_id AS stage_id, n.touchpoint_id AS touchpoint_id, n.channel AS channel, COALESCE(n.team_id, 0) AS team_id, n.locale AS locale, n.day AS day, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_new n) d
    GROUP BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION responses_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_rollup_delta (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.survey_id AS survey_id, o.journey_id AS journey_id, o.stage_id AS stage_id, o.touchpoint_id AS touchpoint_id, o.channel AS channel, COALESCE(o.team_id, 0) AS team_id, o.locale AS locale, o.day AS day, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o) d
    GROUP BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION responses_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_rollup_delta (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.survey_id AS survey_id, o.journey_id AS journey_id, o.stage_id AS stage_id, o.touchpoint_id AS touchpoint_id, o.channel AS channel, COALESCE(o.team_id, 0) AS team_id, o.locale AS locale, o.day AS day, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.team_id, o.locale, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.team_id, n.locale, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label) UNION ALL SELECT n.org_id AS org_id, n.survey_id AS survey_id, n.journey_id AS journey_id, n.stage_id AS stage_id, n.touchpoint_id AS touchpoint_id, n.channel AS channel, COALESCE(n.team_id, 0) AS team_id, n.locale AS locale, n.day AS day, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.team_id, o.locale, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.team_id, n.locale, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label)) d
    GROUP BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION responses_touchpoint_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_touchpoint_rollup_delta (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT n.org_id AS org_id, n.journey_id AS journey_id, n.touchpoint_id AS touchpoint_id, n.day AS day, n.survey_id AS survey_id, n.stage_id AS stage_id, n.channel AS channel, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_new n) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION responses_touchpoint_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_touchpoint_rollup_delta (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.journey_id AS journey_id, o.touchpoint_id AS touchpoint_id, o.day AS day, o.survey_id AS survey_id, o.stage_id AS stage_id, o.channel AS channel, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION responses_touchpoint_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_touchpoint_rollup_delta (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.journey_id AS journey_id, o.touchpoint_id AS touchpoint_id, o.day AS day, o.survey_id AS survey_id, o.stage_id AS stage_id, o.channel AS channel, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label) UNION ALL SELECT n.org_id AS org_id, n.journey_id AS journey_id, n.touchpoint_id AS touchpoint_id, n.day AS day, n.survey_id AS survey_id, n.stage_id AS stage_id, n.channel AS channel, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label)) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION responses_topic_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_topic_rollup_delta (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.mentions) AS BIGINT)
    FROM (SELECT n.org_id AS org_id, n.journey_id AS journey_id, n.touchpoint_id AS touchpoint_id, n.day AS day, n.survey_id AS survey_id, n.stage_id AS stage_id, n.channel AS channel, n.week AS week, n.month AS month, u.topic AS topic, 1 AS responses, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, u.mentions AS mentions FROM rollup_new n CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(n.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE n.nps IS NOT NULL AND n.topics IS NOT NULL) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION responses_topic_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_topic_rollup_delta (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.mentions) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.journey_id AS journey_id, o.touchpoint_id AS touchpoint_id, o.day AS day, o.survey_id AS survey_id, o.stage_id AS stage_id, o.channel AS channel, o.week AS week, o.month AS month, u.topic AS topic, -1 AS responses, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -u.mentions AS mentions FROM rollup_old o CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(o.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE o.nps IS NOT NULL AND o.topics IS NOT NULL) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION responses_topic_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_topic_rollup_delta (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.mentions) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.journey_id AS journey_id, o.touchpoint_id AS touchpoint_id, o.day AS day, o.survey_id AS survey_id, o.stage_id AS stage_id, o.channel AS channel, o.week AS week, o.month AS month, u.topic AS topic, -1 AS responses, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -u.mentions AS mentions FROM rollup_old o JOIN rollup_new n ON n.id = o.id CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(o.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE o.nps IS NOT NULL AND o.topics IS NOT NULL AND (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.day, o.week, o.month, o.nps, o.topics) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.day, n.week, n.month, n.nps, n.topics) UNION ALL SELECT n.org_id AS org_id, n.journey_id AS journey_id, n.touchpoint_id AS touchpoint_id, n.day AS day, n.survey_id AS survey_id, n.stage_id AS stage_id, n.channel AS channel, n.week AS week, n.month AS month, u.topic AS topic, 1 AS responses, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, u.mentions AS mentions FROM rollup_old o JOIN rollup_new n ON n.id = o.id CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(n.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE n.nps IS NOT NULL AND n.topics IS NOT NULL AND (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.day, o.week, o.month, o.nps, o.topics) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.day, n.week, n.month, n.nps, n.topics)) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel;
    RETURN NULL;
END;
$$;

-- Runs once per writing transaction, when it commits: adds up the deltas of all its statements
-- and applies them with one upsert per roll-up row, in key order (so two committing
-- transactions lock shared roll-up rows in the same order).
CREATE FUNCTION rollup_flush() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH d AS (DELETE FROM pg_temp.response_rollup_delta RETURNING *)
    INSERT INTO response_rollup (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM d
    GROUP BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day
    ORDER BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day
    ON CONFLICT (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day) DO UPDATE SET responses = response_rollup.responses + excluded.responses, nps_n = response_rollup.nps_n + excluded.nps_n, promoters = response_rollup.promoters + excluded.promoters, detractors = response_rollup.detractors + excluded.detractors, csat_n = response_rollup.csat_n + excluded.csat_n, csat_satisfied = response_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_rollup.ces_n + excluded.ces_n, ces_sum = response_rollup.ces_sum + excluded.ces_sum, gap_n = response_rollup.gap_n + excluded.gap_n, gap_sum = response_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_rollup.negative + excluded.negative;
    WITH d AS (DELETE FROM pg_temp.response_touchpoint_rollup_delta RETURNING *)
    INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel
    ORDER BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_touchpoint_rollup.responses + excluded.responses, nps_n = response_touchpoint_rollup.nps_n + excluded.nps_n, promoters = response_touchpoint_rollup.promoters + excluded.promoters, detractors = response_touchpoint_rollup.detractors + excluded.detractors, csat_n = response_touchpoint_rollup.csat_n + excluded.csat_n, csat_satisfied = response_touchpoint_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_touchpoint_rollup.ces_n + excluded.ces_n, ces_sum = response_touchpoint_rollup.ces_sum + excluded.ces_sum, gap_n = response_touchpoint_rollup.gap_n + excluded.gap_n, gap_sum = response_touchpoint_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_touchpoint_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_touchpoint_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_touchpoint_rollup.negative + excluded.negative;
    WITH d AS (DELETE FROM pg_temp.response_topic_rollup_delta RETURNING *)
    INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.mentions) AS BIGINT)
    FROM d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel
    ORDER BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_topic_rollup.responses + excluded.responses, promoters = response_topic_rollup.promoters + excluded.promoters, detractors = response_topic_rollup.detractors + excluded.detractors, mentions = response_topic_rollup.mentions + excluded.mentions;
    DELETE FROM rollup_pending WHERE txid = NEW.txid;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER rollup_flush AFTER INSERT ON rollup_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rollup_flush();
