"""All models, imported here so the mappers and the MetaData are complete wherever `app.models` is imported."""

from flask_appbuilder.security.sqla import models as fab_models  # noqa: F401  (ab_* tables)

from app.models.base import Model, utcnow
from app.models.cart import Cart, CartItem
from app.models.catalog import (
    Category,
    OptionGroup,
    OptionKind,
    OptionValue,
    PriceMode,
    PriceTier,
    Product,
    VatCategory,
    VatRate,
)
from app.models.companies import (
    Company,
    CompanyAddress,
    CompanyHistory,
    CompanyInvite,
    CompanyKind,
    CompanyMember,
    CompanyStatus,
    MemberRole,
)
from app.models.customers import Customer, CustomerRole
from app.models.files import StoredFile
from app.models.notifications import (
    Channel,
    DeliveryState,
    Notification,
    NotificationPreferences,
    TelegramLink,
    TelegramLinkToken,
    TelegramUpdateOffset,
)
from app.models.orders import (
    ActorKind,
    BatchKind,
    DeliveryMethod,
    LineKind,
    Order,
    OrderBatch,
    OrderHistory,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    PromoCode,
    PromoKind,
)
from app.models.profile import Address, ConsentSource, NewsletterConsent
from app.models.projects import Project, ProjectVersion

__all__ = [
    "ActorKind",
    "BatchKind",
    "Address",
    "ConsentSource",
    "NewsletterConsent",
    "NotificationPreferences",
    "TelegramLink",
    "TelegramLinkToken",
    "TelegramUpdateOffset",
    "Cart",
    "CartItem",
    "Category",
    "Channel",
    "Customer",
    "CustomerRole",
    "DeliveryMethod",
    "DeliveryState",
    "LineKind",
    "Model",
    "Notification",
    "OptionGroup",
    "OptionKind",
    "OptionValue",
    "Order",
    "OrderBatch",
    "OrderHistory",
    "OrderLine",
    "OrderNumberCounter",
    "OrderStatus",
    "PaymentMethod",
    "PaymentStatus",
    "PriceMode",
    "PriceTier",
    "Product",
    "PromoCode",
    "PromoKind",
    "StoredFile",
    "VatCategory",
    "VatRate",
    "utcnow",
    "Company",
    "CompanyAddress",
    "CompanyHistory",
    "CompanyInvite",
    "CompanyKind",
    "CompanyMember",
    "CompanyStatus",
    "MemberRole",
    "Project",
    "ProjectVersion",
]
