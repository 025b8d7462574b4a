-- Drafts: what a village clerk prepares and a township reviewer approves or returns.
-- A draft makes a new disclosure (disclosure_id NULL) or corrects a published one (the
-- correction's reason in change_note). Published content lives in disclosure_versions
-- and is never changed; the draft keeps the way it got there.
CREATE TABLE disclosure_drafts (
    draft_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_code       text NOT NULL REFERENCES regions (code),
    module            text NOT NULL CHECK (module IN (
                          'organization', 'services', 'economy', 'livelihood', 'assets',
                          'projects', 'decisions', 'poverty', 'complaints')),
    disclosure_id     bigint REFERENCES disclosures (id) ON DELETE CASCADE,
    state             text NOT NULL DEFAULT 'draft'
                      CHECK (state IN ('draft', 'submitted', 'returned', 'published')),
    -- The structured content as the clerk saved it (names whole: staff only).
    content           jsonb NOT NULL,
    title             text NOT NULL CHECK (char_length(title) <= 80),
    change_note       text CHECK (change_note IS NULL OR char_length(btrim(change_note)) BETWEEN 1 AND 200),
    -- The reviewer's last reason for returning it (kept while it is edited again).
    return_reason     text CHECK (return_reason IS NULL OR char_length(btrim(return_reason)) BETWEEN 1 AND 500),
    author_id         bigint NOT NULL REFERENCES staff_accounts (account_id),
    submitted_at      timestamptz,
    reviewed_by       bigint REFERENCES staff_accounts (account_id),
    reviewed_at       timestamptz,
    -- Where it was published: the disclosure (the same as disclosure_id for a
    -- correction) and the version it became.
    published_id      bigint REFERENCES disclosures (id) ON DELETE CASCADE,
    published_version integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (disclosure_id IS NOT NULL OR change_note IS NULL),
    -- A correction cannot be submitted without its reason.
    CHECK (disclosure_id IS NULL OR state IN ('draft', 'returned') OR change_note IS NOT NULL),
    CHECK (state <> 'returned' OR return_reason IS NOT NULL),
    CHECK ((state = 'published') = (published_id IS NOT NULL AND published_version IS NOT NULL))
);

CREATE INDEX disclosure_drafts_region_idx
    ON disclosure_drafts (region_code text_pattern_ops, state, updated_at DESC);
-- One open correction per disclosure at a time.
CREATE UNIQUE INDEX disclosure_drafts_open_correction_idx
    ON disclosure_drafts (disclosure_id) WHERE disclosure_id IS NOT NULL AND state <> 'published';

CREATE TRIGGER disclosure_drafts_set_updated_at BEFORE UPDATE ON disclosure_drafts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A version published through a draft carries its structured content, the canonical
-- public JSON (names masked) served at /d/{id}/v/{version}.json, and that JSON's
-- SHA-256. Versions from before drafts (title and body only) have none of the three.
ALTER TABLE disclosure_versions
    ADD COLUMN content        jsonb,
    ADD COLUMN public_json    text,
    ADD COLUMN content_sha256 bytea CHECK (octet_length(content_sha256) = 32),
    ADD COLUMN draft_id       bigint REFERENCES disclosure_drafts (draft_id) ON DELETE SET NULL,
    ADD COLUMN approved_by    bigint REFERENCES staff_accounts (account_id),
    ADD CONSTRAINT disclosure_versions_structured_check
        CHECK ((content IS NULL) = (public_json IS NULL)
               AND (content IS NULL) = (content_sha256 IS NULL));

-- Structured modules (a finance statement) need no free text.
ALTER TABLE disclosure_versions DROP CONSTRAINT disclosure_versions_body_check;
ALTER TABLE disclosure_versions
    ADD CONSTRAINT disclosure_versions_body_check CHECK (char_length(body) <= 20000);

-- A published version is never changed in place: a correction is a new version.
CREATE FUNCTION disclosure_versions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'disclosure_versions cannot be updated: publish a correction instead'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER disclosure_versions_no_update BEFORE UPDATE ON disclosure_versions
    FOR EACH ROW EXECUTE FUNCTION disclosure_versions_are_immutable();
