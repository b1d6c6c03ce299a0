from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('medianest', '0002_identity')]  # the users table

    initial = True

    operations = [
        ops.CreateModel(
            name='OverseerrRequest',
            fields=[
                ('id', fields.IntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('medianest.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('overseerr_user_id', fields.IntField()),
                ('media_type', fields.CharField(max_length=8)),
                ('tmdb_id', fields.IntField()),
                ('title', fields.CharField(max_length=300)),
                ('year', fields.IntField(null=True)),
                ('poster_path', fields.CharField(null=True, max_length=100)),
                ('status', fields.CharField(max_length=16)),
                ('seasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('changed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'overseerr_requests', 'app': 'overseerr', 'indexes': [Index(fields=['user_id', 'requested_at']), Index(fields=['media_type', 'tmdb_id']), Index(fields=['status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
