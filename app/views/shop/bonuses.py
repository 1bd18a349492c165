"""«Бонусы» in the customer's account: balances, pending and expiring points, the tier, the history."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_security import auth_required, current_user

from app.extensions import db
from app.services.loyalty import statement

bp = Blueprint("bonuses", __name__, url_prefix="/account")


@bp.get("/bonuses")
@auth_required()
def show():
    return render_template("shop/bonuses.html", s=statement.statement(db.session, current_user.id))
