-- The villages' evening push addresses followers, so a follower's openid must be
-- readable again — but never stored in the clear (docs/privacy.md). Like a complaint's
-- or an outbox row's addressee, it is sealed under a data key of the row's own (wrapped
-- by the master key, so `keys rotate` re-wraps it; bound to followers/openid/follower_id),
-- beside the lookup hash that finds the row. A row hashed before this (no sealed openid)
-- is sealed the next time the follower is seen; until then it cannot be pushed.
ALTER TABLE followers ADD COLUMN data_key_id bigint REFERENCES data_keys (data_key_id);
ALTER TABLE followers ADD COLUMN openid_sealed bytea;
ALTER TABLE followers ADD CONSTRAINT followers_sealed_with_key
    CHECK (openid_sealed IS NULL OR data_key_id IS NOT NULL);
