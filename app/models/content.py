"""Site content: editable pages with revisions, news and promotions, home-page banners, and their images."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONType, LabelledEnum, Model, UTCDateTime, enum_column, utcnow
from app.models.files import StoredFile
from app.models.orders import PromoCode


class NewsKind(LabelledEnum):
    news = "news"
    promo = "promo"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"news": "Новость", "promo": "Акция"}


class ImageVariant(LabelledEnum):
    """Resized copies of a content image; the number is the largest width in pixels."""

    large = "large"
    medium = "medium"
    small = "small"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"large": "Большое (до 1920 px)", "medium": "Среднее (до 960 px)", "small": "Маленькое (до 480 px)"}

    @property
    def max_width(self) -> int:
        return {"large": 1920, "medium": 960, "small": 480}[self.value]


class ContentImage(Model):
    """An image uploaded by staff for the site (covers, banners, pictures in texts), kept in resized variants."""

    __tablename__ = "content_image"
    __table_args__ = (sa.CheckConstraint("width > 0 AND height > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    original_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    uploaded_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)

    original_file: Mapped[StoredFile] = relationship()
    variants: Mapped[list[ContentImageVariant]] = relationship(
        back_populates="image", cascade="all, delete-orphan", order_by="ContentImageVariant.width.desc()"
    )

    def variant(self, name: ImageVariant | str) -> ContentImageVariant | None:
        return next((v for v in self.variants if v.variant == name), None)

    @property
    def markdown(self) -> str:
        alt = self.title.replace("[", "(").replace("]", ")")
        return f"![{alt}](/media/{self.id}/{ImageVariant.medium.value})"

    def __str__(self) -> str:
        return self.title


class ContentImageVariant(Model):
    __tablename__ = "content_image_variant"
    __table_args__ = (
        sa.UniqueConstraint("image_id", "variant", name="uq_content_image_variant_image_variant"),
        sa.CheckConstraint("width > 0 AND height > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(sa.ForeignKey("content_image.id", ondelete="CASCADE"), nullable=False)
    variant: Mapped[ImageVariant] = mapped_column(enum_column(ImageVariant, "image_variant"), nullable=False)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)

    image: Mapped[ContentImage] = relationship(back_populates="variants")
    file: Mapped[StoredFile] = relationship()


# Images a page or an item shows inside its text: kept in step with the body on every save, so the
# public image route can tell which images published content uses.
page_image = sa.Table(
    "content_page_image",
    Model.metadata,
    sa.Column("page_id", sa.ForeignKey("content_page.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("image_id", sa.ForeignKey("content_image.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

news_item_image = sa.Table(
    "news_item_image",
    Model.metadata,
    sa.Column("item_id", sa.ForeignKey("news_item.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("image_id", sa.ForeignKey("content_image.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Page(Model):
    """A storefront page (О компании, Контакты, Доставка и оплата…). `body` is Markdown as typed;
    `body_html` is its rendering, sanitised on every save. The columns hold what the site shows; edits of a
    published page wait in a draft revision (`draft_number`) until it is published."""

    __tablename__ = "content_page"
    __table_args__ = (sa.Index("ix_content_page_published_position", "is_published", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    seo_title: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    seo_description: Mapped[str] = mapped_column(sa.String(300), default="", nullable=False)
    is_published: Mapped[bool] = mapped_column(default=False, nullable=False)
    show_in_header: Mapped[bool] = mapped_column(default=False, nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    # The revision the site shows, and the draft waiting for «Опубликовать» (numbers of this page's revisions).
    live_number: Mapped[int | None] = mapped_column()
    draft_number: Mapped[int | None] = mapped_column()
    # When the draft is published by itself (the scheduler's job); None: by hand only.
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    revisions: Mapped[list[PageRevision]] = relationship(
        back_populates="page", order_by="PageRevision.number.desc()", cascade="all, delete-orphan"
    )
    images: Mapped[list[ContentImage]] = relationship(secondary=page_image)

    def __str__(self) -> str:
        return self.title


class PageRevision(Model):
    """A page as it was saved, with who saved it and when (written on every save; never changed)."""

    __tablename__ = "content_page_revision"
    __table_args__ = (sa.UniqueConstraint("page_id", "number", name="uq_content_page_revision_page_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(sa.ForeignKey("content_page.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    seo_title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    seo_description: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    is_published: Mapped[bool] = mapped_column(nullable=False)
    show_in_header: Mapped[bool] = mapped_column(nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)

    page: Mapped[Page] = relationship(back_populates="revisions")


class NewsItem(Model):
    """A news item or a promotion, visible from `publish_at` until `expire_at` (and, for a promotion with a
    promo code, while the code can still be used)."""

    __tablename__ = "news_item"
    __table_args__ = (
        sa.CheckConstraint("expire_at IS NULL OR expire_at > publish_at", name="expire_after_publish"),
        sa.CheckConstraint("kind = 'promo' OR promo_code_id IS NULL", name="promo_code_only_for_promo"),
        sa.CheckConstraint("newsletter_recipients >= 0", name="newsletter_recipients_non_negative"),
        sa.Index("ix_news_item_visible", "is_published", "publish_at"),
        sa.Index("ix_news_item_kind_publish_at", "kind", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NewsKind] = mapped_column(enum_column(NewsKind, "news_kind"), default=NewsKind.news, nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    teaser: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    seo_title: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    seo_description: Mapped[str] = mapped_column(sa.String(300), default="", nullable=False)
    cover_image_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("content_image.id", ondelete="RESTRICT"), index=True
    )
    is_published: Mapped[bool] = mapped_column(default=False, nullable=False)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promo_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("promo_code.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    # "Send to subscribers": once per item, who and when.
    newsletter_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    newsletter_sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    newsletter_sent_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    newsletter_recipients: Mapped[int] = mapped_column(default=0, nullable=False)

    cover_image: Mapped[ContentImage | None] = relationship()
    promo_code: Mapped[PromoCode | None] = relationship()
    images: Mapped[list[ContentImage]] = relationship(secondary=news_item_image)

    def __str__(self) -> str:
        return self.title


class Banner(Model):
    """A home-page banner: shown in `position` order while active and inside its time window."""

    __tablename__ = "banner"
    __table_args__ = (
        sa.CheckConstraint(
            "active_until IS NULL OR active_from IS NULL OR active_until > active_from", name="window_order"
        ),
        sa.CheckConstraint("clicks >= 0", name="clicks_non_negative"),
        sa.Index("ix_banner_active_position", "is_active", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    image_id: Mapped[int] = mapped_column(sa.ForeignKey("content_image.id", ondelete="RESTRICT"), index=True)
    mobile_image_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("content_image.id", ondelete="RESTRICT"), index=True
    )
    alt_text: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    # An internal path ("/catalog/vizitki") or an http(s) URL; checked on every save and before redirecting.
    link: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    active_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    clicks: Mapped[int] = mapped_column(default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)

    image: Mapped[ContentImage] = relationship(foreign_keys=[image_id])
    mobile_image: Mapped[ContentImage | None] = relationship(foreign_keys=[mobile_image_id])

    def __str__(self) -> str:
        return self.title


class SiteVersion(Model):
    """One row that changes whenever anything a storefront page shows changes (catalog, prices, VAT rates,
    banners, news, pages, images, promo codes, reviews): database triggers rewrite it (migration
    d5f0c7a2b8e1), so every app process sees a change by any path in one indexed read."""

    __tablename__ = "site_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ContentRevision(Model):
    """A saved state of a news item, promotion or banner (`kind` + `object_id`), for its history and restore:
    written on every save that changes something; never changed."""

    __tablename__ = "content_revision"
    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id", "number", name="uq_content_revision_kind_object_number"),
        sa.Index("ix_content_revision_kind_object", "kind", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # "news" (news and promotions), "banner"
    object_id: Mapped[int] = mapped_column(nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    snapshot: Mapped[dict] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    author_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
