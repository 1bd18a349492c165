"""Back-office site content: pages (with revisions, compare and restore), news and promotions (with the
newsletter), home-page banners (with up/down ordering) and the image library. Every form previews before saving."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional

from app.extensions import db
from app.models import Banner, ContentImage, NewsItem, NewsKind, Page, PageRevision, PromoCode
from app.services.actors import Actor
from app.services.content import banners as content_banners
from app.services.content import image_access as content_image_access
from app.services.content import media as content_media
from app.services.content import news as content_news
from app.services.content import newsletter as content_newsletter
from app.services.content import pages as content_pages
from app.services.content import revisions as content_revisions
from app.services.content import snapshots as content_snapshots
from app.services.content import toolbar as content_toolbar
from app.services.content.media import ImageUpload
from app.services.errors import NotFound, ValidationError
from app.services.markup import render_markdown, staff_view
from app.services.shoptime import from_shop_local, now, to_shop
from app.views.admin.base import ShopInterface, ShopModelView, bool_cell, dt_cell, enum_select, label_of
from app.views.common import act, parse_id
from app.views.shop.files import send_stored

STAFF_IMAGES = "/admin/contentimageview/file"
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
MARKDOWN_HELP = (
    "Markdown: ## подзаголовок, **жирный**, *курсив*, - список, 1. нумерованный список, [текст](/адрес), "
    "таблицы через |, картинки из библиотеки: ![описание](/media/12/medium)."
)


def _actor() -> Actor:
    return Actor.staff(g.user)


def _revision_context(kind: str, obj: object, fields: tuple[str, ...], endpoint: str) -> dict:
    """The revisions panel: the list, which fields each differs in from the current state, the restore route."""
    current = content_snapshots.snapshot_of(obj, fields)
    labels = REVISION_LABELS

    def changes(revision) -> list[str]:  # noqa: ANN001 - a ContentRevision
        return [labels.get(name, name) for name in fields if revision.snapshot.get(name) != current.get(name)]

    return {
        "revisions": content_snapshots.revisions(db.session, kind, obj.id),  # type: ignore[attr-defined]
        "revision_changes": changes,
        "restore_endpoint": endpoint,
    }


REVISION_LABELS = {
    "kind": "тип",
    "title": "заголовок",
    "slug": "адрес",
    "teaser": "анонс",
    "body": "текст",
    "publish_at": "начало показа",
    "expire_at": "окончание показа",
    "is_published": "публикация",
    "promo_code_id": "промокод",
    "seo_title": "SEO-заголовок",
    "seo_description": "SEO-описание",
    "cover_image_id": "обложка",
    "alt_text": "alt",
    "link": "ссылка",
    "position": "порядок",
    "active_from": "начало показа",
    "active_until": "окончание показа",
    "is_active": "включён",
    "image_id": "изображение",
    "mobile_image_id": "мобильное изображение",
}


def _staff_html(fragment: str) -> Markup:
    """Sanitised HTML for a back-office preview, with images from the staff route (drafts are not public)."""
    return Markup(staff_view(fragment, STAFF_IMAGES))


def _upload(field: FileField) -> ImageUpload | None:
    file = field.data
    if file is None or not getattr(file, "filename", ""):
        return None
    return ImageUpload(file.stream, file.filename)


def _local(moment: datetime | None) -> datetime | None:
    """A stored UTC moment as the naive shop-time value of a datetime-local input."""
    return to_shop(moment).replace(tzinfo=None, second=0, microsecond=0) if moment else None


def _utc(moment: datetime | None) -> datetime | None:
    """What staff typed (shop time zone, naive) as aware UTC."""
    return from_shop_local(moment) if moment else None


def _submitted(form: FlaskForm) -> bool:
    """A POST whose fields parse; otherwise the fields are marked and a message says so."""
    if request.method != "POST":
        return False
    if form.validate():
        return True
    flash("Проверьте поля, отмеченные красным.", "danger")
    return False


class ContentView(ShopModelView):
    """Shared behaviour: custom add/edit pages (forms call the content services), lists with thumbnails."""

    # No can_download: FAB's generic file download has nothing to serve here.
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]

    def _get(self, model, pk):  # noqa: ANN001, ANN202
        item = db.session.get(model, pk)
        if item is None:
            abort(404)
        return item


def thumbnail(image_id: int | None, variant: str = "small", css: str = "content-thumb") -> Markup:
    if not image_id:
        return Markup('<span class="text-muted">—</span>')
    return Markup('<img src="%s/%s/%s" alt="" class="%s">') % (STAFF_IMAGES, image_id, variant, css)


# ------------------------------------------------------------------------------------------------------- pages


class PageForm(FlaskForm):
    title = StringField("Заголовок")
    slug = StringField("Адрес (slug)", description="Латиница, цифры и дефис: /pages/адрес. Пусто — из заголовка.")
    body = TextAreaField(
        "Текст", description=MARKDOWN_HELP, render_kw={"rows": 18, "class": "monospace", "data-markdown": "1"}
    )
    seo_title = StringField("SEO-заголовок", description="Заголовок окна браузера и поисковиков; пусто — заголовок.")
    seo_description = TextAreaField("SEO-описание", description="До 300 символов.", render_kw={"rows": 2})
    is_published = BooleanField("Опубликована")
    show_in_header = BooleanField("Показывать в верхнем меню сайта", description="В подвале видны все опубликованные.")
    position = IntegerField("Порядок в меню", default=0, validators=[NumberRange(0, 9999, "От 0 до 9999.")])

    def data_for_service(self) -> content_pages.PageData:
        return content_pages.PageData(
            title=self.title.data or "",
            slug=self.slug.data or "",
            body=self.body.data or "",
            seo_title=self.seo_title.data or "",
            seo_description=self.seo_description.data or "",
            is_published=bool(self.is_published.data),
            show_in_header=bool(self.show_in_header.data),
            position=self.position.data or 0,
        )


class ScheduleForm(FlaskForm):
    publish_at = DateTimeLocalField(
        "Опубликовать в", format=DATETIME_FORMATS, validators=[Optional()], description="Время магазина (МСК)."
    )


class PageView(ContentView):
    datamodel = ShopInterface(Page)
    list_title = "Страницы сайта"
    show_title = "Страница"
    add_title = "Новая страница"
    edit_title = "Редактирование страницы"
    method_permission_name = {
        "revision": "show",
        "restore": "edit",
        "publish": "edit",
        "discard_draft": "edit",
        "schedule": "edit",
    }
    list_columns = [
        "title",
        "slug",
        "is_published",
        "draft_number",
        "show_in_header",
        "position",
        "updated_at",
        "updated_by_name",
    ]
    add_columns = edit_columns = ["title"]
    search_columns = ["title", "slug", "is_published"]
    order_columns = ["title", "slug", "position", "updated_at"]
    label_columns = {
        "title": "Заголовок",
        "slug": "Адрес",
        "is_published": "Опубликована",
        "show_in_header": "В меню",
        "position": "Порядок",
        "updated_at": "Изменена",
        "updated_by_name": "Кем",
        "draft_number": "Черновик",
    }
    formatters_columns = {
        "draft_number": lambda n: f"есть (№{n})" if n else "",
        "is_published": bool_cell,
        "show_in_header": bool_cell,
        "updated_at": dt_cell,
        "slug": lambda s: Markup("<code>/pages/%s</code>") % s,
    }
    base_order = ("position", "asc")

    def _form_page(self, form: PageForm, page: Page | None, preview: str | None = None):  # noqa: ANN202
        return self.render_template(
            "admin/content/page_form.html",
            form=form,
            page=page,
            preview=_staff_html(preview) if preview is not None else None,
            title=self.edit_title if page else self.add_title,
            markdown_toolbar=content_toolbar.toolbar_json(db.session),
        )

    def _save(self, form: PageForm, page: Page | None):  # noqa: ANN202
        if _submitted(form):
            data = form.data_for_service()
            if "preview" in request.form:
                return self._form_page(form, page, render_markdown(data.body))
            outcome = act(
                lambda: content_pages.save_page(
                    db.session, data=data, actor=_actor(), page_id=page.id if page else None
                ),
                form=form,
            )
            if outcome.result is not None:
                saved, revision = outcome.result
                if revision is None:
                    flash("Изменений нет — новая редакция не создана.", "info")
                elif saved.draft_number == revision.number:
                    flash(
                        f"Черновик сохранён (редакция №{revision.number}). На сайте — прежний текст, "
                        "пока вы не нажмёте «Опубликовать».",
                        "success",
                    )
                else:
                    flash(f"Страница «{saved.title}» сохранена (редакция №{revision.number}).", "success")
                return redirect(url_for(".show", pk=saved.id))
        return self._form_page(form, page)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):  # noqa: ANN201
        return self._save(PageForm(), None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int):  # noqa: ANN201
        page = self._get(Page, pk)
        form = PageForm() if request.method == "POST" else PageForm(obj=content_pages.editing_state(page))
        return self._save(form, page)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int):  # noqa: ANN201
        page = self._get(Page, pk)
        draft = content_pages.draft_of(page)
        return self.render_template(
            "admin/content/page_show.html",
            page=page,
            body=_staff_html(page.body_html),
            draft=draft,
            draft_body=_staff_html(content_pages.draft_html(draft)) if draft is not None else None,
            draft_state=content_pages.draft_state(page),
            publish_at=_local(page.publish_at),
            required=content_pages.is_required(page),
            can_edit=self._can("can_edit"),
            can_delete=self._can("can_delete"),
            title=f"Страница «{page.title}»",
        )

    def pre_delete(self, item: Page) -> None:
        content_pages.check_can_delete(item)

    @expose("/publish/<int:pk>", methods=["POST"])
    @has_access
    def publish(self, pk: int):  # noqa: ANN201
        act(
            lambda: content_pages.publish_draft(db.session, page_id=pk, actor=_actor()),
            success=lambda page: f"Опубликовано: на сайте теперь редакция №{page.live_number}.",
            missing_is_404=True,
        )
        return redirect(url_for(".show", pk=pk))

    @expose("/discard-draft/<int:pk>", methods=["POST"])
    @has_access
    def discard_draft(self, pk: int):  # noqa: ANN201
        act(
            lambda: content_pages.discard_draft(db.session, page_id=pk),
            success="Черновик удалён; его редакция осталась в истории.",
            missing_is_404=True,
        )
        return redirect(url_for(".show", pk=pk))

    @expose("/schedule/<int:pk>", methods=["POST"])
    @has_access
    def schedule(self, pk: int):  # noqa: ANN201
        form = ScheduleForm()
        if not form.validate():
            flash("Укажите дату и время публикации, например 15.12.2026 09:00.", "danger")
            return redirect(url_for(".show", pk=pk))
        at = _utc(form.publish_at.data)
        act(
            lambda: content_pages.schedule_draft(db.session, page_id=pk, publish_at=at),
            success="Публикация запланирована." if at else "Публикация по расписанию отменена.",
            missing_is_404=True,
        )
        return redirect(url_for(".show", pk=pk))

    @expose("/revision/<int:revision_id>")
    @has_access
    def revision(self, revision_id: int):  # noqa: ANN201
        """A revision, and how it differs from the current page (or from another revision: ?with=<id>)."""
        try:
            old = content_pages.page_revision(db.session, revision_id)
            other = request.args.get("with")
            other_id = parse_id(other)
            if other and other_id is None:
                abort(404)
            new = content_pages.page_revision(db.session, other_id) if other_id else old.page
        except NotFound:
            abort(404)
        if isinstance(new, PageRevision) and new.page_id != old.page_id:
            abort(404)
        return self.render_template(
            "admin/content/page_revision.html",
            page=old.page,
            old=old,
            new=new,
            changes=content_revisions.diff_pages(old, new),
            body=_staff_html(render_markdown(old.body)),
            can_edit=self._can("can_edit"),
            title=f"Редакция №{old.number} страницы «{old.page.title}»",
        )

    @expose("/restore/<int:revision_id>", methods=["POST"])
    @has_access
    def restore(self, revision_id: int):  # noqa: ANN201
        outcome = act(
            lambda: content_pages.restore_revision(db.session, revision_id=revision_id, actor=_actor()),
            missing_is_404=True,
            flash_error=False,
        )
        if outcome.result is None:
            flash(f"Не удалось восстановить: {outcome.error.message if outcome.error else ''}", "danger")
            return redirect(url_for(".revision", revision_id=revision_id))
        page, revision = outcome.result
        if revision is None:
            flash("Страница уже совпадает с этой редакцией.", "info")
        elif page.draft_number == revision.number:
            flash(f"Восстановлено как черновик (редакция №{revision.number}) — опубликуйте его.", "success")
        else:
            flash(f"Восстановлено: страница сохранена как редакция №{revision.number}.", "success")
        return redirect(url_for(".show", pk=page.id))


# ------------------------------------------------------------------------------------------ news and promotions


def _promo_choices() -> list[tuple[str, str]]:
    codes = db.session.scalars(select(PromoCode).order_by(PromoCode.code)).all()
    return [("", "— без промокода —")] + [(str(p.id), f"{p.code} — {content_news.promo_validity(p)}") for p in codes]


class NewsForm(FlaskForm):
    kind = SelectField("Тип", choices=NewsKind.choices())
    title = StringField("Заголовок")
    slug = StringField("Адрес (slug)", description="Латиница, цифры и дефис: /news/адрес. Пусто — из заголовка.")
    teaser = TextAreaField("Анонс", description="Пара предложений для списка новостей и письма.", render_kw={"rows": 3})
    body = TextAreaField(
        "Текст", description=MARKDOWN_HELP, render_kw={"rows": 14, "class": "monospace", "data-markdown": "1"}
    )
    cover = FileField("Обложка", description="PNG или JPEG, лучше 1200×675 px и больше; уменьшим сами.")
    remove_cover = BooleanField("Убрать обложку")
    publish_at = DateTimeLocalField("Опубликовать с", format=DATETIME_FORMATS, description="Время магазина (МСК).")
    expire_at = DateTimeLocalField(
        "Снять с публикации", format=DATETIME_FORMATS, validators=[Optional()], description="Пусто — не снимать."
    )
    is_published = BooleanField("Опубликовать", description="Без отметки — черновик, на сайте не виден.")
    promo_code_id = SelectField("Промокод акции", choices=[], description="Промокод закончится — закончится и акция.")
    seo_title = StringField("SEO-заголовок")
    seo_description = TextAreaField("SEO-описание", render_kw={"rows": 2})

    def data_for_service(self) -> content_news.NewsData:
        return content_news.NewsData(
            kind=self.kind.data,
            title=self.title.data or "",
            slug=self.slug.data or "",
            teaser=self.teaser.data or "",
            body=self.body.data or "",
            publish_at=_utc(self.publish_at.data),  # type: ignore[arg-type]
            expire_at=_utc(self.expire_at.data),
            is_published=bool(self.is_published.data),
            promo_code_id=int(self.promo_code_id.data) if self.promo_code_id.data else None,
            seo_title=self.seo_title.data or "",
            seo_description=self.seo_description.data or "",
        )


def _item_state(pk: int) -> str:
    item = db.session.get(NewsItem, pk)  # already loaded by the list: no extra query
    return content_news.item_state(item) if item else ""


class NewsItemView(ContentView):
    datamodel = ShopInterface(NewsItem)
    list_title = "Новости и акции"
    show_title = "Новость"
    add_title = "Новая новость или акция"
    edit_title = "Редактирование новости"
    method_permission_name = {"send_action": "send_newsletter", "restore": "edit"}
    base_permissions = [*ContentView.base_permissions, "can_send_newsletter"]
    list_columns = ["cover_image_id", "title", "kind", "publish_at", "expire_at", "id", "newsletter_sent_at"]
    add_columns = edit_columns = ["title"]
    search_columns = ["title", "kind", "is_published", "publish_at"]
    order_columns = ["title", "kind", "publish_at", "expire_at", "newsletter_sent_at"]
    label_columns = {
        "cover_image_id": "Обложка",
        "title": "Заголовок",
        "kind": "Тип",
        "is_published": "Опубликована",
        "publish_at": "Публикация",
        "expire_at": "Снять",
        "id": "Состояние",
        "newsletter_sent_at": "Рассылка",
    }
    formatters_columns = {
        "cover_image_id": thumbnail,
        "kind": label_of(NewsKind),
        "publish_at": dt_cell,
        "expire_at": dt_cell,
        "newsletter_sent_at": dt_cell,
        "id": _item_state,
    }
    search_form_extra_fields = {"kind": enum_select(NewsKind, "Тип")}
    base_order = ("publish_at", "desc")

    def _form_page(self, form: NewsForm, item: NewsItem | None, preview: dict | None = None):  # noqa: ANN202
        return self.render_template(
            "admin/content/news_form.html",
            form=form,
            item=item,
            preview=preview,
            title=self.edit_title if item else self.add_title,
            markdown_toolbar=content_toolbar.toolbar_json(db.session),
        )

    def _save(self, form: NewsForm, item: NewsItem | None):  # noqa: ANN202
        form.promo_code_id.choices = _promo_choices()
        if _submitted(form):
            data = form.data_for_service()
            if "preview" in request.form:
                preview = {
                    "title": data.title,
                    "teaser": data.teaser,
                    "kind": NewsKind(data.kind).label,
                    "body": _staff_html(render_markdown(data.body)),
                }
                return self._form_page(form, item, preview)
            outcome = act(
                lambda: content_news.save_news_item(
                    db.session,
                    data=data,
                    actor=_actor(),
                    item_id=item.id if item else None,
                    cover=_upload(form.cover),
                    remove_cover=bool(form.remove_cover.data),
                ),
                success=lambda saved: f"«{saved.title}» сохранена: {content_news.item_state(saved).lower()}.",
                form=form,
            )
            if outcome.result is not None:
                return redirect(url_for(".show", pk=outcome.result.id))
        return self._form_page(form, item)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):  # noqa: ANN201
        form = NewsForm()
        if request.method == "GET":
            form.publish_at.data = _local(now())
            form.is_published.data = True
        return self._save(form, None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int):  # noqa: ANN201
        item = self._get(NewsItem, pk)
        form = NewsForm() if request.method == "POST" else NewsForm(obj=item)
        if request.method == "GET":
            form.kind.data = item.kind.value
            form.publish_at.data = _local(item.publish_at)
            form.expire_at.data = _local(item.expire_at)
            form.promo_code_id.data = str(item.promo_code_id) if item.promo_code_id else ""
        return self._save(form, item)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int):  # noqa: ANN201
        item = self._get(NewsItem, pk)
        return self.render_template(
            "admin/content/news_show.html",
            item=item,
            state=content_news.item_state(item),
            visible=content_news.is_item_visible(db.session, item.id),
            body=_staff_html(item.body_html),
            subscribers=content_newsletter.subscriber_count(db.session),
            can_edit=self._can("can_edit"),
            can_send=self._can("can_send_newsletter"),
            actions=self.actions,
            site_url=f"/news/{item.slug}",
            promo_text=content_news.promo_validity(item.promo_code) if item.promo_code else "",
            title=f"{item.kind.label} «{item.title}»",
            **_revision_context(content_snapshots.NEWS, item, content_news.NEWS_FIELDS, "NewsItemView.restore"),
        )

    @expose("/restore/<int:revision_id>", methods=["POST"])
    @has_access
    def restore(self, revision_id: int):  # noqa: ANN201
        outcome = act(
            lambda: content_news.restore_news_revision(db.session, revision_id=revision_id, actor=_actor()),
            success="Редакция восстановлена — сохранена как новая.",
            missing_is_404=True,
        )
        if outcome.result is None:
            return redirect(url_for(".list"))
        return redirect(url_for(".show", pk=outcome.result.id))

    @action(
        "send_action",
        "Отправить подписчикам",
        "Отправить письмо подписчикам? Повторно отправить будет нельзя.",
        "fa-envelope",
        multiple=False,
    )
    def send_action(self, item: NewsItem):  # noqa: ANN201
        """«Отправить подписчикам»: one email per subscribed customer, queued in the outbox; once per item."""
        act(
            lambda: content_newsletter.send_newsletter(db.session, item_id=item.id, actor=_actor()),
            success=lambda count: f"Рассылка поставлена в очередь: писем {count}.",
        )
        return redirect(url_for(".show", pk=item.id))


# ---------------------------------------------------------------------------------------------------- banners


class BannerForm(FlaskForm):
    title = StringField("Название", description="Для сотрудников; на сайте не показывается.")
    image = FileField("Изображение", description="PNG или JPEG, лучше 1920×480 px (4:1).")
    mobile_image = FileField("Изображение для телефонов", description="Необязательно; лучше 960×720 px (4:3).")
    remove_mobile_image = BooleanField("Убрать изображение для телефонов")
    alt_text = StringField("Текст для незрячих (alt)", description="Что написано и нарисовано на баннере.")
    link = StringField(
        "Ссылка", description="Путь на сайте (/catalog/vizitki) или адрес https://…; пусто — без ссылки."
    )
    position = IntegerField("Порядок", default=10, validators=[NumberRange(0, 9999, "От 0 до 9999.")])
    active_from = DateTimeLocalField("Показывать с", format=DATETIME_FORMATS, validators=[Optional()])
    active_until = DateTimeLocalField("Показывать до", format=DATETIME_FORMATS, validators=[Optional()])
    is_active = BooleanField("Включён", default=True)

    def data_for_service(self) -> content_banners.BannerData:
        return content_banners.BannerData(
            title=self.title.data or "",
            alt_text=self.alt_text.data or "",
            link=self.link.data or "",
            position=self.position.data or 0,
            active_from=_utc(self.active_from.data),
            active_until=_utc(self.active_until.data),
            is_active=bool(self.is_active.data),
        )


class BannerView(ContentView):
    datamodel = ShopInterface(Banner)
    list_title = "Баннеры на главной"
    show_title = "Баннер"
    add_title = "Новый баннер"
    edit_title = "Редактирование баннера"
    method_permission_name = {"move": "edit", "delete_action": "delete", "restore": "edit"}
    list_columns = ["title"]
    add_columns = edit_columns = show_columns = ["title"]
    label_columns = {"title": "Название"}

    @expose("/list/")
    @has_access
    def list(self):  # noqa: ANN201
        banners = db.session.scalars(select(Banner).order_by(Banner.position, Banner.id)).all()
        moment = now()
        return self.render_template(
            "admin/content/banner_list.html",
            banners=banners,
            states={b.id: content_banners.banner_state(b, moment) for b in banners},
            can_add=self._can("can_add"),
            can_edit=self._can("can_edit"),
            can_delete=self._can("can_delete"),
            actions=self.actions,
            title=self.list_title,
        )

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int):  # noqa: ANN201
        return redirect(url_for(".edit", pk=pk) if self._can("can_edit") else url_for(".list"))

    def _form_page(self, form: BannerForm, banner: Banner | None):  # noqa: ANN202
        return self.render_template(
            "admin/content/banner_form.html",
            form=form,
            banner=banner,
            title=self.edit_title if banner else self.add_title,
            can_edit=self._can("can_edit"),
            **(
                _revision_context(content_snapshots.BANNER, banner, content_banners.BANNER_FIELDS, "BannerView.restore")
                if banner is not None
                else {}
            ),
        )

    @expose("/restore/<int:revision_id>", methods=["POST"])
    @has_access
    def restore(self, revision_id: int):  # noqa: ANN201
        outcome = act(
            lambda: content_banners.restore_banner_revision(db.session, revision_id=revision_id, actor=_actor()),
            success="Редакция баннера восстановлена — сохранена как новая.",
            missing_is_404=True,
        )
        if outcome.result is None:
            return redirect(url_for(".list"))
        return redirect(url_for(".edit", pk=outcome.result.id))

    def _save(self, form: BannerForm, banner: Banner | None):  # noqa: ANN202
        if _submitted(form):
            outcome = act(
                lambda: content_banners.save_banner(
                    db.session,
                    data=form.data_for_service(),
                    actor=_actor(),
                    banner_id=banner.id if banner else None,
                    image=_upload(form.image),
                    mobile_image=_upload(form.mobile_image),
                    remove_mobile_image=bool(form.remove_mobile_image.data),
                ),
                success=lambda saved: (
                    f"Баннер «{saved.title}» сохранён: {content_banners.banner_state(saved).lower()}."
                ),
                form=form,
            )
            if outcome.ok:
                return redirect(url_for(".list"))
        return self._form_page(form, banner)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):  # noqa: ANN201
        return self._save(BannerForm(), None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int):  # noqa: ANN201
        banner = self._get(Banner, pk)
        form = BannerForm() if request.method == "POST" else BannerForm(obj=banner)
        if request.method == "GET":
            form.active_from.data = _local(banner.active_from)
            form.active_until.data = _local(banner.active_until)
        return self._save(form, banner)

    @action(
        "delete_action", "Удалить", "Удалить баннер? С главной страницы он пропадёт сразу.", "fa-trash", multiple=False
    )
    def delete_action(self, item: Banner):  # noqa: ANN201
        self._delete(item.id)
        return redirect(url_for(".list"))

    @expose("/move/<int:pk>/<direction>", methods=["POST"])
    @has_access
    def move(self, pk: int, direction: str):  # noqa: ANN201
        steps = {"up": -1, "down": 1}
        if direction not in steps:
            abort(404)
        act(lambda: content_banners.move_banner(db.session, banner_id=pk, step=steps[direction]), missing_is_404=True)
        return redirect(url_for(".list"))


# ------------------------------------------------------------------------------------------------ image library


class ImageForm(FlaskForm):
    image = FileField("Файл", description="PNG или JPEG; сохраним в трёх размерах: до 1920, 960 и 480 px.")
    title = StringField("Название", description="Чтобы найти картинку в библиотеке; пусто — имя файла.")


class ContentImageView(ContentView):
    datamodel = ShopInterface(ContentImage)
    list_title = "Изображения"
    show_title = "Изображение"
    add_title = "Загрузить изображение"
    edit_title = "Изображение"
    method_permission_name = {"file": "show"}
    list_columns = ["id", "title", "width", "height", "created_at", "uploaded_by_name"]
    add_columns = edit_columns = ["title"]
    search_columns = ["title", "created_at"]
    order_columns = ["title", "created_at"]
    label_columns = {
        "id": "Превью",
        "title": "Название",
        "width": "Ширина, px",
        "height": "Высота, px",
        "created_at": "Загружено",
        "uploaded_by_name": "Кем",
    }
    formatters_columns = {"id": thumbnail, "created_at": dt_cell}
    base_order = ("created_at", "desc")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):  # noqa: ANN201
        form = ImageForm()
        if _submitted(form):
            upload = _upload(form.image)

            def upload_image() -> ContentImage:
                if upload is None:
                    raise ValidationError("Выберите файл PNG или JPEG.", field="image")
                return content_media.upload_image(
                    db.session, upload=upload, actor=_actor(), title=form.title.data or ""
                )

            outcome = act(upload_image, success=lambda image: f"Изображение «{image.title}» загружено.", form=form)
            if outcome.result is not None:
                return redirect(url_for(".show", pk=outcome.result.id))
        return self.render_template("admin/content/image_form.html", form=form, image=None, title=self.add_title)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int):  # noqa: ANN201
        image = self._get(ContentImage, pk)
        form = ImageForm() if request.method == "POST" else ImageForm(obj=image)
        if _submitted(form):
            outcome = act(
                lambda: content_media.rename_image(db.session, image_id=pk, title=form.title.data or ""),
                success="Название сохранено.",
                form=form,
            )
            if outcome.ok:
                return redirect(url_for(".show", pk=pk))
        return self.render_template("admin/content/image_form.html", form=form, image=image, title=self.edit_title)

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int):  # noqa: ANN201
        image = self._get(ContentImage, pk)
        return self.render_template(
            "admin/content/image_show.html",
            image=image,
            uses=content_media.image_usage(db.session, pk),
            can_edit=self._can("can_edit"),
            can_delete=self._can("can_delete"),
            title=f"Изображение «{image.title}»",
        )

    @expose("/file/<int:pk>/<variant>")
    @has_access
    def file(self, pk: int, variant: str):  # noqa: ANN201
        try:
            stored = content_image_access.staff_image_file(db.session, image_id=pk, variant=variant)
            response = send_stored(stored)
        except NotFound:
            abort(404)
        response.headers["Content-Disposition"] = "inline"
        return response

    def pre_delete(self, item: ContentImage) -> None:
        content_media.check_can_delete(db.session, item.id)
