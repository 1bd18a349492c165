"""The back office's own forms (Flask-WTF, CSRF-checked): order status and payment, the selected-orders pages
(mass status, assignment, labels), order details and lines, company review. Services keep the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Optional

from app.models import CompanyStatus, DeliveryMethod, OrderStatus
from app.views.forms import IdField, IdListField, WholeNumberField, email_field, ids_from, text_field

NOTE = "Примечание"


class StatusForm(FlaskForm):
    status = SelectField(
        "Новый статус",
        choices=[(s.value, s.label) for s in OrderStatus],
        validators=[InputRequired("Выберите статус.")],
    )
    comment = text_field("Комментарий", max_length=1000)


class CommentForm(FlaskForm):
    """A change that needs only an optional note for the history (mark paid, remove a line)."""

    comment = text_field("Комментарий", max_length=1000)
    note = text_field(NOTE, max_length=1000)


class LineRefundForm(FlaskForm):
    """«Вернуть позицию» of a paid order: the reason is required (it goes to the history and the journal)."""

    reason = text_field("Причина возврата", required="Укажите причину возврата позиции.", max_length=1000)


class PaymentForm(FlaskForm):
    """«Отметить оплаченным»: the amount received (must equal the amount due) and the day it came."""

    amount = text_field("Сумма оплаты, ₽", required="Укажите полученную сумму.", max_length=20)
    paid_on = DateField(
        "Дата оплаты",
        validators=[InputRequired("Укажите дату оплаты.")],
        format=["%Y-%m-%d", "%d.%m.%Y"],
    )
    comment = text_field("Комментарий", max_length=1000)


class SelectedOrdersForm(FlaskForm):
    """The orders a mass action is about: `ids` from the list's selection (query or hidden field)."""

    ids = IdListField("Заказы")


class MassStatusForm(SelectedOrdersForm):
    status = StatusForm.status
    comment = text_field("Комментарий", max_length=1000)


class AssignForm(SelectedOrdersForm):
    assignee_id = IdField("Сотрудник", message="Выберите сотрудника из списка.")
    comment = text_field("Комментарий", max_length=1000)


class MassPaidForm(SelectedOrdersForm):
    total = text_field("Полученная сумма", required="Укажите полученную сумму.", max_length=30)
    comment = text_field("Комментарий", max_length=1000)


class LabelsForm(SelectedOrdersForm):
    format = StringField("Формат")
    back = StringField()


class OrderDetailsForm(FlaskForm):
    contact_name = text_field("Имя", required="Укажите имя получателя.", max_length=200)
    contact_email = email_field()
    contact_phone = text_field("Телефон", required="Укажите телефон.", max_length=30)
    delivery_method = SelectField(
        "Способ получения",
        choices=[(d.value, d.label) for d in DeliveryMethod],
        validators=[InputRequired("Выберите способ получения.")],
    )
    delivery_address = text_field("Адрес доставки", max_length=1000)
    order_comment = text_field("Комментарий к заказу", max_length=2000)
    due_date = DateField("Срок готовности", validators=[Optional()], format=["%Y-%m-%d", "%d.%m.%Y"])
    packages = WholeNumberField(
        "Количество мест", [InputRequired("Укажите количество мест.")], low=1, high=999, message="Мест: от 1 до 999."
    )
    assignee_id = IdField("Ответственный", message="Выберите сотрудника из списка.")
    note = text_field(NOTE, max_length=1000)


class LineForm(FlaskForm):
    quantity = WholeNumberField("Тираж", [InputRequired("Выберите тираж.")], low=1, high=10_000_000)
    option = SelectMultipleField("Опции", coerce=str, validate_choice=False)
    price = text_field("Сумма позиции", max_length=20)
    note = text_field(NOTE, max_length=1000)

    def validate_option(self, field: SelectMultipleField) -> None:
        self.option_ids = ids_from(field.data or [])


class ProductChoiceForm(FlaskForm):
    product_id = IdField("Товар", [InputRequired("Выберите товар.")], message="Выберите товар из списка.")


class LayoutForm(FlaskForm):
    layout = FileField("Макет")
    note = text_field(NOTE, max_length=1000)


class ReviewForm(FlaskForm):
    status = SelectField(
        "Новый статус",
        choices=[(s.value, s.label) for s in CompanyStatus],
        validators=[InputRequired("Выберите статус.")],
    )
    reason = text_field("Причина", max_length=1000)
