-- The ways out of a decision step, each to another step of the same item.
CREATE TABLE power_step_branches (
    item_id    integer NOT NULL,
    from_key   text NOT NULL,
    seq        integer NOT NULL,
    label      text NOT NULL CHECK (btrim(label) <> ''),
    to_key     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, from_key, seq),
    FOREIGN KEY (item_id, from_key) REFERENCES power_steps (item_id, key) ON DELETE CASCADE,
    FOREIGN KEY (item_id, to_key) REFERENCES power_steps (item_id, key) ON DELETE CASCADE
);

CREATE TRIGGER power_step_branches_set_updated_at BEFORE UPDATE ON power_step_branches
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
