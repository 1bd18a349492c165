"""Back office for the referral programme: the referrals with filters (state, referrer, period, flagged), the
review queue (held referrals; approve and reject as mass actions, reject with a reason), the programme's
settings with history, and the manager's figures for a period."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from wtforms import SelectField

from app.extensions import db
from app.models import Customer, FriendReward, Referral, ReferralState
from app.services.actors import Actor
from app.services.referrals import figures, programme
from app.services.referrals import settings as referral_settings
from app.services.shoptime import shop_today
from app.views.admin.base import ShopInterface, ShopModelView, dt_cell, enum_select
from app.views.common import act, report_period

STATE_CSS = {
    "registered": "label-default",
    "held": "label-warning",
    "pending": "label-info",
    "rewarded": "label-success",
    "rejected": "label-danger",
    "reversed": "label-danger",
}


def state_cell(value) -> Markup:  # noqa: ANN001
    state = ReferralState(value)
    return Markup('<span class="label %s">%s</span>') % (STATE_CSS[state.value], state.label)


def flag_cell(value) -> Markup:  # noqa: ANN001
    return Markup('<span class="label label-warning">проверка</span>') if value else Markup("")


class FilterReferrerEmail(BaseFilter):
    name = "email пригласившего содержит"
    arg_name = "referrer_email"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        text = (value or "").strip().lower()
        if not text:
            return query
        return query.filter(Referral.referrer_id.in_(db.select(Customer.id).where(Customer.email.ilike(f"%{text}%"))))


class FilterFlagged(BaseFilter):
    name = "сигналы"
    arg_name = "flagged"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        if value == "yes":
            return query.filter(Referral.flagged.is_(True))
        if value == "no":
            return query.filter(Referral.flagged.is_(False))
        return query


class ReferralView(ShopModelView):
    """Every referral; held ones are decided here by mass actions (approve grants the rewards, reject asks for
    the reason)."""

    datamodel = ShopInterface(
        Referral, extra_filters={"referrer_id": [FilterReferrerEmail], "flagged": [FilterFlagged]}
    )
    list_title = "Приглашения друзей"
    show_title = "Приглашение"
    base_permissions = ["can_list", "can_show", "can_review"]
    method_permission_name = {"approve_action": "review", "reject_action": "review", "reject_many": "review"}
    list_columns = [
        "created_at",
        "referrer",
        "friend",
        "state",
        "flagged",
        "reason",
        "order",
        "reward_points",
        "welcome_points",
    ]
    show_columns = [
        *list_columns,
        "signals",
        "signup_ip",
        "code",
        "first_order_at",
        "decided_at",
        "rewarded_at",
        "reviewed_by_name",
        "review_comment",
    ]
    search_columns = ["state", "referrer_id", "flagged", "created_at"]
    order_columns = ["created_at", "state", "reward_points"]
    label_columns = {
        "created_at": "Регистрация друга",
        "referrer": "Пригласил",
        "referrer_id": "Пригласил",
        "friend": "Друг",
        "state": "Состояние",
        "flagged": "Сигналы",
        "reason": "Причина (видит покупатель)",
        "order": "Первый заказ",
        "reward_points": "Баллы пригласившему",
        "welcome_points": "Баллы другу",
        "signals": "Сигналы проверки",
        "signup_ip": "IP регистрации",
        "code": "Код ссылки",
        "first_order_at": "Первый заказ оплачен",
        "decided_at": "Решение",
        "rewarded_at": "Баллы стали доступны",
        "reviewed_by_name": "Проверил",
        "review_comment": "Комментарий проверки",
    }
    search_form_extra_fields = {
        "state": enum_select(ReferralState, "Состояние"),
        "flagged": SelectField("Сигналы", choices=[("yes", "есть"), ("no", "нет")]),
    }
    formatters_columns = {
        "created_at": dt_cell,
        "first_order_at": dt_cell,
        "decided_at": dt_cell,
        "rewarded_at": dt_cell,
        "state": state_cell,
        "flagged": flag_cell,
    }
    base_order = ("created_at", "desc")
    page_size = 50

    @action("approve_action", "Одобрить", "Начислить бонусы по выбранным приглашениям?", "fa-check", multiple=True)
    def approve_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        ids = [item.id for item in items if item is not None]
        act(
            lambda: programme.review(db.session, ids, approve=True, actor=Actor.staff(g.user)),
            success=lambda outcome: _summary("Одобрено", outcome),
        )
        return redirect(request.referrer or url_for(".list"))

    @action("reject_action", "Отклонить…", None, "fa-ban", multiple=True)
    def reject_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        return redirect(url_for(".reject_many", ids=",".join(str(item.id) for item in items if item is not None)))

    @expose("/reject", methods=["GET", "POST"])
    @has_access
    def reject_many(self):  # noqa: ANN201
        ids = [int(p) for p in request.values.get("ids", "").split(",") if p.strip().isdigit() and len(p) < 12]
        found = list(db.session.scalars(db.select(Referral).where(Referral.id.in_(ids)).order_by(Referral.id)))
        if not found:
            flash("Не выбрано ни одного приглашения.", "danger")
            return redirect(url_for(".list"))
        error = None
        if request.method == "POST":
            outcome = act(
                lambda: programme.review(
                    db.session,
                    [r.id for r in found],
                    approve=False,
                    actor=Actor.staff(g.user),
                    comment=request.form.get("comment", ""),
                ),
                success=lambda outcome: _summary("Отклонено", outcome),
                flash_error=False,
            )
            if outcome.result is not None:
                return redirect(url_for(".list"))
            error = outcome.error.message if outcome.error else None
        return self.render_template(
            "admin/referrals/reject.html",
            referrals=found,
            ids=",".join(str(r.id) for r in found),
            comment=request.form.get("comment", ""),
            error=error,
            title="Отклонить приглашения",
        ), (400 if error else 200)


def _summary(verb: str, outcome: programme.ReviewOutcome) -> str:
    text = f"{verb}: {len(outcome.done)}."
    if outcome.skipped:
        text += " Пропущены: " + "; ".join(f"#{i} — {why}" for i, why in outcome.skipped.items())
    return text


class ReferralReviewView(ReferralView):
    """The review queue: held referrals only, oldest first."""

    list_title = "Приглашения на проверке"
    base_filters = [["state", FilterEqual, ReferralState.held]]
    base_order = ("created_at", "asc")


class ReferralSettingsView(BaseView):
    """The programme's rules; each save is a new version, listed with who changed it."""

    default_view = "index"
    method_permission_name = {"index": "list", "save": "edit"}
    base_permissions = ["can_list", "can_edit"]

    @expose("/")
    @has_access
    def index(self):  # noqa: ANN201
        return self.render_template(
            "admin/referrals/settings.html",
            current=referral_settings.current(db.session),
            labels=referral_settings.LABELS,
            rewards=list(FriendReward),
            history=referral_settings.history(db.session),
            can_edit=self.appbuilder.sm.has_access("can_edit", self.class_permission_name),
            title="Приглашения друзей: настройки",
        )

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):  # noqa: ANN201
        act(
            lambda: referral_settings.save(
                db.session,
                {name: request.form.get(name, "") for name in referral_settings.DEFAULTS},
                actor=Actor.staff(g.user),
                comment=request.form.get("comment", ""),
            ),
            success="Настройки программы приглашений сохранены.",
        )
        return redirect(url_for(".index"))


class ReferralFiguresView(BaseView):
    """The programme's figures for a period (default: this month)."""

    default_view = "index"
    method_permission_name = {"index": "list"}
    base_permissions = ["can_list"]

    @expose("/")
    @has_access
    def index(self):  # noqa: ANN201
        start, end = report_period(
            request.args, today=shop_today(), default_start=lambda end: end.replace(day=1), max_days=3650
        )
        return self.render_template(
            "admin/referrals/figures.html",
            f=figures.figures(db.session, start, end),
            title="Приглашения друзей: показатели",
        )
