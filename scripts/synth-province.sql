-- A province-sized synthetic load on top of the real division codes already imported
-- (scripts/synth-province imports them): followers, disclosures with versions and
-- complaints with their timelines, spread over the province's villages. Deterministic
-- (row numbers, not random()), so two runs give the same database. Run by
-- scripts/synth-province with -v province=41 -v followers=… -v disclosures=…
-- -v complaints=…; nothing here is sample content a page would mark 示例, because the
-- point is to measure the queries real content runs.
\set ON_ERROR_STOP on
\timing on

CREATE TEMP TABLE v AS
    SELECT (row_number() OVER (ORDER BY code)) - 1 AS n, code
    FROM regions WHERE length(code) = 12 AND code LIKE :'province' || '%';
CREATE UNIQUE INDEX ON v (n);
SELECT count(*) AS villages FROM v \gset
\echo villages :villages

-- Followers: 80 % still subscribed, joined over three years, most bound to a village.
INSERT INTO followers (openid, subscribed, village_code, subscribed_at, unsubscribed_at,
                       first_seen_at, last_seen_at)
SELECT 'synth' || lpad(i::text, 10, '0'),
       i % 5 <> 0,
       CASE WHEN i % 7 <> 0 THEN v.code END,
       now() - make_interval(mins => ((i * 7919) % (3 * 365 * 24 * 60))::int),
       CASE WHEN i % 5 = 0 THEN now() - make_interval(mins => ((i * 104729) % (365 * 24 * 60))::int) END,
       now() - make_interval(mins => ((i * 7919) % (3 * 365 * 24 * 60))::int),
       now() - make_interval(mins => ((i * 13) % (30 * 24 * 60))::int)
FROM generate_series(1::bigint, :followers) AS i
JOIN v ON v.n = (i * 31) % :villages;

-- Disclosures over the nine modules, published over three years; one in ten corrected
-- once (a second version with its reason), one in a hundred withdrawn.
INSERT INTO disclosures (region_code, module, current_version, status, withdrawn_reason,
                         withdrawn_at, published_at, views, is_sample)
SELECT v.code,
       (ARRAY['organization', 'services', 'economy', 'livelihood', 'assets',
              'projects', 'decisions', 'poverty', 'complaints'])[(1 + i % 9)::int],
       CASE WHEN i % 10 = 0 THEN 2 ELSE 1 END,
       CASE WHEN i % 100 = 1 THEN 'withdrawn' ELSE 'published' END,
       CASE WHEN i % 100 = 1 THEN '数据有误，已撤回' END,
       CASE WHEN i % 100 = 1 THEN now() - make_interval(days => (i % 300)::int) END,
       now() - make_interval(mins => ((i * 6007) % (3 * 365 * 24 * 60))::int),
       i % 500,
       false
FROM generate_series(1::bigint, :disclosures) AS i
JOIN v ON v.n = (i / 9) % :villages;

INSERT INTO disclosure_versions (disclosure_id, version, title, body, period, amount_fen,
                                 publisher, change_note, published_at)
SELECT d.id, 1,
       '第' || (1 + d.id % 4) || '季度' || (ARRAY['组织建设', '便民服务', '经济发展', '民生保障',
           '三资管理', '项目建设', '民主决策', '脱贫攻坚', '诉求办理'])[(1 + d.id % 9)::int] || '公开',
       '经村“两委”会议研究，现将本村' || (2024 + d.id % 3) || '年第' || (1 + d.id % 4)
           || '季度有关情况公开如下：一、收入' || (d.id % 100000) || '元，主要为集体土地承包费；'
           || '二、支出' || (d.id % 70000) || '元，主要为道路维修、环境整治和办公费用；'
           || '三、结余' || (d.id % 30000) || '元。如有疑问，请在公开之日起十日内向村务监督委员会反映。',
       (2024 + d.id % 3) || '年第' || (1 + d.id % 4) || '季度',
       d.id % 10000000,
       '村委会',
       NULL,
       d.published_at
FROM disclosures d;

INSERT INTO disclosure_versions (disclosure_id, version, title, body, period, amount_fen,
                                 publisher, change_note, published_at)
SELECT d.id, 2, v1.title, v1.body || '（更正后）', v1.period, v1.amount_fen + 100, '村委会',
       '支出金额录入有误，更正', d.published_at + interval '3 days'
FROM disclosures d JOIN disclosure_versions v1 ON v1.disclosure_id = d.id AND v1.version = 1
WHERE d.current_version = 2;

-- Complaints: identities are synthetic ciphertexts under keys no one holds (a
-- benchmark never opens one); statuses in the proportions a year of handling leaves.
INSERT INTO data_keys (master_key, wrapped)
SELECT 'synthetic', decode(repeat('00', 61), 'hex') FROM generate_series(1, :complaints);

CREATE TEMP TABLE synth_complaints AS
SELECT i,
       v.code AS village_code,
       now() - make_interval(mins => ((i * 3001) % (2 * 365 * 24 * 60))::int) AS received_at,
       (ARRAY['concluded', 'concluded', 'rated', 'rated', 'rated', 'accepted', 'assigned',
              'pending', 'rejected', 'under_review'])[(1 + i % 10)::int] AS status
FROM generate_series(1::bigint, :complaints) AS i
JOIN v ON v.n = (i * 17) % :villages;
-- The tracking number's sequence is per day, as the service's counter makes it.
ALTER TABLE synth_complaints ADD COLUMN day text, ADD COLUMN seq bigint;
UPDATE synth_complaints s SET day = d.day, seq = d.seq
FROM (SELECT i, to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') AS day,
             row_number() OVER (PARTITION BY to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                                ORDER BY i) AS seq
      FROM synth_complaints) d
WHERE d.i = s.i;

INSERT INTO complaints (tracking_number, village_code, category_code, content, anonymous,
                        status, received_at, accept_due, conclude_due, current_due,
                        accepted_at, concluded_at, idempotency_key, data_key_id,
                        openid_sealed, openid_hash)
SELECT 'XY-' || c.day || '-' || lpad(c.seq::text, 4, '0'),
       c.village_code,
       (ARRAY['sanzi', 'policy', 'project', 'conduct', 'dibao', 'other'])[(1 + c.i % 6)::int],
       '反映本村' || (ARRAY['村集体土地承包费去向不明', '低保评定不公开', '道路硬化工程偷工减料',
           '村干部优亲厚友', '自来水经常停水', '危房改造补助没有发放'])[(1 + c.i % 6)::int]
           || '，请上级调查处理。编号' || c.i,
       c.i % 3 = 0,
       c.status,
       c.received_at,
       c.received_at + interval '15 days',
       CASE WHEN c.status NOT IN ('pending', 'rejected') THEN c.received_at + interval '60 days' END,
       CASE c.status WHEN 'pending' THEN c.received_at + interval '15 days'
                     WHEN 'accepted' THEN c.received_at + interval '60 days'
                     WHEN 'assigned' THEN c.received_at + interval '60 days'
                     WHEN 'under_review' THEN c.received_at + interval '90 days' END,
       CASE WHEN c.status NOT IN ('pending', 'rejected') THEN c.received_at + interval '3 days' END,
       CASE WHEN c.status IN ('concluded', 'rated', 'under_review') THEN c.received_at + interval '40 days' END,
       md5('synth-form' || c.i)::uuid,
       c.i,
       decode(repeat('01', 60), 'hex'),
       sha256(('synth' || lpad(((c.i * 101) % :followers + 1)::text, 10, '0'))::bytea)
FROM synth_complaints c;

INSERT INTO complaint_events (complaint_id, event, from_status, to_status, actor, public_note, created_at)
SELECT complaint_id, 'received', NULL, 'pending', 'complainant', '', received_at FROM complaints;
INSERT INTO complaint_events (complaint_id, event, from_status, to_status, actor, public_note, created_at)
SELECT complaint_id, 'accept', 'pending', 'accepted', 'staff:synthetic', '已受理', accepted_at
FROM complaints WHERE accepted_at IS NOT NULL;
INSERT INTO complaint_events (complaint_id, event, from_status, to_status, actor, public_note, created_at)
SELECT complaint_id, 'conclude', 'accepted', 'concluded', 'staff:synthetic', '经核查，已整改', concluded_at
FROM complaints WHERE concluded_at IS NOT NULL;

ANALYZE;
SELECT (SELECT count(*) FROM followers) AS followers,
       (SELECT count(*) FROM disclosures) AS disclosures,
       (SELECT count(*) FROM disclosure_versions) AS versions,
       (SELECT count(*) FROM complaints) AS complaints,
       (SELECT count(*) FROM complaint_events) AS events,
       pg_size_pretty(pg_database_size(current_database())) AS size;
