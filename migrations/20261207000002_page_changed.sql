-- Public pages are kept rendered in each instance's memory (src/page_cache.rs) until what
-- they show changes. The database says when: every change to a table a cached page reads
-- sends NOTIFY page_changed with the region it concerns, on commit, to every instance
-- (and not at all if the transaction rolls back). A trigger rather than the code that
-- writes, so that no writer (a service, demo-data, an import, psql) can forget it.
-- The payload is a region code, or '' for "everything" (a region import).
CREATE FUNCTION notify_page_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    region text;
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('page_changed', '');
        RETURN NULL;
    END IF;
    -- TG_ARGV[0] names the column that holds the region.
    IF TG_OP <> 'INSERT' THEN
        EXECUTE format('SELECT ($1).%I', TG_ARGV[0]) INTO region USING OLD;
        PERFORM pg_notify('page_changed', region);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        EXECUTE format('SELECT ($1).%I', TG_ARGV[0]) INTO region USING NEW;
        PERFORM pg_notify('page_changed', region);
    END IF;
    RETURN NULL;
END $$;

-- Publication, correction, withdrawal; not the page-view counts added every few seconds.
CREATE TRIGGER disclosures_page_changed
    AFTER INSERT OR DELETE
        OR UPDATE OF region_code, module, current_version, status, published_at, is_sample
    ON disclosures FOR EACH ROW EXECUTE FUNCTION notify_page_changed('region_code');

CREATE TRIGGER supervisors_page_changed
    AFTER INSERT OR UPDATE OR DELETE ON supervisors
    FOR EACH ROW EXECUTE FUNCTION notify_page_changed('region_code');

CREATE TRIGGER poverty_households_page_changed
    AFTER INSERT OR UPDATE OR DELETE ON poverty_households
    FOR EACH ROW EXECUTE FUNCTION notify_page_changed('village_code');

-- A village page shows its complaints received and concluded per month.
CREATE TRIGGER complaints_page_changed
    AFTER INSERT OR DELETE OR UPDATE OF village_code, status, received_at, concluded_at
    ON complaints FOR EACH ROW EXECUTE FUNCTION notify_page_changed('village_code');

-- Names and the tree: an import touches thousands of rows, so once per statement.
CREATE TRIGGER regions_page_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON regions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_page_changed();
