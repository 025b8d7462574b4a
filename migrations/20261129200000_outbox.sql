-- Template messages to followers: written in the same transaction as the change that
-- causes them, taken by the delivery worker with FOR UPDATE SKIP LOCKED, and kept with
-- their outcome (sent with WeChat's msgid, retried with back-off, or failed for good).
CREATE TABLE outbox (
    outbox_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Sent as message/template/send's client_msg_id: WeChat drops a second message
    -- with the same id to the same follower (for 10 days), so a resend after a crash
    -- between WeChat's answer and our COMMIT is not shown twice. A UUID, not the row
    -- id, so that a rebuilt database cannot reuse an id WeChat still remembers.
    client_msg_id    uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    -- The notification kind (a key of wechat.templates), for logs and statistics.
    kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    openid           text NOT NULL CHECK (openid ~ '^[A-Za-z0-9_-]{1,64}$'),
    template_id      text NOT NULL CHECK (btrim(template_id) <> ''),
    -- message/template/send's `data`: {"keyword": {"value": "…"}}.
    data             jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    url              text,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- The last failure (WeChat's errcode and errmsg, or why it was unreachable).
    last_error       text,
    -- WeChat's msgid, known once sent; TEMPLATESENDJOBFINISH events name it.
    msgid            bigint,
    sent_at          timestamptz,
    -- What TEMPLATESENDJOBFINISH reported.
    delivery_status  text CHECK (delivery_status IN ('success', 'user_block', 'system_failed', 'unknown')),
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'sent') = (msgid IS NOT NULL))
);

-- What the worker scans: only rows still to send.
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, outbox_id) WHERE status = 'pending';
CREATE INDEX outbox_msgid_idx ON outbox (msgid) WHERE msgid IS NOT NULL;

CREATE TRIGGER outbox_set_updated_at BEFORE UPDATE ON outbox
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
