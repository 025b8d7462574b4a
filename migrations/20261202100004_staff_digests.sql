-- The daily reminder of deadlines sent to a member of staff: one row per account and
-- day, written in the same transaction as its push, so that however many instances
-- run, each member is reminded once a day.
CREATE TABLE staff_digests (
    account_id  bigint NOT NULL REFERENCES staff_accounts (account_id),
    day         date NOT NULL,
    complaints  integer NOT NULL CHECK (complaints > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, day)
);
