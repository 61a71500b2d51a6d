"""Import a ledger kept in Excel (.xlsx) or CSV into an organization, as the web import does."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from core.models import Organization
from ledger.imports.reading import SheetRefused, open_table
from ledger.imports.rows import prepare
from ledger.imports.storing import ImportFailed, commit


class Command(BaseCommand):
    help = (
        "Import a ledger file (.xlsx or .csv) into an organization. All rows are stored or none; "
        "rows imported before update their items. With --dry-run nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--organization", required=True, help="Name, short name or id.")
        parser.add_argument("--user", help="Username of the committee member or administrator acting.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and store nothing.")
        parser.add_argument(
            "--create-people", action="store_true", help="Create unknown people as placeholders."
        )
        parser.add_argument(
            "--sheet",
            help="The sheet to read, by name or number (1 is the first); by default the one that looks "
            "like a ledger.",
        )

    def handle(self, *args, **options):
        organization = self.organization(options["organization"])
        actor = self.actor(options["user"])
        try:
            with open(options["file"], "rb") as file:
                result = self.run(file, actor, organization, options)
        except OSError as error:
            raise CommandError(str(error)) from None
        except SheetRefused as refused:
            raise CommandError(str(refused.message)) from None
        summary = _(
            "{created} created, {updated} updated, {unchanged} unchanged, {people} people created."
        ).format(
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            people=result.people_created,
        )
        if options["dry_run"]:
            summary = _("Dry run, nothing stored: would have {summary}").format(summary=summary)
        self.stdout.write(summary)

    def run(self, file, actor, organization, options):
        """Read the file once: every row is checked as it is stored, all or none."""
        with open_table(file, options["file"]) as table:
            if options.get("sheet"):
                number = table.sheet_number(options["sheet"])
                if number is None:
                    raise CommandError(
                        _("The file has no sheet “{sheet}”; its sheets: {sheets}.").format(
                            sheet=options["sheet"], sheets="、".join(table.sheets)
                        )
                    )
                if number != table.sheet:
                    table = table.other_sheet(number)
            if len(table.sheets) > 1:
                self.stdout.write(_("Reading the sheet “{sheet}”.").format(sheet=table.sheet_name))
            return self.store(table, actor, organization, options)

    def store(self, table, actor, organization, options):
        preview = prepare(table, actor, organization, create_people=options["create_people"], scan=False)
        for problem in preview.problems:
            self.stderr.write(str(problem))
        if preview.problems:
            raise CommandError(_("{count} problems; nothing was stored.").format(count=preview.error_count))
        try:
            return commit(preview, actor, options["file"].rsplit("/", 1)[-1], options["dry_run"])
        except ImportFailed as failed:
            for number, messages in failed.errors.items():
                for message in messages:
                    self.stderr.write(f"{number}: {message}")
            raise CommandError(
                _("{count} problems; nothing was stored.").format(count=len(failed.errors) + failed.more)
            ) from None

    def organization(self, value):
        lookup = Q(name=value) | Q(short_name=value)
        if value.isdigit():
            lookup |= Q(pk=int(value))
        found = list(Organization.objects.filter(lookup)[:2])
        if len(found) != 1:
            raise CommandError(_("No single organization matches “{value}”.").format(value=value))
        return found[0]

    def actor(self, username):
        users = get_user_model().objects.filter(is_active=True)
        user = (
            users.filter(username=username).first()
            if username
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError(_("No such active user; give --user USERNAME."))
        return user
