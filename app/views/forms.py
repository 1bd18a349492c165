"""Form fields both apps use (Flask-WTF): ids in the database's range, whole numbers within bounds, emails,
id lists, and form values as the services take them. Every refusal is a Russian message beside its field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, StopValidation, ValidationError

from app.services.companies.registry import CompanyData
from app.views.common import parse_id

EMAIL_MESSAGE = "Укажите email, например ivan@example.ru."


class IdField(IntegerField):
    """An id chosen from a list (1 … 2^63−1); empty is None (add `InputRequired` where one must be chosen)."""

    def __init__(self, label: str = "", validators: Iterable | None = None, message: str = "", **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.message = message or "Выберите значение из списка."

    def process_formdata(self, valuelist: list) -> None:
        raw = (valuelist[0] if valuelist else "") or ""
        if not str(raw).strip():
            self.data = None
            return
        self.data = parse_id(raw)
        if self.data is None:
            raise ValueError(self.message)

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()


class WholeNumberField(IntegerField):
    """A whole number within `low` … `high` with Russian messages (an empty field is None)."""

    def __init__(
        self,
        label: str = "",
        validators: Iterable | None = None,
        *,
        low: int,
        high: int,
        message: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, high
        self.message = message

    def process_formdata(self, valuelist: list) -> None:
        raw = str((valuelist[0] if valuelist else "") or "").strip().replace(" ", "")
        if not raw:
            self.data = None
            return
        message = self.message or f"{self.label.text}: введите целое число от {self.low} до {self.high}."
        if not raw.lstrip("-").isdigit() or len(raw) > 12:
            self.data = None
            raise ValueError(message)
        self.data = int(raw)
        if not self.low <= self.data <= self.high:
            raise ValueError(message)

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()


class IdListField(Field):
    """Ids as "1,2,3" (a hidden field or `?ids=`): each in range, duplicates dropped, order kept."""

    def process_formdata(self, valuelist: list) -> None:
        raw = ",".join(str(v) for v in valuelist)
        ids: list[int] = []
        for part in raw.replace(" ", "").split(","):
            if not part:
                continue
            value = parse_id(part)
            if value is None:
                self.data = []
                raise ValueError("Неверный список заказов: выберите заказы в списке заново.")
            if value not in ids:
                ids.append(value)
        self.data = ids

    def _value(self) -> str:
        return ",".join(str(i) for i in self.data or [])


def ids_from(values: Iterable[str]) -> list[int]:
    """Option ids as posted (`opt_<group>` or `option`); ValidationError for anything that is not an id."""
    ids = []
    for raw in values:
        if not str(raw).strip():
            continue
        value = parse_id(raw)
        if value is None:
            raise ValidationError("Выберите вариант из списка.")
        ids.append(value)
    return ids


def email_field(label: str = "Email", required: bool = True) -> StringField:
    checks = [InputRequired(EMAIL_MESSAGE)] if required else [Optional()]
    return StringField(label, [*checks, Length(max=255, message="Слишком длинный email."), Email(EMAIL_MESSAGE)])


def text_field(label: str, *, required: str = "", max_length: int = 1000) -> StringField:
    """A text field: `required` is the message when it is empty; too long is refused, never cut silently."""
    checks = [InputRequired(required)] if required else [Optional()]
    return StringField(
        label,
        [*checks, Length(max=max_length, message=f"{label}: не длиннее {max_length} символов.")],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


class CompanyForm(FlaskForm):
    """Requisites of a company (storefront and back office); the registry checks each one (ИНН, КПП, БИК…)."""

    kind = StringField("Вид")
    full_name = StringField("Полное наименование")
    short_name = StringField("Краткое наименование")
    inn = StringField("ИНН")
    kpp = StringField("КПП")
    ogrn = StringField("ОГРН / ОГРНИП")
    legal_address = StringField("Юридический адрес")
    postal_address = StringField("Почтовый адрес")
    director = StringField("Руководитель")
    bank_name = StringField("Банк")
    bik = StringField("БИК")
    settlement_account = StringField("Расчётный счёт")
    correspondent_account = StringField("Корреспондентский счёт")
    email = StringField("Email")
    phone = StringField("Телефон")
    vat_payer = StringField("Плательщик НДС")

    def company_data(self) -> CompanyData:
        values = {name: (getattr(self, name).data or "").strip() for name in CompanyData.field_names()}
        return CompanyData(**(values | {"vat_payer": values["vat_payer"] == "1"}))
