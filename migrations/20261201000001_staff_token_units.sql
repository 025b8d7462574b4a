-- A unit's token names the unit it acts for: it sees and acts only on complaints
-- assigned to that unit (complaints.assigned_unit), until the staff issue brings
-- accounts. Unit tokens made before this cannot be scoped, so they stop working.
ALTER TABLE staff_tokens
    ADD COLUMN unit text CHECK (unit IS NULL OR (btrim(unit) <> '' AND char_length(unit) <= 50));

UPDATE staff_tokens SET revoked_at = now()
    WHERE role = 'unit' AND unit IS NULL AND revoked_at IS NULL;

ALTER TABLE staff_tokens
    ADD CONSTRAINT staff_tokens_unit_names_its_unit
    CHECK (role <> 'unit' OR unit IS NOT NULL OR revoked_at IS NOT NULL);
