"""Personas: the committee of a branch, an owner, a responsible leader, leadership above, an
outsider from a sibling branch, and a plain member of the branch."""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import timezone, translation

from core.models import Membership, Organization
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

R = Membership.Role


@dataclass
class World:
    company: Organization
    branch: Organization
    group: Organization
    sibling: Organization
    committee: object  # committee of the branch
    company_committee: object  # committee of the company (an ancestor)
    owner: object  # member of the branch's group, owns items
    leader: object  # responsible leader, leadership of the company
    leadership: object  # leadership of the company, not the item's leader
    member: object  # plain member of the branch
    outsider: object  # committee of the sibling branch


def _person(username, full_name, *roles):
    user = UserFactory(username=username, full_name=full_name)
    for organization, role in roles:
        MembershipFactory(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def world(db):
    company = OrganizationFactory(name="公司党委", short_name="公司", kind=Organization.Kind.COMMITTEE)
    branch = OrganizationFactory(name="机运党支部", short_name="机运", parent=company)
    group = OrganizationFactory(
        name="机运党支部第一党小组", short_name="机运一组", parent=branch, kind=Organization.Kind.GROUP
    )
    sibling = OrganizationFactory(name="通修党支部", short_name="通修", parent=company)
    return World(
        company=company,
        branch=branch,
        group=group,
        sibling=sibling,
        committee=_person("branch_secretary", "李明", (branch, R.COMMITTEE)),
        company_committee=_person("secretary", "张建国", (company, R.COMMITTEE)),
        owner=_person("owner", "王强", (group, R.MEMBER)),
        leader=_person("leader", "赵志刚", (company, R.LEADERSHIP)),
        leadership=_person("watcher", "陈卫东", (company, R.LEADERSHIP)),
        member=_person("member", "杨帆", (branch, R.MEMBER)),
        outsider=_person("outsider", "吴军", (sibling, R.COMMITTEE)),
    )


@pytest.fixture
def today():
    """The local date, read when the test starts: a module-level constant would be the date the
    run started, and a run across midnight would compare yesterday with today."""
    return timezone.localdate()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow by design; tests create many people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    # The manifest storage used in production needs `collectstatic` first; serve static files
    # from the apps' folders, as in development.
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language. A request in English (Accept-Language: en)
    leaves English active in the thread after the response, as Django's LocaleMiddleware does;
    without this, later tests would read messages in whatever language ran last."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def english(client):
    """Messages asserted in English, whatever the catalogues say: the test's own calls and the
    test client's requests. Modules use it with ``pytestmark = pytest.mark.usefixtures(...)``."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def import_dir(settings, tmp_path):
    """Uploads waiting for confirmation go to a folder of the test's own."""
    settings.LEDGER_IMPORT_DIR = str(tmp_path / "imports")
    return tmp_path / "imports"


@pytest.fixture
def committed_events():
    """``with committed_events() as events:`` collects the events (`core.events`) that the
    block's actions emit once their transactions commit. The test's own transaction never
    commits: its on-commit callbacks are run at the end of the block, as a commit would."""
    from contextlib import contextmanager

    from django.test import TestCase

    from core import events

    @contextmanager
    def capture():
        with events.captured() as got, TestCase.captureOnCommitCallbacks(execute=True):
            yield got

    return capture
