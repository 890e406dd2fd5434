"""Chain the history rows that data migrations wrote outside the audit chain.

labs 0002 loads the site's normal ranges, each with an initial history row. Where the chain existed
before the laboratory app arrived, and on a new database, whose squashed migrations build the chain
first, those rows were written without a place in it, and the chain's verification reports them. The
chain's own step, run again, places every unchained row after the current end in the order written.
"""

from importlib import import_module

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("trialsite", "0007_user_preference_and_names"),
        ("labs", "0002_site_normal_ranges"),
    ]

    operations = [
        migrations.RunPython(
            import_module("trialsite.migrations.0005_audit_chain").chain_existing_rows, migrations.RunPython.noop
        ),
    ]
