-- A complaint opened from a disclosure's 对这条公开有疑问 names that disclosure and the
-- version the follower read, so staff see what is questioned (a later correction does not
-- change what was asked about).
ALTER TABLE complaints
    ADD COLUMN about_disclosure_id bigint REFERENCES disclosures (id),
    ADD COLUMN about_version integer CHECK (about_version >= 1),
    ADD CONSTRAINT complaints_about_whole
        CHECK ((about_disclosure_id IS NULL) = (about_version IS NULL));
