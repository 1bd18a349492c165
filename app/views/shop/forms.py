"""The storefront's forms (Flask-WTF, CSRF-checked): what each POST takes, parsed and bounded before a service
sees it. Rules (prices, requisites, addresses) stay in the services; a form refuses what is not even a value."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.form import _Auto
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import AnyOf, InputRequired, ValidationError

from app.models import Channel, DeliveryMethod, MemberRole, OrderStatus, PaymentMethod
from app.services.customers.addresses import AddressData
from app.services.orders.lookup import PERIODS
from app.views.common import parse_id
from app.views.forms import IdField, WholeNumberField, email_field, ids_from, text_field

QUIET_MESSAGE = "Тихие часы: укажите час от 0 до 23."
QUANTITY_MESSAGE = "Выберите тираж из списка."
MAX_QUANTITY = 10_000_000


def _quantity_field() -> WholeNumberField:
    return WholeNumberField(
        "Тираж", [InputRequired(QUANTITY_MESSAGE)], low=1, high=MAX_QUANTITY, message=QUANTITY_MESSAGE
    )


class QuantityMixin:
    quantity: WholeNumberField

    @property
    def count(self) -> int:
        """The quantity of a form that validated (the field is required)."""
        if self.quantity.data is None:
            raise ValueError("the form did not validate")
        return int(self.quantity.data)


class ProductChoiceForm(QuantityMixin, FlaskForm):
    """Quantity and option values: `opt_<group>` fields of the product form or `option=` of the price API."""

    quantity = _quantity_field()

    def __init__(self, formdata: object = _Auto, **kwargs: object) -> None:
        super().__init__(formdata=formdata, **kwargs)
        data = self.meta.wrap_formdata(self, formdata)
        raw = list(data.getlist("option")) if data is not None else []
        for key in data or ():
            if key.startswith("opt_"):
                raw.extend(data.getlist(key))
        self.option_error: str | None = None
        try:
            self.option_ids: list[int] = ids_from(raw)
        except ValidationError as exc:
            self.option_ids, self.option_error = [], str(exc)
        self.chosen_raw = raw

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        return super().validate(extra_validators) and self.option_error is None

    @property
    def first_error(self) -> tuple[str, str]:
        """(message, field) of the first refusal."""
        if self.quantity.errors:
            return self.quantity.errors[0], "quantity"
        if self.option_error:
            return self.option_error, "options"
        return "Проверьте параметры.", ""


class AddToCartForm(ProductChoiceForm):
    layout = FileField("Макет")


class CartQuantityForm(QuantityMixin, FlaskForm):
    quantity = _quantity_field()


class CartItemForm(ProductChoiceForm):
    """Quantity and options of a cart line (the layout stays)."""


class CartLayoutForm(FlaskForm):
    """A new layout for a cart line."""

    layout = FileField("Новый макет")


class PrintAsIsForm(FlaskForm):
    accept = RadioField(choices=[("1", "да"), ("0", "нет")], validators=[InputRequired("Неверный запрос.")])


def _address_choice(form: FlaskForm, field: HiddenField) -> None:
    """A saved address (its id), a company's («company:<id>:<key>») or a new one («new»)."""
    value = (field.data or "").strip()
    if not value or value == "new":
        return
    if value.startswith("company:"):
        parts = value.split(":")
        if len(parts) == 3 and parse_id(parts[1]) is not None and parts[2]:
            return
    elif parse_id(value) is not None:
        return
    raise ValidationError("Выберите адрес доставки из списка.")


class CheckoutForm(FlaskForm):
    contact_name = text_field("Имя", required="Укажите имя и фамилию.", max_length=200)
    contact_email = email_field()
    contact_phone = text_field("Телефон", required="Укажите телефон в формате +7 999 123-45-67.", max_length=30)
    delivery_method = SelectField(
        "Получение",
        choices=[(d.value, d.label) for d in DeliveryMethod],
        validators=[InputRequired("Выберите способ получения.")],
    )
    payment_method = SelectField(
        "Оплата",
        choices=[(p.value, p.label) for p in PaymentMethod],
        validators=[InputRequired("Выберите способ оплаты.")],
    )
    delivery_address = text_field("Адрес доставки", max_length=1000)
    comment = text_field("Комментарий", max_length=2000)
    promo_code = text_field("Промокод", max_length=40)
    points = text_field("Оплатить баллами", max_length=12)
    checkout_token = text_field("Форма", required="Форма устарела — обновите страницу.", max_length=64)
    company_id = IdField("Заказчик", message="Выберите заказчика из списка.")
    address_id = HiddenField("Адрес доставки", validators=[_address_choice])
    save_address = BooleanField("Сохранить адрес в профиле")
    addr_label = text_field("Название адреса", max_length=40)
    addr_city = text_field("Город", max_length=100)
    addr_street = text_field("Улица", max_length=200)
    addr_house = text_field("Дом", max_length=20)
    addr_flat = text_field("Кв./офис", max_length=20)
    addr_postcode = text_field("Индекс", max_length=6)
    addr_comment = text_field("Комментарий для курьера", max_length=500)

    def values(self) -> dict:
        """What the page shows back: every field as text, as the customer typed it."""
        result = {name: request.form.get(name, "").strip() for name in self._fields}
        result["save_address"] = "1" if self.save_address.data else ""
        result.pop("csrf_token", None)
        return result

    def new_address(self) -> AddressData:
        return AddressData(
            label=self.addr_label.data or "",
            city=self.addr_city.data or "",
            street=self.addr_street.data or "",
            house=self.addr_house.data or "",
            flat=self.addr_flat.data or "",
            postcode=self.addr_postcode.data or "",
            comment=self.addr_comment.data or "",
        )


class AddressForm(FlaskForm):
    """An address of the book; the service checks what is required and the formats (phone, postcode)."""

    label = text_field("Название", max_length=40)
    recipient_name = text_field("Получатель", max_length=200)
    phone = text_field("Телефон", max_length=30)
    city = text_field("Город", max_length=100)
    postcode = text_field("Индекс", max_length=20)
    street = text_field("Улица", max_length=200)
    house = text_field("Дом, корпус", max_length=20)
    flat = text_field("Квартира / офис", max_length=20)
    comment = text_field("Комментарий для курьера", max_length=500)
    is_primary = BooleanField("Адрес доставки по умолчанию")
    is_billing = BooleanField("Адрес для документов (плательщик)")

    def address(self) -> AddressData:
        return AddressData(**{name: getattr(self, name).data or "" for name in AddressData.__dataclass_fields__})


class NewsletterForm(FlaskForm):
    subscribed = StringField("Подписка")

    @property
    def wanted(self) -> bool:
        return (self.subscribed.data or "") in ("1", "on", "true")


class NotificationSettingsForm(FlaskForm):
    """Channels per event are named `ch_<event>` and read with the events the service knows."""

    status = SelectMultipleField("Статусы", choices=[], validate_choice=False)
    quiet_hours = BooleanField("Тихие часы")
    quiet_email = BooleanField("Тихие часы и для email")
    quiet_from = WholeNumberField("Тихие часы", low=0, high=23, default=22, message=QUIET_MESSAGE)
    quiet_to = WholeNumberField("Тихие часы", low=0, high=23, default=9, message=QUIET_MESSAGE)

    def channels(self, events: list[str]) -> dict[str, list[str]]:
        known = {c.value for c in Channel}
        chosen = {name: request.form.getlist(f"ch_{name}") for name in events}
        for values in chosen.values():
            if set(values) - known:
                raise ValidationError("Неизвестный канал уведомлений.")
        return chosen


class CompanyAddressForm(FlaskForm):
    label = text_field("Название", max_length=100)
    address = text_field("Адрес", max_length=500)


class InviteForm(FlaskForm):
    email = email_field()
    role = SelectField(
        "Роль",
        choices=[(r.value, r.label) for r in MemberRole],
        validators=[InputRequired("Выберите роль.")],
    )


class MemberRoleForm(FlaskForm):
    role = SelectField(
        "Роль", choices=[(r.value, r.label) for r in MemberRole], validators=[InputRequired("Выберите роль.")]
    )


class ProjectNameForm(FlaskForm):
    name = text_field("Название проекта", max_length=200)


class SaveProjectForm(FlaskForm):
    name = text_field("Название проекта", max_length=200)
    company_id = IdField("Чей проект", message="Выберите компанию из списка.")

    @property
    def company_value(self) -> str:
        """As the service takes it: "" for a personal project, else the company's id."""
        return str(self.company_id.data) if self.company_id.data else ""


class LayoutForm(FlaskForm):
    layout = FileField("Макет")


class OrderListForm(FlaskForm):
    """«Мои заказы» filters and page (a GET form: no CSRF); an unknown value is refused with a message."""

    class Meta:
        csrf = False

    status = SelectField(
        "Статус",
        choices=[("", "Все статусы")] + [(s.value, s.label) for s in OrderStatus],
        validators=[AnyOf(["", *(s.value for s in OrderStatus)], message="Выберите статус из списка.")],
        validate_choice=False,
        default="",
    )
    period = SelectField(
        "Период",
        choices=[("", "За всё время")] + [(key, label) for key, (label, _days) in PERIODS.items()],
        validators=[AnyOf(["", *PERIODS], message="Выберите период из списка.")],
        validate_choice=False,
        default="",
    )
    page = WholeNumberField("Страница", low=1, high=1_000_000, message="Номер страницы — целое число от 1.")

    @property
    def first_error(self) -> str | None:
        for field in (self.status, self.period, self.page):
            if field.errors:
                return field.errors[0]
        return None
