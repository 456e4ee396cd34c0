-- What each partner user chose for the page: language, columns, time zone. NULL = not chosen
-- (the browser's language, the default columns, the viewer's own zone).
CREATE TABLE user_preferences (
    user_id    INTEGER PRIMARY KEY REFERENCES partner_users (id) ON DELETE CASCADE,
    locale     TEXT,
    columns    TEXT,
    time_zone  TEXT,
    updated_at TEXT NOT NULL
);
