"""The category an imported row without one is filed under: a flag on the category, not a name."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ledger.models import Category, Item
from tests.factories import UserFactory
from tests.sheet_files import upload, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english", "import_dir")

NO_DEFAULT = (
    "No category is given and none is set as the default: write the category, or mark one as the default."
)


def rows_without_category(count=2):
    rows = [["问题描述", "整改措施", "整改时限"]]
    rows += [[f"学习流于形式（{n}）", f"每周集中学习一次（{n}）", "2027-01-15"] for n in range(1, count + 1)]
    return rows


def preview_page(client, world, rows):
    client.force_login(world.committee)
    response = client.post(
        reverse("ledger:import"), {"file": upload(xlsx_bytes(rows)), "organization": world.branch.pk}
    )
    return response.url, client.get(response.url)


def confirm(client, preview_url):
    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    return client.post(reverse("ledger:import_confirm", args=[token]))


def test_the_default_categories_flag_other_as_the_default(db):
    assert list(Category.objects.filter(is_default=True).values_list("name", flat=True)) == ["其他"]


def test_renaming_the_default_category_keeps_imports_working(client, world):
    other = Category.objects.get(is_default=True)
    other.name, other.name_en = "其它问题", "Miscellaneous"
    other.save()
    url, preview = preview_page(client, world, rows_without_category())
    assert preview.status_code == 200
    assert "Store all rows" in preview.content.decode()
    assert confirm(client, url).status_code == 302
    assert {item.issue.category.name for item in Item.objects.all()} == {"其它问题"}


def test_another_default_files_the_rows_there(client, world):
    Category.objects.filter(is_default=True).update(is_default=False)
    Category.objects.filter(name="作风").update(is_default=True)
    url, _preview = preview_page(client, world, rows_without_category())
    assert confirm(client, url).status_code == 302
    assert {item.issue.category.name for item in Item.objects.all()} == {"作风"}


def test_with_no_default_the_preview_says_so_on_every_row_and_nothing_breaks(client, world):
    Category.objects.update(is_default=False)
    url, preview = preview_page(client, world, rows_without_category(count=3))
    page = preview.content.decode()
    assert preview.status_code == 200
    assert page.count(NO_DEFAULT) == 3
    assert "Store all rows" not in page
    refused = confirm(client, url)
    assert refused.status_code == 400
    assert NO_DEFAULT in refused.content.decode()
    assert not Item.objects.exists()


def test_rows_naming_their_category_need_no_default(client, world):
    Category.objects.update(is_default=False)
    rows = [
        ["问题描述", "问题类别", "整改措施", "整改时限"],
        ["学习流于形式", "安全", "每周集中学习一次", "2027-01-15"],
    ]
    url, preview = preview_page(client, world, rows)
    assert NO_DEFAULT not in preview.content.decode()
    assert confirm(client, url).status_code == 302


def test_one_default_at_most(db):
    second = Category.objects.get(name="安全")
    second.is_default = True
    with pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert refused.value.messages == ["Another category is the default already: untick it first."]


def test_the_default_is_set_in_the_admin(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    safety = Category.objects.get(name="安全")
    url = reverse("admin:ledger_category_change", args=[safety.pk])
    data = {"name": "安全", "name_en": "Safety", "sort_order": 20, "is_active": "on", "is_default": "on"}
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "Another category is the default already: untick it first." in refused.content.decode()
    Category.objects.filter(name="其他").update(is_default=False)
    assert client.post(url, data).status_code == 302
    assert Category.objects.get(is_default=True) == safety
