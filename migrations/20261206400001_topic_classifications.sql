-- The topic model's answer for each stored inbound text and complaint (docs/analysis.md):
-- one row per item, replaced when a newer model classifies it again, so "classified by
-- this model" is a lookup and `classify --all` resumes where it stopped.
CREATE TABLE topic_classifications (
    topic_classification_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_kind     text NOT NULL CHECK (item_kind IN ('inbound_message', 'complaint')),
    item_id       bigint NOT NULL,
    -- Classification::model: `topics-` and a digest of the model file.
    model         text NOT NULL CHECK (model ~ '^topics-[0-9a-f]{1,64}$'),
    -- Best first; empty when the model was not confident enough (待人工分类).
    topics        text[] NOT NULL CHECK (
                      cardinality(topics) <= 2
                      AND topics <@ ARRAY['交通', '饮水', '用电', '社保', '扶贫', '惠农补贴',
                                          '三资', '工程项目', '干部作风', '环境卫生', '其他']),
    needs_review  boolean NOT NULL,
    -- The best topic's probability (also when it was not confident enough to be given).
    confidence    double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    best_guess    text NOT NULL,
    -- Per chosen topic (or the best guess), the features that decided it.
    reasons       jsonb NOT NULL,
    classified_at timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (needs_review = (cardinality(topics) = 0)),
    UNIQUE (item_kind, item_id)
);

CREATE INDEX topic_classifications_model_idx ON topic_classifications (model);

CREATE TRIGGER topic_classifications_set_updated_at BEFORE UPDATE ON topic_classifications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
