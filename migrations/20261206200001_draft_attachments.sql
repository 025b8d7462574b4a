-- Attachments of drafts (a scanned resolution, receipt photos of a finance statement):
-- seen only by staff in the draft's scope until the draft is published, when they are
-- copied to the version it becomes. The SHA-256 of each file is computed by Postgres
-- from the bytes themselves, so a stored hash can never disagree with its file.
CREATE TABLE draft_attachments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    draft_id    bigint NOT NULL REFERENCES disclosure_drafts (draft_id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 100),
    media_type  text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    content     bytea NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 5242880),
    sha256      bytea NOT NULL GENERATED ALWAYS AS (sha256(content)) STORED,
    -- A picture scaled down for the page (receipts in a table); NULL for a PDF.
    preview     bytea CHECK (preview IS NULL OR octet_length(preview) <= 1048576),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- The same file twice is one attachment (a receipt is referred to by its hash).
    UNIQUE (draft_id, sha256),
    UNIQUE (draft_id, name)
);

ALTER TABLE disclosure_attachments
    ADD COLUMN sha256  bytea NOT NULL GENERATED ALWAYS AS (sha256(content)) STORED,
    ADD COLUMN preview bytea CHECK (preview IS NULL OR octet_length(preview) <= 1048576);

-- A published version's files are part of it: never changed in place either.
CREATE FUNCTION disclosure_attachments_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'disclosure_attachments cannot be updated: publish a correction instead'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

DROP TRIGGER disclosure_attachments_set_updated_at ON disclosure_attachments;
CREATE TRIGGER disclosure_attachments_no_update BEFORE UPDATE ON disclosure_attachments
    FOR EACH ROW EXECUTE FUNCTION disclosure_attachments_are_immutable();
