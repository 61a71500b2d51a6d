"""The "who" of the ledger: people, the organization tree, and who holds which role where."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited


class User(AbstractUser):
    """A person who signs in. Shown everywhere by `full_name` (姓名), not by username."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    # A name in an imported ledger that matched no account: it owns or leads items but cannot
    # sign in (inactive), and is eligible in the organization it was imported into
    # (`core.permissions.eligible_people`).
    is_placeholder = models.BooleanField(
        _("placeholder"),
        default=False,
        help_text=_("Created by an import for a name that matched no account; cannot sign in."),
    )

    # Delivery preferences (`ledger.delivery`): the language of the interface, of the email
    # digest and of the texts in the in-app list; the channels; the mobile number group robots
    # @-mention.
    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    email_digest = models.BooleanField(
        _("email digest"),
        default=True,
        help_text=_("Send me what I was told by email, in one digest per run."),
    )
    in_app = models.BooleanField(
        _("in-app notifications"),
        default=True,
        help_text=_("Show the unread count on the bell in the navigation bar."),
    )
    mobile = models.CharField(
        _("mobile number"),
        max_length=11,
        blank=True,
        validators=[
            RegexValidator(r"^1[3-9][0-9]{9}$", _("Enter an 11-digit mobile number starting with 1."))
        ],
        help_text=_("Group robots @-mention you by this number."),
    )

    objects = UserManager()
    history = audited(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "username"]

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name or super().get_full_name() or self.username

    def has_acted(self):
        """Whether the ledger records this person: as the author of a history row (of any audited
        model) or on a ledger record (an item they own, a meeting they attended...). Such a person
        is deactivated, never deleted: deleting them would anonymise their actions (the history
        would credit nobody) or cascade to records that are never deleted."""
        # Hidden relations included: simple-history's history_user has no reverse name.
        relations = [
            f for f in self._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete
        ]
        for relation in relations:
            model = relation.related_model
            counts = model._meta.app_label == "ledger" or relation.field.name == "history_user"
            if counts and model._base_manager.filter(**{relation.field.name: self}).exists():
                return True
        return False


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Organizations in the subtrees of the user's memberships (all of them for superusers)."""
        from core.permissions import Scope

        scope = Scope.for_user(user)
        if scope.is_superuser:
            return self
        return self.filter(pk__in=scope.visible_org_ids)

    def managed_by(self, user):
        """Organizations whose ledger the user manages as a committee member."""
        from core.permissions import Scope

        scope = Scope.for_user(user)
        if scope.is_superuser:
            return self
        return self.filter(pk__in=scope.committee_org_ids)


class Organization(models.Model):
    """A party organization (党委, 党总支, 党支部, 党小组) in a tree of any depth."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("General branch")
        BRANCH = "branch", _("Party branch")
        GROUP = "group", _("Party group")

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(
        _("short name"),
        max_length=20,
        help_text=_("Prefix of the reference numbers of its items, for example 机运."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Inherited: the items of the units below need the review too (`core.permissions.double_review_ids`).
    double_review = models.BooleanField(
        _("double review"),
        default=False,
        help_text=_(
            "When on, a submitted item of this organization or of any organization below it "
            "must be reviewed by its responsible leader before the committee can close it."
        ),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    objects = OrganizationQuerySet.as_manager()
    history = audited()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        # Meeting ourselves on the way up from the chosen parent would make a cycle.
        from core.permissions import OrganizationTree

        placed = self.pk is not None and self.parent_id is not None
        if placed and OrganizationTree.read().is_within(self.parent_id, self.pk):
            raise ValidationError(
                {"parent": _("An organization cannot be placed under itself or one of its own units.")}
            )


class Membership(models.Model):
    """A person's role in an organization; the role reaches the whole subtree below it."""

    class Role(models.TextChoices):
        COMMITTEE = "committee", _("Committee member")
        LEADERSHIP = "leadership", _("Leadership")
        MEMBER = "member", _("Party member")

    user = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    history = audited()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization__sort_order", "organization__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"],
                name="membership_unique_role",
                violation_error_message=_("This person already holds this role in this organization."),
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class ChainHead(models.Model):
    """The head of one hash chain of the history (`core.chain`): a record's rows in one history
    table, their number and the last one's hash. Written only by `core.chain`."""

    chain = models.CharField(_("chain"), max_length=100)
    record_id = models.BigIntegerField(_("record"))
    length = models.PositiveBigIntegerField(_("length"))
    hash = models.CharField(_("hash"), max_length=64)
    updated = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("chain head")
        verbose_name_plural = _("chain heads")
        constraints = [models.UniqueConstraint(fields=["chain", "record_id"], name="chain_head_unique")]

    def __str__(self):
        return f"{self.chain}:{self.record_id}"


class ChainCheckpoint(models.Model):
    """The heads a printed report was generated from, under the digest it prints
    (`verify_history --at <digest>`)."""

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    scope = models.CharField(_("scope"), max_length=200, blank=True)
    # [[chain, record id, length, hash], …], sorted.
    heads = models.JSONField(_("heads"), default=list)

    class Meta:
        verbose_name = _("chain checkpoint")
        verbose_name_plural = _("chain checkpoints")

    def __str__(self):
        return self.digest


class ChainVerification(models.Model):
    """The result of one run of `verify_history`."""

    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"))
    ok = models.BooleanField(_("intact"))
    rows_checked = models.PositiveBigIntegerField(_("rows checked"), default=0)
    chains_checked = models.PositiveBigIntegerField(_("chains checked"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    # The first problems found: [{"kind", "chain", "record_id", "history_id", "detail"}, …].
    problems = models.JSONField(_("problems found"), default=list)
    digest = models.CharField(_("chain head"), max_length=64, blank=True)
    at = models.CharField(_("checked against"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("history verification")
        verbose_name_plural = _("history verifications")
        ordering = ["-started"]

    def __str__(self):
        return f"{self.started:%Y-%m-%d %H:%M} {'ok' if self.ok else 'broken'}"


class ApiTokenQuerySet(models.QuerySet):
    def for_secret(self, secret):
        """The token with this secret, with its user; None when there is none."""
        if not secret:
            return None
        return self.select_related("user").filter(key_hash=ApiToken.hash(secret)).first()


class ApiToken(models.Model):
    """A person's key to the REST API (`/api/v1/`), created and revoked on the profile page.

    Only a SHA-256 digest of the secret is stored: the secret is shown once, when the token is
    made, and cannot be read back. The secret is 256 random bits, so a fast digest is enough
    (nobody guesses it from its digest); a lookup is one indexed query. A request authenticated
    by a token acts as its person, with every permission and scope rule of the web."""

    # The prefix tells the ledger's secrets apart in a configuration file or a leak scanner.
    PREFIX = "ldg_"

    user = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    # The first characters of the secret, to recognise a token in the list; not enough to use it.
    hint = models.CharField(_("begins with"), max_length=12, editable=False)
    key_hash = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash(secret):
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name):
        """Make a token for `user`; returns (token, secret). The secret is not stored."""
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, hint=secret[: len(cls.PREFIX) + 4], key_hash=cls.hash(secret)
        )
        return token, secret
