"""Demo data: a coal-mining company's party organizations, people, meetings, issues and items."""

import random

from django.core.management.base import BaseCommand
from django.utils import timezone

from ledger import demo


class Command(BaseCommand):
    help = (
        "Load the demo coal-mining company (公司党委 and its branches), its users, meetings, issues "
        "and items in every state. Running it again changes nothing. With --items N, also add N "
        "synthetic items, each with the history of its life before today (about ten history rows "
        "an item), owned by many more synthetic people (for benchmarks)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default=demo.DEFAULT_PASSWORD, help="Password of the demo users.")
        parser.add_argument("--items", type=int, default=0, help="Add this many synthetic items.")
        parser.add_argument("--seed", type=int, default=2018, help="Random seed for synthetic items.")

    def handle(self, *args, password, items, seed, **options):
        created = demo.build_demo(password=password)
        if created:
            self.stdout.write(self.style.SUCCESS(demo.summary()))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        if items:
            started = timezone.now()
            count = demo.add_synthetic_items(items, rng=random.Random(seed))
            seconds = (timezone.now() - started).total_seconds()
            self.stdout.write(self.style.SUCCESS(f"Added {count} synthetic items in {seconds:.1f} s."))
            self.stdout.write(f"The ledger now holds {demo.synthetic_summary()}.")
