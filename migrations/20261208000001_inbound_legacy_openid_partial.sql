-- Since 20261206100002 the message log stores no openid (a lookup hash takes its place),
-- yet every new row still went into the unique index on (openid, msg_id, sent_at) as a
-- NULL that no uniqueness check compares: about a quarter of what an insert cost
-- (docs/benchmarks.md, "Side by side"). Only rows written before that migration hold an
-- openid, until sealing moves them to the hash; this index keeps those unique and holds
-- nothing else.
ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_openid_msg_id_sent_at_key;
CREATE UNIQUE INDEX inbound_messages_legacy_openid_key
    ON inbound_messages (openid, msg_id, sent_at) WHERE openid IS NOT NULL;
