-- The procedure of each power item, step by step (明确三). Decisions branch; steps of
-- kind 'end' are outcomes off the main line.
CREATE TABLE power_steps (
    item_id    integer NOT NULL REFERENCES power_items (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    key        text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('step', 'decision', 'end')),
    title      text NOT NULL CHECK (btrim(title) <> ''),
    actor      text,
    detail     text,
    time_limit text,
    basis      text,
    public     text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, seq),
    UNIQUE (item_id, key)
);

CREATE TRIGGER power_steps_set_updated_at BEFORE UPDATE ON power_steps
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
