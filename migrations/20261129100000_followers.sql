-- Everyone who follows (or followed) the account, as the webhook sees them. Rows are
-- never deleted: unsubscribing keeps the history.
CREATE TABLE followers (
    openid          text PRIMARY KEY CHECK (openid ~ '^[A-Za-z0-9_-]{1,64}$'),
    subscribed      boolean NOT NULL,
    -- The village the follower chose (by scanning its QR code); a village code.
    village_code    text REFERENCES regions (code) CHECK (village_code IS NULL OR length(village_code) = 12),
    subscribed_at   timestamptz,
    unsubscribed_at timestamptz,
    first_seen_at   timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX followers_village_code_idx ON followers (village_code) WHERE village_code IS NOT NULL;

CREATE TRIGGER followers_set_updated_at BEFORE UPDATE ON followers
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
