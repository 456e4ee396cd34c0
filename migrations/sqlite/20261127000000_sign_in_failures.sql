-- Failed sign-ins, counted per account from one address ('pair'), per address and per account,
-- in the database so that every server process on it sees the same counts (failures spread
-- over several servers still lock the account). Times to the millisecond, UTC, fixed format.
CREATE TABLE sign_in_failures (
    kind          TEXT NOT NULL,     -- 'pair' | 'address' | 'account'
    key           TEXT NOT NULL,     -- 'email address' | address | email
    failures      INTEGER NOT NULL,
    last_at       TEXT NOT NULL,
    locked_until  TEXT,
    PRIMARY KEY (kind, key)
);
-- Forgetting keys an hour after their last failure reads this.
CREATE INDEX sign_in_failures_by_last ON sign_in_failures (last_at);
