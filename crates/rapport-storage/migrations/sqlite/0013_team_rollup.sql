-- A fourth roll-up beside 0006/0007, for the breakdowns by team and by locale: the same sums
-- per organisation × team (0 for none) × locale × day (with its week and month), nothing else.
-- `response_rollup` answers those too, but it also splits by survey, journey, stage, touchpoint
-- and channel, so the overview dashboard read about 20× the rows it needed (65,700 at 10M
-- generated responses, against 3,300 here). Kept by triggers on `responses` in the writing
-- transaction like the others (inserts, analysis updates, deletes including ON DELETE
-- CASCADE); rows emptied by deletes stay with zero sums and readers skip them.

CREATE TABLE response_team_rollup (
    org_id INTEGER NOT NULL,
    team_id INTEGER NOT NULL,
    locale TEXT NOT NULL,
    day TEXT NOT NULL,
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
    PRIMARY KEY (org_id, team_id, locale, day)
) WITHOUT ROWID;

CREATE TRIGGER responses_team_rollup_insert AFTER INSERT ON responses
BEGIN
    INSERT INTO response_team_rollup (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    VALUES (NEW.org_id, COALESCE(NEW.team_id, 0), NEW.locale, NEW.day, NEW.week, NEW.month, 1, (NEW.nps IS NOT NULL), (COALESCE(NEW.nps, 0) >= 9), (NEW.nps <= 6 AND NEW.nps IS NOT NULL), (NEW.csat IS NOT NULL), (COALESCE(NEW.csat, 0) >= 4), (NEW.ces IS NOT NULL), COALESCE(NEW.ces, 0), (NEW.experience - NEW.expectation IS NOT NULL), COALESCE(NEW.experience - NEW.expectation, 0), (NEW.sentiment_score IS NOT NULL), COALESCE(NEW.sentiment_score, 0.0), (COALESCE(NEW.sentiment_label, '') = 'negative'))
    ON CONFLICT (org_id, team_id, locale, day) DO UPDATE SET
        responses = responses + excluded.responses, nps_n = nps_n + excluded.nps_n, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, csat_n = csat_n + excluded.csat_n, csat_satisfied = csat_satisfied + excluded.csat_satisfied, ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum, gap_n = gap_n + excluded.gap_n, gap_sum = gap_sum + excluded.gap_sum, sentiment_n = sentiment_n + excluded.sentiment_n, sentiment_sum = sentiment_sum + excluded.sentiment_sum, negative = negative + excluded.negative;
END;

CREATE TRIGGER responses_team_rollup_delete AFTER DELETE ON responses
BEGIN
    INSERT INTO response_team_rollup (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    VALUES (OLD.org_id, COALESCE(OLD.team_id, 0), OLD.locale, OLD.day, OLD.week, OLD.month, -1, -(OLD.nps IS NOT NULL), -(COALESCE(OLD.nps, 0) >= 9), -(OLD.nps <= 6 AND OLD.nps IS NOT NULL), -(OLD.csat IS NOT NULL), -(COALESCE(OLD.csat, 0) >= 4), -(OLD.ces IS NOT NULL), -COALESCE(OLD.ces, 0), -(OLD.experience - OLD.expectation IS NOT NULL), -COALESCE(OLD.experience - OLD.expectation, 0), -(OLD.sentiment_score IS NOT NULL), -COALESCE(OLD.sentiment_score, 0.0), -(COALESCE(OLD.sentiment_label, '') = 'negative'))
    ON CONFLICT (org_id, team_id, locale, day) DO UPDATE SET
        responses = responses + excluded.responses, nps_n = nps_n + excluded.nps_n, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, csat_n = csat_n + excluded.csat_n, csat_satisfied = csat_satisfied + excluded.csat_satisfied, ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum, gap_n = gap_n + excluded.gap_n, gap_sum = gap_sum + excluded.gap_sum, sentiment_n = sentiment_n + excluded.sentiment_n, sentiment_sum = sentiment_sum + excluded.sentiment_sum, negative = negative + excluded.negative;
END;

CREATE TRIGGER responses_team_rollup_update AFTER UPDATE ON responses
WHEN OLD.org_id IS NOT NEW.org_id OR OLD.team_id IS NOT NEW.team_id OR OLD.locale IS NOT NEW.locale OR OLD.day IS NOT NEW.day OR OLD.week IS NOT NEW.week OR OLD.month IS NOT NEW.month OR OLD.nps IS NOT NEW.nps OR OLD.csat IS NOT NEW.csat OR OLD.ces IS NOT NEW.ces OR OLD.expectation IS NOT NEW.expectation OR OLD.experience IS NOT NEW.experience OR OLD.sentiment_score IS NOT NEW.sentiment_score OR OLD.sentiment_label IS NOT NEW.sentiment_label
BEGIN
    INSERT INTO response_team_rollup (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    VALUES (OLD.org_id, COALESCE(OLD.team_id, 0), OLD.locale, OLD.day, OLD.week, OLD.month, -1, -(OLD.nps IS NOT NULL), -(COALESCE(OLD.nps, 0) >= 9), -(OLD.nps <= 6 AND OLD.nps IS NOT NULL), -(OLD.csat IS NOT NULL), -(COALESCE(OLD.csat, 0) >= 4), -(OLD.ces IS NOT NULL), -COALESCE(OLD.ces, 0), -(OLD.experience - OLD.expectation IS NOT NULL), -COALESCE(OLD.experience - OLD.expectation, 0), -(OLD.sentiment_score IS NOT NULL), -COALESCE(OLD.sentiment_score, 0.0), -(COALESCE(OLD.sentiment_label, '') = 'negative'))
    ON CONFLICT (org_id, team_id, locale, day) DO UPDATE SET
        responses = responses + excluded.responses, nps_n = nps_n + excluded.nps_n, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, csat_n = csat_n + excluded.csat_n, csat_satisfied = csat_satisfied + excluded.csat_satisfied, ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum, gap_n = gap_n + excluded.gap_n, gap_sum = gap_sum + excluded.gap_sum, sentiment_n = sentiment_n + excluded.sentiment_n, sentiment_sum = sentiment_sum + excluded.sentiment_sum, negative = negative + excluded.negative;
    INSERT INTO response_team_rollup (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
    VALUES (NEW.org_id, COALESCE(NEW.team_id, 0), NEW.locale, NEW.day, NEW.week, NEW.month, 1, (NEW.nps IS NOT NULL), (COALESCE(NEW.nps, 0) >= 9), (NEW.nps <= 6 AND NEW.nps IS NOT NULL), (NEW.csat IS NOT NULL), (COALESCE(NEW.csat, 0) >= 4), (NEW.ces IS NOT NULL), COALESCE(NEW.ces, 0), (NEW.experience - NEW.expectation IS NOT NULL), COALESCE(NEW.experience - NEW.expectation, 0), (NEW.sentiment_score IS NOT NULL), COALESCE(NEW.sentiment_score, 0.0), (COALESCE(NEW.sentiment_label, '') = 'negative'))
    ON CONFLICT (org_id, team_id, locale, day) DO UPDATE SET
        responses = responses + excluded.responses, nps_n = nps_n + excluded.nps_n, promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors, csat_n = csat_n + excluded.csat_n, csat_satisfied = csat_satisfied + excluded.csat_satisfied, ces_n = ces_n + excluded.ces_n, ces_sum = ces_sum + excluded.ces_sum, gap_n = gap_n + excluded.gap_n, gap_sum = gap_sum + excluded.gap_sum, sentiment_n = sentiment_n + excluded.sentiment_n, sentiment_sum = sentiment_sum + excluded.sentiment_sum, negative = negative + excluded.negative;
END;

INSERT INTO response_team_rollup (org_id, team_id, locale, day, week, month, responses, nps_n, promoters, detractors, csat_n, csat_satisfied, ces_n, ces_sum, gap_n, gap_sum, sentiment_n, sentiment_sum, negative)
SELECT org_id, COALESCE(team_id, 0), locale, day, MIN(week), MIN(month),
       COUNT(*), COUNT(nps), SUM(COALESCE(nps, 0) >= 9), SUM(nps <= 6 AND nps IS NOT NULL),
       COUNT(csat), SUM(COALESCE(csat, 0) >= 4), COUNT(ces), COALESCE(SUM(ces), 0),
       COUNT(experience - expectation), COALESCE(SUM(experience - expectation), 0),
       COUNT(sentiment_score), COALESCE(SUM(sentiment_score), 0.0), SUM(COALESCE(sentiment_label, '') = 'negative')
FROM responses
GROUP BY org_id, COALESCE(team_id, 0), locale, day;
