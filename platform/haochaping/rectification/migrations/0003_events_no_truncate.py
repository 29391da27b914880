from django.db import migrations

FORBID = """
CREATE TRIGGER rectification_event_no_truncate
    BEFORE TRUNCATE ON rectification_rectificationevent
    FOR EACH STATEMENT EXECUTE FUNCTION rectification_event_is_append_only();
"""
ALLOW = "DROP TRIGGER IF EXISTS rectification_event_no_truncate ON rectification_rectificationevent;"


class Migration(migrations.Migration):
    dependencies = [("rectification", "0002_events_append_only")]
    operations = [migrations.RunSQL(FORBID, ALLOW)]
