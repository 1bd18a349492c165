"""The automatic rules: each flags what it should, ordinary reviews pass, and the rating is never an input."""

import inspect

import pytest

from app.models.reviews import FlagRule
from app.services.reviews import rules
from app.services.reviews.rules import check_text


def flagged(text: str) -> set[str]:
    return {flag.rule.value for flag in check_text(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Отличные визитки, всё понравилось. Бумага 350 г/м², ламинация ровная.",
        "Заказ 2026-000123 привезли на день раньше, спасибо!",
        "Визитки 90х50 мм, 1000 шт за 2 500 руб., и т.д. и т.п. — в г.Москва за два дня.",
        "Ужасно. Цвета поехали, бумага тонкая, резка кривая. Одна звезда, и то много.",
        "Хлебать кашу не пришлось: застрахуйте груз и потребуйте оптимальную упаковку.",
        "Оценка 5*, *очень* довольны!",
        "Печать CMYK на меловке, PDF принимают, всё ОК.",
    ],
)
def test_ordinary_reviews_good_and_bad_pass_every_rule(text):
    assert check_text(text) == []


@pytest.mark.parametrize(
    ("text", "rule", "detail"),
    [
        ("Подробнее на https://spam.example/promo", "link", "https://spam.example/promo"),
        ("Заходите на www.konkurent.ru", "link", "www.konkurent.ru"),
        ("Дешевле тут: pechat-deshevo.ru/vizitki", "link", "pechat-deshevo.ru/vizitki"),
        ("Пишите в телеграм @ivan_pechat", "link", "@ivan_pechat"),
        ("Звоните +7 916 555-44-33 в любое время", "phone", "+7 916 555-44-33"),
        ("Мой номер 8 (495) 123-45-67", "phone", "8 (495) 123-45-67"),
        ("Пишите на 9165554433 вотсап", "phone", "9165554433"),
        ("Адрес для связи ivan.petrov@mail.ru", "email", "ivan.petrov@mail.ru"),
        ("Полное говно, а не печать", "profanity", "говно"),
        ("Менеджер вообще охуел", "profanity", "охуел"),
        ("Всех заебали своими сроками", "profanity", "заебали"),
        ("Это п**дец какой-то", "profanity", "п**дец"),
        ("Цвета xуйня полная", "profanity", "xуйня"),
        ("Менеджер — идиот", "profanity", "идиот"),
        ("ВСЁ ОТВРАТИТЕЛЬНО, НИКОМУ НЕ СОВЕТУЮ ЭТУ ТИПОГРАФИЮ", "caps", "заглавных букв 100 %"),
        ("Супер супер супер супер визитки", "repeated", "«супер» подряд ×4"),
        ("Урааааааа, пришли!", "repeated", "ааааааа"),
        ("Класс!!!!!!!", "repeated", "!!!!!!!"),
        ("хорошо " * 14, "repeated", "«хорошо» подряд ×4"),
    ],
)
def test_each_rule_flags_its_case_with_the_fragment(text, rule, detail):
    flags = {flag.rule.value: flag.detail for flag in check_text(text)}
    assert rule in flags, flags
    assert flags[rule] == detail


def test_an_email_is_not_also_taken_for_a_link():
    assert flagged("Пишите на ivan@mail.ru") == {"email"}


def test_several_rules_at_once_are_reported_in_a_fixed_order():
    text = "ЗВОНИТЕ +7 916 555-44-33 ИЛИ ПИШИТЕ НА SPAM@MAIL.RU, СМОТРИТЕ SPAM.RU"
    assert [flag.rule for flag in check_text(text)] == [FlagRule.link, FlagRule.phone, FlagRule.email, FlagRule.caps]


def test_the_profanity_list_is_a_data_file_of_stems():
    stems = rules.profanity_stems()
    assert rules.PROFANITY_FILE.name == "profanity_ru.txt"
    assert 20 <= len(stems) <= 120
    assert all(stem == stem.lower() and " " not in stem and "ё" not in stem for stem in stems)
    assert rules.is_profane("распиздяй") and rules.is_profane("съебался") and not rules.is_profane("хлебать")


def test_the_rules_never_see_the_rating():
    # check_text takes the text alone: there is no way for a rule to hold a review for its stars.
    assert list(inspect.signature(check_text).parameters) == ["text"]


def test_the_same_text_has_the_same_fingerprint_whatever_the_case_and_punctuation():
    assert rules.fingerprint_text("Отличные визитки!") == rules.fingerprint_text("  отличные ВИЗИТКИ ")
    assert rules.fingerprint_text("Отличные визитки") != rules.fingerprint_text("Отличные листовки")
