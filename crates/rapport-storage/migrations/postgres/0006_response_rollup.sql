-- Pre-aggregated response sums for the metrics pages: one row per organisation × survey ×
-- journey × stage × touchpoint × channel × team (0 for none) × locale × day, with the week and
-- month of that day, holding exactly the sums `GroupSums` is made of. Statement-level triggers
-- on `responses` keep it in step with every write, whatever code path makes it (group commit,
-- batch, import, analysis results, deletes including ON DELETE CASCADE), inside the writing
-- transaction: one aggregated upsert per statement, not one per row.
-- A row whose responses fall to 0 stays (with all sums 0); readers skip it.
CREATE TABLE response_rollup (
    org_id BIGINT NOT NULL,
    survey_id BIGINT NOT NULL,
    journey_id BIGINT NOT NULL,
    stage_id BIGINT NOT NULL,
    touchpoint_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
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
    PRIMARY KEY (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day)
);
CREATE INDEX response_rollup_touchpoint ON response_rollup (org_id, touchpoint_id, day);
CREATE INDEX response_rollup_journey ON response_rollup (org_id, journey_id, day);

CREATE FUNCTION responses_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_rollup (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT n.org_id AS org_id, n.survey_id AS survey_id, n.journey_id AS journey_id, n.stage_id AS stage_id, n.touchpoint_id AS touchpoint_id, n.channel AS channel, COALESCE(n.team_id, 0) AS team_id, n.locale AS locale, n.day AS day, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_new n) d
    GROUP BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day
    ON CONFLICT (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day) DO UPDATE SET responses = response_rollup.responses + excluded.responses, nps_n = response_rollup.nps_n + excluded.nps_n, promoters = response_rollup.promoters + excluded.promoters, detractors = response_rollup.detractors + excluded.detractors, csat_n = response_rollup.csat_n + excluded.csat_n, csat_satisfied = response_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_rollup.ces_n + excluded.ces_n, ces_sum = response_rollup.ces_sum + excluded.ces_sum, gap_n = response_rollup.gap_n + excluded.gap_n, gap_sum = response_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_rollup.negative + excluded.negative;
    RETURN NULL;
END;
$$;

CREATE FUNCTION responses_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_rollup (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.survey_id AS survey_id, o.journey_id AS journey_id, o.stage_id AS stage_id, o.touchpoint_id AS touchpoint_id, o.channel AS channel, COALESCE(o.team_id, 0) AS team_id, o.locale AS locale, o.day AS day, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o) d
    GROUP BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day
    ON CONFLICT (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day) DO UPDATE SET responses = response_rollup.responses + excluded.responses, nps_n = response_rollup.nps_n + excluded.nps_n, promoters = response_rollup.promoters + excluded.promoters, detractors = response_rollup.detractors + excluded.detractors, csat_n = response_rollup.csat_n + excluded.csat_n, csat_satisfied = response_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_rollup.ces_n + excluded.ces_n, ces_sum = response_rollup.ces_sum + excluded.ces_sum, gap_n = response_rollup.gap_n + excluded.gap_n, gap_sum = response_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_rollup.negative + excluded.negative;
    RETURN NULL;
END;
$$;

-- Only rows whose roll-up columns changed count (an UPDATE trigger with transition tables
-- cannot name columns).
CREATE FUNCTION responses_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_rollup (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.survey_id AS survey_id, o.journey_id AS journey_id, o.stage_id AS stage_id, o.touchpoint_id AS touchpoint_id, o.channel AS channel, COALESCE(o.team_id, 0) AS team_id, o.locale AS locale, o.day AS day, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.team_id, o.locale, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.team_id, n.locale, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label) UNION ALL SELECT n.org_id AS org_id, n.survey_id AS survey_id, n.journey_id AS journey_id, n.stage_id AS stage_id, n.touchpoint_id AS touchpoint_id, n.channel AS channel, COALESCE(n.team_id, 0) AS team_id, n.locale AS locale, n.day AS day, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.team_id, o.locale, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.team_id, n.locale, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label)) d
    GROUP BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day
    ON CONFLICT (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day) DO UPDATE SET responses = response_rollup.responses + excluded.responses, nps_n = response_rollup.nps_n + excluded.nps_n, promoters = response_rollup.promoters + excluded.promoters, detractors = response_rollup.detractors + excluded.detractors, csat_n = response_rollup.csat_n + excluded.csat_n, csat_satisfied = response_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_rollup.ces_n + excluded.ces_n, ces_sum = response_rollup.ces_sum + excluded.ces_sum, gap_n = response_rollup.gap_n + excluded.gap_n, gap_sum = response_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_rollup.negative + excluded.negative;
    RETURN NULL;
END;
$$;

CREATE TRIGGER responses_rollup_insert AFTER INSERT ON responses
    REFERENCING NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION responses_rollup_insert();
CREATE TRIGGER responses_rollup_delete AFTER DELETE ON responses
    REFERENCING OLD TABLE AS rollup_old FOR EACH STATEMENT EXECUTE FUNCTION responses_rollup_delete();
CREATE TRIGGER responses_rollup_update AFTER UPDATE ON responses
    REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION responses_rollup_update();

    INSERT INTO response_rollup (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT r.org_id AS org_id, r.survey_id AS survey_id, r.journey_id AS journey_id, r.stage_id AS stage_id, r.touchpoint_id AS touchpoint_id, r.channel AS channel, COALESCE(r.team_id, 0) AS team_id, r.locale AS locale, r.day AS day, r.week AS week, r.month AS month, 1 AS responses, (CASE WHEN r.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN r.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN r.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN r.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(r.ces, 0) AS ces_sum, (CASE WHEN r.experience - r.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(r.experience - r.expectation, 0) AS gap_sum, (CASE WHEN r.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(r.sentiment_score, 0) AS sentiment_sum, (CASE WHEN r.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM responses r) d
    GROUP BY d.org_id, d.survey_id, d.journey_id, d.stage_id, d.touchpoint_id, d.channel, d.team_id, d.locale, d.day
    ON CONFLICT (org_id, survey_id, journey_id, stage_id, touchpoint_id, channel, team_id, locale, day) DO UPDATE SET responses = response_rollup.responses + excluded.responses, nps_n = response_rollup.nps_n + excluded.nps_n, promoters = response_rollup.promoters + excluded.promoters, detractors = response_rollup.detractors + excluded.detractors, csat_n = response_rollup.csat_n + excluded.csat_n, csat_satisfied = response_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_rollup.ces_n + excluded.ces_n, ces_sum = response_rollup.ces_sum + excluded.ces_sum, gap_n = response_rollup.gap_n + excluded.gap_n, gap_sum = response_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_rollup.negative + excluded.negative;
