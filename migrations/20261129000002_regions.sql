-- The division hierarchy: province → city → county → township → village.
-- The key is the 统计用区划代码 at its level's length (2, 4, 6, 9 or 12 digits); the
-- zero-padded 12-digit form is not unique in the national data (see src/domain/region.rs).
CREATE TABLE regions (
    code         text PRIMARY KEY
                 CHECK (code ~ '^[0-9]+$' AND length(code) IN (2, 4, 6, 9, 12)),
    -- Follows from the code's length; stored so that queries can filter on it.
    level        text NOT NULL GENERATED ALWAYS AS (
                     CASE length(code)
                         WHEN 2 THEN 'province'
                         WHEN 4 THEN 'city'
                         WHEN 6 THEN 'county'
                         WHEN 9 THEN 'township'
                         ELSE 'village'
                     END) STORED,
    -- The official name as published (王岗村民委员会).
    name         text NOT NULL CHECK (btrim(name) <> ''),
    -- The name people use (王岗村).
    display_name text NOT NULL CHECK (btrim(display_name) <> ''),
    -- NULL only at the top of what was imported (信阳市 when no province was loaded).
    parent_code  text REFERENCES regions (code)
                 CHECK (parent_code IS NULL OR starts_with(code, parent_code)),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX regions_parent_code_idx ON regions (parent_code);
CREATE INDEX regions_level_idx ON regions (level);

CREATE TRIGGER regions_set_updated_at BEFORE UPDATE ON regions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
