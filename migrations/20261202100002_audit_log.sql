-- Every staff write, every sign-in, sign-out and failed attempt, and every look at who
-- filed a complaint: who, when, from where, what, before and after. Append-only: no
-- UPDATE, DELETE or TRUNCATE succeeds for anyone, the service included (a trigger
-- refuses them; the privileges are revoked as well), because the log is how a leak of a
-- complainant's identity is traced.

CREATE TABLE audit_log (
    audit_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT now(),
    -- NULL for an attempt by nobody we know (a failed sign-in with an unknown name).
    account_id        bigint REFERENCES staff_accounts (account_id),
    -- The name as typed or as it was then: accounts are renamed, the log is not.
    actor             text NOT NULL CHECK (char_length(actor) <= 64),
    source_ip         inet,
    action            text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)*$'),
    -- The region of what was acted on, for reading the log within a scope.
    region_code       text,
    object_type       text,
    object_id         text,
    before            jsonb,
    after             jsonb,
    -- Why (a reveal of an anonymous complainant must say why).
    reason            text CHECK (reason IS NULL OR char_length(reason) <= 500)
);

CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_account_idx ON audit_log (account_id, at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);
CREATE INDEX audit_log_region_idx ON audit_log (region_code text_pattern_ops, at DESC);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
