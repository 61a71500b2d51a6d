"""Factories for the test suite: organizations, people, memberships, meetings, issues, items."""

import datetime

import factory
from django.utils import timezone

from core.models import Membership, Organization, User
from ledger import workflow
from ledger.models import Category, Issue, Meeting


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"第{n}党支部")
    short_name = factory.Sequence(lambda n: f"支{n}")
    kind = Organization.Kind.BRANCH


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试人员{n}")
    password = factory.django.Password("pass-for-tests")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.MEMBER


def category(name="安全"):
    return Category.objects.get(name=name)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    organization = factory.SubFactory(OrganizationFactory)
    meeting_type = Meeting.Type.ORGANIZATION_LIFE
    topic = "专题组织生活会"
    held_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    organization = factory.SubFactory(OrganizationFactory)
    category = factory.LazyFunction(category)
    source = Issue.Source.CRITICISM
    description = factory.Sequence(lambda n: f"班前会安全讲评流于形式（{n}）")
    # Raised a while ago: a deadline cannot be before the issue was raised, and tests move
    # deadlines into the recent past to make items overdue.
    raised_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=90))


def make_item(actor, issue=None, **fields):
    """An item created through the workflow, as a committee member would."""
    issue = issue or IssueFactory()
    defaults = {
        "measures": "组织全员重新学习作业规程并闭卷考试",
        "department": "机运工区",
        "kind": "by_deadline",
        "deadline": timezone.localdate() + datetime.timedelta(days=30),
    }
    defaults.update(fields)
    return workflow.create_item(actor, issue, **defaults)
