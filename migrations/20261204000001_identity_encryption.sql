-- Identity at rest (docs/privacy.md): a complainant's name, phone and openid, the photos
-- of a complaint and the addressee of an outbox row are stored sealed (AEAD) under a
-- data key of their record, and found through keyed lookup hashes. The plaintext
-- columns stay for one release, nullable: the service seals what they still hold at
-- start-up (storage::sealing::seal_plaintext) and empties them.

-- One data key per record, stored only wrapped by a master key from configuration
-- (never here); `master_key` is that key's id. NULL `wrapped` once shredded: the
-- record's sealed values are then unreadable with any key.
CREATE TABLE data_keys (
    data_key_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    master_key   text NOT NULL CHECK (master_key ~ '^[a-z0-9_]{1,32}$'),
    -- suite (1) ‖ nonce (12) ‖ 32 bytes of key ‖ tag (16).
    wrapped      bytea CHECK (octet_length(wrapped) = 61),
    shredded_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((wrapped IS NULL) = (shredded_at IS NOT NULL))
);

-- What `keys rotate` walks: the live keys of each master key.
CREATE INDEX data_keys_master_idx ON data_keys (master_key, data_key_id) WHERE wrapped IS NOT NULL;

CREATE TRIGGER data_keys_set_updated_at BEFORE UPDATE ON data_keys
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE complaints
    ADD COLUMN data_key_id bigint REFERENCES data_keys (data_key_id),
    ADD COLUMN openid_sealed bytea,
    -- HMAC of the openid: the follower's own list, the form key, the daily quota.
    ADD COLUMN openid_hash bytea,
    ADD COLUMN name_sealed bytea,
    ADD COLUMN phone_sealed bytea,
    -- HMAC of the phone number: what an inspector's search by number would match.
    ADD COLUMN phone_hash bytea,
    -- When the retention period ended and the data key was destroyed.
    ADD COLUMN identity_shredded_at timestamptz,
    ALTER COLUMN openid DROP NOT NULL,
    ADD CHECK (NOT anonymous OR (name_sealed IS NULL AND phone_sealed IS NULL AND phone_hash IS NULL)),
    ADD CHECK (openid IS NOT NULL OR data_key_id IS NOT NULL);

CREATE UNIQUE INDEX complaints_openid_hash_form_key ON complaints (openid_hash, idempotency_key);
CREATE INDEX complaints_openid_hash_idx ON complaints (openid_hash, received_at DESC);
CREATE INDEX complaints_phone_hash_idx ON complaints (phone_hash) WHERE phone_hash IS NOT NULL;
DROP INDEX complaints_openid_idx;

ALTER TABLE complaint_photos
    -- Sealed under the complaint's data key, bound to (complaint, position).
    ADD COLUMN sealed bytea CHECK (octet_length(sealed) BETWEEN 30 AND 5242909),
    ALTER COLUMN bytes DROP NOT NULL,
    ADD CHECK (bytes IS NOT NULL OR sealed IS NOT NULL);

ALTER TABLE outbox
    ADD COLUMN data_key_id bigint REFERENCES data_keys (data_key_id),
    ADD COLUMN openid_sealed bytea,
    ADD COLUMN openid_hash bytea,
    ALTER COLUMN openid DROP NOT NULL,
    ADD CHECK (openid IS NOT NULL OR data_key_id IS NOT NULL);

DROP INDEX outbox_pending_by_follower_idx;
CREATE INDEX outbox_pending_by_follower_idx ON outbox (openid_hash, outbox_id) WHERE status = 'pending';
