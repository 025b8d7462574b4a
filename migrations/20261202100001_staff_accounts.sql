-- Staff: the units complaints are assigned to, the accounts of everyone who publishes or
-- supervises, and the one-time links that bind an account to its owner's WeChat.

CREATE TABLE units (
    name         text PRIMARY KEY CHECK (btrim(name) = name AND char_length(name) BETWEEN 1 AND 50),
    -- Where the unit works: its complaints come from inside this region.
    region_code  text NOT NULL REFERENCES regions (code),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_accounts (
    account_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username             text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9._-]{2,31}$'),
    display_name         text NOT NULL CHECK (char_length(btrim(display_name)) BETWEEN 1 AND 20),
    role                 text NOT NULL
                         CHECK (role IN ('clerk', 'reviewer', 'handler', 'inspector', 'auditor', 'admin')),
    -- The region the account works in (a village, township, county or the city).
    region_code          text NOT NULL REFERENCES regions (code),
    unit                 text REFERENCES units (name),
    active               boolean NOT NULL DEFAULT true,
    -- argon2id, as a PHC string with its parameters.
    password_hash        text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    -- Set when someone else chose the password: it is changed at the next sign-in.
    must_change_password boolean NOT NULL DEFAULT false,
    -- Every session carries the epoch it began in; raising it ends them all.
    session_epoch        integer NOT NULL DEFAULT 1,
    failed_logins        integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until         timestamptz,
    -- The TOTP secret, sealed (AES-256-GCM, bound to the account id).
    totp_secret          bytea,
    totp_enabled_at      timestamptz,
    -- The time step of the last code accepted: no code is good twice.
    totp_last_step       bigint,
    -- The owner's WeChat, for pushes to staff; bound through a one-time link.
    wechat_openid        text UNIQUE CHECK (wechat_openid IS NULL OR wechat_openid ~ '^[A-Za-z0-9_-]{1,64}$'),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'handler' OR unit IS NOT NULL),
    CHECK (totp_enabled_at IS NULL OR totp_secret IS NOT NULL)
);

CREATE INDEX staff_accounts_region_idx ON staff_accounts (region_code);
CREATE INDEX staff_accounts_unit_idx ON staff_accounts (unit) WHERE unit IS NOT NULL;

CREATE TRIGGER staff_accounts_set_updated_at BEFORE UPDATE ON staff_accounts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE staff_bind_links (
    token_sha256  bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
    account_id    bigint NOT NULL REFERENCES staff_accounts (account_id),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);

-- The inspector in charge of a complaint (the one who accepted it, or to whom it was
-- handed over): "assigned to me" in the queue, and who is told when it is assigned.
ALTER TABLE complaints ADD COLUMN owner_account_id bigint REFERENCES staff_accounts (account_id);
CREATE INDEX complaints_owner_idx ON complaints (owner_account_id) WHERE owner_account_id IS NOT NULL;
CREATE INDEX complaints_assigned_unit_idx ON complaints (assigned_unit) WHERE assigned_unit IS NOT NULL;
