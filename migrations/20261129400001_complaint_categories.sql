-- 投诉类别: a data list staff can extend, not an enum in code.
CREATE TABLE complaint_categories (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,30}$'),
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    sort_order  integer NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER complaint_categories_set_updated_at BEFORE UPDATE ON complaint_categories
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

INSERT INTO complaint_categories (code, name, sort_order) VALUES
    ('sanzi',   '三资管理',     10),
    ('policy',  '惠民政策落实', 20),
    ('project', '工程项目',     30),
    ('conduct', '干部作风',     40),
    ('dibao',   '低保五保',     50),
    ('other',   '其他',         90);
