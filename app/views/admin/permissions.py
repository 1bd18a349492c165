"""Staff roles and what each may do, declared in code (Flask-AppBuilder builtin roles, FAB_ROLES).

A role grants "r" (list, show, download) or "rw" (also add, edit, delete) on a view, plus named extra
permissions (a status change, a mass action). Menu access follows from the views a role can read.
"""

from __future__ import annotations

READ = ("can_list", "can_show", "can_download")
WRITE = ("can_add", "can_edit", "can_delete")

# View class name → menu category, for menu_access on the categories.
VIEW_CATEGORY = {
    "OrderView": "Sales",
    "PromoCodeView": "Sales",
    "CategoryView": "Catalog",
    "ProductView": "Catalog",
    "OptionGroupView": "Catalog",
    "OptionValueView": "Catalog",
    "PriceTierView": "Catalog",
    "VatRateView": "Catalog",
    "CustomerView": "Customers",
    # site content
    "PageView": "Content",
    "NewsItemView": "Content",
    "BannerView": "Content",
    "ContentImageView": "Content",
}

CATALOG = ("CategoryView", "ProductView", "OptionGroupView", "OptionValueView", "PriceTierView")
CONTENT = ("PageView", "NewsItemView", "BannerView", "ContentImageView")

# role → {view: "r" | "rw" | extra permissions (tuple)}
ROLE_GRANTS: dict[str, dict[str, str]] = {
    "Manager": {
        **{v: "rw" for v in CATALOG},
        "VatRateView": "r",
        "PromoCodeView": "rw",
        "OrderView": "r",
        "CustomerView": "r",
        **{v: "r" for v in CONTENT},
    },
    "Operator": {**{v: "r" for v in CATALOG}, "OrderView": "r", "CustomerView": "r"},
    "Accountant": {"OrderView": "r", "CustomerView": "r", "PromoCodeView": "r", "VatRateView": "rw"},
    "ContentEditor": {**{v: "r" for v in CATALOG}, **{v: "rw" for v in CONTENT}},
    "Support": {"OrderView": "r", "CustomerView": "r"},
}

# Extra permissions beyond read/write: role → [(view, permission)].
ROLE_EXTRAS: dict[str, list[tuple[str, str]]] = {
    "Manager": [("OrderView", "can_change_status"), ("OrderView", "can_mark_paid"), ("CustomerView", "can_block")],
    "Operator": [("OrderView", "can_change_status"), ("OrderView", "can_mark_paid")],
    "Accountant": [("OrderView", "can_mark_paid")],
    "ContentEditor": [("NewsItemView", "can_send_newsletter")],
}

# Companies (corporate accounts): Manager reviews them and edits requisites; Operator, Accountant and Support
# read them (orders, invoices, questions need the requisites).
VIEW_CATEGORY["CompanyView"] = "Customers"
for _role in ("Manager", "Operator", "Accountant", "Support"):
    ROLE_GRANTS[_role]["CompanyView"] = "r"
ROLE_EXTRAS["Manager"] += [("CompanyView", "can_review"), ("CompanyView", "can_edit_requisites")]
# Notifications and newsletter: the outbox for those who answer customers, subscribers for marketing.
VIEW_CATEGORY.update(
    {"NotificationView": "Customers", "SubscriberView": "Customers", "NewsletterConsentView": "Customers"}
)
NEWSLETTER_VIEWS = {"SubscriberView": "r", "NewsletterConsentView": "r"}
ROLE_GRANTS["Manager"].update({"NotificationView": "r", **NEWSLETTER_VIEWS})
ROLE_GRANTS["Support"].update({"NotificationView": "r"})
ROLE_GRANTS["ContentEditor"].update(NEWSLETTER_VIEWS)
ROLE_EXTRAS["Manager"] += [
    ("NotificationView", "can_resend"),
    ("SubscriberView", "can_export"),
    ("SubscriberView", "can_unsubscribe"),
]
ROLE_EXTRAS.setdefault("Support", []).append(("NotificationView", "can_resend"))
ROLE_EXTRAS.setdefault("ContentEditor", []).append(("SubscriberView", "can_export"))

STAFF_ROLES = ("Admin", "Manager", "Operator", "Accountant", "ContentEditor", "Support")


def _exact(name: str) -> str:
    return f"^{name}$"


def build_fab_roles() -> dict[str, list[list[str]]]:
    """FAB_ROLES: each role as a list of [view-name regex, permission regex]; Admin may do everything."""
    roles: dict[str, list[list[str]]] = {"Admin": [[".*", ".*"]]}
    for role, grants in ROLE_GRANTS.items():
        pvms: list[list[str]] = []
        categories = set()
        for view, mode in grants.items():
            perms = READ + (WRITE if mode == "rw" else ())
            pvms.append([_exact(view), "^(" + "|".join(perms) + ")$"])
            pvms.append([_exact(view), "^menu_access$"])
            categories.add(VIEW_CATEGORY[view])
        for view, perm in ROLE_EXTRAS.get(role, []):
            pvms.append([_exact(view), _exact(perm)])
        for category in sorted(categories):
            pvms.append([_exact(category), "^menu_access$"])
        roles[role] = pvms
    return roles


def role_allows(role: str, view: str, permission: str) -> bool:
    """The same answer FAB gives for a builtin role (used by tests to state the expected matrix)."""
    import re

    return any(re.match(v, view) and re.match(p, permission) for v, p in build_fab_roles()[role])


# Order management (mass actions, edits, labels, export). Accountants and support read orders but change
# none of them; exporting personal data is for managers and accountants only.
ORDER_MANAGEMENT_EXTRAS: dict[str, list[tuple[str, str]]] = {
    "Manager": [
        ("OrderView", "can_edit_order"),
        ("OrderView", "can_assign"),
        ("OrderView", "can_print_labels"),
        ("OrderView", "can_export"),
    ],
    "Operator": [("OrderView", "can_edit_order"), ("OrderView", "can_assign"), ("OrderView", "can_print_labels")],
    "Accountant": [("OrderView", "can_export")],
}
# «Вернуть позицию» of a paid order gives money back: managers (and Admin) only.
ORDER_MANAGEMENT_EXTRAS["Manager"].append(("OrderView", "can_refund_line"))
for _role, _extras in ORDER_MANAGEMENT_EXTRAS.items():
    ROLE_EXTRAS.setdefault(_role, []).extend(_extras)

# Support desk. Support, Operator, Manager and Admin work tickets (read, reply, note, change state);
# assignment for Support, Operator and Manager; priority, topic and tags for Support and Manager (the
# Operator answers questions about their orders, the Support lead sorts the queue); the free reprint and
# the figures for Manager (Admin may do everything). Canned replies are kept by Support and Manager; SLA
# targets are set by Manager.
VIEW_CATEGORY.update(
    {
        "TicketView": "Support",
        "CannedReplyView": "Support",
        "SlaTargetView": "Support",
        "SupportBreaches": "Support",
        "SupportStats": "Support",
    }
)
ROLE_GRANTS["Support"].update({"TicketView": "r", "CannedReplyView": "rw", "SlaTargetView": "r"})
ROLE_GRANTS["Operator"].update({"TicketView": "r", "CannedReplyView": "r"})
ROLE_GRANTS["Manager"].update({"TicketView": "r", "CannedReplyView": "rw", "SlaTargetView": "rw"})
SUPPORT_EXTRAS: dict[str, list[tuple[str, str]]] = {
    "Support": [
        ("TicketView", "can_reply"),
        ("TicketView", "can_assign"),
        ("TicketView", "can_edit_ticket"),
        ("SupportBreaches", "menu_access"),
    ],
    "Operator": [("TicketView", "can_reply"), ("TicketView", "can_assign"), ("SupportBreaches", "menu_access")],
    "Manager": [
        ("TicketView", "can_reply"),
        ("TicketView", "can_assign"),
        ("TicketView", "can_edit_ticket"),
        ("TicketView", "can_reprint"),
        ("TicketView", "can_stats"),
        ("SupportBreaches", "menu_access"),
        ("SupportStats", "menu_access"),
    ],
}
for _role, _extras in SUPPORT_EXTRAS.items():
    ROLE_EXTRAS.setdefault(_role, []).extend(_extras)

# Reviews: Support and Manager moderate (queue, approve / reject, reply, pin, hide a photo); the manager also
# sees the moderation figures and sets auto-publication and invitations. Other roles do not see reviews.
VIEW_CATEGORY.update({"ReviewView": "Reviews", "ReviewFiguresView": "Reviews", "ReviewSettingsView": "Reviews"})
ROLE_GRANTS["Manager"].update({"ReviewView": "r", "ReviewFiguresView": "r", "ReviewSettingsView": "rw"})
ROLE_GRANTS["Support"].update({"ReviewView": "r"})
ROLE_EXTRAS["Manager"].append(("ReviewView", "can_moderate"))
ROLE_EXTRAS["Support"].append(("ReviewView", "can_moderate"))

# Accounting: the reports and the journal for Accountant and Manager; expenses and their categories are kept by
# the Accountant (the Manager reads them); the shop's requisites are set by Admin and read by the Accountant.
VIEW_CATEGORY.update(
    {
        "AccountingReportsView": "Accounting",
        "ExpenseView": "Accounting",
        "ExpenseCategoryView": "Accounting",
        "JournalEntryView": "Accounting",
        "SellerRequisitesView": "Accounting",
    }
)
ROLE_GRANTS["Accountant"].update(
    {
        "AccountingReportsView": "r",
        "JournalEntryView": "r",
        "ExpenseView": "rw",
        "ExpenseCategoryView": "rw",
        "SellerRequisitesView": "r",
    }
)
ROLE_GRANTS["Manager"].update(
    {"AccountingReportsView": "r", "JournalEntryView": "r", "ExpenseView": "r", "ExpenseCategoryView": "r"}
)
ROLE_EXTRAS["Accountant"].append(("ExpenseView", "can_reverse"))

# Closing documents: the Accountant issues, cancels, fixes and sends them; the Manager reads, issues and sends;
# Admin may do everything. No role edits an issued document (the view has no edit).
VIEW_CATEGORY["DocumentView"] = "Accounting"
ROLE_GRANTS["Accountant"]["DocumentView"] = "r"
ROLE_GRANTS["Manager"]["DocumentView"] = "r"
ROLE_EXTRAS["Accountant"] += [
    ("DocumentView", "can_issue"),
    ("DocumentView", "can_cancel"),
    ("DocumentView", "can_fix"),
    ("DocumentView", "can_send"),
]
ROLE_EXTRAS["Manager"] += [("DocumentView", "can_issue"), ("DocumentView", "can_send")]
# Bonus points: the ledger and balances are read by those who answer customers and by the accountant; the manager
# adjusts balances (with a reason) and sets the programme's rules; the accountant reads the liability report.
LOYALTY_VIEWS = ("LoyaltyEntryView", "LoyaltyAccountView", "LoyaltySettingsView", "PointsLiabilityView")
VIEW_CATEGORY.update(dict.fromkeys(LOYALTY_VIEWS, "Loyalty"))
ROLE_GRANTS["Manager"].update(
    {"LoyaltyEntryView": "r", "LoyaltyAccountView": "r", "LoyaltySettingsView": "rw", "PointsLiabilityView": "r"}
)
ROLE_GRANTS["Accountant"].update(
    {"LoyaltyEntryView": "r", "LoyaltyAccountView": "r", "LoyaltySettingsView": "r", "PointsLiabilityView": "r"}
)
for _role in ("Operator", "Support"):
    ROLE_GRANTS[_role].update({"LoyaltyEntryView": "r", "LoyaltyAccountView": "r"})
ROLE_EXTRAS["Manager"].append(("LoyaltyAccountView", "can_adjust"))
# Referral programme: the manager decides held referrals and sets the rules; the accountant and support read
# the referrals (questions about a reward) and the figures.
REFERRAL_VIEWS = ("ReferralView", "ReferralReviewView", "ReferralFiguresView", "ReferralSettingsView")
VIEW_CATEGORY.update(dict.fromkeys(REFERRAL_VIEWS, "Loyalty"))
ROLE_GRANTS["Manager"].update(
    {"ReferralView": "r", "ReferralReviewView": "r", "ReferralFiguresView": "r", "ReferralSettingsView": "rw"}
)
ROLE_EXTRAS["Manager"] += [("ReferralView", "can_review"), ("ReferralReviewView", "can_review")]
ROLE_GRANTS["Accountant"].update({"ReferralView": "r", "ReferralFiguresView": "r", "ReferralSettingsView": "r"})
ROLE_GRANTS["Support"].update({"ReferralView": "r"})

# Dashboard: Manager (and Admin) see every widget; Accountant the revenue only; Operator, Support and the
# content editor do not see it.
VIEW_CATEGORY["DashboardView"] = "Sales"
ROLE_GRANTS["Manager"]["DashboardView"] = "r"
ROLE_GRANTS["Accountant"]["DashboardView"] = "r"
ROLE_EXTRAS["Manager"].append(("DashboardView", "can_all_widgets"))
