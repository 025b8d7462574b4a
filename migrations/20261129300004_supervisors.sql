-- The supervisor directory: per village its 村务监督委员会 members and 廉情监督员, per
-- township its 监察办公室, each with a phone shown as tap-to-call.
CREATE TABLE supervisors (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_code text NOT NULL REFERENCES regions (code),
    body        text NOT NULL CHECK (body IN ('committee', 'monitor', 'office')),
    name        text NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 30),
    role        text NOT NULL CHECK (btrim(role) <> '' AND char_length(role) <= 20),
    phone       text CHECK (phone ~ '^[0-9][0-9-]{2,30}$'),
    sort        integer NOT NULL DEFAULT 0,
    is_sample   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Village bodies sit on villages, the 监察办公室 on townships.
    CHECK ((body = 'office') = (length(region_code) = 9)),
    CHECK (body = 'office' OR length(region_code) = 12)
);

CREATE INDEX supervisors_region_idx ON supervisors (region_code, body, sort);

CREATE TRIGGER supervisors_set_updated_at BEFORE UPDATE ON supervisors
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
