-- Every version of the power list, whole (categories, items, their basis and flow
-- charts, as the checked JSON of domain::power::PowerList): who made it, when, why, and
-- the adopting document it belongs to, if any. Version 1 is the list in force when
-- versions began (the built-in file on a fresh install). power_items, power_steps and
-- power_step_branches keep holding the current version, rewritten in the transaction
-- that adds it, so the public pages read the same indexed rows as before.
-- Append-only: a change is a new version, and no version is ever changed or removed.
CREATE TABLE power_list_versions (
    version     integer PRIMARY KEY CHECK (version > 0),
    list        jsonb NOT NULL CHECK (jsonb_typeof(list) = 'object'),
    reason      text NOT NULL CHECK (btrim(reason) <> '' AND char_length(reason) <= 200),
    -- NULL: the system (start-up) or the command line.
    account_id  bigint REFERENCES staff_accounts (account_id),
    adoption_id bigint REFERENCES power_list_adoptions (id),
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION power_list_versions_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'power_list_versions is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER power_list_versions_append_only BEFORE UPDATE OR DELETE ON power_list_versions
    FOR EACH ROW EXECUTE FUNCTION power_list_versions_append_only();
