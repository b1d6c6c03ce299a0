from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('medianest', '0002_identity')]  # the users table

    initial = True

    operations = [
        ops.CreateModel(
            name='PlexAccess',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('medianest.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('machine_identifier', fields.CharField(max_length=64)),
                ('server_token', fields.TextField(unique=False)),
                ('owner', fields.BooleanField(default=False)),
                ('library_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('checked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'plex_access', 'app': 'plex', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
