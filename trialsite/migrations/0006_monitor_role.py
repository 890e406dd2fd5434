from django.db import migrations


def create_monitor_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="monitor")


class Migration(migrations.Migration):
    dependencies = [("trialsite", "0005_audit_chain")]

    operations = [migrations.RunPython(create_monitor_role, migrations.RunPython.noop)]
