"""The benchmark command prints the Word documents' times and memory beside the floor's."""

import io

from django.core.management import call_command

from core.models import User
from tests.reportdata import populate


def test_it_prints_a_line_per_size(world):
    populate(world)
    User.objects.create_superuser("admin", password="x")
    out = io.StringIO()
    call_command("bench_docx", sizes="2,5", in_process=True, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["items", "ledger", "s"]
    assert [line.split()[0] for line in lines[1:]] == ["2", "5"]
    for line in lines[1:]:
        ledger, report, floor, ratio = (float(value) for value in line.split()[1:5])
        assert ledger > 0 and report > 0 and floor > 0 and ratio > 0
