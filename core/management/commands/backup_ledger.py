"""`manage.py backup_ledger <file>`: write the whole ledger (every row of core and ledger, the
history and its chain included, and the files under MEDIA_ROOT) to one zip file (`core.backup`)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core import backup


class Command(BaseCommand):
    help = "Write the whole ledger (data, history and its chain, uploaded files) to one zip file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file to write (a zip file).")
        parser.add_argument("--force", action="store_true", help="Overwrite the file if it exists.")

    def handle(self, *args, file, force, **options):
        target = Path(file)
        if target.exists() and not force:
            raise CommandError(_("{file} exists; choose another name or pass --force.").format(file=file))
        partial = target.with_name(target.name + ".partial")
        try:
            manifest = backup.write_backup(partial)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(_("The backup cannot be written: {error}").format(error=error)) from None
        partial.replace(target)
        self.stdout.write(
            self.style.SUCCESS(
                _("Backup {file}: {summary}.").format(file=file, summary=backup.describe(manifest))
            )
        )
