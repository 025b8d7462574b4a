-- Where a follower's message comes from, for grouping it with complaints about the same
-- matter (docs/analysis.md, clusters): the village the follower had chosen when they wrote.
-- Set at insert time, because a follower's hash is re-keyed lazily and older messages
-- keep the hash they were written with, so a later join would lose them.
ALTER TABLE inbound_messages ADD COLUMN village_code text REFERENCES regions (code)
    CHECK (village_code IS NULL OR length(village_code) = 12);

UPDATE inbound_messages m SET village_code = f.village_code
FROM followers f
WHERE f.openid_hash = m.openid_hash AND f.village_code IS NOT NULL;

-- Scopes are `village_code LIKE '4115%'` (see 20261206000001_scope_indexes.sql).
CREATE INDEX inbound_messages_village_prefix_idx
    ON inbound_messages (village_code text_pattern_ops, sent_at) WHERE village_code IS NOT NULL;
