-- What followers write to the account (texts, and the recognised words of voice
-- messages), kept for analysis of what the public raises. Written in batches by the
-- webhook's message-log task.
CREATE TABLE inbound_messages (
    inbound_message_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    openid     text NOT NULL CHECK (openid ~ '^[A-Za-z0-9_-]{1,64}$'),
    -- WeChat's MsgId: an unsigned 64-bit number, kept as text.
    msg_id     text NOT NULL CHECK (msg_id ~ '^[0-9]{1,20}$'),
    kind       text NOT NULL CHECK (kind IN ('text', 'voice')),
    content    text NOT NULL,
    -- CreateTime: when WeChat received it.
    sent_at    timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- A retry that slipped past de-duplication (its key expired) is stored once.
    UNIQUE (openid, msg_id, sent_at)
);

CREATE INDEX inbound_messages_sent_at_idx ON inbound_messages (sent_at);

CREATE TRIGGER inbound_messages_set_updated_at BEFORE UPDATE ON inbound_messages
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
