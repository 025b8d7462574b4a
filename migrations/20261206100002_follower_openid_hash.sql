-- The webhook's follower list and message log stop holding openids: a keyed lookup hash
-- (HMAC, docs/privacy.md) takes their place. Nothing needs the openid back from these
-- tables — pushes are addressed from the complaint's sealed openid — so they hold the
-- hash alone. The plaintext column stays for one release, nullable: the service hashes
-- what it still holds at start-up and empties it (storage::sealing).
ALTER TABLE followers ADD COLUMN openid_hash bytea;
ALTER TABLE followers DROP CONSTRAINT followers_pkey;
ALTER TABLE followers ALTER COLUMN openid DROP NOT NULL;
ALTER TABLE followers ADD COLUMN follower_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
CREATE UNIQUE INDEX followers_openid_hash_key ON followers (openid_hash);
CREATE UNIQUE INDEX followers_openid_key ON followers (openid);
ALTER TABLE followers ADD CONSTRAINT followers_identified
    CHECK (openid IS NOT NULL OR openid_hash IS NOT NULL);

ALTER TABLE inbound_messages ADD COLUMN openid_hash bytea;
ALTER TABLE inbound_messages ALTER COLUMN openid DROP NOT NULL;
ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_identified
    CHECK (openid IS NOT NULL OR openid_hash IS NOT NULL);
-- A retry that slipped past de-duplication is stored once, now by the hash.
CREATE UNIQUE INDEX inbound_messages_once_key ON inbound_messages (openid_hash, msg_id, sent_at);
