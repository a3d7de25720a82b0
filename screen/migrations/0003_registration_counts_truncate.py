from django.db import migrations

# TRUNCATE fires no row or statement DELETE trigger: without this, emptying the tenancies (a demo
# re-seed, a test database flush) would leave their counts on the screen.
SQL = """
CREATE FUNCTION screen_regcount_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN DELETE FROM screen_registrationcount; RETURN NULL; END $$;
CREATE TRIGGER screen_regcount_truncate AFTER TRUNCATE ON residents_tenancy
    FOR EACH STATEMENT EXECUTE FUNCTION screen_regcount_truncate();
"""
UNDO = """
DROP TRIGGER screen_regcount_truncate ON residents_tenancy;
DROP FUNCTION screen_regcount_truncate();
"""


class Migration(migrations.Migration):

    dependencies = [("screen", "0002_registration_counts")]

    operations = [migrations.RunSQL(SQL, UNDO)]
