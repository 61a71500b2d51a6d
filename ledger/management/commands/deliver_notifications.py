from django.core.management.base import BaseCommand

from ledger.delivery import deliver_pending


class Command(BaseCommand):
    help = (
        "Send what people were told and not yet sent: one email digest per person (in their "
        "language) and batched messages to the group robots. Safe to run at any time: what was "
        "sent is marked, what failed is sent by the next run."
    )

    def handle(self, *args, **options):
        counts = deliver_pending()
        self.stdout.write(
            "Emails: {emails} ({emailed} notifications, {email_failures} failed); "
            "group messages: {posts} ({posted} notifications, {post_failures} failed).".format(**counts)
        )
