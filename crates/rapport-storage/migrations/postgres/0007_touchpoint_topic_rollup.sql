-- Two coarser roll-ups beside `response_rollup` (0006), kept by statement-level triggers on
-- `responses` in the writing transaction like it (inserts, analysis updates, deletes including
-- ON DELETE CASCADE), one aggregated upsert per statement:
--
-- * `response_touchpoint_rollup`: the same sums per organisation × journey × touchpoint × day
--   (with its survey, stage, channel, week and month) — no team or locale, so about 30× fewer
--   rows; it answers the metrics queries that neither filter nor group by team or locale.
-- * `response_topic_rollup`: per the same keys × topic, how many analysed responses with an NPS
--   answer name the topic (promoters, detractors among them) and how many times they name it;
--   topic '' counts every analysed response with an NPS answer (the base of driver analysis).
--   A response naming a topic twice counts once in `responses`, twice in `mentions`.
--
-- Rows emptied by deletes stay with zero sums; readers skip them.
CREATE TABLE response_touchpoint_rollup (
    org_id BIGINT NOT NULL,
    journey_id BIGINT NOT NULL,
    touchpoint_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    survey_id BIGINT NOT NULL,
    stage_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
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
    PRIMARY KEY (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel)
);

CREATE TABLE response_topic_rollup (
    org_id BIGINT NOT NULL,
    journey_id BIGINT NOT NULL,
    touchpoint_id BIGINT NOT NULL,
    topic TEXT NOT NULL,
    day TEXT NOT NULL,
    survey_id BIGINT NOT NULL,
    stage_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    week TEXT NOT NULL,
    month TEXT NOT NULL,
    responses BIGINT NOT NULL,
    promoters BIGINT NOT NULL,
    detractors BIGINT NOT NULL,
    mentions BIGINT NOT NULL,
    PRIMARY KEY (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel)
);

CREATE FUNCTION responses_touchpoint_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT n.org_id AS org_id, n.journey_id AS journey_id, n.touchpoint_id AS touchpoint_id, n.day AS day, n.survey_id AS survey_id, n.stage_id AS stage_id, n.channel AS channel, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_new n) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_touchpoint_rollup.responses + excluded.responses, nps_n = response_touchpoint_rollup.nps_n + excluded.nps_n, promoters = response_touchpoint_rollup.promoters + excluded.promoters, detractors = response_touchpoint_rollup.detractors + excluded.detractors, csat_n = response_touchpoint_rollup.csat_n + excluded.csat_n, csat_satisfied = response_touchpoint_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_touchpoint_rollup.ces_n + excluded.ces_n, ces_sum = response_touchpoint_rollup.ces_sum + excluded.ces_sum, gap_n = response_touchpoint_rollup.gap_n + excluded.gap_n, gap_sum = response_touchpoint_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_touchpoint_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_touchpoint_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_touchpoint_rollup.negative + excluded.negative;
    RETURN NULL;
END;
$$;

CREATE FUNCTION responses_touchpoint_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.journey_id AS journey_id, o.touchpoint_id AS touchpoint_id, o.day AS day, o.survey_id AS survey_id, o.stage_id AS stage_id, o.channel AS channel, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_touchpoint_rollup.responses + excluded.responses, nps_n = response_touchpoint_rollup.nps_n + excluded.nps_n, promoters = response_touchpoint_rollup.promoters + excluded.promoters, detractors = response_touchpoint_rollup.detractors + excluded.detractors, csat_n = response_touchpoint_rollup.csat_n + excluded.csat_n, csat_satisfied = response_touchpoint_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_touchpoint_rollup.ces_n + excluded.ces_n, ces_sum = response_touchpoint_rollup.ces_sum + excluded.ces_sum, gap_n = response_touchpoint_rollup.gap_n + excluded.gap_n, gap_sum = response_touchpoint_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_touchpoint_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_touchpoint_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_touchpoint_rollup.negative + excluded.negative;
    RETURN NULL;
END;
$$;

-- Only rows whose roll-up columns changed count (an UPDATE trigger with transition tables
-- cannot name columns).
CREATE FUNCTION responses_touchpoint_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.journey_id AS journey_id, o.touchpoint_id AS touchpoint_id, o.day AS day, o.survey_id AS survey_id, o.stage_id AS stage_id, o.channel AS channel, o.week AS week, o.month AS month, -1 AS responses, -(CASE WHEN o.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -(CASE WHEN o.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, -(CASE WHEN o.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, -(CASE WHEN o.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, -COALESCE(o.ces, 0) AS ces_sum, -(CASE WHEN o.experience - o.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, -COALESCE(o.experience - o.expectation, 0) AS gap_sum, -(CASE WHEN o.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, -COALESCE(o.sentiment_score, 0) AS sentiment_sum, -(CASE WHEN o.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label) UNION ALL SELECT n.org_id AS org_id, n.journey_id AS journey_id, n.touchpoint_id AS touchpoint_id, n.day AS day, n.survey_id AS survey_id, n.stage_id AS stage_id, n.channel AS channel, n.week AS week, n.month AS month, 1 AS responses, (CASE WHEN n.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN n.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN n.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN n.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(n.ces, 0) AS ces_sum, (CASE WHEN n.experience - n.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(n.experience - n.expectation, 0) AS gap_sum, (CASE WHEN n.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(n.sentiment_score, 0) AS sentiment_sum, (CASE WHEN n.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM rollup_old o JOIN rollup_new n ON n.id = o.id WHERE (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.day, o.week, o.month, o.nps, o.csat, o.ces, o.expectation, o.experience, o.sentiment_score, o.sentiment_label) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.day, n.week, n.month, n.nps, n.csat, n.ces, n.expectation, n.experience, n.sentiment_score, n.sentiment_label)) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_touchpoint_rollup.responses + excluded.responses, nps_n = response_touchpoint_rollup.nps_n + excluded.nps_n, promoters = response_touchpoint_rollup.promoters + excluded.promoters, detractors = response_touchpoint_rollup.detractors + excluded.detractors, csat_n = response_touchpoint_rollup.csat_n + excluded.csat_n, csat_satisfied = response_touchpoint_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_touchpoint_rollup.ces_n + excluded.ces_n, ces_sum = response_touchpoint_rollup.ces_sum + excluded.ces_sum, gap_n = response_touchpoint_rollup.gap_n + excluded.gap_n, gap_sum = response_touchpoint_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_touchpoint_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_touchpoint_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_touchpoint_rollup.negative + excluded.negative;
    RETURN NULL;
END;
$$;

CREATE FUNCTION responses_topic_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.mentions) AS BIGINT)
    FROM (SELECT n.org_id AS org_id, n.journey_id AS journey_id, n.touchpoint_id AS touchpoint_id, n.day AS day, n.survey_id AS survey_id, n.stage_id AS stage_id, n.channel AS channel, n.week AS week, n.month AS month, u.topic AS topic, 1 AS responses, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, u.mentions AS mentions FROM rollup_new n CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(n.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE n.nps IS NOT NULL AND n.topics IS NOT NULL) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_topic_rollup.responses + excluded.responses, promoters = response_topic_rollup.promoters + excluded.promoters, detractors = response_topic_rollup.detractors + excluded.detractors, mentions = response_topic_rollup.mentions + excluded.mentions;
    RETURN NULL;
END;
$$;

CREATE FUNCTION responses_topic_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.mentions) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.journey_id AS journey_id, o.touchpoint_id AS touchpoint_id, o.day AS day, o.survey_id AS survey_id, o.stage_id AS stage_id, o.channel AS channel, o.week AS week, o.month AS month, u.topic AS topic, -1 AS responses, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -u.mentions AS mentions FROM rollup_old o CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(o.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE o.nps IS NOT NULL AND o.topics IS NOT NULL) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_topic_rollup.responses + excluded.responses, promoters = response_topic_rollup.promoters + excluded.promoters, detractors = response_topic_rollup.detractors + excluded.detractors, mentions = response_topic_rollup.mentions + excluded.mentions;
    RETURN NULL;
END;
$$;

CREATE FUNCTION responses_topic_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.mentions) AS BIGINT)
    FROM (SELECT o.org_id AS org_id, o.journey_id AS journey_id, o.touchpoint_id AS touchpoint_id, o.day AS day, o.survey_id AS survey_id, o.stage_id AS stage_id, o.channel AS channel, o.week AS week, o.month AS month, u.topic AS topic, -1 AS responses, -(CASE WHEN o.nps >= 9 THEN 1 ELSE 0 END) AS promoters, -(CASE WHEN o.nps <= 6 THEN 1 ELSE 0 END) AS detractors, -u.mentions AS mentions FROM rollup_old o JOIN rollup_new n ON n.id = o.id CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(o.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE o.nps IS NOT NULL AND o.topics IS NOT NULL AND (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.day, o.week, o.month, o.nps, o.topics) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.day, n.week, n.month, n.nps, n.topics) UNION ALL SELECT n.org_id AS org_id, n.journey_id AS journey_id, n.touchpoint_id AS touchpoint_id, n.day AS day, n.survey_id AS survey_id, n.stage_id AS stage_id, n.channel AS channel, n.week AS week, n.month AS month, u.topic AS topic, 1 AS responses, (CASE WHEN n.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN n.nps <= 6 THEN 1 ELSE 0 END) AS detractors, u.mentions AS mentions FROM rollup_old o JOIN rollup_new n ON n.id = o.id CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(n.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE n.nps IS NOT NULL AND n.topics IS NOT NULL AND (o.org_id, o.survey_id, o.journey_id, o.stage_id, o.touchpoint_id, o.channel, o.day, o.week, o.month, o.nps, o.topics) IS DISTINCT FROM (n.org_id, n.survey_id, n.journey_id, n.stage_id, n.touchpoint_id, n.channel, n.day, n.week, n.month, n.nps, n.topics)) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_topic_rollup.responses + excluded.responses, promoters = response_topic_rollup.promoters + excluded.promoters, detractors = response_topic_rollup.detractors + excluded.detractors, mentions = response_topic_rollup.mentions + excluded.mentions;
    RETURN NULL;
END;
$$;

CREATE TRIGGER responses_touchpoint_rollup_insert AFTER INSERT ON responses
    REFERENCING NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION responses_touchpoint_rollup_insert();
CREATE TRIGGER responses_touchpoint_rollup_delete AFTER DELETE ON responses
    REFERENCING OLD TABLE AS rollup_old FOR EACH STATEMENT EXECUTE FUNCTION responses_touchpoint_rollup_delete();
CREATE TRIGGER responses_touchpoint_rollup_update AFTER UPDATE ON responses
    REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION responses_touchpoint_rollup_update();

CREATE TRIGGER responses_topic_rollup_insert AFTER INSERT ON responses
    REFERENCING NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION responses_topic_rollup_insert();
CREATE TRIGGER responses_topic_rollup_delete AFTER DELETE ON responses
    REFERENCING OLD TABLE AS rollup_old FOR EACH STATEMENT EXECUTE FUNCTION responses_topic_rollup_delete();
CREATE TRIGGER responses_topic_rollup_update AFTER UPDATE ON responses
    REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION responses_topic_rollup_update();

INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.nps_n) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.csat_n) AS BIGINT), CAST(SUM(d.csat_satisfied) AS BIGINT), CAST(SUM(d.ces_n) AS BIGINT), CAST(SUM(d.ces_sum) AS BIGINT), CAST(SUM(d.gap_n) AS BIGINT), CAST(SUM(d.gap_sum) AS BIGINT), CAST(SUM(d.sentiment_n) AS BIGINT), SUM(d.sentiment_sum), CAST(SUM(d.negative) AS BIGINT)
    FROM (SELECT r.org_id AS org_id, r.journey_id AS journey_id, r.touchpoint_id AS touchpoint_id, r.day AS day, r.survey_id AS survey_id, r.stage_id AS stage_id, r.channel AS channel, r.week AS week, r.month AS month, 1 AS responses, (CASE WHEN r.nps IS NOT NULL THEN 1 ELSE 0 END) AS nps_n, (CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END) AS detractors, (CASE WHEN r.csat IS NOT NULL THEN 1 ELSE 0 END) AS csat_n, (CASE WHEN r.csat >= 4 THEN 1 ELSE 0 END) AS csat_satisfied, (CASE WHEN r.ces IS NOT NULL THEN 1 ELSE 0 END) AS ces_n, COALESCE(r.ces, 0) AS ces_sum, (CASE WHEN r.experience - r.expectation IS NOT NULL THEN 1 ELSE 0 END) AS gap_n, COALESCE(r.experience - r.expectation, 0) AS gap_sum, (CASE WHEN r.sentiment_score IS NOT NULL THEN 1 ELSE 0 END) AS sentiment_n, COALESCE(r.sentiment_score, 0) AS sentiment_sum, (CASE WHEN r.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS negative FROM responses r) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_touchpoint_rollup.responses + excluded.responses, nps_n = response_touchpoint_rollup.nps_n + excluded.nps_n, promoters = response_touchpoint_rollup.promoters + excluded.promoters, detractors = response_touchpoint_rollup.detractors + excluded.detractors, csat_n = response_touchpoint_rollup.csat_n + excluded.csat_n, csat_satisfied = response_touchpoint_rollup.csat_satisfied + excluded.csat_satisfied, ces_n = response_touchpoint_rollup.ces_n + excluded.ces_n, ces_sum = response_touchpoint_rollup.ces_sum + excluded.ces_sum, gap_n = response_touchpoint_rollup.gap_n + excluded.gap_n, gap_sum = response_touchpoint_rollup.gap_sum + excluded.gap_sum, sentiment_n = response_touchpoint_rollup.sentiment_n + excluded.sentiment_n, sentiment_sum = response_touchpoint_rollup.sentiment_sum + excluded.sentiment_sum, negative = response_touchpoint_rollup.negative + excluded.negative;

INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel, MIN(d.week), MIN(d.month), CAST(SUM(d.responses) AS BIGINT), CAST(SUM(d.promoters) AS BIGINT), CAST(SUM(d.detractors) AS BIGINT), CAST(SUM(d.mentions) AS BIGINT)
    FROM (SELECT r.org_id AS org_id, r.journey_id AS journey_id, r.touchpoint_id AS touchpoint_id, r.day AS day, r.survey_id AS survey_id, r.stage_id AS stage_id, r.channel AS channel, r.week AS week, r.month AS month, u.topic AS topic, 1 AS responses, (CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS promoters, (CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END) AS detractors, u.mentions AS mentions FROM responses r CROSS JOIN LATERAL (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT p.piece, COUNT(*) FROM unnest(string_to_array(r.topics, ',')) AS p(piece) WHERE p.piece <> '' GROUP BY p.piece) u WHERE r.nps IS NOT NULL AND r.topics IS NOT NULL) d
    GROUP BY d.org_id, d.journey_id, d.touchpoint_id, d.topic, d.day, d.survey_id, d.stage_id, d.channel
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET responses = response_topic_rollup.responses + excluded.responses, promoters = response_topic_rollup.promoters + excluded.promoters, detractors = response_topic_rollup.detractors + excluded.detractors, mentions = response_topic_rollup.mentions + excluded.mentions;
