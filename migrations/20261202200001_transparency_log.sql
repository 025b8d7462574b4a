-- The public transparency log (docs/transparency.md): every complaint status change and
-- every publication, as canonical entries in an RFC 6962 Merkle tree. Entries and their
-- stored subtree hashes are appended in the transaction of the event they record;
-- nothing here is ever updated or deleted — a trigger refuses it for everyone, the
-- service included, and the privileges are revoked as well. A change made anyway (by a
-- superuser who drops the triggers) shows: the signed checkpoints readers kept no longer
-- match, and `sunvillage verify-log` names the first entry that differs.

CREATE TABLE tlog_entries (
    idx         bigint PRIMARY KEY CHECK (idx >= 0),
    entry       bytea NOT NULL CHECK (octet_length(entry) BETWEEN 1 AND 65535),
    -- What the entry is about, for finding it again: "complaint:XY-20261128-0042",
    -- "disclosure:17". Public information only (a tracking number is on every push).
    subject     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tlog_entries_subject_idx ON tlog_entries (subject, idx);

-- The hashes of every complete subtree, in the order they complete (tree::NodeId's
-- stored index): the leaf of entry i and the subtrees it completes.
CREATE TABLE tlog_hashes (
    stored_index bigint PRIMARY KEY CHECK (stored_index >= 0),
    hash         bytea NOT NULL CHECK (octet_length(hash) = 32)
);

-- Every signed checkpoint, kept: readers prove consistency from any size they saw.
CREATE TABLE tlog_checkpoints (
    size        bigint PRIMARY KEY CHECK (size >= 0),
    note        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row, locked by every append: appends are serialised, so an entry's index is the
-- log's size when it was written.
CREATE TABLE tlog_head (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    size        bigint NOT NULL CHECK (size >= 0)
);
INSERT INTO tlog_head (size) VALUES (0);

CREATE FUNCTION tlog_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the transparency log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER tlog_entries_no_change BEFORE UPDATE OR DELETE ON tlog_entries
    FOR EACH ROW EXECUTE FUNCTION tlog_is_append_only();
CREATE TRIGGER tlog_entries_no_truncate BEFORE TRUNCATE ON tlog_entries
    FOR EACH STATEMENT EXECUTE FUNCTION tlog_is_append_only();
CREATE TRIGGER tlog_hashes_no_change BEFORE UPDATE OR DELETE ON tlog_hashes
    FOR EACH ROW EXECUTE FUNCTION tlog_is_append_only();
CREATE TRIGGER tlog_hashes_no_truncate BEFORE TRUNCATE ON tlog_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION tlog_is_append_only();
CREATE TRIGGER tlog_checkpoints_no_change BEFORE UPDATE OR DELETE ON tlog_checkpoints
    FOR EACH ROW EXECUTE FUNCTION tlog_is_append_only();
CREATE TRIGGER tlog_checkpoints_no_truncate BEFORE TRUNCATE ON tlog_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION tlog_is_append_only();

-- The head only ever grows, one entry at a time.
CREATE FUNCTION tlog_head_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.size <> OLD.size + 1 THEN
        RAISE EXCEPTION 'the transparency log''s size only grows by one per entry'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER tlog_head_grows BEFORE UPDATE OR DELETE ON tlog_head
    FOR EACH ROW EXECUTE FUNCTION tlog_head_only_grows();
CREATE TRIGGER tlog_head_no_truncate BEFORE TRUNCATE ON tlog_head
    FOR EACH STATEMENT EXECUTE FUNCTION tlog_is_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON tlog_entries, tlog_hashes, tlog_checkpoints FROM PUBLIC;
REVOKE DELETE, TRUNCATE ON tlog_head FROM PUBLIC;

-- A complaint status shown on a page names its entry (存证 #1234).
ALTER TABLE complaint_events ADD COLUMN tlog_index bigint REFERENCES tlog_entries (idx);
CREATE UNIQUE INDEX complaint_events_tlog_index_idx ON complaint_events (tlog_index)
    WHERE tlog_index IS NOT NULL;
