"""Referrals and their history. A referral holds a community area, never a street address, and its contact only
encrypted (api/core/contact_box.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


def timestamp() -> Mapped[datetime]:
    """When a row was made: set in Python (UTC, timezone-aware), with the database's clock as a fallback."""
    return mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC), server_default=func.now())


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(11), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    # A hash of the request body: the same key with another body is a client error, not a retry.
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = timestamp()
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    # The bot's conversation id (an HMAC for SMS), so STATUS and cancel find the resident's referral.
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    programs: Mapped[list[str]] = mapped_column(JSON, default=list)
    community_area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    contact_method: Mapped[str] = mapped_column(String(16))
    contact_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    safe_to_text: Mapped[bool] = mapped_column(Boolean)
    safe_to_call: Mapped[bool] = mapped_column(Boolean)
    safe_times: Mapped[str | None] = mapped_column(String(200), nullable=True)
    no_voicemail: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_text: Mapped[str] = mapped_column(Text)
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consent_scope: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # The resident's last answer to a follow-up check-in: helped (1), still_need_help (2) or stop (3). After helped
    # or stop, no more check-ins are sent for this referral.
    checkin_answer: Mapped[str | None] = mapped_column(String(20), nullable=True)
    checkin_answer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    history: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id", cascade="all, delete-orphan"
    )


class ReferralEvent(Base):
    """One change of a referral's status: who, when, from what to what, with which outcome."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = timestamp()
    actor: Mapped[str] = mapped_column(String(128))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)

    referral: Mapped[Referral] = relationship(back_populates="history")


class StaffUser(Base):
    """An outreach worker, supervisor or admin. Passwords are kept only as Argon2 hashes."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = timestamp()


class ReferralNote(Base):
    __tablename__ = "referral_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = timestamp()
    author_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Who read a referral's contact details or changed anything, and when; supervisors can read it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = timestamp()
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(40))
    referral_code: Mapped[str | None] = mapped_column(String(11), nullable=True, index=True)
    # What changed, never a contact detail or a note's text.
    detail: Mapped[str] = mapped_column(String(200), default="")


class ProgramFlag(Base):
    """A staff member's report that a catalog program's facts are out of date, until a supervisor resolves it."""

    __tablename__ = "program_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A catalog id (knowledge/data/programs); the catalog lives in files, so there is no foreign key to it.
    program_id: Mapped[str] = mapped_column(String(120), index=True)
    # What looks wrong ("the number is disconnected"), never a resident's details.
    reason: Mapped[str] = mapped_column(String(500))
    flagged_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id", name="fk_program_flags_flagged_by"))
    created_at: Mapped[datetime] = timestamp()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", name="fk_program_flags_resolved_by"), nullable=True
    )


class SearchOutcome(Base):
    """That a resident's search (made through the action server) found something good or not, and no more: the day,
    the need as a taxonomy slug, the community area and the reply language. Never the words, the place typed, a
    point, a time of day or any id, so a row cannot be tied to a conversation (api/core/search_record.py)."""

    __tablename__ = "search_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    searched_on: Mapped[date] = mapped_column(Date, index=True)  # the UTC day
    need: Mapped[str] = mapped_column(String(64))  # a taxonomy slug, or "unclassified"
    community_area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str] = mapped_column(String(2))
    good: Mapped[bool] = mapped_column(Boolean)


class CheckIn(Base):
    """One follow-up check-in of a referral: claimed (this row) before it is sent, so a referral gets each round at
    most once whatever restarts or runs at the same time (api/checkins.py). Never the number or the text."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("referral_id", "round", name="uq_checkins_referral_round"),
        UniqueConstraint("twilio_sid", name="uq_checkins_twilio_sid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE", name="fk_checkins_referral_id"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)  # 1 for the first interval of NAVIGATOR_CHECKIN_AFTER_DAYS, ...
    claimed_at: Mapped[datetime] = timestamp()
    # sending -> sent | not_sent | interrupted; or, never sent: skipped (overtaken by a later round, or too late),
    # opted_out (STOP) or stopped (the number answered 3 to a check-in).
    state: Mapped[str] = mapped_column(String(20))
    # The SMS channel's id of the number (a keyed hash, as its conversations): how an answer finds its check-in.
    sender_id: Mapped[str] = mapped_column(String(64), index=True, default="")
    twilio_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Twilio's delivery status callbacks: queued, sent, delivered, undelivered, failed; with its error code.
    delivery: Mapped[str | None] = mapped_column(String(20), nullable=True)
    delivery_error: Mapped[str | None] = mapped_column(String(10), nullable=True)
    delivery_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answer: Mapped[str | None] = mapped_column(String(1), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class HazardReport(Base):
    """A resident's report of a safety hazard (a light out, graffiti, a vacant lot or building), filed with the
    city's 311 through Open311 (api/core/open311.py). Queued until the city has it: state queued -> filing -> filed,
    or refused. Anonymous unless the resident asked to be contacted (contact_encrypted, sent to 311 only then)."""

    __tablename__ = "hazard_reports"
    __table_args__ = (
        UniqueConstraint("code", name="uq_hazard_reports_code"),
        UniqueConstraint("idempotency_key", name="uq_hazard_reports_idempotency_key"),
        UniqueConstraint("service_request_id", name="uq_hazard_reports_service_request_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Navigator's own reference, also written into the description sent to 311: how a filing whose answer was lost
    # is recognised among the city's requests before it is filed again.
    code: Mapped[str] = mapped_column(String(11))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = timestamp()
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    hazard_type: Mapped[str] = mapped_column(String(32))
    # Where, as the resident said it (an address or cross streets): staff with a need see it; 311 gets it.
    location_text: Mapped[str] = mapped_column(String(200))
    community_area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    latitude: Mapped[float | None] = mapped_column(nullable=True)
    longitude: Mapped[float | None] = mapped_column(nullable=True)
    media_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    contact_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    service_request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    city_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    city_status_notes: Mapped[str | None] = mapped_column(String(500), nullable=True)
    city_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CommunityEvent(Base):
    """An event or safe-space hours that staff added in the console or that came from a partner's iCalendar feed
    (api/events.py): one row per occurrence, so a recurring feed entry is a row per date within the import horizon.
    Stored as "community_events": the bot's tracker store keeps its own "events" table, and a tracker URL pointed at
    this database by mistake must not find one here."""

    __tablename__ = "community_events"
    __table_args__ = (
        # What makes re-importing a feed update its rows instead of adding them again: a feed's UID names an event,
        # and recurrence_id one of its occurrences ("" for a single event). Console events have no UID (NULL), and
        # NULLs never collide.
        UniqueConstraint("source", "ical_uid", "recurrence_id", name="uq_community_events_source_uid_occurrence"),
        CheckConstraint("kind IN ('event', 'safe_space')", name="ck_community_events_kind"),
        CheckConstraint("ends_at > starts_at", name="ck_community_events_ends_after_start"),
        CheckConstraint("community_area BETWEEN 1 AND 77", name="ck_community_events_community_area"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_es: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description_en: Mapped[str | None] = mapped_column(String(500), nullable=True)
    description_es: Mapped[str | None] = mapped_column(String(500), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default="event")  # event | safe_space
    # UTC; an all-day event runs from Chicago's midnight to the next one.
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # The community area's number (1-77, knowledge/geo.py): names have spellings and aliases, numbers do not.
    community_area: Mapped[int] = mapped_column(Integer, index=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The site's point when known; otherwise distances are measured from the community area's centroid.
    latitude: Mapped[float | None] = mapped_column(nullable=True)
    longitude: Mapped[float | None] = mapped_column(nullable=True)
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "console", or the feed's URL (or file URI) it was imported from.
    source: Mapped[str] = mapped_column(String(500), default="console", index=True)
    ical_uid: Mapped[str | None] = mapped_column(String(255), nullable=True)
    recurrence_id: Mapped[str] = mapped_column(String(32), default="")
    # A staff account; NULL for imports (the source says where they came from).
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", name="fk_community_events_created_by"), nullable=True
    )
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", name="fk_community_events_updated_by"), nullable=True
    )
    created_at: Mapped[datetime] = timestamp()
    updated_at: Mapped[datetime] = timestamp()
