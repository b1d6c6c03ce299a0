"""Backups: the whole database (core and plugins, settings included) in one portable file.

`medianest backup` writes it (`dump`), `medianest restore` puts it into an empty install
(`load`); the file format is in `fileformat`. See docs/decisions/0011-backup-and-restore.md.
"""

from medianest.backup.dump import BackupSummary, create_backup, default_name, output
from medianest.backup.fileformat import BackupError, BackupFormatError
from medianest.backup.load import RestoreSummary, restore_backup
from medianest.backup.progress import ConsoleReporter

__all__ = [
    "BackupError",
    "BackupFormatError",
    "BackupSummary",
    "ConsoleReporter",
    "RestoreSummary",
    "create_backup",
    "default_name",
    "output",
    "restore_backup",
]
