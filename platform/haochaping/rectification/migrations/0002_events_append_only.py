from django.db import migrations

# Events are never updated or deleted: enforced by the database itself, whatever code runs.
FORBID = """
CREATE OR REPLACE FUNCTION rectification_event_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rectification events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER rectification_event_append_only
    BEFORE UPDATE OR DELETE ON rectification_rectificationevent
    FOR EACH ROW EXECUTE FUNCTION rectification_event_is_append_only();
"""
ALLOW = """
DROP TRIGGER IF EXISTS rectification_event_append_only ON rectification_rectificationevent;
DROP FUNCTION IF EXISTS rectification_event_is_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("rectification", "0001_initial")]
    operations = [migrations.RunSQL(FORBID, ALLOW)]
