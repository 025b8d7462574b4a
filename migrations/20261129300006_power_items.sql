-- The power list (小微权力清单), loaded from data/power/power-list.toml: each item with
-- its five clarities.
CREATE TABLE power_items (
    id             integer PRIMARY KEY CHECK (id > 0),
    category       text NOT NULL CHECK (btrim(category) <> ''),
    -- Position of the category on the list page.
    category_order integer NOT NULL,
    name           text NOT NULL CHECK (btrim(name) <> ''),
    subject        text NOT NULL,
    publicity      text NOT NULL,
    accountability text NOT NULL,
    legal_basis    text[] NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER power_items_set_updated_at BEFORE UPDATE ON power_items
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
