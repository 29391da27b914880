from django.db import migrations

# 个人信息保护: the retention job may redact an event's note and data (a follow-up note can quote the rater), and
# only when it says so in its own transaction (SET LOCAL haochaping.retention = 'on'); everything else about the
# event stays fixed, and DELETE and TRUNCATE are still refused.
REDACTABLE = """
CREATE OR REPLACE FUNCTION rectification_event_is_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('haochaping.retention', true) = 'on'
       AND NEW.id = OLD.id AND NEW.rectification_id = OLD.rectification_id AND NEW.at = OLD.at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.actor_label = OLD.actor_label
       AND NEW.action = OLD.action AND NEW.from_state = OLD.from_state AND NEW.to_state = OLD.to_state THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rectification events are append-only';
END;
$$ LANGUAGE plpgsql;
"""
STRICT = """
CREATE OR REPLACE FUNCTION rectification_event_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rectification events are append-only';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("rectification", "0004_complaints")]
    operations = [migrations.RunSQL(REDACTABLE, STRICT)]
