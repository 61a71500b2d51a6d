"""`manage.py verify_history [--at <digest or short code>]`: walk the history's hash chains
(`core.chain`), print every break (the first broken link of each chain first), store the
result for the chain page, and exit 1 on any break."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import chain
from core.models import ChainVerification

# The problems kept with a run (all are printed).
KEPT = 100


class Command(BaseCommand):
    help = "Verify the hash chains of the history; exit 1 when a row was changed, inserted or deleted."

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            metavar="HEAD",
            help="The chain head a printed report shows (digest or short code): prove its records unchanged.",
        )

    def handle(self, *args, at=None, **options):
        started = timezone.now()
        if at:
            found = chain.find_checkpoint(at)
            if found is None:
                self._store(
                    started,
                    [
                        chain._problem(
                            chain.CHAIN_DELETED, "core.chaincheckpoint", None, None, f"no checkpoint {at}"
                        )
                    ],
                    0,
                    0,
                    at,
                )
                raise CommandError(f"No printed chain head {at} is known (or the code is ambiguous).")
            problems, rows, chains = chain.verify_at(found)
            at = found.digest
        else:
            problems, rows, chains = chain.verify()
        run = self._store(started, problems, rows, chains, at or "")
        for problem in problems:
            self.stdout.write(
                "{kind}: {chain} record {record_id} row {history_id}: {detail}".format(**problem)
            )
        scope = f"printed head {chain.short_code(at)}" if at else f"chain head {chain.short_code(run.digest)}"
        summary = f"{rows} rows in {chains} chains checked against the {scope}: "
        if problems:
            first = problems[0]
            self.stderr.write(
                summary + f"{len(problems)} break(s); first broken link: {first['chain']} record "
                f"{first['record_id']} row {first['history_id']} ({first['kind']})"
            )
            raise SystemExit(1)
        self.stdout.write(summary + "intact")

    def _store(self, started, problems, rows, chains, at):
        head, _count = chain.global_digest()
        return ChainVerification.objects.create(
            started=started,
            finished=timezone.now(),
            ok=not problems,
            rows_checked=rows,
            chains_checked=chains,
            problem_count=len(problems),
            problems=problems[:KEPT],
            digest=head,
            at=at,
        )
