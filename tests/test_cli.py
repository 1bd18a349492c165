"""Command line: demo data is idempotent, staff accounts are created with a role, bad arguments are refused."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Category, Customer, Document, LoyaltyEntry, Order, Product, PromoCode


def _counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Category, Product, Customer, Order, PromoCode, LoyaltyEntry, Document)
        )


def test_seed_demo_twice_does_not_duplicate(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "admin@pechatnydvor.ru" in first.output and "demo12345" in first.output
    counts = _counts(app)
    # One demo order partly paid with points; a points history; two orders of ООО «Ромашка» with 2 счета, the
    # счёт-фактура на аванс of the one paid before it was shipped, and its УПД.
    assert counts == (4, 4, 3, 7, 2, 8, 4)
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    assert _counts(app) == counts


def test_staff_create_validates_and_creates(app, staff_client):
    from tests.factories import login_staff

    runner = app.test_cli_runner()
    bad_role = runner.invoke(
        args=["staff", "create", "--email", "x@pechatnydvor.ru", "--role", "Boss", "--password", "long-password"]
    )
    assert bad_role.exit_code != 0 and "Неизвестная роль 'Boss'" in bad_role.output
    short = runner.invoke(
        args=["staff", "create", "--email", "x@pechatnydvor.ru", "--role", "Operator", "--password", "short"]
    )
    assert short.exit_code != 0 and "не короче 8" in short.output
    ok = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "Oper@PechatnyDvor.ru",
            "--role",
            "Operator",
            "--password",
            "secret-pass-123",
        ]
    )
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "oper@pechatnydvor.ru",
            "--role",
            "Operator",
            "--password",
            "secret-pass-123",
        ]
    )
    assert again.exit_code != 0 and "уже существует" in again.output
    login_staff(staff_client, "oper@pechatnydvor.ru")
    assert staff_client.get("/admin/orderview/list/").status_code == 200


def test_loyalty_commands_run_the_nightly_pass_and_check_balances(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    daily = runner.invoke(args=["loyalty", "daily"])
    assert daily.exit_code == 0, daily.output
    assert "expired 0 points" in daily.output and "warned 1" in daily.output  # the demo's points about to expire
    check = runner.invoke(args=["loyalty", "check"])
    assert check.exit_code == 0 and "balances equal the ledger sums" in check.output
    with app.app_context():
        # a cached balance that drifted from the ledger is reported and fails the command
        db.session.execute(sa.text("UPDATE loyalty_account SET available = available + 1"))
        db.session.commit()
    wrong = runner.invoke(args=["loyalty", "check"])
    assert wrong.exit_code != 0 and "differ from the ledger" in wrong.output


def test_demo_banners_promise_what_the_products_say(app, client):
    from app.models import Banner

    assert app.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
    with app.app_context():
        days = dict(db.session.execute(sa.select(Product.slug, Product.production_days)).all())
        banners = db.session.scalars(sa.select(Banner)).all()
        texts = " ".join(f"{b.title} {b.alt_text}" for b in banners)
    assert days["banner"] == 2 and "Баннеры за 2 рабочих дня" in texts and "один день" not in texts
    assert "за 1 день" not in texts
    product = client.get("/product/banner").get_data(as_text=True)
    assert 'Срок изготовления — <span data-testid="product-days">2 рабочих дня</span>' in product
    delivery = client.get("/pages/delivery-and-payment").get_data(as_text=True)
    assert "сразу после оформления" not in delivery and "Счёт выставляется при оформлении заказа" in delivery
    assert "За МКАД" not in delivery and "700 ₽" not in delivery


def test_working_days_are_written_as_russian_says_them():
    from app.services.orders.promises import working_days_phrase

    assert [working_days_phrase(n) for n in (0, 1, 2, 5, 11, 21, 22)] == [
        "0 рабочих дней",
        "1 рабочий день",
        "2 рабочих дня",
        "5 рабочих дней",
        "11 рабочих дней",
        "21 рабочий день",
        "22 рабочих дня",
    ]
