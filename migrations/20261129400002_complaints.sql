-- 投诉建议. A complaint is never deleted (no cascade): it is the record the law asks for.
CREATE TABLE complaints (
    complaint_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tracking_number    text NOT NULL UNIQUE,
    village_code       text NOT NULL REFERENCES regions (code)
                       CHECK (length(village_code) = 12),
    category_code      text NOT NULL REFERENCES complaint_categories (code),
    content            text NOT NULL CHECK (char_length(content) BETWEEN 10 AND 2000),
    -- Who filed it: always kept (the pushes go there), shown only where the role allows.
    openid             text NOT NULL,
    anonymous          boolean NOT NULL,
    complainant_name   text CHECK (char_length(complainant_name) <= 20),
    complainant_phone  text CHECK (complainant_phone ~ '^1[3-9][0-9]{9}$'),
    status             text NOT NULL CHECK (status IN
                           ('pending', 'accepted', 'rejected', 'assigned',
                            'concluded', 'rated', 'under_review')),
    received_at        timestamptz NOT NULL,
    accept_due         timestamptz,
    conclude_due       timestamptz,
    review_due         timestamptz,
    -- The deadline that applies in the current status (ComplaintState::current_deadline),
    -- stored so that "overdue" is a plain comparison; NULL once nobody has to act.
    current_due        timestamptz,
    accepted_at        timestamptz,
    concluded_at       timestamptz,
    extended           boolean NOT NULL DEFAULT false,
    reviews            integer NOT NULL DEFAULT 0 CHECK (reviews >= 0),
    satisfaction       text CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'not_satisfied')),
    assigned_unit      text,
    -- The form's one-time key: a double tap stores one complaint.
    idempotency_key    uuid NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT anonymous OR (complainant_name IS NULL AND complainant_phone IS NULL)),
    UNIQUE (openid, idempotency_key)
);

CREATE INDEX complaints_openid_idx ON complaints (openid, received_at DESC);
CREATE INDEX complaints_village_idx ON complaints (village_code, received_at);
CREATE INDEX complaints_status_idx ON complaints (status, received_at DESC);
CREATE INDEX complaints_current_due_idx ON complaints (current_due) WHERE current_due IS NOT NULL;

CREATE TRIGGER complaints_set_updated_at BEFORE UPDATE ON complaints
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The timeline: every step, who took it, what the complainant may read and what only
-- staff may read. Append-only.
CREATE TABLE complaint_events (
    complaint_event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id       bigint NOT NULL REFERENCES complaints (complaint_id),
    event              text NOT NULL,
    from_status        text,
    to_status          text NOT NULL,
    -- 'complainant', or 'staff:<name>'.
    actor              text NOT NULL,
    public_note        text NOT NULL DEFAULT '',
    internal_note      text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, complaint_event_id);

-- Photos, kept in Postgres so that an acknowledged complaint and its evidence live and
-- die together (backups, replicas). At most 3 per complaint, 5 MB each.
CREATE TABLE complaint_photos (
    complaint_photo_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id       bigint NOT NULL REFERENCES complaints (complaint_id),
    position           smallint NOT NULL CHECK (position BETWEEN 1 AND 3),
    content_type       text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    bytes              bytea NOT NULL CHECK (octet_length(bytes) BETWEEN 1 AND 5242880),
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (complaint_id, position)
);

-- The day's sequence behind tracking numbers (XY-20261128-0042), one row per day.
CREATE TABLE complaint_day_counters (
    day        date PRIMARY KEY,
    last_seq   integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER complaint_day_counters_set_updated_at BEFORE UPDATE ON complaint_day_counters
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
