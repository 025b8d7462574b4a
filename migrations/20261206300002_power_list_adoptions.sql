-- The document that adopted the power list (e.g. 信阳市's own 印发 notice), recorded by a
-- city administrator; the public power page names the latest instead of a fixed note.
-- Append-only: a new adoption is a new row, and no row is ever changed or removed.
CREATE TABLE power_list_adoptions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL CHECK (btrim(title) <> '' AND char_length(title) <= 100),
    -- 文号, e.g. 信纪发〔2021〕5号.
    doc_number  text NOT NULL CHECK (btrim(doc_number) <> '' AND char_length(doc_number) <= 50),
    adopted_on  date NOT NULL,
    issuer      text NOT NULL CHECK (btrim(issuer) <> '' AND char_length(issuer) <= 60),
    account_id  bigint REFERENCES staff_accounts (account_id),
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION power_list_adoptions_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'power_list_adoptions is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER power_list_adoptions_append_only BEFORE UPDATE OR DELETE ON power_list_adoptions
    FOR EACH ROW EXECUTE FUNCTION power_list_adoptions_append_only();
