-- Each API token's read budget (GET /api/v1/events), in the database so that every server
-- process on it spends from the same budget: N replicas give a token its budget once.
-- GCRA: the earliest time (Unix milliseconds) its next read is due; a read is allowed while
-- that lies less than a whole budget ahead of now.
CREATE TABLE token_read_budgets (
    token_id       INTEGER PRIMARY KEY REFERENCES api_tokens (id) ON DELETE CASCADE,
    next_read_ms   INTEGER NOT NULL
);
