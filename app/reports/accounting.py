"""The accounting reports — НДС (with книга продаж and книга покупок), прибыль, расходы, дебиторка — and the
reconciliation that holds them to the journal. Every money figure comes from `app.reports.metrics`; the
registers list the journal entries and expenses behind those figures, row by row.

Rules of this shop's registers (ПП 1137 columns where they apply): a sale is a row with operation code «01»
per order posting (an order's sale or its return), dated the realisation (or return) day, with the buyer
(the company, or «Физическое лицо» for a private customer); a return is the same row with negative amounts.
The purchase book lists expenses with incoming VAT (a reversal negative) — only under the general regime,
where VAT is deducted.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Expense, ExpenseCategory, JournalEntry, JournalKind
from app.models.companies import Company
from app.reports import metrics
from app.reports.metrics import Period
from app.services.accounting import seller
from app.services.documents.issuing import issued_sales_total
from app.services.money import ZERO, format_rate, to_money

K = JournalKind
RATES = (Decimal("22.00"), Decimal("10.00"), Decimal("7.00"), Decimal("5.00"), Decimal("0.00"))
PRIVATE_BUYER = "Физическое лицо"


# --- НДС -------------------------------------------------------------------------------------------------


@dataclass
class SalesBookRow:
    number: int
    code: str
    document: str  # the order number (the document number until closing documents exist)
    day: date
    buyer: str
    buyer_inn: str
    buyer_kpp: str
    total: Decimal  # 13б
    base: dict[Decimal | None, Decimal]  # by rate (None: без НДС, column 19)
    vat: dict[Decimal | None, Decimal]
    order_id: int
    is_return: bool


@dataclass
class PurchaseBookRow:
    number: int
    code: str
    document: str
    document_date: date | None
    day: date
    supplier: str
    supplier_inn: str
    total: Decimal
    vat: Decimal
    expense_id: int


@dataclass
class VatReport:
    period: Period
    regime_label: str
    deducts: bool
    seller: str  # the shop's requisites in force at the period's end («» until they are set)
    by_rate: list[metrics.RateLine]
    input_vat: Decimal  # incoming VAT of the period's expenses
    sales_book: list[SalesBookRow]
    purchase_book: list[PurchaseBookRow]

    @property
    def base(self) -> Decimal:
        return sum((line.base for line in self.by_rate), ZERO)

    @property
    def output_vat(self) -> Decimal:
        return sum((line.vat for line in self.by_rate), ZERO)

    @property
    def deductible_vat(self) -> Decimal:
        return self.input_vat if self.deducts else ZERO

    @property
    def payable(self) -> Decimal:
        return self.output_vat - self.deductible_vat

    @property
    def book_rates(self) -> list[Decimal | None]:
        """The rate columns the sales book shows: the standard ones, and any other rate that occurs."""
        seen = {rate for row in self.sales_book for rate in row.base}
        return [r for r in RATES if r in seen or r in (RATES[0], RATES[1])] + ([None] if None in seen else [])


def sales_book(session: Session, period: Period) -> list[SalesBookRow]:
    """One row per order posting (a sale or its return) in the period, by day and order."""
    rows = session.execute(
        sa.select(
            JournalEntry.order_id,
            JournalEntry.order_number,
            JournalEntry.kind,
            JournalEntry.cycle,
            JournalEntry.day,
            JournalEntry.vat_rate,
            JournalEntry.company_id,
            sa.func.sum(JournalEntry.amount),
            sa.func.sum(JournalEntry.net),
            sa.func.sum(JournalEntry.vat),
        )
        .where(JournalEntry.kind.in_(metrics.SALE_SIDE), metrics.in_period(JournalEntry.day, period))
        .group_by(
            JournalEntry.order_id,
            JournalEntry.order_number,
            JournalEntry.kind,
            JournalEntry.cycle,
            JournalEntry.day,
            JournalEntry.vat_rate,
            JournalEntry.company_id,
        )
    ).all()
    companies_ids = {row.company_id for row in rows if row.company_id is not None}
    companies = (
        {c.id: c for c in session.scalars(sa.select(Company).where(Company.id.in_(companies_ids)))}
        if companies_ids
        else {}
    )
    postings: dict[tuple, SalesBookRow] = {}
    for row in rows:
        key = (row.day, row.order_number, row.cycle, row[2])
        company = companies.get(row.company_id) if row.company_id is not None else None
        book = postings.get(key)
        if book is None:
            book = postings[key] = SalesBookRow(
                number=0,
                code="01",
                document=row.order_number,
                day=row.day,
                buyer=company.short_name if company else PRIVATE_BUYER,
                buyer_inn=company.inn if company else "",
                buyer_kpp=(company.kpp or "") if company else "",
                total=ZERO,
                base={},
                vat={},
                order_id=row.order_id,
                is_return=JournalKind(row[2]) == K.sale_return,
            )
        rate = None if row.vat_rate is None else Decimal(str(row.vat_rate)).quantize(Decimal("0.01"))
        amount, net, vat = (metrics._money(v) for v in row[7:10])
        book.total += amount
        book.base[rate] = book.base.get(rate, ZERO) + net
        book.vat[rate] = book.vat.get(rate, ZERO) + vat
    ordered = sorted(postings.values(), key=lambda b: (b.day, b.document, b.is_return))
    for number, book in enumerate(ordered, 1):
        book.number = number
    return ordered


def purchase_book(session: Session, period: Period) -> list[PurchaseBookRow]:
    expenses = session.scalars(
        sa.select(Expense)
        .where(metrics.in_period(Expense.day, period), Expense.vat_amount != 0)
        .order_by(Expense.day, Expense.id)
    ).all()
    return [
        PurchaseBookRow(
            number=i,
            code="01",
            document=e.document_number,
            document_date=e.document_date,
            day=e.day,
            supplier=e.supplier_name,
            supplier_inn=e.supplier_inn,
            total=e.amount,
            vat=e.vat_amount,
            expense_id=e.id,
        )
        for i, e in enumerate(expenses, 1)
    ]


def vat_report(session: Session, period: Period) -> VatReport:
    regime = seller.regime_on(session, period.end)
    version = seller.in_force(session, period.end)
    return VatReport(
        period=period,
        regime_label=regime.label,
        deducts=regime in seller.DEDUCTS_INPUT_VAT,
        seller=f"{version.short_name}, ИНН {version.inn}" + (f", КПП {version.kpp}" if version.kpp else "")
        if version
        else "",
        by_rate=metrics.sales_by_rate(session, period),
        input_vat=metrics.expenses(session, period).vat,
        sales_book=sales_book(session, period),
        purchase_book=purchase_book(session, period),
    )


# --- прибыль ---------------------------------------------------------------------------------------------


@dataclass
class ProfitMonth:
    period: Period
    sales: metrics.Sales
    expenses: dict[str, Decimal]  # by category name (net of VAT where it is deducted)

    @property
    def expenses_total(self) -> Decimal:
        return sum(self.expenses.values(), ZERO)

    @property
    def operating_profit(self) -> Decimal:
        return self.sales.gross_margin - self.expenses_total


@dataclass
class ProfitReport:
    period: Period
    months: list[ProfitMonth]
    categories: list[metrics.CategoryLine]
    expense_categories: list[str]
    total: ProfitMonth
    category_ids: dict[str, int | None] = field(default_factory=dict)  # expense category name → id (drill-down)

    @property
    def revenue(self) -> Decimal:
        """Revenue net of VAT, as the sum of the months."""
        return sum((m.sales.net_revenue for m in self.months), ZERO)


def _expense_costs(session: Session, period: Period) -> dict[str, Decimal]:
    deducts = seller.regime_on(session, period.end) in seller.DEDUCTS_INPUT_VAT
    return {
        line.name: (line.expenses.net if deducts else line.expenses.amount)
        for line in metrics.expenses_by_category(session, period)
    }


def profit_report(session: Session, period: Period) -> ProfitReport:
    months = [ProfitMonth(m, metrics.sales(session, m), _expense_costs(session, m)) for m in period.months()]
    lines = metrics.expenses_by_category(session, period)
    names = [line.name for line in lines]
    total = ProfitMonth(period, metrics.sales(session, period), _expense_costs(session, period))
    ids = {line.name: line.key if isinstance(line.key, int) else None for line in lines}
    return ProfitReport(period, months, metrics.sales_by_category(session, period), names, total, ids)


# --- расходы ---------------------------------------------------------------------------------------------


@dataclass
class ExpenseReport:
    period: Period
    by_category: list[metrics.ExpenseLine]
    by_supplier: list[metrics.ExpenseLine]
    total: metrics.Expenses


def expense_report(session: Session, period: Period) -> ExpenseReport:
    return ExpenseReport(
        period,
        metrics.expenses_by_category(session, period),
        metrics.expenses_by_supplier(session, period),
        metrics.expenses(session, period),
    )


# --- дебиторка -------------------------------------------------------------------------------------------


@dataclass
class BalanceGroup:
    name: str  # the company, or the customer for personal orders
    balances: list[metrics.Balance] = field(default_factory=list)

    @property
    def debt(self) -> Decimal:
        return sum((b.debt for b in self.balances), ZERO)

    @property
    def advance(self) -> Decimal:
        return sum((b.advance for b in self.balances), ZERO)


@dataclass
class ReceivablesReport:
    as_of: date
    debts: list[BalanceGroup]
    advances: list[BalanceGroup]

    @property
    def debt_total(self) -> Decimal:
        return sum((g.debt for g in self.debts), ZERO)

    @property
    def advance_total(self) -> Decimal:
        return sum((g.advance for g in self.advances), ZERO)


def _groups(balances: Sequence[metrics.Balance]) -> list[BalanceGroup]:
    groups: dict[str, BalanceGroup] = {}
    for balance in balances:
        name = balance.company_name or f"{balance.customer_name} (частное лицо)"
        groups.setdefault(name, BalanceGroup(name)).balances.append(balance)
    return sorted(groups.values(), key=lambda g: g.name)


def receivables_report(session: Session, as_of: date) -> ReceivablesReport:
    balances = metrics.balances(session, as_of)
    return ReceivablesReport(
        as_of, _groups([b for b in balances if b.debt > 0]), _groups([b for b in balances if b.advance > 0])
    )


# --- reconciliation --------------------------------------------------------------------------------------

JOURNAL_SQL = sa.text(
    "SELECT COALESCE(SUM(amount), 0), COALESCE(SUM(net), 0), COALESCE(SUM(vat), 0) FROM journal_entry "
    "WHERE kind IN ('sale', 'return') AND day >= :start AND day <= :end"
).bindparams(sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date))


@dataclass
class Reconciliation:
    """The same figure computed by every reader; `differences` names those that disagree."""

    period: Period
    figures: dict[str, dict[str, Decimal]]  # figure → reader → value

    @property
    def differences(self) -> dict[str, dict[str, Decimal]]:
        return {name: values for name, values in self.figures.items() if len(set(values.values())) > 1}

    @property
    def ok(self) -> bool:
        return not self.differences


def _kopecks(value: Any) -> Decimal:
    return to_money(Decimal(str(value or 0)))


# The journal side of the closing documents' figure: the sale and return entries a document (not cancelled) was
# issued from — a sale's УПД/счёт-фактура, a return's correction, which also shows the new sale of a corrected
# order (reason «correction», the cycle after the return). Realisations still waiting for their documents are not
# a difference (the monthly run issues them); a document whose sum is not its entries' is.
DOCUMENTED_SQL = sa.text(
    """
    SELECT COALESCE(SUM(j.amount), 0) FROM journal_entry j
    WHERE j.kind IN ('sale', 'return') AND j.company_id IS NOT NULL AND j.day BETWEEN :start AND :end
      AND EXISTS (
        SELECT 1 FROM document d
        WHERE d.revision = 0
          AND d.source_key = CASE
            WHEN j.kind = 'return' THEN 'return:' || j.order_id || ':' || j.cycle
            WHEN j.reason = 'correction' THEN 'return:' || j.order_id || ':' || (j.cycle - 1)
            ELSE 'sale:' || j.order_id || ':' || j.cycle END
          AND NOT EXISTS (SELECT 1 FROM document_cancellation c WHERE c.document_id = d.id)
      )
    """
)


def reconcile(session: Session, period: Period) -> Reconciliation:
    """Revenue (with and without VAT) and VAT from the metrics module, the VAT report (by rate and its sales
    book), the profit report (by month) and the dashboards' daily series, against the journal summed in SQL."""
    sales = metrics.sales(session, period)
    vat = vat_report(session, period)
    profit = profit_report(session, period)
    daily = metrics.sales_by_day(session, period)
    amount, net, tax = session.execute(JOURNAL_SQL, {"start": period.start, "end": period.end}).one()
    return Reconciliation(
        period,
        {
            "Выручка с НДС": {
                "показатели (metrics)": sales.revenue,
                "отчёт по НДС: база + НДС": vat.base + vat.output_vat,
                "книга продаж": sum((row.total for row in vat.sales_book), ZERO),
                "по дням (дашборд)": sum(daily.values(), ZERO),
                "журнал (SQL)": _kopecks(amount),
            },
            "Выручка без НДС": {
                "показатели (metrics)": sales.net_revenue,
                "отчёт по НДС: база": vat.base,
                "отчёт о прибыли": profit.revenue,
                "журнал (SQL)": _kopecks(net),
            },
            "Закрывающие документы (реализация компаниям)": {
                "документы: УПД, счета-фактуры, УКД": _kopecks(issued_sales_total(session, period.start, period.end)),
                "их записи журнала (SQL)": _kopecks(
                    session.execute(DOCUMENTED_SQL, {"start": period.start, "end": period.end}).scalar()
                ),
            },
            "НДС с реализации": {
                "показатели (metrics)": sales.output_vat,
                "отчёт по НДС": vat.output_vat,
                "книга продаж": sum((sum(row.vat.values(), ZERO) for row in vat.sales_book), ZERO),
                "журнал (SQL)": _kopecks(tax),
            },
        },
    )


def monthly_reconciliation(session: Session, period: Period) -> list[Reconciliation]:
    return [reconcile(session, month) for month in period.months()]


# --- exports ---------------------------------------------------------------------------------------------


@dataclass
class Table:
    """A report as rows, for CSV and XLSX: a title, the header, the rows (text, numbers, dates)."""

    title: str
    header: list[str]
    rows: list[list[Any]]


def _rate_title(rate: Decimal | None) -> str:
    return "без НДС" if rate is None else format_rate(rate).replace("\u00a0", " ")


def vat_tables(report: VatReport) -> list[Table]:
    rates = report.book_rates
    summary = Table(
        f"НДС за {report.period.label}",
        ["Ставка", "База, ₽", "НДС, ₽", "С НДС, ₽"],
        [["Продавец", report.seller or "реквизиты не заданы", "", ""], ["Режим", report.regime_label, "", ""]]
        + [[_rate_title(line.rate), line.base, line.vat, line.total] for line in report.by_rate]
        + [
            ["Итого реализация", report.base, report.output_vat, report.base + report.output_vat],
            ["НДС к вычету (входящий)", "", report.deductible_vat, ""],
            ["НДС к уплате", "", report.payable, ""],
        ],
    )
    sales = Table(
        "Книга продаж",
        ["№", "Код вида операции", "Документ", "Дата", "Покупатель", "ИНН", "КПП", "Стоимость с НДС, ₽"]
        + [f"База {_rate_title(r)}, ₽" for r in rates]
        + [f"НДС {_rate_title(r)}, ₽" for r in rates if r is not None],
        [
            [row.number, row.code, row.document, row.day, row.buyer, row.buyer_inn, row.buyer_kpp, row.total]
            + [row.base.get(r, ZERO) for r in rates]
            + [row.vat.get(r, ZERO) for r in rates if r is not None]
            for row in report.sales_book
        ],
    )
    purchases = Table(
        "Книга покупок",
        [
            "№",
            "Код вида операции",
            "Документ",
            "Дата документа",
            "Дата",
            "Продавец",
            "ИНН",
            "Стоимость с НДС, ₽",
            "НДС, ₽",
        ],
        [
            [r.number, r.code, r.document, r.document_date or "", r.day, r.supplier, r.supplier_inn, r.total, r.vat]
            for r in report.purchase_book
        ],
    )
    return [summary, sales, purchases]


def profit_tables(report: ProfitReport) -> list[Table]:
    header = ["Показатель"] + [m.period.label for m in report.months] + ["Итого"]
    columns = [*report.months, report.total]

    def line(name: str, pick: Any) -> list[Any]:
        return [name] + [pick(m) for m in columns]

    rows = [
        line("Продажи до скидок, с НДС", lambda m: m.sales.gross_sales),
        line("Скидки по промокодам", lambda m: m.sales.discounts),
        line("Оплачено баллами", lambda m: m.sales.points),
        line("Выручка с НДС", lambda m: m.sales.revenue),
        line("НДС", lambda m: m.sales.output_vat),
        line("Выручка без НДС", lambda m: m.sales.net_revenue),
        line("Себестоимость материалов", lambda m: m.sales.cost_of_goods),
        line("Валовая прибыль", lambda m: m.sales.gross_margin),
        *[line(f"Расходы: {name}", lambda m, n=name: m.expenses.get(n, ZERO)) for name in report.expense_categories],
        line("Расходы, всего", lambda m: m.expenses_total),
        line("Операционная прибыль", lambda m: m.operating_profit),
    ]
    categories = Table(
        "По категориям товаров",
        ["Категория", "Выручка без НДС, ₽", "Себестоимость, ₽", "Валовая прибыль, ₽", "Заказов"],
        [
            [c.name, c.sales.net_revenue, c.sales.cost_of_goods, c.sales.gross_margin, c.sales.orders]
            for c in report.categories
        ],
    )
    return [Table(f"Прибыль за {report.period.label}", header, rows), categories]


def expense_tables(report: ExpenseReport) -> list[Table]:
    header = ["", "Сумма с НДС, ₽", "НДС, ₽", "Без НДС, ₽", "Документов"]

    def rows(lines: list[metrics.ExpenseLine]) -> list[list[Any]]:
        return [[ln.name, ln.expenses.amount, ln.expenses.vat, ln.expenses.net, ln.expenses.count] for ln in lines]

    total = ["Итого", report.total.amount, report.total.vat, report.total.net, report.total.count]
    return [
        Table(
            f"Расходы по категориям за {report.period.label}",
            ["Категория", *header[1:]],
            rows(report.by_category) + [total],
        ),
        Table("По поставщикам", ["Поставщик", *header[1:]], rows(report.by_supplier) + [total]),
    ]


def receivables_tables(report: ReceivablesReport) -> list[Table]:
    header = ["Контрагент", "Заказ", "Реализовано, ₽", "Оплачено, ₽", "Сумма, ₽", "С даты", "Дней"]

    def rows(groups: list[BalanceGroup], pick: str) -> list[list[Any]]:
        return [
            [g.name, b.order_number, b.realised, b.paid, getattr(b, pick), b.since, b.age(report.as_of)]
            for g in groups
            for b in g.balances
        ]

    return [
        Table(f"Дебиторская задолженность на {report.as_of:%d.%m.%Y}", header, rows(report.debts, "debt")),
        Table("Авансы полученные (оплачено, не реализовано)", header, rows(report.advances, "advance")),
    ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(to_money(value), "f").replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(tables: Sequence[Table]) -> bytes:
    """CSV for Russian Excel (as the order export): a BOM, «;», decimal commas; tables one after another."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.header)
        writer.writerows([[_csv_cell(v) for v in row] for row in table.rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """An XLSX workbook, one sheet per table; amounts as numbers with two decimals, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        name = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:31] or "Лист"
        while name in used:
            name = name[:28] + f"_{len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(value, Decimal):
                    cell.number_format = "#,##0.00"
                elif isinstance(value, date):
                    cell.number_format = "DD.MM.YYYY"
        for column in sheet.columns:
            width = max((len(str(c.value)) for c in column if c.value is not None and c.row > 1), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def expense_category_names(session: Session) -> dict[int, str]:
    return dict(session.execute(sa.select(ExpenseCategory.id, ExpenseCategory.name)).all())


def journal_sums_by_order(session: Session, period: Period) -> dict[int, Decimal]:
    """Revenue per order in the period (a drill-down aid)."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for order_id, amount in session.execute(
        sa.select(JournalEntry.order_id, sa.func.sum(JournalEntry.amount))
        .where(JournalEntry.kind.in_(metrics.SALE_SIDE), metrics.in_period(JournalEntry.day, period))
        .group_by(JournalEntry.order_id)
    ):
        totals[order_id] = _kopecks(amount)
    return dict(totals)
