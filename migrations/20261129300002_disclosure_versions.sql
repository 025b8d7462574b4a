-- Each version of a disclosure's content. Version 1 is what was first published;
-- later versions are corrections, each with a note saying what changed.
CREATE TABLE disclosure_versions (
    disclosure_id bigint NOT NULL REFERENCES disclosures (id) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version >= 1),
    title         text NOT NULL CHECK (btrim(title) <> '' AND char_length(title) <= 80),
    body          text NOT NULL CHECK (btrim(body) <> '' AND char_length(body) <= 20000),
    -- The period covered, e.g. 2026年第三季度.
    period        text CHECK (char_length(period) <= 40),
    -- In 分 (fen).
    amount_fen    bigint,
    publisher     text NOT NULL CHECK (btrim(publisher) <> ''),
    -- Why this version replaced the previous one; NULL only for version 1.
    change_note   text CHECK ((version = 1) = (change_note IS NULL)),
    published_at  timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (disclosure_id, version)
);

CREATE TRIGGER disclosure_versions_set_updated_at BEFORE UPDATE ON disclosure_versions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
