-- 监察建议书 (docs/analysis.md): a recommendation drafted from the dashboard for a topic
-- and region, sent to a department with a rectification deadline, then followed through
-- its milestones to a result. Never deleted; every change is in the audit log.
CREATE TABLE recommendations (
    recommendation_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic             text NOT NULL CHECK (topic IN ('交通', '饮水', '用电', '社保', '扶贫',
                          '惠农补贴', '三资', '工程项目', '干部作风', '环境卫生')),
    region_code       text NOT NULL REFERENCES regions (code),
    period_from       date NOT NULL,
    period_to         date NOT NULL CHECK (period_to >= period_from),
    title             text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    department        text NOT NULL CHECK (char_length(department) BETWEEN 1 AND 100),
    sent_on           date NOT NULL,
    rectify_by        date NOT NULL CHECK (rectify_by >= sent_on),
    -- Set once, when the department's rectification is judged: the case is closed.
    result            text CHECK (char_length(result) BETWEEN 1 AND 2000),
    closed_at         timestamptz,
    created_by        bigint NOT NULL REFERENCES staff_accounts (account_id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((result IS NULL) = (closed_at IS NULL))
);

CREATE INDEX recommendations_region_idx ON recommendations (region_code, rectify_by);

CREATE TRIGGER recommendations_set_updated_at BEFORE UPDATE ON recommendations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- What happened on the way: the department's reply, an inspection, a reminder.
CREATE TABLE recommendation_milestones (
    recommendation_milestone_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recommendation_id bigint NOT NULL REFERENCES recommendations (recommendation_id),
    happened_on       date NOT NULL,
    note              text NOT NULL CHECK (char_length(note) BETWEEN 1 AND 500),
    created_by        bigint NOT NULL REFERENCES staff_accounts (account_id),
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX recommendation_milestones_idx ON recommendation_milestones (recommendation_id, happened_on);
