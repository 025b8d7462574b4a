-- Files attached to a version of a disclosure (a scanned resolution, a contract, a
-- photo), served from our own host: small enough to keep in Postgres.
CREATE TABLE disclosure_attachments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    disclosure_id bigint NOT NULL,
    version       integer NOT NULL,
    name          text NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 100),
    media_type    text NOT NULL CHECK (media_type IN (
                      'application/pdf', 'image/jpeg', 'image/png', 'text/plain', 'text/csv')),
    content       bytea NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 5242880),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (disclosure_id, version)
        REFERENCES disclosure_versions (disclosure_id, version) ON DELETE CASCADE
);

CREATE INDEX disclosure_attachments_version_idx
    ON disclosure_attachments (disclosure_id, version);

CREATE TRIGGER disclosure_attachments_set_updated_at BEFORE UPDATE ON disclosure_attachments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
