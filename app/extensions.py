"""Extension objects that are safe to share between the two Flask apps; bound with init_app, no app here.

Flask-AppBuilder, Flask-Security and Flask-Limiter keep per-app state on the extension object,
so the app factories create those per app (see app/__init__.py).
"""

from typing import TYPE_CHECKING, cast

from flask_appbuilder.models.sqla import Model as FabModel
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# One MetaData for the shop's tables and Flask-AppBuilder's ab_* tables, so Alembic sees them all.
metadata: MetaData = FabModel.metadata
metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    class _Database(SQLAlchemy):
        # The request's scoped session forwards every Session method: services take it as a Session.
        session: Session  # type: ignore[assignment]


db = cast("_Database", SQLAlchemy(metadata=metadata))
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
