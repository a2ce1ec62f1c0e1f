-- PostgreSQL's 0008 gives the roll-up tables half-empty pages so their constant upserts stay
-- on the page; SQLite updates rows in place and has no such setting. Kept so both backends
-- carry the same migration numbers.
SELECT 1;
