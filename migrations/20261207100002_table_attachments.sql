-- A CSV or .xlsx attachment (a ledger, a list of recipients) is shown on the public page
-- as a table. Its first sheet is read once, when the clerk uploads it, and the rows
-- shown (at most 200, with the count of all) are kept beside the file as JSON, so a
-- page view never parses a spreadsheet. NULL for every other kind of file.
ALTER TABLE draft_attachments DROP CONSTRAINT draft_attachments_media_type_check;
ALTER TABLE draft_attachments ADD CONSTRAINT draft_attachments_media_type_check
    CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'text/csv',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'));
ALTER TABLE draft_attachments
    ADD COLUMN table_rows jsonb CHECK (table_rows IS NULL OR jsonb_typeof(table_rows) = 'object');

ALTER TABLE disclosure_attachments DROP CONSTRAINT disclosure_attachments_media_type_check;
ALTER TABLE disclosure_attachments ADD CONSTRAINT disclosure_attachments_media_type_check
    CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'text/plain', 'text/csv',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'));
ALTER TABLE disclosure_attachments
    ADD COLUMN table_rows jsonb CHECK (table_rows IS NULL OR jsonb_typeof(table_rows) = 'object');
