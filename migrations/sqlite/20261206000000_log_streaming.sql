-- Log streaming (app::streaming): destinations a partner's Global admins send its log to,
-- each with its own cursor in the partner's chain, advanced only after the receiver took a
-- batch, and a lease so that one server process at a time sends for it.
CREATE TABLE stream_destinations (
    id                    INTEGER PRIMARY KEY,
    partner_id            INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    kind                  TEXT NOT NULL,            -- webhook | chat | syslog
    -- An https URL (webhook, chat) or host:port (syslog over TLS).
    target                TEXT NOT NULL,
    -- PEM certificates the receiver's certificate may also chain to (an on-premises CA).
    ca_pem                TEXT NOT NULL DEFAULT '',
    -- The page's query language; empty sends every event.
    filter                TEXT NOT NULL DEFAULT '',
    -- The language chat messages are written in (its creator's).
    language              TEXT NOT NULL DEFAULT 'en',
    enabled               INTEGER NOT NULL DEFAULT 1,
    -- Standard Webhooks signing secrets (whsec_…): after a rotation the previous one signs
    -- too until previous_secret_until_ms.
    secret                TEXT NOT NULL DEFAULT '',
    previous_secret       TEXT NOT NULL DEFAULT '',
    previous_secret_until_ms INTEGER NOT NULL DEFAULT 0,
    -- The last chain position the receiver acknowledged, and when.
    delivered_position    INTEGER NOT NULL,
    delivered_at_ms       INTEGER,
    -- A batch being sent: its last position, so a retry (or another process taking over)
    -- sends exactly the same events under the same webhook-id.
    sending_until         INTEGER,
    last_error            TEXT,
    last_error_at_ms      INTEGER,
    failures_in_row       INTEGER NOT NULL DEFAULT 0,
    failing_since_ms      INTEGER,
    retry_at_ms           INTEGER NOT NULL DEFAULT 0,
    -- Set when the destination stopped itself (a day of failures); cleared by resume.
    paused_reason         TEXT,
    lease_holder          TEXT,
    lease_until_ms        INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL,
    created_by            INTEGER NOT NULL REFERENCES partner_users (id),
    UNIQUE (partner_id, name)
);
