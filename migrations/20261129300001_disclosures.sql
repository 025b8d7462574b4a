-- Disclosures (公开事项): what a village (or a township, county …) publishes under one
-- of the nine modules. The content lives in disclosure_versions: published content is
-- never changed in place, a correction adds a version, a withdrawal keeps the record.
CREATE TABLE disclosures (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_code      text NOT NULL REFERENCES regions (code),
    module           text NOT NULL CHECK (module IN (
                         'organization', 'services', 'economy', 'livelihood', 'assets',
                         'projects', 'decisions', 'poverty', 'complaints')),
    -- The version shown; kept equal to the highest version by the storage code.
    current_version  integer NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    status           text NOT NULL DEFAULT 'published'
                     CHECK (status IN ('published', 'withdrawn')),
    withdrawn_reason text,
    withdrawn_at     timestamptz,
    -- When the first version was published; lists sort by it.
    published_at     timestamptz NOT NULL DEFAULT now(),
    -- Page views, added in batches (see src/view_counter.rs).
    views            bigint NOT NULL DEFAULT 0 CHECK (views >= 0),
    -- Demo content from `sunvillage demo-data`, marked 示例 on every page.
    is_sample        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'withdrawn') = (withdrawn_reason IS NOT NULL AND withdrawn_at IS NOT NULL))
);

-- A module's list, newest first.
CREATE INDEX disclosures_region_module_idx
    ON disclosures (region_code, module, published_at DESC, id DESC);

CREATE TRIGGER disclosures_set_updated_at BEFORE UPDATE ON disclosures
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
