-- The 脱贫攻坚 ledgers: households lifted out of poverty (脱贫户) and households under
-- monitoring (防返贫监测户). Public pages show them, so the table holds the head of
-- household's name only masked (张*明) and has no column for an ID number or a phone.
CREATE TABLE poverty_households (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_code text NOT NULL REFERENCES regions (code) CHECK (length(village_code) = 12),
    kind         text NOT NULL CHECK (kind IN ('lifted', 'monitored')),
    -- First and last character kept, the rest starred.
    head_masked  text NOT NULL CHECK (head_masked ~ '^[^*0-9]\*+[^*0-9]?$'
                                      AND char_length(head_masked) BETWEEN 2 AND 10),
    size         smallint NOT NULL CHECK (size BETWEEN 1 AND 30),
    -- 致贫或返贫风险类型: 因病, 因残, 因学, 因灾, 缺劳力 ….
    risk         text NOT NULL CHECK (btrim(risk) <> ''),
    measures     text NOT NULL CHECK (btrim(measures) <> ''),
    -- 帮扶责任人.
    cadre        text NOT NULL CHECK (btrim(cadre) <> ''),
    last_visit   date,
    lifted_year  smallint CHECK (lifted_year BETWEEN 2010 AND 2100),
    is_sample    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX poverty_households_village_idx ON poverty_households (village_code, kind, id);

CREATE TRIGGER poverty_households_set_updated_at BEFORE UPDATE ON poverty_households
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
