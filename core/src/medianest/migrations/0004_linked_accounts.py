from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

# Identities the users table held before linked accounts existed (Plex's, from 0002) move into
# linked_accounts unchanged: their tokens stay bound to "users|plex_token|<user id>", which is
# what `token_context("plex", user id)` names, so nothing needs re-encrypting.
MOVE_LEGACY_IDENTITIES = """
INSERT INTO linked_accounts (user_id, provider, external_id, username, token, checked_at, data, created_at, updated_at)
SELECT id, 'plex', plex_id, plex_username, plex_token, plex_token_checked_at, {empty}, created_at, updated_at
FROM users WHERE plex_id IS NOT NULL
"""


async def move_legacy_identities(apps, schema_editor) -> None:
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    await schema_editor.client.execute_script(
        MOVE_LEGACY_IDENTITIES.format(empty="'{}'::jsonb" if postgres else "'{}'")
    )


class Migration(migrations.Migration):
    dependencies = [('medianest', '0003_jobs_and_status')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LinkedAccount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('medianest.User', source_field='user_id', db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=32)),
                ('external_id', fields.CharField(max_length=128)),
                ('username', fields.CharField(null=True, max_length=128)),
                ('token', fields.TextField(null=True, unique=False)),
                ('checked_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'linked_accounts', 'app': 'medianest', 'unique_together': (('provider', 'external_id'), ('user', 'provider')), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunPython(move_legacy_identities),
    ]
