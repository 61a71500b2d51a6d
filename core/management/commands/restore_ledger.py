"""`manage.py restore_ledger <file>`: load a backup written by `backup_ledger` into an empty,
migrated database (it refuses any other) and its files under MEDIA_ROOT (`core.backup`)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core import backup


class Command(BaseCommand):
    help = (
        "Load a backup written by backup_ledger into an empty database migrated to the same "
        "migrations, and its files under MEDIA_ROOT. Then run verify_history."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file (a zip file written by backup_ledger).")

    def handle(self, *args, file, **options):
        try:
            manifest, _loaded = backup.restore_backup(file)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Restored {file}: {summary}.").format(file=file, summary=backup.describe(manifest))
            )
        )
        self.stdout.write(_("Check the history now: python manage.py verify_history"))
