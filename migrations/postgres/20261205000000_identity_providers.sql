-- A partner's own OpenID provider (auth::sso): at most one per partner, configured by a
-- Global admin. The client secret is kept to redeem codes and never leaves the server.
CREATE TABLE identity_providers (
    partner_id          BIGINT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    issuer              TEXT NOT NULL,
    client_id           TEXT NOT NULL,
    client_secret       TEXT NOT NULL,
    -- The ID token claim read for roles (e.g. `groups`), and per role the values that grant
    -- it, as JSON: {"global_admin": ["alog-admins"], ...}.
    role_claim          TEXT NOT NULL,
    role_values         TEXT NOT NULL,
    create_users        BIGINT NOT NULL,  -- 1: accounts may be made at first sign-in
    require_provider    BIGINT NOT NULL,  -- 1: no password sign-in but the break-glass one
    break_glass_user_id BIGINT REFERENCES partner_users (id) ON DELETE SET NULL,
    updated_at          TEXT COLLATE "C" NOT NULL,
    updated_by          BIGINT NOT NULL REFERENCES partner_users (id)
);

-- The email domains a provider answers for; a domain belongs to one partner only, so no
-- partner's provider can speak for another's people.
CREATE TABLE identity_provider_domains (
    domain      TEXT PRIMARY KEY,  -- lowercase
    partner_id  BIGINT NOT NULL REFERENCES identity_providers (partner_id) ON DELETE CASCADE
);
CREATE INDEX identity_provider_domains_by_partner ON identity_provider_domains (partner_id);

-- Sign-ins on their way through a provider: what the browser's cookie (its SHA-256 here)
-- must bring back. One use each, a few minutes at most.
CREATE TABLE provider_sign_ins (
    cookie_hash    TEXT PRIMARY KEY,
    partner_id     BIGINT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    state          TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    expires_at     TEXT COLLATE "C" NOT NULL
);

-- 1 when a provider's sign-in opened the session: sign-out then ends the provider's too.
ALTER TABLE sessions ADD COLUMN opened_by_provider BIGINT NOT NULL DEFAULT 0;
