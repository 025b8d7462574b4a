-- Operations (issue 17). The request that wrote a push, so that a villager's "I got no
-- message" can be followed from the proxy's log to the outbox row and the worker's log
-- line; a plain id (the request-id middleware accepts nothing else), never a person.
ALTER TABLE outbox
    ADD COLUMN request_id text CHECK (request_id ~ '^[A-Za-z0-9._-]{1,64}$');

-- /metrics counts failed pushes at every scrape; with this index it reads only them,
-- not the millions of sent rows.
CREATE INDEX outbox_failed_idx ON outbox (outbox_id) WHERE status = 'failed';
