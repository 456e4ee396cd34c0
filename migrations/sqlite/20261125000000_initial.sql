-- The partner activity log's schema. Kept to SQL that PostgreSQL also accepts where that
-- costs nothing (INTEGER ids, TEXT times in one fixed UTC format, JSON details as TEXT).

-- A partner organisation: the tenant every other row belongs to.
CREATE TABLE partners (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    domain  TEXT NOT NULL UNIQUE
);

CREATE TABLE partner_users (
    id             INTEGER PRIMARY KEY,
    partner_id     INTEGER NOT NULL REFERENCES partners (id),
    display_name   TEXT NOT NULL,
    email          TEXT NOT NULL UNIQUE, -- stored lowercase
    role           TEXT NOT NULL,        -- Role::as_str
    password_hash  TEXT NOT NULL         -- argon2id PHC string
);

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY,
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    company_name  TEXT NOT NULL,
    domain        TEXT NOT NULL
);
CREATE INDEX customers_by_partner ON customers (partner_id);

CREATE TABLE subscriptions (
    id           TEXT PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    product      TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    status       TEXT NOT NULL,   -- 'active' | 'cancelled'
    start_date   TEXT NOT NULL    -- YYYY-MM-DD
);
CREATE INDEX subscriptions_by_customer ON subscriptions (customer_id);

-- Times are UTC written 'YYYY-MM-DDTHH:MM:SSZ', so text order is time order.
CREATE TABLE activity_events (
    id               INTEGER PRIMARY KEY,
    partner_id       INTEGER NOT NULL REFERENCES partners (id),
    occurred_at      TEXT NOT NULL,
    customer_id      INTEGER REFERENCES customers (id),
    partner_user_id  INTEGER NOT NULL REFERENCES partner_users (id),
    action_kind      TEXT NOT NULL,   -- ActionKind::as_str
    action_text      TEXT NOT NULL,
    details          TEXT NOT NULL    -- ActionDetails as JSON
);
-- The page's one query: one partner, a time range, newest first.
CREATE INDEX activity_events_by_partner_time ON activity_events (partner_id, occurred_at);

-- Server-side sessions. Only a SHA-256 of the cookie's token is stored.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES partner_users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- Facts about the database itself, e.g. ('demo', 'true') for a seeded demo database.
CREATE TABLE app_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
