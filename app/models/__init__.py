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
from app.models.content import (
    Banner,
    ContentImage,
    ContentImageVariant,
    ImageVariant,
    NewsItem,
    NewsKind,
    Page,
    PageRevision,
)
from app.models.customers import Customer, CustomerRole
from app.models.files import StoredFile
from app.models.notifications import Channel, DeliveryState, Notification
from app.models.orders import (
    ActorKind,
    DeliveryMethod,
    LineKind,
    Order,
    OrderHistory,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    PromoCode,
    PromoKind,
)

__all__ = [
    "ActorKind",
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
    # site content
    "Banner",
    "ContentImage",
    "ContentImageVariant",
    "ImageVariant",
    "NewsItem",
    "NewsKind",
    "Page",
    "PageRevision",
]
