from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("trialsite", "0002_roles")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("counter", models.BigIntegerField(default=0)),
            ],
        ),
    ]
