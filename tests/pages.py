"""Filling in forms as a browser does: what a page's forms post back when nothing is typed."""

import datetime


def form_data(response, formset_name="formset", form_name="form"):
    """The POST data of the page's form and formset as rendered: every field's value (hidden
    versions included), the formset's management form, checkboxes left unticked."""
    context = response.context
    forms = [context[form_name]]
    formset = context.get(formset_name)
    if formset is not None:
        forms += [formset.management_form, *formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            # Identity, not `in`: 0 == False, and a 0 (a percent, a count) is posted like any value.
            if value is None or value is False or value == "":
                continue
            if value is True:
                value = "on"
            elif isinstance(value, datetime.date):
                value = value.isoformat()
            data[field.html_name] = value
    return data


def issue_rows_data(rows, prefix="issues"):
    """The POST data of a new issue formset (the meeting page's and the loose issues' page's)
    holding `rows`, each a {field: value} dict."""
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data
