"""The benchmark command prints the report's time and memory beside the floor's."""

import io

from django.core.management import call_command

from core.models import User
from tests.reportdata import populate


def test_it_prints_a_line_per_size(world):
    populate(world)
    User.objects.create_superuser("admin", password="x")
    out = io.StringIO()
    call_command("bench_reports", sizes="2,5", in_process=True, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["items", "report", "s"]
    assert [line.split()[0] for line in lines[1:]] == ["2", "5"]
    for line in lines[1:]:
        report, floor, ratio, pages = line.split()[1:5]
        assert float(report) > 0 and float(floor) > 0 and float(ratio) > 0
        assert int(pages) >= 1
