-- Events now come from other systems (ingest API, import) and form a hash chain per
-- partner, so that editing, deleting, inserting or reordering stored rows shows.

-- The id the sending system chose; sending the same event twice stores it once.
ALTER TABLE activity_events ADD COLUMN external_id TEXT;
-- When this server stored the event (occurred_at is when it happened).
ALTER TABLE activity_events ADD COLUMN recorded_at TEXT;
-- The event's place in its partner's chain (1, 2, 3, ... in insertion order), the hash of
-- the event before it and its own hash: SHA-256 of the previous hash and its canonical
-- content (app/src/integrity/canonical.rs). Hex, lowercase.
ALTER TABLE activity_events ADD COLUMN chain_seq INTEGER;
ALTER TABLE activity_events ADD COLUMN prev_hash TEXT;
ALTER TABLE activity_events ADD COLUMN event_hash TEXT;
CREATE UNIQUE INDEX activity_events_by_external_id ON activity_events (partner_id, external_id);
CREATE UNIQUE INDEX activity_events_by_chain ON activity_events (partner_id, chain_seq);

-- Signed statements "partner P's chain had head H at position N", made hourly and on
-- demand with an Ed25519 key kept outside the database.
CREATE TABLE chain_checkpoints (
    id          INTEGER PRIMARY KEY,
    partner_id  INTEGER NOT NULL REFERENCES partners (id),
    chain_seq   INTEGER NOT NULL,
    head_hash   TEXT NOT NULL,
    signed_at   TEXT NOT NULL,
    signature   TEXT NOT NULL   -- Ed25519 signature of the checkpoint statement, hex
);
CREATE INDEX chain_checkpoints_by_partner ON chain_checkpoints (partner_id, chain_seq);

-- Tokens that let a partner's systems send events. Only a SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    token_prefix  TEXT NOT NULL,   -- the first characters, so people can tell tokens apart
    created_by    INTEGER NOT NULL REFERENCES partner_users (id),
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_tokens_by_partner ON api_tokens (partner_id);
