-- PostgreSQL's 0011 applies the roll-up deltas once per transaction, at COMMIT, because its
-- upserts leave dead row versions behind. SQLite updates roll-up rows in place, so its row
-- triggers (0006/0007) stay as they are. Kept so both backends carry the same migration numbers.
SELECT 1;
