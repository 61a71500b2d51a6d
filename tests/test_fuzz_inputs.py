"""Fuzzed text (any Unicode: RTL marks, zero-width, NUL bytes, 10,000 characters) in the saved
view's name and the people search: a validation message or stored as normalised, never a 500."""

from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import SavedView

ODD = st.sampled_from(["\u200f", "\u202e", "\u200b", "\ufeff", "\x00", "名", "𠀀", " ", "\n"])
TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(ODD, max_size=40).map("".join),
    st.sampled_from(["x" * 10_000, "名\x00称", "\u202e台账"]),
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(name=TEXT)
def test_a_saved_views_name(client, world, name):
    client.force_login(world.committee)
    response = client.post(reverse("ledger:save_view"), {"name": name, "query": "status=open"})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert "\x00" in name
    expected = " ".join(name.split())[:80]
    if response.status_code == 302 and expected:
        assert SavedView.objects.filter(user=world.committee, name=expected).exists()


@FUZZ
@given(text=TEXT)
def test_the_people_search(client, world, text):
    client.force_login(world.committee)
    response = client.get(reverse("ledger:people_search"), {"q": text, "role": "owner"})
    assert response.status_code == (400 if "\x00" in text else 200)
