-- Bearer tokens for the staff JSON API until the staff issue brings accounts. Only a
-- SHA-256 of each token is kept; the token is shown once, when created.
CREATE TABLE staff_tokens (
    staff_token_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 50),
    role           text NOT NULL CHECK (role IN ('handler', 'unit', 'auditor')),
    token_sha256   bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
    revoked_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER staff_tokens_set_updated_at BEFORE UPDATE ON staff_tokens
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
