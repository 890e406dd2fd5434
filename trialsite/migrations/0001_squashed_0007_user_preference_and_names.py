"""trialsite 0001–0007 in one migration, which Django runs only on a database where none of them has run.

Its schema operations are optimised (indexes and constraints last). After them run the data steps
a new database needs: 0002_roles.create_roles, 0005_audit_chain.chain_existing_rows, 0006_monitor_role.create_monitor_role.
Left out: the data steps of 0004_drop_dataversion,
which act only on what an older database holds.
"""

from importlib import import_module

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('trialsite', '0001_initial'), ('trialsite', '0002_roles'), ('trialsite', '0003_dataversion'), ('trialsite', '0004_drop_dataversion'), ('trialsite', '0005_audit_chain'), ('trialsite', '0006_monitor_role'), ('trialsite', '0007_user_preference_and_names')]

    initial = True

    dependencies = [
        ('assessments', '0005_version_and_audit_chain'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('dosing', '0003_version_and_audit_chain'),
        ('safety', '0004_version_and_audit_chain'),
        ('subjects', '0005_version_and_audit_chain'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('digest', models.CharField(max_length=128, primary_key=True, serialize=False)),
                ('token_key', models.CharField(db_index=True, max_length=25)),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('expiry', models.DateTimeField(blank=True, null=True)),
                ('name', models.CharField(blank=True, max_length=80, verbose_name='name')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='last used at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='auth_token_set', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created'],
                'verbose_name': 'API token',
                'verbose_name_plural': 'API tokens',
            },
        ),
        migrations.CreateModel(
            name='ExportLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('export', models.CharField(max_length=60, verbose_name='export')),
                ('query', models.CharField(blank=True, max_length=500, verbose_name='query')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'ordering': ['-created_at'],
                'verbose_name': 'export log',
                'verbose_name_plural': 'export logs',
            },
        ),
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.BigIntegerField(default=0)),
                ('chain_hash', models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='AuditCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('checked_at', models.DateTimeField(auto_now_add=True)),
                ('intact', models.BooleanField()),
                ('rows', models.PositiveIntegerField(default=0)),
                ('head_position', models.BigIntegerField(default=0)),
                ('head_hash', models.CharField(blank=True, max_length=64)),
                ('problem', models.TextField(blank=True)),
                ('notify_claimed_at', models.DateTimeField(blank=True, null=True)),
                ('notified_at', models.DateTimeField(blank=True, null=True)),
                ('notify_attempts', models.PositiveSmallIntegerField(default=0)),
                ('notify_last_error', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['-checked_at'],
            },
        ),
        migrations.CreateModel(
            name='UserPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(blank=True, choices=[('en-gb', 'English'), ('zh-hans', '简体中文')], max_length=10)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='preference', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.RunPython(import_module("trialsite.migrations.0002_roles").create_roles, migrations.RunPython.noop),
        migrations.RunPython(import_module("trialsite.migrations.0005_audit_chain").chain_existing_rows, migrations.RunPython.noop),
        migrations.RunPython(import_module("trialsite.migrations.0006_monitor_role").create_monitor_role, migrations.RunPython.noop),
    ]
