-- A fourth roll-up beside 0006/0007, for the breakdowns by team and by locale: the same sums
-- per organisation × team (0 for none) × locale × day (with its week and month), nothing else.
-- `response_rollup` answers those too, but it also splits by survey, journey, stage, touchpoint
-- and channel, so the overview dashboard read about 20× the rows it needed (65,700 at 10M
-- generated responses, against 3,300 here). Kept like the others since 0011: statement triggers
-- append per-statement deltas to a session-private table and the deferred `rollup_flush`
-- applies them once per transaction at COMMIT, in key order.
CREATE TABLE response_team_rollup (
    org_id BIGINT NOT NULL,
    team_id BIGINT NOT NULL,
    locale TEXT NOT NULL,
    day TEXT NOT NULL,
    week TEXT NOT NULL,
    month TEXT NOT NULL,
    responses BIGINT NOT NULL,
    nps_n BIGINT NOT NULL,
    promoters BIGINT NOT NULL,
    detractors BIGINT NOT NULL,
    csat_n BIGINT NOT NULL,
    csat_satisfied BIGINT NOT NULL,
    ces_n BIGINT NOT NULL,
    ces_sum BIGINT NOT NULL,
    gap_n BIGINT NOT NULL,
    gap_sum BIGINT NOT NULL,
    sentiment_n BIGINT NOT NULL,
    sentiment_sum DOUBLE PRECISION NOT NULL,
    negative BIGINT NOT NULL,
    PRIMARY KEY (org_id, team_id, locale, day)
) WITH (fillfactor = 50);

-- Sessions opened before this migration already have the first three delta tables: each table
-- is checked on its own.
CREATE OR REPLACE FUNCTION rollup_defer() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.response_rollup_delta') IS NULL THEN
        CREATE TEMPORARY TABLE response_rollup_delta (LIKE response_rollup) ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE response_touchpoint_rollup_delta (LIKE response_touchpoint_rollup) ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE response_topic_rollup_delta (LIKE response_topic_rollup) ON COMMIT DELETE ROWS;
    END IF;
    IF to_regclass('pg_temp.response_team_rollup_delta') IS NULL THEN
        CREATE TEMPORARY TABLE response_team_rollup_delta (LIKE response_team_rollup) ON COMMIT DELETE ROWS;
    END IF;
    INSERT INTO rollup_pending (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
END;
$$;

CREATE FUNCTION responses_team_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_team_rollup_delta (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT n.org_id AS org_id, COALESCE(n.team_id, 0) AS team_id, n.locale AS locale, n.day AS day, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_new n) d
    GROUP BY d.org_id, d.team_id, d.locale, d.day;
    RETURN NULL;
END;
$$;

CREATE FUNCTION responses_team_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_team_rollup_delta (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, COALESCE(o.team_id, 0) AS team_id, o.locale AS locale, o.day AS day, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o) d
    GROUP BY d.org_id, d.team_id, d.locale, d.day;
    RETURN NULL;
END;
$$;

CREATE FUNCTION responses_team_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_defer();
    INSERT INTO pg_temp.response_team_rollup_delta (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, COALESCE(o.team_id, 0) AS team_id, o.locale AS locale, o.day AS day, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.team_id, o.locale, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.team_id, n.locale, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label) UNION ALL SELECT n.org_id AS org_id, COALESCE(n.team_id, 0) AS team_id, n.locale AS locale, n.day AS day, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.team_id, o.locale, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.team_id, n.locale, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label)) d
    GROUP BY d.org_id, d.team_id, d.locale, d.day;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION rollup_flush() RETURNS trigger LANGUAGE plpgsql AS $$
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
    WITH d AS (DELETE FROM pg_temp.response_team_rollup_delta RETURNING *)
    INSERT INTO response_team_rollup (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM d
    GROUP BY d.org_id, d.team_id, d.locale, d.day
    ORDER BY d.org_id, d.team_id, d.locale, d.day
    ON CONFLICT (org_id, team_id, locale, day) DO UPDATE SET responses = response_team_rollup.responses + excluded.responses, nps_n = response_team_rollup.nps_n + excluded.nps_n, promoters = response_team_rollup.promoters + excluded.promoters, detractors = response_team_rollup.detractors + excluded.detractors, csat_n = response_team_rollup.csat_n + excluded.csat_n, csat_satisfied = response_team_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_team_rollup.ces_n + excluded.ces_n, ces_sum = response_team_rollup.ces_sum + excluded.ces_sum, gap_n = response_team_rollup.gap_n + excluded.gap_n, gap_sum = response_team_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_team_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_team_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_team_rollup.negative + excluded.negative;
    DELETE FROM rollup_pending WHERE txid = NEW.txid;
    RETURN NULL;
END;
$$;

CREATE TRIGGER responses_team_rollup_insert AFTER INSERT ON responses
    REFERENCING NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION responses_team_rollup_insert();
CREATE TRIGGER responses_team_rollup_delete AFTER DELETE ON responses
    REFERENCING OLD TABLE AS rollup_old FOR EACH STATEMENT EXECUTE FUNCTION responses_team_rollup_delete();
CREATE TRIGGER responses_team_rollup_update AFTER UPDATE ON responses
    REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION responses_team_rollup_update();

INSERT INTO response_team_rollup (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT r.org_id AS org_id, COALESCE(r.team_id, 0) AS team_id, r.locale AS locale, r.day AS day, r.week AS week, r.month AS month, 1 AS responses, (CASE WHEN r.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN r.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN r.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN r.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(r.ces, 0) AS ces_sum, (CASE WHEN r.experience - r.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(r.experience - r.expectation, 0) AS gap_sum, (CASE WHEN r.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(r.sentiment_score, 0) AS sentiment_sum, (CASE WHEN r.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM responses r) d
    GROUP BY d.org_id, d.team_id, d.locale, d.day;
