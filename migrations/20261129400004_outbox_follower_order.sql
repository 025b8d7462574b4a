-- The worker sends a follower's messages in the order they were written (a complaint's
-- "concluded" never overtakes its "accepted"); this index finds a follower's earlier
-- pending message quickly.
CREATE INDEX outbox_pending_by_follower_idx ON outbox (openid, outbox_id) WHERE status = 'pending';
