-- Indexes the province-sized load exposed (docs/benchmarks.md, "A province on one
-- machine"; docs/scaling.md).
--
-- The staff queue sorts by urgency — past or near a deadline first, then the rest newest
-- first — and an official's scope is a code prefix. Without an index in that order a
-- province-wide auditor's first page sorted all 1 million complaints (1.4 s); with it
-- the scan stops after the page.
CREATE INDEX complaints_queue_idx
    ON complaints ((current_due IS NULL), current_due, complaint_id DESC);

-- Scopes are `village_code LIKE '4115%'`. Under the database's C.UTF-8 collation a plain
-- btree cannot serve a prefix match (only the C collation or text_pattern_ops can), so a
-- township's queue and the dashboards read every complaint. text_pattern_ops also
-- serves equality, so it replaces the old (village_code, received_at) index.
CREATE INDEX complaints_village_prefix_idx
    ON complaints (village_code text_pattern_ops, received_at);
DROP INDEX complaints_village_idx;

CREATE INDEX followers_village_prefix_idx
    ON followers (village_code text_pattern_ops) WHERE village_code IS NOT NULL;
DROP INDEX followers_village_code_idx;
