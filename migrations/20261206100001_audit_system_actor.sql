-- The service itself acts too (the daily retention pass shreds identities), and such a
-- line must not pass for a person's: a staff account may well be called `system`. A
-- line is by a person (a member of staff, a name typed at a failed sign-in, the command
-- line) or by the system, which has no name. Existing lines are all by people: the
-- default fills them without an UPDATE (which the log refuses).
ALTER TABLE audit_log
    ADD COLUMN actor_kind text NOT NULL DEFAULT 'person'
        CHECK (actor_kind IN ('person', 'system'));
ALTER TABLE audit_log ALTER COLUMN actor DROP NOT NULL;
ALTER TABLE audit_log
    ADD CONSTRAINT audit_log_actor_named_unless_system
        CHECK ((actor_kind = 'system') = (actor IS NULL));
