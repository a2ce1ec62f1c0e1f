-- Two coarser roll-ups beside `response_rollup` (0006), kept by triggers on `responses` in the
-- writing transaction like it (inserts, analysis updates, deletes including ON DELETE CASCADE):
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
    org_id INTEGER NOT NULL,
    journey_id INTEGER NOT NULL,
    touchpoint_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    survey_id INTEGER NOT NULL,
    stage_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    week TEXT NOT NULL,
    month TEXT NOT NULL,
    responses INTEGER NOT NULL,
    nps_n INTEGER NOT NULL,
    promoters INTEGER NOT NULL,
    detractors INTEGER NOT NULL,
    csat_n INTEGER NOT NULL,
    csat_satisfied INTEGER NOT NULL,
    ces_n INTEGER NOT NULL,
    ces_sum INTEGER NOT NULL,
    gap_n INTEGER NOT NULL,
    gap_sum INTEGER NOT NULL,
    sentiment_n INTEGER NOT NULL,
    sentiment_sum REAL NOT NULL,
    negative INTEGER NOT NULL,
    PRIMARY KEY (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel)
) WITHOUT ROWID;

CREATE TABLE response_topic_rollup (
    org_id INTEGER NOT NULL,
    journey_id INTEGER NOT NULL,
    touchpoint_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    day TEXT NOT NULL,
    survey_id INTEGER NOT NULL,
    stage_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    week TEXT NOT NULL,
    month TEXT NOT NULL,
    responses INTEGER NOT NULL,
    promoters INTEGER NOT NULL,
    detractors INTEGER NOT NULL,
    mentions INTEGER NOT NULL,
    PRIMARY KEY (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel)
) WITHOUT ROWID;

CREATE TRIGGER responses_touchpoint_rollup_insert AFTER INSERT ON responses
BEGIN
    INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    VALUES (NEW.org_id, NEW.journey_id, NEW.touchpoint_id, NEW.day, NEW.survey_id, NEW.stage_id, NEW.channel, NEW.week, NEW.month, 1, (NEW.nps IS NOT NULL), (COALESCE(NEW.nps, 0) >= 9), (NEW.nps <= 6 AND NEW.nps IS NOT NULL), (NEW.csat IS NOT NULL), (COALESCE(NEW.csat, 0) >= 4), (NEW.ces IS NOT NULL), COALESCE(NEW.ces, 0), (NEW.experience - NEW.expectation IS NOT NULL), COALESCE(NEW.experience - NEW.expectation, 0), (NEW.sentiment_score IS NOT NULL), COALESCE(NEW.sentiment_score, 0.0), (COALESCE(NEW.sentiment_label, '') = 'negative'))
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, nps_n = nps_n + excluded.nps_n, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, csat_n = csat_n + excluded.csat_n, csat_satisfied = csat_satisfied + excluded.csat_satisfied, ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum, gap_n = gap_n + excluded.gap_n, gap_sum = gap_sum + excluded.gap_sum, sentiment_n = sentiment_n + excluded.sentiment_n, sentiment_sum = sentiment_sum + excluded.sentiment_sum, negative = negative + excluded.negative;
END;

CREATE TRIGGER responses_touchpoint_rollup_delete AFTER DELETE ON responses
BEGIN
    INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    VALUES (OLD.org_id, OLD.journey_id, OLD.touchpoint_id, OLD.day, OLD.survey_id, OLD.stage_id, OLD.channel, OLD.week, OLD.month, -1, -(OLD.nps IS NOT NULL), -(COALESCE(OLD.nps, 0) >= 9), -(OLD.nps <= 6 AND OLD.nps IS NOT NULL), -(OLD.csat IS NOT NULL), -(COALESCE(OLD.csat, 0) >= 4), -(OLD.ces IS NOT NULL), -COALESCE(OLD.ces, 0), -(OLD.experience - OLD.expectation IS NOT NULL), -COALESCE(OLD.experience - OLD.expectation, 0), -(OLD.sentiment_score IS NOT NULL), -COALESCE(OLD.sentiment_score, 0.0), -(COALESCE(OLD.sentiment_label, '') = 'negative'))
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, nps_n = nps_n + excluded.nps_n, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, csat_n = csat_n + excluded.csat_n, csat_satisfied = csat_satisfied + excluded.csat_satisfied, ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum, gap_n = gap_n + excluded.gap_n, gap_sum = gap_sum + excluded.gap_sum, sentiment_n = sentiment_n + excluded.sentiment_n, sentiment_sum = sentiment_sum + excluded.sentiment_sum, negative = negative + excluded.negative;
END;

CREATE TRIGGER responses_touchpoint_rollup_update AFTER UPDATE ON responses
WHEN OLD.org_id IS NOT NEW.org_id OR OLD.survey_id IS NOT NEW.survey_id OR OLD.journey_id IS NOT NEW.journey_id OR OLD.stage_id IS NOT NEW.stage_id OR OLD.touchpoint_id IS NOT NEW.touchpoint_id OR OLD.channel IS NOT NEW.channel OR OLD.day IS NOT NEW.day OR OLD.week IS NOT NEW.week OR OLD.month IS NOT NEW.month OR OLD.nps IS NOT NEW.nps OR OLD.csat IS NOT NEW.csat OR OLD.ces IS NOT NEW.ces OR OLD.expectation IS NOT NEW.expectation OR OLD.experience IS NOT NEW.experience OR OLD.sentiment_score IS NOT NEW.sentiment_score OR OLD.sentiment_label IS NOT NEW.sentiment_label
BEGIN
    INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    VALUES (OLD.org_id, OLD.journey_id, OLD.touchpoint_id, OLD.day, OLD.survey_id, OLD.stage_id, OLD.channel, OLD.week, OLD.month, -1, -(OLD.nps IS NOT NULL), -(COALESCE(OLD.nps, 0) >= 9), -(OLD.nps <= 6 AND OLD.nps IS NOT NULL), -(OLD.csat IS NOT NULL), -(COALESCE(OLD.csat, 0) >= 4), -(OLD.ces IS NOT NULL), -COALESCE(OLD.ces, 0), -(OLD.experience - OLD.expectation IS NOT NULL), -COALESCE(OLD.experience - OLD.expectation, 0), -(OLD.sentiment_score IS NOT NULL), -COALESCE(OLD.sentiment_score, 0.0), -(COALESCE(OLD.sentiment_label, '') = 'negative'))
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, nps_n = nps_n + excluded.nps_n, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, csat_n = csat_n + excluded.csat_n, csat_satisfied = csat_satisfied + excluded.csat_satisfied, ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum, gap_n = gap_n + excluded.gap_n, gap_sum = gap_sum + excluded.gap_sum, sentiment_n = sentiment_n + excluded.sentiment_n, sentiment_sum = sentiment_sum + excluded.sentiment_sum, negative = negative + excluded.negative;
    INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    VALUES (NEW.org_id, NEW.journey_id, NEW.touchpoint_id, NEW.day, NEW.survey_id, NEW.stage_id, NEW.channel, NEW.week, NEW.month, 1, (NEW.nps IS NOT NULL), (COALESCE(NEW.nps, 0) >= 9), (NEW.nps <= 6 AND NEW.nps IS NOT NULL), (NEW.csat IS NOT NULL), (COALESCE(NEW.csat, 0) >= 4), (NEW.ces IS NOT NULL), COALESCE(NEW.ces, 0), (NEW.experience - NEW.expectation IS NOT NULL), COALESCE(NEW.experience - NEW.expectation, 0), (NEW.sentiment_score IS NOT NULL), COALESCE(NEW.sentiment_score, 0.0), (COALESCE(NEW.sentiment_label, '') = 'negative'))
    ON CONFLICT (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, nps_n = nps_n + excluded.nps_n, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, csat_n = csat_n + excluded.csat_n, csat_satisfied = csat_satisfied + excluded.csat_satisfied, ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum, gap_n = gap_n + excluded.gap_n, gap_sum = gap_sum + excluded.gap_sum, sentiment_n = sentiment_n + excluded.sentiment_n, sentiment_sum = sentiment_sum + excluded.sentiment_sum, negative = negative + excluded.negative;
END;

-- SQLite refuses common table expressions inside triggers, so topics are split with json_each.
CREATE TRIGGER responses_topic_rollup_insert AFTER INSERT ON responses
WHEN NEW.nps IS NOT NULL AND NEW.topics IS NOT NULL
BEGIN
    INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT NEW.org_id, NEW.journey_id, NEW.touchpoint_id, t.topic, NEW.day, NEW.survey_id, NEW.stage_id, NEW.channel, NEW.week, NEW.month, 1, (NEW.nps >= 9), (NEW.nps <= 6), t.mentions
    FROM (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT value, COUNT(*) FROM json_each('[' || replace(json_quote(NEW.topics), ',', '","') || ']') WHERE value <> '' GROUP BY value) t
    WHERE NEW.nps IS NOT NULL AND NEW.topics IS NOT NULL
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, mentions = mentions + excluded.mentions;
END;

CREATE TRIGGER responses_topic_rollup_delete AFTER DELETE ON responses
WHEN OLD.nps IS NOT NULL AND OLD.topics IS NOT NULL
BEGIN
    INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT OLD.org_id, OLD.journey_id, OLD.touchpoint_id, t.topic, OLD.day, OLD.survey_id, OLD.stage_id, OLD.channel, OLD.week, OLD.month, -1, -(OLD.nps >= 9), -(OLD.nps <= 6), -t.mentions
    FROM (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT value, COUNT(*) FROM json_each('[' || replace(json_quote(OLD.topics), ',', '","') || ']') WHERE value <> '' GROUP BY value) t
    WHERE OLD.nps IS NOT NULL AND OLD.topics IS NOT NULL
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, mentions = mentions + excluded.mentions;
END;

CREATE TRIGGER responses_topic_rollup_update AFTER UPDATE ON responses
WHEN OLD.org_id IS NOT NEW.org_id OR OLD.survey_id IS NOT NEW.survey_id OR OLD.journey_id IS NOT NEW.journey_id OR OLD.stage_id IS NOT NEW.stage_id OR OLD.touchpoint_id IS NOT NEW.touchpoint_id OR OLD.channel IS NOT NEW.channel OR OLD.day IS NOT NEW.day OR OLD.week IS NOT NEW.week OR OLD.month IS NOT NEW.month OR OLD.nps IS NOT NEW.nps OR OLD.topics IS NOT NEW.topics
BEGIN
    INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT OLD.org_id, OLD.journey_id, OLD.touchpoint_id, t.topic, OLD.day, OLD.survey_id, OLD.stage_id, OLD.channel, OLD.week, OLD.month, -1, -(OLD.nps >= 9), -(OLD.nps <= 6), -t.mentions
    FROM (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT value, COUNT(*) FROM json_each('[' || replace(json_quote(OLD.topics), ',', '","') || ']') WHERE value <> '' GROUP BY value) t
    WHERE OLD.nps IS NOT NULL AND OLD.topics IS NOT NULL
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, mentions = mentions + excluded.mentions;
    INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
    SELECT NEW.org_id, NEW.journey_id, NEW.touchpoint_id, t.topic, NEW.day, NEW.survey_id, NEW.stage_id, NEW.channel, NEW.week, NEW.month, 1, (NEW.nps >= 9), (NEW.nps <= 6), t.mentions
    FROM (SELECT '' AS topic, 0 AS mentions UNION ALL SELECT value, COUNT(*) FROM json_each('[' || replace(json_quote(NEW.topics), ',', '","') || ']') WHERE value <> '' GROUP BY value) t
    WHERE NEW.nps IS NOT NULL AND NEW.topics IS NOT NULL
    ON CONFLICT (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel) DO UPDATE SET
        responses = responses + excluded.responses, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, mentions = mentions + excluded.mentions;
END;

INSERT INTO response_touchpoint_rollup (org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
SELECT org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel, MIN(week), MIN(month), COUNT(*), COUNT(nps), SUM(COALESCE(nps, 0) >= 9), SUM(nps <= 6 AND nps IS NOT NULL), COUNT(csat), SUM(COALESCE(csat, 0) >= 4), COUNT(ces), COALESCE(SUM(ces), 0), COUNT(experience - expectation), COALESCE(SUM(experience - expectation), 0), COUNT(sentiment_score), COALESCE(SUM(sentiment_score), 0.0), SUM(COALESCE(sentiment_label, '') = 'negative')
FROM responses
GROUP BY org_id, journey_id, touchpoint_id, day, survey_id, stage_id, channel;

INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
SELECT r.org_id, r.journey_id, r.touchpoint_id, '', r.day, r.survey_id, r.stage_id, r.channel, MIN(r.week), MIN(r.month), COUNT(*), SUM(r.nps >= 9), SUM(r.nps <= 6), 0
FROM responses r
WHERE r.nps IS NOT NULL AND r.topics IS NOT NULL
GROUP BY r.org_id, r.journey_id, r.touchpoint_id, r.day, r.survey_id, r.stage_id, r.channel;

INSERT INTO response_topic_rollup (org_id, journey_id, touchpoint_id, topic, day, survey_id, stage_id, channel, week, month, responses, promoters, detractors, mentions)
SELECT r.org_id, r.journey_id, r.touchpoint_id, j.value, r.day, r.survey_id, r.stage_id, r.channel, MIN(r.week), MIN(r.month), COUNT(DISTINCT r.id), COUNT(DISTINCT CASE WHEN r.nps >= 9 THEN r.id END), COUNT(DISTINCT CASE WHEN r.nps <= 6 THEN r.id END), COUNT(*)
FROM responses r, json_each('[' || replace(json_quote(r.topics), ',', '","') || ']') j
WHERE r.nps IS NOT NULL AND r.topics IS NOT NULL AND j.value <> ''
GROUP BY r.org_id, r.journey_id, r.touchpoint_id, r.day, r.survey_id, r.stage_id, r.channel, j.value;
