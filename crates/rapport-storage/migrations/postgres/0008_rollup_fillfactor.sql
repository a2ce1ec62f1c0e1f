-- Every roll-up upsert leaves a dead row version behind. With full pages (the default
-- fillfactor 100) the new version goes to another page, and a few million inserts leave the
-- roll-ups many times their live size (measured: 287 MB for 66,000 live topic rows after 10M
-- responses, so reading them cost a scan of the whole file). Half-empty pages let PostgreSQL
-- keep each new version on its page (a HOT update: no indexed column changes) and prune the old
-- ones as it goes. CLUSTER rewrites the existing tables compactly, in key order, with the new
-- fillfactor; they hold one row per day and key, so this is quick.
ALTER TABLE response_rollup SET (fillfactor = 50);
ALTER TABLE response_touchpoint_rollup SET (fillfactor = 50);
ALTER TABLE response_topic_rollup SET (fillfactor = 50);
CLUSTER response_rollup USING response_rollup_pkey;
CLUSTER response_touchpoint_rollup USING response_touchpoint_rollup_pkey;
CLUSTER response_topic_rollup USING response_topic_rollup_pkey;
