"""Home-page banners: saving, the display window, order on the page, click-through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Banner,
    ContentImage,
)
from app.services.actors import Actor
from app.services.content import snapshots
from app.services.content.fields import aware, required_text, validate_link
from app.services.content.media import ImageUpload, upload_image
from app.services.errors import NotFound, ValidationError
from app.services.shoptime import format_datetime, now

# ---------------------------------------------------------------------------------------------------- banners


@dataclass(frozen=True)
class BannerData:
    title: str
    alt_text: str
    link: str = ""
    position: int = 0
    active_from: datetime | None = None
    active_until: datetime | None = None
    is_active: bool = True


def visible_banner_condition(moment: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Banner.is_active.is_(True),
        sa.or_(Banner.active_from.is_(None), Banner.active_from <= moment),
        sa.or_(Banner.active_until.is_(None), Banner.active_until > moment),
    )


def banner_state(banner: Banner, moment: datetime | None = None) -> str:
    moment = moment or now()
    if not banner.is_active:
        return "Выключен"
    if banner.active_from is not None and banner.active_from > moment:
        return f"С {format_datetime(banner.active_from)}"
    if banner.active_until is not None and banner.active_until <= moment:
        return f"Закончился {format_datetime(banner.active_until)}"
    return "Показывается"


def save_banner(
    session: Session,
    *,
    data: BannerData,
    actor: Actor,
    banner_id: int | None = None,
    image: ImageUpload | None = None,
    mobile_image: ImageUpload | None = None,
    remove_mobile_image: bool = False,
    note: str = "",
) -> Banner:
    """Create or change a banner; a new banner needs an image. Links are checked here, on every save."""
    banner = None
    if banner_id is not None:
        banner = session.get(Banner, banner_id)
        if banner is None:
            raise NotFound("Баннер не найден.")
    title = required_text(data.title, field_name="title", label="Название", limit=200)
    alt_text = required_text(data.alt_text, field_name="alt_text", label="Текст для незрячих (alt)", limit=300)
    link = validate_link(data.link)
    if not 0 <= data.position <= 9999:
        raise ValidationError("Порядок — целое число от 0 до 9999.", field="position")
    active_from, active_until = aware(data.active_from, "active_from"), aware(data.active_until, "active_until")
    if active_from and active_until and active_until <= active_from:
        raise ValidationError("Окончание показа должно быть позже начала.", field="active_until")
    if banner is None and image is None:
        raise ValidationError("Загрузите изображение баннера.", field="image")
    desktop = upload_image(session, upload=image, actor=actor, title=title, field="image") if image else None
    mobile = (
        upload_image(session, upload=mobile_image, actor=actor, title=f"{title} (мобильный)", field="mobile_image")
        if mobile_image
        else None
    )
    if banner is None:
        banner = Banner(created_at=now(), image=desktop)
        session.add(banner)
    elif desktop is not None:
        banner.image = desktop
    if mobile is not None:
        banner.mobile_image = mobile
    elif remove_mobile_image:
        banner.mobile_image = None
    banner.title, banner.alt_text, banner.link, banner.position = title, alt_text, link, int(data.position)
    banner.active_from, banner.active_until, banner.is_active = active_from, active_until, bool(data.is_active)
    banner.updated_at = now()
    banner.updated_by_name = actor.name[:200]
    session.flush()
    state = snapshots.snapshot_of(banner, BANNER_FIELDS)
    snapshots.record(session, snapshots.BANNER, banner.id, state, actor=actor, note=note)
    return banner


BANNER_FIELDS = (
    "title",
    "alt_text",
    "link",
    "position",
    "active_from",
    "active_until",
    "is_active",
    "image_id",
    "mobile_image_id",
)


def restore_banner_revision(session: Session, *, revision_id: int, actor: Actor) -> Banner:
    """Bring a banner back to a revision (its pictures too, while they are in the library)."""
    old = snapshots.revision(session, snapshots.BANNER, revision_id)
    state = old.snapshot
    banner = session.get(Banner, old.object_id)
    if banner is None:
        raise NotFound("Баннер не найден.")
    for column, relation in (("image_id", "image"), ("mobile_image_id", "mobile_image")):
        image_id = state.get(column)
        picture = session.get(ContentImage, image_id) if image_id is not None else None
        if picture is not None or (image_id is None and relation == "mobile_image"):
            setattr(banner, relation, picture)
    data = BannerData(
        title=state["title"],
        alt_text=state["alt_text"],
        link=state["link"],
        position=state["position"],
        active_from=snapshots.moment(state["active_from"]),
        active_until=snapshots.moment(state["active_until"]),
        is_active=state["is_active"],
    )
    return save_banner(
        session, data=data, actor=actor, banner_id=banner.id, note=f"Восстановлена редакция №{old.number}"
    )


def active_banners(session: Session) -> list[Banner]:
    """The banners the home page shows now, in order."""
    return list(
        session.scalars(
            sa.select(Banner)
            .where(visible_banner_condition(now()))
            .options(
                selectinload(Banner.image).selectinload(ContentImage.variants),
                selectinload(Banner.mobile_image).selectinload(ContentImage.variants),
            )
            .order_by(Banner.position, Banner.id)
        )
    )


def move_banner(session: Session, *, banner_id: int, step: int) -> Banner:
    """Move a banner one place up (step −1) or down (+1); positions are renumbered 10, 20, 30…"""
    if step not in (-1, 1):
        raise ValidationError("Баннер можно сдвинуть на одно место вверх или вниз.")
    ordered = list(session.scalars(sa.select(Banner).order_by(Banner.position, Banner.id).with_for_update()))
    index = next((i for i, b in enumerate(ordered) if b.id == banner_id), None)
    if index is None:
        raise NotFound("Баннер не найден.")
    target = index + step
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for number, banner in enumerate(ordered, start=1):
        banner.position = number * 10
    session.flush()
    return ordered[target] if 0 <= target < len(ordered) else ordered[index]


def follow_banner(session: Session, banner_id: int) -> str:
    """The banner's own stored link (checked again), counting the click while the banner is shown."""
    banner = session.get(Banner, banner_id)
    if banner is None or not banner.link:
        raise NotFound("Баннер не найден.")
    try:
        link = validate_link(banner.link)
    except ValidationError:
        raise NotFound("Баннер не найден.") from None
    session.execute(
        sa.update(Banner)
        .where(Banner.id == banner_id, visible_banner_condition(now()))
        .values(clicks=Banner.clicks + 1)
        .execution_options(synchronize_session=False)
    )
    return link
