"""A progress post on an item closed (or withdrawn) meanwhile: the 409 page says why and shows
what was typed, so that the owner can keep it for a post elsewhere."""

from django.urls import reverse

from ledger import workflow
from ledger.models import Item
from tests.factories import IssueFactory, make_item

TEXT = "本周完成了现场复查，整改照片已上传"


def test_a_late_progress_post_shows_the_reason_and_keeps_the_text(client, world):
    item = make_item(world.committee, IssueFactory(organization=world.branch), owner=world.owner)
    version = item.version
    workflow.withdraw(world.committee, item, reason="与第3项重复")
    client.force_login(world.owner)
    response = client.post(
        reverse("ledger:post_progress", args=[item.pk]), {"text": TEXT, "percent": 60, "version": version}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert TEXT in page
    assert "与第3项重复" in page  # the reason of the change meanwhile
    assert "late-post-text" in page
    assert Item.objects.get(pk=item.pk).status == Item.Status.WITHDRAWN
    assert not item.updates.exists()
