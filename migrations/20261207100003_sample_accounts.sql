-- `sunvillage demo-data` publishes its samples through the lifecycle, drafted and
-- approved by sample accounts (示例文书·王岗村, a township's 示例审核员). They are marked
-- so that sign-in refuses them when the service runs in production, whatever database
-- they ended up in. Existing accounts are real: the default fills them.
ALTER TABLE staff_accounts ADD COLUMN is_sample boolean NOT NULL DEFAULT false;
