"""Saved projects: save from a cart line or an order line, list, rename, duplicate, delete, replace the layout
(a new version), and reorder in one click with today's prices and a fresh preflight when the format changed;
«Повторить заказ» of a past order (or of one of its lines) takes the same route without saving a project."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import Cart, CartItem, Customer, Order, OrderLine, Product, Project, ProjectVersion, StoredFile
from app.services import storage
from app.services.catalog import products
from app.services.companies import members
from app.services.errors import NotFound, PermissionDenied, ValidationError
from app.services.layouts import preflight
from app.services.orders.cart import MAX_ITEMS

NAME_MAX = 200


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Назовите проект, например «Визитки — Петров».", field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(f"Название проекта — не длиннее {NAME_MAX} символов.", field="name")
    return name


def _scope(session: Session, customer: Customer, company_id: int | str | None) -> int | None:
    """None for a personal project, else the company's id (the customer must be allowed to manage its projects)."""
    if company_id in (None, ""):
        return None
    try:
        company_id = int(company_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError("Выберите, где сохранить проект.", field="company_id") from None
    try:
        company = members.company_for_member(session, company_id, customer.id, right="manage_projects")
    except NotFound:
        raise ValidationError("Выберите, где сохранить проект.", field="company_id") from None
    return company.id


def visible_projects(session: Session, customer_id: int) -> list[Project]:
    """The customer's personal projects and the company-wide projects of every company they belong to."""
    member_of = members.company_ids_with(customer_id, frozenset(members.ROLE_RIGHTS))
    return list(
        session.scalars(
            sa.select(Project)
            .where(
                sa.or_(
                    sa.and_(Project.customer_id == customer_id, Project.company_id.is_(None)),
                    Project.company_id.in_(member_of),
                )
            )
            .options(
                selectinload(Project.versions).selectinload(ProjectVersion.file),
                selectinload(Project.company),
                selectinload(Project.product),
            )
            .order_by(Project.last_ordered_at.desc().nulls_last(), Project.updated_at.desc(), Project.id.desc())
        )
    )


def project_for_customer(session: Session, project_id: int, customer_id: int, *, manage: bool = False) -> Project:
    """The project if the customer sees it (NotFound otherwise); `manage` also asks for the right to change it."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("Проект не найден.")
    if project.company_id is None:
        if project.customer_id != customer_id:
            raise NotFound("Проект не найден.")
        return project
    member = members.membership(session, project.company_id, customer_id)
    if member is None:
        raise NotFound("Проект не найден.")
    if manage and not members.can(member, "manage_projects"):
        raise PermissionDenied(members.RIGHT_DENIED["manage_projects"])
    return project


def version_of(project: Project, number: int) -> ProjectVersion:
    found = next((v for v in project.versions if v.number == number), None)
    if found is None:
        raise NotFound("Версия макета не найдена.")
    return found


def _create(
    session: Session,
    *,
    customer: Customer,
    name: str,
    company_id: int | str | None,
    product: Product,
    quantity: int,
    option_value_ids: list[int],
    options: list[dict],
    layout: StoredFile | None,
    report: dict | None,
    last_price: Decimal | None,
    last_ordered_at=None,  # noqa: ANN001 - an aware datetime
) -> Project:
    project = Project(
        name=_clean_name(name),
        customer_id=customer.id,
        company_id=_scope(session, customer, company_id),
        product_id=product.id,
        product_name=product.name,
        quantity=quantity,
        option_value_ids=list(option_value_ids),
        options=list(options),
        last_price=last_price,
        last_ordered_at=last_ordered_at,
    )
    if layout is not None:
        project.versions.append(_version(session, 1, layout, report, customer))
    session.add(project)
    session.flush()
    return project


def _version(session: Session, number: int, layout: StoredFile, report: dict | None, customer: Customer):  # noqa: ANN202
    snapshot = storage.copy_file(session, layout, customer_id=customer.id)
    return ProjectVersion(
        number=number, file=snapshot, sha256=snapshot.sha256, preflight=report, created_by_id=customer.id
    )


def save_from_cart_item(
    session: Session, cart: Cart, item_id: int, *, customer: Customer, name: str, company_id: int | str | None = None
) -> Project:
    item = next((i for i in cart.items if i.id == item_id), None)
    if item is None:
        raise NotFound("Позиция не найдена в корзине.")
    q = products.quote(session, product=item.product, quantity=item.quantity, option_value_ids=item.option_value_ids)
    return _create(
        session,
        customer=customer,
        name=name,
        company_id=company_id,
        product=item.product,
        quantity=q.quantity,
        option_value_ids=q.option_value_ids,
        options=q.options,
        layout=item.layout_file,
        report=item.preflight,
        last_price=q.total,
    )


def save_from_order_line(
    session: Session, order: Order, line_id: int, *, customer: Customer, name: str, company_id: int | str | None = None
) -> Project:
    """`order` must be one the customer may see (see orders.customer_order)."""
    line = next((li for li in order.product_lines if li.id == line_id), None)
    if line is None:
        raise NotFound("Позиция заказа не найдена.")
    product = session.get(Product, line.product_id) if line.product_id else None
    if product is None:
        raise ValidationError(f"Товар «{line.product_name}» больше не продаётся — сохранить его как проект нельзя.")
    return _create(
        session,
        customer=customer,
        name=name,
        company_id=company_id,
        product=product,
        quantity=line.quantity,
        option_value_ids=[o["value_id"] for o in line.options if "value_id" in o],
        options=line.options,
        layout=line.layout_file,
        report=line.preflight,
        last_price=line.gross_amount,
        last_ordered_at=order.created_at,
    )


def rename(session: Session, project: Project, *, name: str) -> Project:
    project.name = _clean_name(name)
    session.flush()
    return project


def duplicate(session: Session, project: Project, *, customer: Customer) -> Project:
    """A copy in the same place (personal or the same company) with the current layout as its first version."""
    current = project.current_version
    suffix = " (копия)"
    copy = Project(
        name=project.name[: NAME_MAX - len(suffix)] + suffix,
        customer_id=customer.id,
        company_id=project.company_id,
        product_id=project.product_id,
        product_name=project.product_name,
        quantity=project.quantity,
        option_value_ids=list(project.option_value_ids),
        options=list(project.options),
        last_price=project.last_price,
    )
    if current is not None:
        copy.versions.append(_version(session, 1, current.file, current.preflight, customer))
    session.add(copy)
    session.flush()
    return copy


def delete(session: Session, project: Project) -> None:
    """The project and its versions go; each layout's bytes stay while an order or another project uses them."""
    files = [v.file for v in project.versions]
    session.delete(project)
    session.flush()
    for stored in files:
        storage.delete_file(session, stored)


def _spec(session: Session, project: Project) -> preflight.Spec | None:
    if project.product is None:
        return None
    return preflight.spec_for_ids(project.product, project.option_value_ids)


def replace_file(
    session: Session, project: Project, *, stream: BinaryIO, filename: str | None, customer: Customer
) -> ProjectVersion:
    """A new layout makes a new version (the old ones stay); it is preflighted against the project's product."""
    stored = storage.store_upload(session, stream=stream, filename=filename, customer_id=customer.id)
    spec = _spec(session, project)
    report = preflight.check_stored(stored, spec) if spec is not None else None
    number = (project.current_version.number if project.current_version else 0) + 1
    version = ProjectVersion(
        number=number, file=stored, sha256=stored.sha256, preflight=report, created_by_id=customer.id
    )
    project.versions.append(version)
    session.flush()
    return version


@dataclass
class Reorder:
    """What a reorder put into the cart, and what the customer must look at."""

    item: CartItem
    old_price: Decimal | None
    new_price: Decimal | None
    problems: list[str] = field(default_factory=list)
    rechecked: bool = False

    @property
    def price_changed(self) -> bool:
        return self.old_price is not None and self.new_price is not None and self.old_price != self.new_price


@dataclass(frozen=True)
class _Source:
    """What a reorder repeats: a project's settings or a past order line's."""

    product: Product | None
    product_name: str
    quantity: int
    option_value_ids: list[int]
    options: list[dict]
    layout: StoredFile | None
    report: dict | None
    last_price: Decimal | None
    project_id: int | None = None


def option_problems(project: Project) -> tuple[list[int], list[str]]:
    """The project's options that still exist on the product, and a message for each that is gone or disabled."""
    return _option_problems(project.product, project.option_value_ids, project.options)


def _option_problems(
    product: Product | None, option_value_ids: list[int], options: list[dict]
) -> tuple[list[int], list[str]]:
    by_id = {v.id: v for g in product.option_groups for v in g.values} if product else {}
    names = {o.get("value_id"): o for o in options}
    kept, problems = [], []
    for value_id in option_value_ids:
        value = by_id.get(value_id)
        if value is None:
            old = names.get(value_id, {})
            problems.append(
                f"Вариант «{old.get('value', '?')}» ({old.get('group', 'опция')}) больше не предлагается — "
                "выберите другой."
            )
            continue
        if not value.is_active:
            problems.append(f"Вариант «{value.name}» ({value.group.name}) больше недоступен — выберите другой.")
        kept.append(value_id)
    return kept, problems


def _on_sale(product: Product | None) -> bool:
    return product is not None and product.is_active and product.category.is_active


def _put_into_cart(session: Session, source: _Source, *, cart: Cart, customer: Customer) -> Reorder:
    """One line into the cart at today's price; the product must be on sale (the caller checks)."""
    product = source.product
    assert product is not None
    option_ids, problems = _option_problems(product, source.option_value_ids, source.options)
    new_price = None
    try:
        q = products.quote(session, product=product, quantity=source.quantity, option_value_ids=option_ids)
        new_price = q.total
    except ValidationError as exc:
        if not problems:  # an option problem already explains why the quote fails
            problems.append(exc.message)
    item = CartItem(
        product=product,
        quantity=source.quantity,
        option_value_ids=option_ids,
        project_id=source.project_id,
        reference_price=source.last_price,
    )
    rechecked = False
    if source.layout is not None:
        item.layout_file = storage.copy_file(session, source.layout, customer_id=customer.id)
        spec = preflight.spec_for_ids(product, option_ids)
        if preflight.needs_recheck(source.report, spec):
            item.preflight = preflight.check_stored(source.layout, spec)
            rechecked = True
        else:
            item.preflight = source.report
    cart.items.append(item)
    session.flush()
    return Reorder(item=item, old_price=source.last_price, new_price=new_price, problems=problems, rechecked=rechecked)


def reorder(session: Session, project: Project, *, cart: Cart, customer: Customer) -> Reorder:
    """Put the project into the cart with its options and a snapshot of its current layout.

    The price is today's; options no longer available stay flagged on the cart line (it cannot be ordered until
    they are chosen again); a product that is not on sale is refused. The layout is preflighted again when the
    format it was checked for is not the format it is ordered in now.
    """
    if not _on_sale(project.product):
        raise ValidationError(f"Товар «{project.product_name}» больше не продаётся — повторить этот проект нельзя.")
    if len(cart.items) >= MAX_ITEMS:
        raise ValidationError(f"В корзине может быть не больше {MAX_ITEMS} позиций.")
    version = project.current_version
    source = _Source(
        product=project.product,
        product_name=project.product_name,
        quantity=project.quantity,
        option_value_ids=list(project.option_value_ids),
        options=list(project.options),
        layout=version.file if version is not None else None,
        report=version.preflight if version is not None else None,
        last_price=project.last_price,
        project_id=project.id,
    )
    return _put_into_cart(session, source, cart=cart, customer=customer)


# --- reorder from an order ---------------------------------------------------------------------------


@dataclass
class OrderReorder:
    """What «Повторить заказ» put into the cart, line by line, and the lines it could not repeat."""

    lines: list[Reorder] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [p for line in self.lines for p in line.problems]


def check_may_reorder(session: Session, order: Order, *, customer: Customer) -> None:
    """A company order is repeated only by a member who may order for the company (owner, buyer); a private
    order only by its customer. `order` must be one the customer may see (lookup.customer_order)."""
    if order.company_id is None:
        if order.customer_id != customer.id:
            raise NotFound("Заказ не найден.")
        return
    member = members.membership(session, order.company_id, customer.id)
    if not members.can(member, "order"):
        raise PermissionDenied(members.RIGHT_DENIED["order"])


def may_reorder(session: Session, order: Order, *, customer: Customer) -> bool:
    try:
        check_may_reorder(session, order, customer=customer)
    except (NotFound, PermissionDenied):
        return False
    return True


def _line_source(session: Session, line: OrderLine) -> _Source:
    return _Source(
        product=session.get(Product, line.product_id) if line.product_id else None,
        product_name=line.product_name,
        quantity=line.quantity,
        option_value_ids=[o["value_id"] for o in line.options if "value_id" in o],
        options=list(line.options),
        layout=line.layout_file,
        report=line.preflight,
        last_price=line.gross_amount,
    )


def reorder_order(
    session: Session, order: Order, *, cart: Cart, customer: Customer, line_id: int | None = None
) -> OrderReorder:
    """«Повторить заказ»: the order's product lines (or one of them) into the cart with the same options,
    quantities and layouts at today's prices — the same checks as a project reorder, no project saved.

    Lines whose product is no longer on sale are named in `refused`; when none can be repeated (or the one
    asked for cannot), nothing changes and the reason is raised.
    """
    check_may_reorder(session, order, customer=customer)
    lines = [line for line in order.product_lines if line_id is None or line.id == line_id]
    if not lines:
        raise NotFound("Позиция заказа не найдена.")
    result = OrderReorder()
    sources = []
    for line in lines:
        source = _line_source(session, line)
        if _on_sale(source.product):
            sources.append(source)
        else:
            result.refused.append(f"Товар «{line.product_name}» больше не продаётся — его повторить нельзя.")
    if not sources:
        raise ValidationError(" ".join(result.refused))
    if len(cart.items) + len(sources) > MAX_ITEMS:
        raise ValidationError(f"В корзине может быть не больше {MAX_ITEMS} позиций.")
    for source in sources:
        result.lines.append(_put_into_cart(session, source, cart=cart, customer=customer))
    return result
