"""Suggestions raised by voters and the work that follows them (DESIGN §2, §3).

The model only carries the data; every change of `state` happens in
`suggestions/workflow.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from stations.models import VisitChannel


class Category(models.Model):
    """What a suggestion is about; also Open311's services."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    description = models.CharField(_("description"), max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Who changed what and when, shown in the admin (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("Government department")
    TOWNSHIP = "township", _("Township government or street office")
    UTILITY = "utility", _("Public utility")
    OTHER = "other", _("Other")


class HandlingUnit(models.Model):
    """承办单位: the body a suggestion is handed over to."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices, default=UnitKind.DEPARTMENT)
    region = models.ForeignKey(
        "stations.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="handling_units",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Who changed what and when, shown in the admin (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("handling unit")
        verbose_name_plural = _("handling units")
        ordering = ["region__path", "name"]
        indexes = [models.Index(fields=["region", "is_active"], name="unit_by_region_idx")]

    def __str__(self) -> str:
        return self.name


class HandlingUnitContact(models.Model):
    """A person at a unit who gets reminders; may or may not have a login."""

    unit = models.ForeignKey(
        HandlingUnit, verbose_name=_("handling unit"), on_delete=models.CASCADE, related_name="contacts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="unit_contacts",
    )
    name = models.CharField(_("name"), max_length=64)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Who changed what and when, shown in the admin (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit contact")
        verbose_name_plural = _("unit contacts")
        indexes = [models.Index(fields=["unit", "is_active"], name="unit_contact_active_idx")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.name}"


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    SORTED = "sorted", _("Sorted")
    PROPOSED = "proposed", _("Proposed")
    ASSIGNED = "assigned", _("Handed over")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged")


OPEN_STATES = (State.RECEIVED, State.SORTED, State.PROPOSED, State.ASSIGNED, State.IN_PROGRESS, State.REPLIED)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Route(models.TextChoices):
    UNIT = "unit", _("Hand over to a unit")
    CLOSED_SESSION = "closed_session", _("Convert to a closed-session suggestion")
    ESCALATE = "escalate", _("Escalate to a higher congress")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")


class SupervisionLevel(models.IntegerChoices):
    NONE = 0, _("None")
    URGE = 1, _("Urged")
    KEY = 2, _("Key supervision")


class ReplyCategory(models.TextChoices):
    A = "A", _("A: solved")
    B = "B", _("B: being solved or planned")
    C = "C", _("C: cannot be solved now")
    D = "D", _("D: kept for reference")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class PublicationScope(models.TextChoices):
    """What a publication on the public board shows (README, "Publication")."""

    FULL = "full", _("The whole case, masked")
    # Without the voter's consent only the facts may be published: none of the words
    # (title, content, the reply that answers them), only category, place, unit, times, result, rating.
    FACTS = "facts", _("The facts only")


class Suggestion(models.Model):
    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"))
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    region = models.ForeignKey(
        "stations.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="suggestions"
    )
    # The region's city and county, kept beside it (suggestions.places): a city's or a district's
    # suggestions are then one index range in id order, where the region subtree is hundreds of
    # villages whose rows had to be gathered and sorted.
    city = models.ForeignKey(
        "stations.Region",
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
    )
    county = models.ForeignKey(
        "stations.Region",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
    )
    address = models.CharField(_("location"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    # Who raised it: personal data, never shown publicly unmasked.
    submitter_name = models.CharField(_("voter's name"), max_length=64, blank=True)
    submitter_phone = models.CharField(_("voter's phone"), max_length=32, blank=True)
    submitter_phone_last4 = models.CharField(max_length=4, blank=True, editable=False)
    submitter_email = models.EmailField(_("voter's e-mail"), blank=True)
    submitter_address = models.CharField(_("voter's address"), max_length=255, blank=True)
    consent_to_publish = models.BooleanField(_("consent to publish"), default=False)

    station = models.ForeignKey(
        "stations.Station",
        verbose_name=_("station"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    visit = models.ForeignKey(
        "stations.VoterVisit",
        verbose_name=_("visit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    representative = models.ForeignKey(
        "representatives.Representative",
        verbose_name=_("receiving representative"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=VisitChannel.choices, default=VisitChannel.RECEPTION
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECEIVED)
    version = models.PositiveIntegerField(_("version"), default=1)

    route = models.CharField(_("handling route"), max_length=16, choices=Route.choices, blank=True)
    route_note = models.TextField(_("route note"), blank=True)
    proposed_unit = models.ForeignKey(
        HandlingUnit,
        verbose_name=_("proposed unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The co-units station staff propose beside the lead (拟办); the hand-over form starts from them.
    proposed_co_units = models.ManyToManyField(
        HandlingUnit, verbose_name=_("proposed co-units"), blank=True, related_name="+"
    )
    # The current lead unit, kept here as well as on Assignment so unit queues are one index scan.
    lead_unit = models.ForeignKey(
        HandlingUnit,
        verbose_name=_("lead unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_suggestions",
    )
    assigned_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    ack_due = models.DateField(_("acknowledge by"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    reply_due = models.DateField(_("reply by"), null=True, blank=True)
    feedback_due = models.DateField(_("feedback by"), null=True, blank=True)
    follow_up_due = models.DateField(_("follow-up report by"), null=True, blank=True)
    # How each deadline was computed: {"reply_due": {"start": ..., "days": 15, "source": ..., "provisional": ...}}
    deadline_basis = models.JSONField(_("deadline basis"), default=dict, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("extension days granted"), default=0)
    supervision_level = models.PositiveSmallIntegerField(
        _("supervision level"), choices=SupervisionLevel.choices, default=SupervisionLevel.NONE
    )
    # Deadlines the sweep watches that had no column of their own (issue 14 §6): the working-day
    # limit of the current stage 梳理/拟办/交办 (set by the workflow whenever the state enters
    # received, sorted or proposed), and a formal suggestion's statutory reply date.
    stage_since = models.DateTimeField(_("in this stage since"), null=True, blank=True)
    stage_due = models.DateField(_("stage due"), null=True, blank=True)
    formal_reply_due = models.DateField(_("formal suggestion reply due"), null=True, blank=True)

    reply_category = models.CharField(_("reply category"), max_length=1, choices=ReplyCategory.choices, blank=True)
    reply_text = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    resolved_on_spot = models.BooleanField(_("resolved on the spot"), default=False)

    # The voter's rating of the latest answer (its round's Feedback row holds the detail).
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices, blank=True)
    feedback_text = models.TextField(_("feedback"), blank=True)
    feedback_at = models.DateTimeField(_("feedback at"), null=True, blank=True)
    rehandle_count = models.PositiveSmallIntegerField(_("re-handling count"), default=0)

    # Case facts: derived from the rounds (Reply, Feedback, lead Assignment rows) by
    # suggestions.casefile.case_facts after every round, so a dashboard sums columns
    # instead of joining the rounds of a million cases. Never written anywhere else.
    first_rating = models.CharField(
        _("voter's rating of the first answer"),
        max_length=16,
        choices=Rating.choices,
        blank=True,
        default="",
        editable=False,
    )
    rep_rating = models.CharField(
        _("representative's rating of the latest answer"),
        max_length=16,
        choices=Rating.choices,
        blank=True,
        default="",
        editable=False,
    )
    answers = models.PositiveSmallIntegerField(_("answers given"), default=0, editable=False)
    answers_with_due = models.PositiveSmallIntegerField(_("answers with a deadline"), default=0, editable=False)
    answers_on_time = models.PositiveSmallIntegerField(_("answers on time"), default=0, editable=False)
    answers_timed = models.PositiveSmallIntegerField(_("answers with a known duration"), default=0, editable=False)
    answer_working_days = models.PositiveIntegerField(_("working days taken by the answers"), default=0, editable=False)
    acks_with_due = models.PositiveSmallIntegerField(_("acknowledgements with a deadline"), default=0, editable=False)
    acks_on_time = models.PositiveSmallIntegerField(_("acknowledgements on time"), default=0, editable=False)

    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_note = models.TextField(_("closing note"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Empty while not published (and on rows published before scopes existed, which were whole cases).
    publication_scope = models.CharField(
        _("publication scope"), max_length=8, choices=PublicationScope.choices, blank=True, default="", db_default=""
    )
    # The wording committee staff edited for the board (third parties' names, addresses taken out);
    # empty means the board shows the recorded text, masked. db_default: bulk loaders need not name them.
    public_title = models.CharField(_("public title"), max_length=200, blank=True, default="", db_default="")
    public_content = models.TextField(_("public content"), blank=True, default="", db_default="")
    public_reply = models.TextField(_("public reply"), blank=True, default="", db_default="")

    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    # Lineage when it leaves the voter-suggestion loop.
    formal_reference = models.CharField(_("formal suggestion reference"), max_length=64, blank=True)
    escalated_to = models.CharField(_("escalated to"), max_length=128, blank=True)

    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Set by the retention run (suggestions.retention) when the voter's data was removed; it
    # also makes the run idempotent: an anonymised case is never read again.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="suggestion_version_positive"),
            models.CheckConstraint(
                condition=Q(state="merged", merged_into__isnull=False)
                | (~Q(state="merged") & Q(merged_into__isnull=True)),
                name="suggestion_merged_iff_target",
            ),
            models.CheckConstraint(condition=~Q(merged_into=F("id")), name="suggestion_not_merged_into_self"),
            models.CheckConstraint(
                condition=~Q(state__in=["assigned", "in_progress"])
                | Q(lead_unit__isnull=False, reply_due__isnull=False),
                name="suggestion_handed_over_has_unit_and_due",
            ),
            models.CheckConstraint(
                condition=~Q(state="replied") | ~Q(reply_category=""),
                name="suggestion_replied_has_category",
            ),
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(state="closed"), name="suggestion_published_only_closed"
            ),
            models.CheckConstraint(condition=Q(supervision_level__lte=2), name="suggestion_supervision_0_2"),
            # The voter's words are published only with the voter's consent (the form promised it).
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(publication_scope="facts") | Q(consent_to_publish=True),
                name="suggestion_words_published_with_consent",
            ),
        ]
        # Keyset pagination orders by -id; each index ends in id to serve it.
        indexes = [
            models.Index(fields=["state", "-id"], name="sugg_state_idx"),
            models.Index(fields=["station", "state", "-id"], name="sugg_station_state_idx"),
            models.Index(fields=["lead_unit", "state", "-id"], name="sugg_unit_state_idx"),
            models.Index(fields=["region", "state", "-id"], name="sugg_region_state_idx"),
            models.Index(fields=["city", "state", "-id"], name="sugg_city_state_idx"),
            models.Index(fields=["county", "state", "-id"], name="sugg_county_state_idx"),
            models.Index(fields=["state", "reply_due"], name="sugg_state_reply_due_idx"),
            models.Index(fields=["state", "ack_due"], name="sugg_state_ack_due_idx"),
            models.Index(fields=["state", "stage_due"], name="sugg_state_stage_due_idx"),
            models.Index(fields=["state", "feedback_due"], name="sugg_state_feedback_due_idx"),
            models.Index(
                fields=["follow_up_due"], name="sugg_follow_up_due_idx", condition=Q(follow_up_due__isnull=False)
            ),
            models.Index(
                fields=["formal_reply_due"],
                name="sugg_formal_reply_due_idx",
                condition=Q(formal_reply_due__isnull=False),
            ),
            models.Index(fields=["representative", "-id"], name="sugg_rep_idx"),
            models.Index(fields=["category", "state", "-id"], name="sugg_category_state_idx"),
            models.Index(fields=["created_at"], name="sugg_created_idx"),
            models.Index(fields=["-published_at"], name="sugg_published_idx", condition=Q(is_published=True)),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    def save(self, *args: object, **kwargs: object) -> None:
        digits = "".join(ch for ch in self.submitter_phone if ch.isdigit())
        self.submitter_phone_last4 = digits[-4:]
        update_fields = kwargs.get("update_fields")
        if self.region_id is not None and (update_fields is None or "region" in update_fields):  # type: ignore[operator]
            from suggestions.places import city_and_county

            self.city_id, self.county_id = city_and_county(self.region)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    CO = "co", _("Co-handling unit")


class Assignment(models.Model):
    """One unit's part in a hand-over: the lead answers; a co-unit owes the lead its opinion."""

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        HandlingUnit, verbose_name=_("handling unit"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=8, choices=AssignmentRole.choices)
    due = models.DateField(_("due"), null=True, blank=True)
    # The latest opinion of a co-unit; every version is a CoOpinion row.
    opinion = models.TextField(_("opinion"), blank=True)
    opinion_at = models.DateTimeField(_("opinion given at"), null=True, blank=True)
    # A lead unit's acknowledgement of this hand-over, against the deadline set with it.
    ack_due = models.DateField(_("acknowledge by"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_late = models.BooleanField(_("acknowledged late"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion"], condition=Q(role="lead", is_active=True), name="assignment_one_active_lead"
            ),
            models.UniqueConstraint(
                fields=["suggestion", "unit"], condition=Q(is_active=True), name="assignment_unit_once_per_handover"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "is_active", "suggestion"], name="assignment_unit_idx"),
            # The sweep's co-unit opinions still owed, by due date.
            models.Index(
                fields=["due"],
                name="assignment_co_due_idx",
                condition=Q(role="co", is_active=True, opinion_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.suggestion_id} → {self.unit}"


class SuggestionEvent(models.Model):
    """Append-only log of every change: the staff timeline and, filtered, the voters'."""

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=64)
    from_state = models.CharField(_("from state"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("to state"), max_length=16, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor description"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    is_public = models.BooleanField(_("shown to the voter"), default=False)

    class Meta:
        verbose_name = _("suggestion event")
        verbose_name_plural = _("suggestion events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["suggestion", "created_at"], name="event_suggestion_time_idx")]

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.action}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.suggestion_id}/{filename}"


class Attachment(models.Model):
    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        SuggestionEvent,
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_public = models.BooleanField(_("public"), default=False)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("extension", "Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ExtensionRequest(models.Model):
    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="extension_requests"
    )
    days = models.PositiveSmallIntegerField(_("working days requested"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(fields=["suggestion"], condition=Q(status="pending"), name="extension_one_pending"),
            models.CheckConstraint(condition=Q(days__gte=1), name="extension_days_positive"),
        ]
        indexes = [models.Index(fields=["status", "suggestion"], name="extension_status_idx")]

    def __str__(self) -> str:
        return f"{self.suggestion_id} +{self.days}"


class FeedbackToken(models.Model):
    """A one-time link for the voter to rate the reply; only the hash is stored."""

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="feedback_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("feedback link")
        verbose_name_plural = _("feedback links")


class HolidayOverride(models.Model):
    """A correction to the statutory calendar, for years the calendar package does not know."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=128, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("holiday override")
        verbose_name_plural = _("holiday overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.is_working_day else 'holiday'}"


class CalendarYear(models.Model):
    """An administrator's statement that a year's holiday overrides are complete.

    For a year the calendar package does not know, deadlines count weekdays and are
    marked provisional until this row says the overrides entered for it are the whole
    official schedule; from then on they are definite.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    overrides_complete = models.BooleanField(_("overrides complete"), default=False)
    note = models.CharField(_("note"), max_length=128, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=1900, year__lte=2999), name="calendar_year_range"),
        ]

    def __str__(self) -> str:
        return str(self.year)


# ---------------------------------------------------------------------------------------------
# The case file 督办档案: every round kept, append-only (DESIGN §2, issue 14)
# ---------------------------------------------------------------------------------------------


class Reply(models.Model):
    """One answer 答复: a unit's reply or an on-the-spot resolution. A re-handling round adds
    a new row; no row is ever changed after it is written."""

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="replies"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    unit = models.ForeignKey(
        HandlingUnit,
        verbose_name=_("handling unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
    )
    resolved_on_spot = models.BooleanField(_("resolved on the spot"), default=False)
    # On the spot: the station's representative who solved it (DESIGN §3, 现场办理).
    representative = models.ForeignKey(
        "representatives.Representative",
        verbose_name=_("representative who resolved it"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.CharField(_("reply category"), max_length=1, choices=ReplyCategory.choices)
    text = models.TextField(_("reply"))
    follow_up_due = models.DateField(_("follow-up report by"), null=True, blank=True)
    # The deadline in force when the answer was given (after any approved extension).
    due = models.DateField(_("deadline in force"), null=True, blank=True)
    on_time = models.BooleanField(_("on time"), null=True, blank=True)
    # When this round's handling started: the hand-over, or the dissatisfied rating that reopened it.
    started_on = models.DateField(_("round started on"), null=True, blank=True)
    working_days = models.PositiveSmallIntegerField(_("working days taken"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    event = models.OneToOneField(
        SuggestionEvent,
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reply",
    )
    # Kept before the case file existed: the text of an earlier round was overwritten then.
    text_lost = models.BooleanField(_("text not kept"), default=False)

    class Meta:
        verbose_name = _("reply round")
        verbose_name_plural = _("reply rounds")
        ordering = ["suggestion", "round"]
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "round"], name="reply_one_per_round"),
            models.CheckConstraint(condition=Q(round__gte=1), name="reply_round_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.suggestion_id} #{self.round} {self.category}"


class FeedbackParty(models.TextChoices):
    VOTER = "voter", _("Voter")
    REPRESENTATIVE = "representative", _("Representative")


class FeedbackVia(models.TextChoices):
    LINK = "link", _("By the voter's link")
    CALL_BACK = "call_back", _("Call-back recorded by staff")
    REPRESENTATIVE = "representative", _("By the receiving representative")


class Feedback(models.Model):
    """One rating of one answer: the voter's (选民评, by link or a staff call-back) or the
    receiving representative's (代表评). One per party and answer."""

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="feedbacks"
    )
    reply = models.ForeignKey(Reply, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="feedbacks")
    party = models.CharField(_("whose rating"), max_length=16, choices=FeedbackParty.choices)
    via = models.CharField(_("recorded"), max_length=16, choices=FeedbackVia.choices)
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices)
    text = models.TextField(_("comment"), blank=True)
    # What the rating did: closed, rehandling, reproposed, committee_decision, or recorded (no change).
    outcome = models.CharField(_("outcome"), max_length=24, blank=True)
    given_at = models.DateTimeField(_("given at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["suggestion", "given_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "party"], name="feedback_once_per_party_and_answer"),
        ]
        indexes = [models.Index(fields=["suggestion", "given_at"], name="feedback_suggestion_idx")]

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.party} {self.rating}"


class CoOpinion(models.Model):
    """A co-unit's opinion to the lead unit; a revision is a new row."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="opinions"
    )
    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="co_opinions"
    )
    unit = models.ForeignKey(HandlingUnit, verbose_name=_("handling unit"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("opinion"))
    due = models.DateField(_("due"), null=True, blank=True)
    late = models.BooleanField(_("late"), default=False)
    given_at = models.DateTimeField(_("given at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("co-unit opinion")
        verbose_name_plural = _("co-unit opinions")
        ordering = ["suggestion", "given_at", "id"]
        indexes = [models.Index(fields=["suggestion", "given_at"], name="co_opinion_suggestion_idx")]

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.unit_id}"


class FollowUpReport(models.Model):
    """A progress report 跟踪办理 after a "B" answer, until the problem is solved."""

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    reply = models.ForeignKey(
        Reply, verbose_name=_("answer"), on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups"
    )
    text = models.TextField(_("progress"))
    solved = models.BooleanField(_("solved"), default=False)
    due = models.DateField(_("was due"), null=True, blank=True)
    next_due = models.DateField(_("next report by"), null=True, blank=True)
    late = models.BooleanField(_("late"), default=False)
    reported_at = models.DateTimeField(_("reported at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("follow-up report")
        verbose_name_plural = _("follow-up reports")
        ordering = ["suggestion", "reported_at", "id"]
        indexes = [models.Index(fields=["suggestion", "reported_at"], name="follow_up_suggestion_idx")]

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.reported_at:%Y-%m-%d}"


# ---------------------------------------------------------------------------------------------
# Personal data: the export log and the retention runs (README, "Personal data 个人信息")
# ---------------------------------------------------------------------------------------------


class ExportKind(models.TextChoices):
    SUGGESTIONS = "suggestions", _("Suggestion list")
    DASHBOARD = "dashboard", _("Dashboard figures")
    VISITS = "visits", _("Visit list")
    REPRESENTATIVES = "representatives", _("Representatives' performance files")
    LEAGUE = "league", _("Handling units' league table")


class ExportPersonalData(models.TextChoices):
    FULL = "full", _("In full")
    MASKED = "masked", _("Masked")
    PARTLY_MASKED = "partly_masked", _("Partly masked")
    NONE = "none", _("None")


class ExportLog(models.Model):
    """One export out of the portal: who, when, with which filters, how many rows, and how
    the voters' personal data went out. Written by the export itself; never changed."""

    kind = models.CharField(_("export"), max_length=16, choices=ExportKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept beside the user: the log still says who it was after the account is gone.
    user_label = models.CharField(_("user"), max_length=160, blank=True)
    roles = models.CharField(_("roles"), max_length=128, blank=True)
    query = models.TextField(_("filters (query string)"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    personal_data = models.CharField(_("voters' personal data"), max_length=16, choices=ExportPersonalData.choices)
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"], name="export_log_time_idx"),
            models.Index(fields=["user", "-created_at"], name="export_log_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_label} {self.kind} {self.row_count}"


class RetentionRun(models.Model):
    """One run of the retention rule (manage.py anonymise_closed, or the beat entry)."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    years = models.PositiveSmallIntegerField(_("closed for more than (years)"))
    cutoff = models.DateTimeField(_("closed before"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    cases = models.PositiveIntegerField(_("cases anonymised"), default=0)
    visits = models.PositiveIntegerField(_("visits anonymised"), default=0)
    attachments = models.PositiveIntegerField(_("attachments removed"), default=0)
    trigger = models.CharField(_("started by"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d} {self.cases}"
