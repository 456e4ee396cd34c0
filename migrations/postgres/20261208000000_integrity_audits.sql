-- What each partner's integrity walks have reached, kept across restarts so that a server
-- answers its badge at once at any size (app::integrity::audit): the badge's walk (JSON of
-- VerifiedUpTo: it goes on from there), and the rolling audit (JSON of AuditState: the pass
-- under way and the last finished pass, which re-hashed the whole chain).
CREATE TABLE integrity_audits (
    partner_id     BIGINT PRIMARY KEY REFERENCES partners (id) ON DELETE CASCADE,
    badge_walk     TEXT,
    rolling_audit  TEXT
);
