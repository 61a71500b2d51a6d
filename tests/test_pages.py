"""The test helper that fills in forms as a browser does (tests/pages.py)."""

import datetime
from types import SimpleNamespace

from django import forms

from tests.pages import form_data


class _Form(forms.Form):
    percent = forms.IntegerField()
    present = forms.BooleanField(required=False)
    urgent = forms.BooleanField(required=False)
    note = forms.CharField(required=False)
    held_on = forms.DateField()
    version = forms.IntegerField(widget=forms.HiddenInput)


def test_a_zero_is_posted_and_empty_values_are_left_out():
    form = _Form(
        initial={
            "percent": 0,
            "present": False,
            "urgent": True,
            "note": "",
            "held_on": datetime.date(2026, 12, 1),
            "version": 3,
        }
    )
    data = form_data(SimpleNamespace(context={"form": form}))
    # A field showing 0 posts its 0 (0 == False, which the helper once took for an unticked box);
    # an unticked box posts nothing, and the helper leaves empty values out.
    assert data == {"percent": 0, "urgent": "on", "held_on": "2026-12-01", "version": 3}
