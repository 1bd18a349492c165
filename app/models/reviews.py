"""Product reviews: the review of one bought order line, its photos, flags raised by the automatic rules,
«полезно» votes, the append-only moderation log, invitations to review, and the shop's review settings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ChangeRecordMixin, LabelledEnum, Model, UTCDateTime, enum_column, utcnow
from app.models.catalog import Product
from app.models.customers import Customer
from app.models.files import StoredFile
from app.models.orders import OrderLine


class ReviewState(LabelledEnum):
    pending = "pending"
    published = "published"
    rejected = "rejected"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"pending": "На модерации", "published": "Опубликован", "rejected": "Отклонён"}


class RejectReason(LabelledEnum):
    spam = "spam"
    insult = "insult"
    personal_data = "personal_data"
    off_topic = "off_topic"
    advertising = "advertising"
    other = "other"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "spam": "Спам",
            "insult": "Оскорбления",
            "personal_data": "Персональные данные",
            "off_topic": "Не о товаре",
            "advertising": "Реклама",
            "other": "Другое",
        }


class FlagRule(LabelledEnum):
    """The automatic checks a review's text goes through before a person sees it (never the rating)."""

    link = "link"
    phone = "phone"
    email = "email"
    profanity = "profanity"
    caps = "caps"
    repeated = "repeated"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "link": "Ссылка",
            "phone": "Номер телефона",
            "email": "Email",
            "profanity": "Брань",
            "caps": "Капс",
            "repeated": "Повторы",
        }


class Review(Model):
    """A customer's review of what one order line bought: one per line, tied to the product and the purchase."""

    __tablename__ = "review"
    __table_args__ = (
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        sa.CheckConstraint("helpful_count >= 0", name="helpful_count_non_negative"),
        sa.CheckConstraint("photo_count BETWEEN 0 AND 5", name="photo_count_range"),
        sa.CheckConstraint("state <> 'rejected' OR reject_reason IS NOT NULL", name="rejected_has_reason"),
        sa.Index("ix_review_product_state_published", "product_id", "state", "published_at"),
        sa.Index("ix_review_state_submitted", "state", "submitted_at"),
        sa.Index("ix_review_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="RESTRICT"), nullable=False)
    # One review per bought line: the unique key makes a second one impossible, even in a race.
    order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_line.id", ondelete="RESTRICT"), unique=True, nullable=False
    )
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False)
    rating: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # SHA-256 of the normalised text: the same text in another review is held as repeated.
    text_fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    name_only: Mapped[bool] = mapped_column(default=False, nullable=False)
    author_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # What was bought, frozen: «Мелованная 350 г/м², матовая ламинация, 500 шт».
    purchase_label: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    state: Mapped[ReviewState] = mapped_column(
        enum_column(ReviewState, "review_state"), default=ReviewState.pending, nullable=False
    )
    reject_reason: Mapped[RejectReason | None] = mapped_column(enum_column(RejectReason, "reject_reason"))
    reject_comment: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    reply_text: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    pinned: Mapped[bool] = mapped_column(default=False, nullable=False)
    helpful_count: Mapped[int] = mapped_column(default=0, nullable=False)
    photo_count: Mapped[int] = mapped_column(sa.SmallInteger, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    # Last time the author sent it (created or edited): the start of the moderation wait.
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set at the first publication and never cleared: from then on the rating is fixed.
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()
    order_line: Mapped[OrderLine] = relationship()
    customer: Mapped[Customer] = relationship()
    photos: Mapped[list[ReviewPhoto]] = relationship(
        back_populates="review", order_by="ReviewPhoto.position", cascade="all, delete-orphan"
    )
    flags: Mapped[list[ReviewFlag]] = relationship(
        back_populates="review", order_by="ReviewFlag.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[ReviewEvent]] = relationship(back_populates="review", order_by="ReviewEvent.id", viewonly=True)

    @property
    def visible_photos(self) -> list[ReviewPhoto]:
        return [photo for photo in self.photos if not photo.hidden]

    def __str__(self) -> str:
        return f"Отзыв №{self.id}"


class ReviewPhoto(Model):
    """A photo of a review, re-encoded without EXIF: a large copy and a thumbnail, both in the storage service."""

    __tablename__ = "review_photo"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "position", name="uq_review_photo_review_position"),
        sa.CheckConstraint("width > 0 AND height > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True)
    thumb_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    # The name the customer's file had (shown to staff only).
    original_name: Mapped[str] = mapped_column(sa.String(255), default="", nullable=False)
    # Staff hid this photo only; the review itself stays.
    hidden: Mapped[bool] = mapped_column(default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    review: Mapped[Review] = relationship(back_populates="photos")
    file: Mapped[StoredFile] = relationship(foreign_keys=[file_id])
    thumb_file: Mapped[StoredFile] = relationship(foreign_keys=[thumb_file_id])


class ReviewFlag(Model):
    """Why the automatic rules held a review for a person, with the fragment that triggered the rule."""

    __tablename__ = "review_flag"
    __table_args__ = (sa.UniqueConstraint("review_id", "rule", name="uq_review_flag_review_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="CASCADE"), nullable=False)
    rule: Mapped[FlagRule] = mapped_column(enum_column(FlagRule, "flag_rule"), nullable=False, index=True)
    detail: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)

    review: Mapped[Review] = relationship(back_populates="flags")


class ReviewVote(Model):
    """«Полезно»: one vote per customer per review (the primary key says so)."""

    __tablename__ = "review_vote"

    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ReviewEvent(ChangeRecordMixin, Model):
    """Append-only log of a review: written, edited, approved, rejected (with the reason), replied, pinned…

    The database refuses UPDATE and DELETE (triggers), as for order history.
    """

    __tablename__ = "review_event"
    __table_args__ = (
        sa.Index("ix_review_event_review_id_id", "review_id", "id"),
        sa.Index("ix_review_event_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="RESTRICT"), nullable=False)

    review: Mapped[Review] = relationship(back_populates="events")


class ReviewInvitation(Model):
    """The invitation to review an order: at most one per order, whether or not a message went out."""

    __tablename__ = "review_invitation"

    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Messages queued (0: the customer turned the invitations off).
    messages: Mapped[int] = mapped_column(default=0, nullable=False)


class ReviewSettings(Model):
    """The shop's choices for reviews (a single row): auto-publication and when to invite."""

    __tablename__ = "review_settings"
    __table_args__ = (sa.CheckConstraint("invite_after_days BETWEEN 0 AND 90", name="invite_after_days_range"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Reviews no rule flagged are published without a person (never decided by the rating).
    auto_publish: Mapped[bool] = mapped_column(default=False, nullable=False)
    # Days after an order is realised (shipped or handed over) to invite a review; 0: no invitations.
    invite_after_days: Mapped[int] = mapped_column(default=7, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    updated_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
