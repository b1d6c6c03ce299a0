from tortoise import migrations
from tortoise.migrations import operations as ops

# The identity columns 0004 copied into linked_accounts leave `users`. On SQLite dropping a
# column rebuilds the table (create, copy, drop the old one, rename), and dropping the old table
# would cascade to every table that points at users (sessions, tokens, plugin rows) unless
# foreign keys are off, which SQLite allows only outside a transaction: so this migration is not
# atomic, and turns them off around the rebuild.


async def foreign_keys_off(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script("PRAGMA foreign_keys = OFF")


async def foreign_keys_on(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script("PRAGMA foreign_keys = ON")


class Migration(migrations.Migration):
    dependencies = [('medianest', '0004_linked_accounts')]

    initial = False
    atomic = False

    operations = [
        ops.RunPython(foreign_keys_off),
        ops.RemoveField(model_name='User', name='plex_id'),
        ops.RemoveField(model_name='User', name='plex_token'),
        ops.RemoveField(model_name='User', name='plex_token_checked_at'),
        ops.RemoveField(model_name='User', name='plex_username'),
        ops.RunPython(foreign_keys_on),
    ]
