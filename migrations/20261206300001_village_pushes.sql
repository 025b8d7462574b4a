-- Followers hear when their village publishes (docs/publishing.md): at most one template
-- message a day listing what the village published. A follower may turn it off (退订, or
-- the switch on their page); the flag sits with the follower's binding to the village.
ALTER TABLE followers
    ADD COLUMN village_pushes boolean NOT NULL DEFAULT true;

-- One row per follower and day, written in the transaction that enqueues the push: the
-- primary key makes it once a day however many instances run and however often one
-- restarts. The follower is named as the outbox names them, by the keyed lookup hash of
-- the openid (docs/privacy.md), never the openid itself.
CREATE TABLE village_pushes (
    openid_hash  bytea NOT NULL,
    -- The day in China.
    day          date NOT NULL,
    village_code text NOT NULL REFERENCES regions (code),
    disclosures  integer NOT NULL CHECK (disclosures > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (openid_hash, day)
);

-- What the daily run scans: publications of a window of time.
CREATE INDEX disclosures_published_at_idx ON disclosures (published_at) WHERE status = 'published' AND NOT is_sample;
