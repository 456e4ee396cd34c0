-- What a token may do, space-separated: `events:write` (send events), `events:read` (read
-- them through GET /api/v1/events). Tokens made before scopes existed could only send.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'events:write';
