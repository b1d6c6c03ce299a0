from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('medianest', '0005_users_without_identities')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Download',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('medianest.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('playlist_url', fields.CharField(max_length=2048)),
                ('title', fields.CharField(null=True, max_length=500)),
                ('folder', fields.CharField(null=True, max_length=500)),
                ('collection', fields.CharField(null=True, max_length=200)),
                ('status', fields.CharField(default='queued', db_index=True, max_length=16)),
                ('error', fields.TextField(null=True, unique=False)),
                ('progress', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('items', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('job_id', fields.UUIDField(null=True)),
                ('collection_id', fields.CharField(null=True, max_length=64)),
                ('collection_url', fields.CharField(null=True, max_length=500)),
                ('active_key', fields.CharField(null=True, unique=True, max_length=128)),
                ('lane', fields.CharField(null=True, unique=True, max_length=64)),
                ('slot', fields.IntField(null=True, unique=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'youtube_downloads', 'app': 'youtube', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
