"""Settings read from the environment (and `.env`): Development, Testing and Production profiles."""

from __future__ import annotations

import os
from datetime import time
from decimal import Decimal
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = env(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None


INSTANCE_PATH = Path(env("PRINTSHOP_INSTANCE_DIR", str(BASE_DIR / "instance")))  # type: ignore[arg-type]


class Config:
    """Defaults shared by every profile; each may be overridden by an environment variable."""

    ENV_NAME = "development"
    SECRET_KEY = env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'printshop.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    INSTANCE_DIR = str(INSTANCE_PATH)
    UPLOAD_DIR = env("UPLOAD_DIR", str(INSTANCE_PATH / "uploads"))
    UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 100 * 1024 * 1024)
    # Largest raster layout: 80 megapixels decode to ~320 MB; an A0 poster at 200 dpi is 62.
    UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 80_000_000)
    # A little over the upload limit so the form fields around the file still fit.
    MAX_CONTENT_LENGTH = UPLOAD_MAX_BYTES + 1024 * 1024

    SHOP_NAME = env("SHOP_NAME", "Печатный двор")
    SHOP_TIMEZONE = env("SHOP_TIMEZONE", "Europe/Moscow")
    SHOP_BASE_URL = env("SHOP_BASE_URL", "http://127.0.0.1:5000")
    # Delivery prices in roubles; courier delivery is free from the threshold.
    DELIVERY_PRICE_COURIER = Decimal(env("DELIVERY_PRICE_COURIER", "400.00"))  # type: ignore[arg-type]
    DELIVERY_PRICE_POST = Decimal(env("DELIVERY_PRICE_POST", "350.00"))  # type: ignore[arg-type]
    DELIVERY_FREE_FROM = Decimal(env("DELIVERY_FREE_FROM", "5000.00"))  # type: ignore[arg-type]

    # Mail (SMTP). With no MAIL_SERVER the messages are written to the log instead.
    MAIL_SERVER = env("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "Печатный двор <shop@pechatnydvor.ru>")
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)

    # Flask-Security (customer accounts)
    SECURITY_PASSWORD_SALT = env("SECURITY_PASSWORD_SALT")
    SECURITY_PASSWORD_HASH = "argon2"
    SECURITY_REGISTERABLE = True
    SECURITY_RECOVERABLE = True
    SECURITY_CHANGEABLE = True
    SECURITY_TRACKABLE = True
    SECURITY_CONFIRMABLE = env_bool("SECURITY_CONFIRMABLE", False)
    SECURITY_SEND_REGISTER_EMAIL = env_bool("SECURITY_SEND_REGISTER_EMAIL", False)
    SECURITY_EMAIL_VALIDATOR_ARGS = {"check_deliverability": False}
    SECURITY_POST_LOGIN_VIEW = "/account/orders"
    SECURITY_POST_REGISTER_VIEW = "/account/orders"
    SECURITY_POST_LOGOUT_VIEW = "/"
    SECURITY_EMAIL_SENDER = MAIL_DEFAULT_SENDER
    SECURITY_URL_PREFIX = "/account"
    SECURITY_PASSWORD_LENGTH_MIN = 8
    SECURITY_USE_REGISTER_V2 = True
    # Never tell whether an address has an account: one message for a wrong email or a wrong password, the same
    # answer to a reset request either way, and a registration with a taken address answered like a new one
    # (its owner gets an email instead, see app/views/shop/__init__.py).
    SECURITY_RETURN_GENERIC_RESPONSES = True
    SECURITY_MSG_GENERIC_AUTHN_FAILED = ("Неверный email или пароль.", "error")
    SECURITY_MSG_PASSWORD_RESET_REQUEST = (
        "Если адрес %(email)s зарегистрирован, на него отправлено письмо со ссылкой для восстановления пароля. "
        "Проверьте почту.",
        "info",
    )
    SECURITY_MSG_GENERIC_RECOVERY = SECURITY_MSG_PASSWORD_RESET_REQUEST
    SECURITY_I18N_DIRNAME = ["builtin"]
    # Account emails: Russian subjects and templates (app/templates/security/email/, HTML and text).
    SECURITY_EMAIL_SUBJECT_REGISTER = f"Добро пожаловать в «{SHOP_NAME}»"
    SECURITY_EMAIL_SUBJECT_CONFIRM = "Подтвердите адрес электронной почты"
    SECURITY_EMAIL_SUBJECT_PASSWORD_RESET = "Восстановление пароля"
    SECURITY_EMAIL_SUBJECT_PASSWORD_NOTICE = "Пароль изменён"
    SECURITY_EMAIL_SUBJECT_PASSWORD_CHANGE_NOTICE = "Пароль изменён"
    SECURITY_CHANGE_EMAIL_SUBJECT = "Подтвердите новый адрес электронной почты"
    SECURITY_MSG_LOGIN = ("Войдите, чтобы открыть эту страницу.", "info")

    # Shop cookies (the back office has its own, see AdminConfig).
    SESSION_COOKIE_NAME = "shop_session"
    REMEMBER_COOKIE_NAME = "shop_remember"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    # Every cookie of both apps: not readable by scripts, not sent on cross-site POSTs (Secure in production).
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = SHOP_TIMEZONE

    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "10 per minute")

    SCHEDULER_ENABLED = env_bool("SCHEDULER_ENABLED", False)

    # Notification outbox delivery (see app/services/outbox.py).
    NOTIFICATION_SEND_INTERVAL = env_int("NOTIFICATION_SEND_INTERVAL", 30)  # seconds between scheduler passes
    NOTIFICATION_BATCH_SIZE = env_int("NOTIFICATION_BATCH_SIZE", 50)
    NOTIFICATION_LEASE_SECONDS = env_int("NOTIFICATION_LEASE_SECONDS", 300)
    NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 10)
    NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 60)
    NOTIFICATION_RETRY_MAX_SECONDS = env_int("NOTIFICATION_RETRY_MAX_SECONDS", 6 * 3600)
    # Telegram bot: deep links t.me/<username>?start=<token>; updates by webhook or by polling.
    TELEGRAM_API_BASE = env("TELEGRAM_API_BASE", "https://api.telegram.org")
    TELEGRAM_BOT_TOKEN = env("TELEGRAM_BOT_TOKEN")
    TELEGRAM_BOT_USERNAME = env("TELEGRAM_BOT_USERNAME")
    TELEGRAM_MODE = env("TELEGRAM_MODE", "polling")
    TELEGRAM_WEBHOOK_SECRET = env("TELEGRAM_WEBHOOK_SECRET")
    TELEGRAM_POLL_INTERVAL = env_int("TELEGRAM_POLL_INTERVAL", 10)
    TELEGRAM_LINK_TTL_MINUTES = env_int("TELEGRAM_LINK_TTL_MINUTES", 30)
    TELEGRAM_TIMEOUT = env_int("TELEGRAM_TIMEOUT", 10)
    ADDRESS_LIMIT = env_int("ADDRESS_LIMIT", 20)

    # Fonts for PDF documents (fpdf2 needs a Unicode TTF for Cyrillic).
    PDF_FONT_REGULAR = env("PDF_FONT_REGULAR", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    PDF_FONT_BOLD = env("PDF_FONT_BOLD", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    # Closing documents of a realised company order: "upd" (УПД) or "act" (акт + счёт-фактура).
    DOCUMENTS_REALISATION_FORM = env("DOCUMENTS_REALISATION_FORM", "upd")

    # Back office (Flask-AppBuilder)
    ADMIN_APP_NAME = env("ADMIN_APP_NAME", "Печатный двор — офис")

    # Companies and saved projects.
    COMPANY_INVITE_DAYS = env_int("COMPANY_INVITE_DAYS", 14)  # how long an invitation link works
    THUMBNAIL_DIR = env("THUMBNAIL_DIR")  # layout thumbnails cache; unset: <instance folder>/thumbnails

    # Working time (support SLA targets, working-day deadlines): Mon–Fri in the shop's time zone, minus the
    # days off of the Russian production calendar (app/data/production_calendar_<year>.json).
    WORKDAY_START = env("WORKDAY_START", "09:00")
    WORKDAY_END = env("WORKDAY_END", "18:00")
    PRODUCTION_CALENDAR_DIR = env("PRODUCTION_CALENDAR_DIR")  # searched before the bundled files

    # Support tickets (app/services/support/).
    SUPPORT_REQUIRE_CONFIRMED_EMAIL = env_bool("SUPPORT_REQUIRE_CONFIRMED_EMAIL", True)  # when emails are confirmed
    SUPPORT_MAX_OPEN_TICKETS = env_int("SUPPORT_MAX_OPEN_TICKETS", 5)
    SUPPORT_MESSAGES_PER_HOUR = env_int("SUPPORT_MESSAGES_PER_HOUR", 20)
    SUPPORT_MAX_ATTACHMENTS = env_int("SUPPORT_MAX_ATTACHMENTS", 5)  # files per message
    SUPPORT_ATTACHMENT_MAX_BYTES = env_int("SUPPORT_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
    SUPPORT_MESSAGE_MAX_CHARS = env_int("SUPPORT_MESSAGE_MAX_CHARS", 5000)
    SUPPORT_REOPEN_DAYS = env_int("SUPPORT_REOPEN_DAYS", 14)  # a reply after this many days opens a new ticket
    SUPPORT_AUTOCLOSE_DAYS = env_int("SUPPORT_AUTOCLOSE_DAYS", 7)  # «ждём клиента» / «решён» → «закрыт»
    SUPPORT_SLA_WARNING_HOURS = env_int("SUPPORT_SLA_WARNING_HOURS", 1)  # working hours before a due time
    SUPPORT_LEAD_EMAIL = env("SUPPORT_LEAD_EMAIL")  # SLA alerts; unset: the Manager users
    SUPPORT_JOB_INTERVAL = env_int("SUPPORT_JOB_INTERVAL", 10)  # minutes between auto-close / SLA alert passes
    # Product reviews (auto-publication and the invitation delay are set by staff in the back office).
    REVIEW_DAILY_LIMIT = env_int("REVIEW_DAILY_LIMIT", 10)  # reviews written or edited per customer in 24 hours
    REVIEW_PHOTO_MAX_BYTES = env_int("REVIEW_PHOTO_MAX_BYTES", 10 * 1024 * 1024)  # per photo, up to 5 photos
    REVIEW_INVITE_INTERVAL_MINUTES = env_int("REVIEW_INVITE_INTERVAL_MINUTES", 60)  # how often the scheduler invites
    LOYALTY_JOB_HOUR = env_int("LOYALTY_JOB_HOUR", 3)  # the hour (shop time) of the nightly bonus points job

    # Guests' storefront pages (catalog, product, content) served from memory: dropped at once when what they
    # show changes (the site_version row), and after this many seconds at most (schedule-driven changes such
    # as a banner's end date); 0 switches the cache off. Entries per app process.
    STOREFRONT_CACHE_SECONDS = env_int("STOREFRONT_CACHE_SECONDS", 60)
    STOREFRONT_CACHE_ENTRIES = env_int("STOREFRONT_CACHE_ENTRIES", 1000)
    # How long a process trusts the site version it read (seconds): a change made through another process
    # shows within this time, one made through this process at once. 0: read it on every request.
    STOREFRONT_VERSION_CHECK_SECONDS = env_float("STOREFRONT_VERSION_CHECK_SECONDS", 1.0)
    # Static files are linked with a fingerprint of their content (?v=…) and cached this long by browsers.
    STATIC_MAX_AGE = env_int("STATIC_MAX_AGE", 365 * 24 * 3600)

    # Development conveniences.
    DEMO_BANNER = True


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = Config.SECRET_KEY or "dev-only-secret-key-change-me"
    SECURITY_PASSWORD_SALT = Config.SECURITY_PASSWORD_SALT or "dev-only-password-salt"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SECURITY_PASSWORD_SALT = "test-password-salt"
    # Argon2 at full strength makes every test login slow.
    SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = {"argon2__rounds": 1, "argon2__memory_cost": 256, "argon2__parallelism": 1}
    RATELIMIT_ENABLED = False
    MAIL_SERVER = None
    DEMO_BANNER = False
    STOREFRONT_CACHE_SECONDS = 0  # tests that need it switch it on (tests/views/shop/test_page_cache.py)
    STOREFRONT_VERSION_CHECK_SECONDS = 0.0


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    DEMO_BANNER = False


PROFILES = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


class ConfigError(RuntimeError):
    """Raised when the settings cannot run the application."""


def load_config(name: str | None = None, overrides: dict | None = None) -> dict:
    """Return the settings of a profile as a dict, validated."""
    name = name or env("PRINTSHOP_ENV", "development")
    if name not in PROFILES:
        raise ConfigError(f"PRINTSHOP_ENV must be one of {', '.join(PROFILES)}, got {name!r}")
    profile = PROFILES[name]
    settings = {key: getattr(profile, key) for key in dir(profile) if key.isupper()}
    settings.update(overrides or {})
    if settings["ENV_NAME"] == "production":
        for key in ("SECRET_KEY", "SECURITY_PASSWORD_SALT"):
            if not settings.get(key):
                raise ConfigError(f"{key} must be set in production (environment variable {key}).")
    if settings.get("TELEGRAM_MODE", "polling") not in ("polling", "webhook"):
        raise ConfigError(f"TELEGRAM_MODE must be polling or webhook, got {settings['TELEGRAM_MODE']!r}")
    if settings["UPLOAD_MAX_BYTES"] <= 0:
        raise ConfigError("UPLOAD_MAX_BYTES must be positive")
    if settings["UPLOAD_MAX_PIXELS"] < 1_000_000:
        raise ConfigError("UPLOAD_MAX_PIXELS must be at least 1000000")
    settings["MAX_CONTENT_LENGTH"] = settings["UPLOAD_MAX_BYTES"] + 1024 * 1024
    try:
        workday = [time.fromisoformat(str(settings.get(k))) for k in ("WORKDAY_START", "WORKDAY_END")]
    except ValueError:
        raise ConfigError("WORKDAY_START and WORKDAY_END must be times like 09:00") from None
    if workday[0] >= workday[1]:
        raise ConfigError("WORKDAY_START must be earlier than WORKDAY_END")
    uri = settings["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri[len("postgres://") :]
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
    settings["SQLALCHEMY_DATABASE_URI"] = uri
    return settings
