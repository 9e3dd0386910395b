"""Demo data for a Greek provider, made the way real data comes about.

Customers sign up and order in the past (the clock frozen on the day), pay some proformas
and not others, and the real daily run goes over each day of the last five months up to
today: renewal proformas, reminders, warnings, suspensions and terminations all come from
the real code. Staff cancel and stop fraud through the lifecycle services.

Staff and customer logins get fixed, published passwords, so the data is for development
only: :func:`load` refuses unless ``DEBUG`` is on.
"""

from __future__ import annotations

import base64
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django_otp.plugins.otp_totp.models import TOTPDevice

from kyklos.accounts import roles
from kyklos.automation.services import run_day
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.vat import seed_rates
from kyklos.catalog import services as catalog
from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import LifecyclePolicy, Product
from kyklos.catalog.models import ProductType as T
from kyklos.core import clock
from kyklos.customers.models import Customer
from kyklos.customers.services import create_customer
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.notifications.models import Outbox
from kyklos.payments.defaults import seed_fees
from kyklos.payments.models import Method, MethodFee, Payment
from kyklos.payments.services import record_payment
from kyklos.support import defaults as support_defaults


class DemoRefused(Exception):
    """The demo cannot be loaded here; the message says why and what to do."""


# --- logins --------------------------------------------------------------------------------

#: Fixed and published (README): never use them outside a development machine.
ADMIN = ("admin", "kyklos-admin")
BILLING = ("billing", "kyklos-billing")
CUSTOMER = ("demo", "kyklos-demo")
#: The customer the ``demo`` login belongs to.
DEMO_CUSTOMER = "andreas"

#: Staff with the other roles (R10.1): username, password, role.
ROLE_LOGINS = [
    ("support", "kyklos-support", roles.SUPPORT),
    ("tech", "kyklos-tech", roles.TECHNICAL),
    ("dpo", "kyklos-dpo", roles.DPO),
]
#: Staff log in with a second factor (TOTP), also in the demo. Every demo staff login
#: shares this published secret: add it to an authenticator app, or print the current
#: code with ``oathtool --totp -b SECRET``.
STAFF_TOTP_SECRET = "KYKLOSDEMOTOTPSECRETFORSTAFF2345"

TERMS_VERSION = "2024-01"
HISTORY_DAYS = 390  # the oldest order
#: The daily run goes over every day of this window up to today. Before it nothing falls
#: due: only annual and longer subscriptions are ordered earlier, and their first renewal
#: proforma falls inside it (were anything due earlier, the first run would catch up).
RUN_DAYS = 150
PAY_AFTER = 2  # days after issue a paying customer pays a proforma

# --- catalog -------------------------------------------------------------------------------

# fmt: off
#: code, type, name, price per cycle (amount or (amount, setup fee)), add-on for
PRODUCTS: list[tuple[str, str, str, dict, tuple[str, ...]]] = [
    ("web-starter", T.SHARED_HOSTING, "Web Starter hosting",
     {"monthly": "4.90", "annual": "49.00", "biennial": "89.00"}, ()),
    ("web-business", T.SHARED_HOSTING, "Web Business hosting",
     {"monthly": "9.90", "annual": "99.00"}, ()),
    ("mail-pro", T.EMAIL_HOSTING, "Mail Pro, 10 mailboxes",
     {"monthly": "3.50", "annual": "35.00"}, ()),
    ("domain-gr", T.DOMAIN, ".gr domain", {"annual": "15.00", "biennial": "28.00"}, ()),
    ("domain-com", T.DOMAIN, ".com domain", {"annual": "14.00", "biennial": "27.00"}, ()),
    ("ssl-dv", T.SSL, "SSL certificate (domain validated)", {"annual": "29.00"}, ()),
    ("dedi-e2", T.DEDICATED_SERVER, "Dedicated server E-2",
     {"monthly": ("89.00", "50.00"), "annual": "960.00"}, ()),
    ("site-wordpress", T.WEB_DEVELOPMENT, "WordPress website", {"one_off": "1200.00"}, ()),
    ("eshop-woocommerce", T.WEB_DEVELOPMENT, "WooCommerce e-shop", {"one_off": "2800.00"}, ()),
    ("wp-care", T.MAINTENANCE, "WordPress care plan", {"monthly": "49.00", "annual": "490.00"}, ()),
    ("social-basic", T.SOCIAL_MEDIA, "Social-media management",
     {"monthly": ("250.00", "100.00")}, ()),
    ("ads-google", T.ADS, "Google Ads management", {"monthly": ("180.00", "100.00")}, ()),
    ("seo-local", T.SEO, "Local SEO", {"monthly": "300.00", "quarterly": "850.00"}, ()),
    ("iptv-box", T.IPTV, "Set-top box TV",
     {"monthly": "12.00", "semiannual": "66.00", "annual": "120.00"}, ()),
    ("chat-plan", T.CHAT_SAAS, "Website chat plugin", {"monthly": "9.00", "annual": "90.00"}, ()),
    ("support-10h", T.SUPPORT_PACKAGE, "Support package, 10 hours",
     {"quarterly": "150.00", "annual": "540.00"}, ()),
    ("addon-storage", T.ADDON, "Extra storage 10 GB",
     {"monthly": "1.50", "annual": "15.00", "biennial": "28.00"}, ("web-starter", "web-business")),
    ("addon-backup", T.ADDON, "Daily off-site backups",
     {"monthly": "2.00", "annual": "20.00", "biennial": "38.00"}, ("web-starter", "web-business")),
    ("addon-ip", T.ADDON, "Dedicated IP address", {"monthly": "5.00", "annual": "50.00"},
     ("dedi-e2",)),
]
# fmt: on

#: A dated price change (R2.3): (code, cycle, new amount, days before today).
PRICE_CHANGES = [("web-starter", "annual", "55.00", 90)]

# --- customers -----------------------------------------------------------------------------


def _person(key, name, email, country, language, address, city, postal_code, phone) -> dict:
    return dict(
        key=key,
        kind=Customer.Kind.PERSON,
        name=name,
        email=email,
        country=country,
        language=language,
        address=address,
        city=city,
        postal_code=postal_code,
        phone=phone,
        adult_confirmed=True,
    )


def _company(
    key,
    company_name,
    vat_id,
    tax_office,
    contact,
    domain,
    country,
    language,
    address,
    city,
    postal_code,
    phone,
) -> dict:
    return dict(
        key=key,
        kind=Customer.Kind.COMPANY,
        company_name=company_name,
        vat_id=vat_id,
        tax_office=tax_office,
        name=contact,
        email=f"info@{domain}",
        billing_email=f"accounts@{domain}",
        country=country,
        language=language,
        address=address,
        city=city,
        postal_code=postal_code,
        phone=phone,
    )


# fmt: off
#: Every VAT id passes ``stdnum.eu.vat.is_valid`` (made up, not looked up).
CUSTOMERS: list[dict] = [
    _person("eleni", "Ελένη Παπαδοπούλου", "eleni.papadopoulou@example.com", "GR", "el",
            "Τσιμισκή 45", "Θεσσαλονίκη", "54623", "+30 2310 555101"),
    _person("giorgos", "Γιώργος Νικολάου", "g.nikolaou@example.com", "GR", "el",
            "Ερμού 12", "Αθήνα", "10563", "+30 210 5550112"),
    _person("maria", "Μαρία Κωνσταντίνου", "maria.konstantinou@example.net", "GR", "el",
            "Αγίου Νικολάου 8", "Πάτρα", "26221", "+30 2610 555123"),
    _person("dimitris", "Δημήτρης Αντωνίου", "dantoniou@example.org", "GR", "el",
            "Λεωφόρος Ικάρου 30", "Ηράκλειο", "71306", "+30 2810 555134"),
    _person("katerina", "Κατερίνα Βασιλείου", "katerina.vasileiou@example.com", "GR", "el",
            "Κουντουριώτου 17", "Βόλος", "38221", "+30 24210 55145"),
    _person("nikos", "Νίκος Ιωάννου", "nikos.ioannou@example.net", "GR", "en",
            "Ομήρου 3", "Ιωάννινα", "45444", "+30 26510 55156"),
    _person("sofia", "Σοφία Μιχαηλίδου", "sofia.michailidou@example.org", "GR", "el",
            "Βενιζέλου 22", "Καβάλα", "65302", "+30 2510 555167"),
    _company("elaionas", "Ελαιώνας Κρήτης Α.Ε.", "EL030792440", "ΔΟΥ Ηρακλείου",
             "Μανώλης Σπανάκης", "elaionas-kritis.example.com", "GR", "el",
             "Λεωφόρος 25ης Αυγούστου 50", "Ηράκλειο", "71202", "+30 2810 555201"),
    _company("thermaikos", "Θερμαϊκός Τουρισμός Ι.Κ.Ε.", "EL068599528", "ΔΟΥ Δ' Θεσσαλονίκης",
             "Αλέξανδρος Παππάς", "thermaikos-travel.example.com", "GR", "el",
             "Λεωφόρος Νίκης 10", "Θεσσαλονίκη", "54624", "+30 2310 555212"),
    _company("dimitriou", "Αφοί Δημητρίου Ο.Ε.", "EL010928159", "ΔΟΥ Α' Αθηνών",
             "Πέτρος Δημητρίου", "afoi-dimitriou.example.com", "GR", "el",
             "Πανεπιστημίου 40", "Αθήνα", "10679", "+30 210 5550223"),
    _company("naftiliaki", "Ναυτιλιακή Αιγαίου Α.Ε.", "EL013962459", "ΔΟΥ Α' Πειραιά",
             "Ιωάννα Ρήγα", "aegean-shipping.example.com", "GR", "en",
             "Ακτή Μιαούλη 15", "Πειραιάς", "18535", "+30 210 5550234"),
    _person("andreas", "Ανδρέας Γεωργίου", "andreas.georgiou@example.com", "CY", "en",
            "Λεωφόρος Μακαρίου 120", "Λεμεσός", "3021", "+357 25 555301"),
    _person("christina", "Χριστίνα Χαραλάμπους", "christina.ch@example.net", "CY", "el",
            "Λήδρας 55", "Λευκωσία", "1011", "+357 22 555312"),
    _person("savvas", "Σάββας Κυριάκου", "savvas.kyriakou@example.org", "CY", "en",
            "Αρχιεπισκόπου Κυπριανού 9", "Λάρνακα", "6016", "+357 24 555323"),
    _company("aphrodite", "Aphrodite Digital Ltd", "CY10837407Z", "", "Μάριος Ευαγγέλου",
             "aphrodite-digital.example.com", "CY", "en",
             "Agiou Andreou 200", "Limassol", "3036", "+357 25 555401"),
    _company("troodos", "Troodos Wines Ltd", "CY15516616U", "", "Έλενα Παναγιώτου",
             "troodos-wines.example.com", "CY", "el",
             "Griva Digeni 33", "Paphos", "8047", "+357 26 555412"),
    _company("ayianapa", "Ayia Napa Bay Hotels Ltd", "CY09430186X", "", "Κώστας Χριστοδούλου",
             "ayianapa-bay.example.com", "CY", "en",
             "Nissi Avenue 40", "Ayia Napa", "5343", "+357 23 555423"),
    _person("katarzyna", "Katarzyna Nowak", "katarzyna.nowak@example.com", "PL", "pl",
            "ul. Floriańska 15", "Kraków", "31-019", "+48 12 555 01 01"),
    _person("piotr", "Piotr Wiśniewski", "piotr.wisniewski@example.net", "PL", "pl",
            "ul. Piotrkowska 120", "Łódź", "90-006", "+48 42 555 01 12"),
    _person("agnieszka", "Agnieszka Wójcik", "a.wojcik@example.org", "PL", "pl",
            "ul. Długa 8", "Gdańsk", "80-831", "+48 58 555 01 23"),
    _person("tomasz", "Tomasz Kowalczyk", "tomasz.kowalczyk@example.com", "PL", "pl",
            "ul. Marszałkowska 84", "Warszawa", "00-514", "+48 22 555 01 34"),
    _company("bursztyn", "Bursztyn Studio sp. z o.o.", "PL7552399481", "", "Marek Zieliński",
             "bursztyn-studio.example.com", "PL", "pl",
             "ul. Mariacka 20", "Gdańsk", "80-833", "+48 58 555 02 01"),
    _company("tatry", "Tatry Travel sp. z o.o.", "PL7693478337", "", "Joanna Kamińska",
             "tatry-travel.example.com", "PL", "pl",
             "ul. Krupówki 30", "Zakopane", "34-500", "+48 18 555 02 12"),
    _company("piekarnia", "Wrocławska Piekarnia S.A.", "PL3497958369", "", "Paweł Lewandowski",
             "piekarnia-wroclaw.example.com", "PL", "pl",
             "ul. Świdnicka 12", "Wrocław", "50-066", "+48 71 555 02 23"),
    _person("anna", "Anna Müller", "anna.mueller@example.com", "DE", "en",
            "Lindenstraße 12", "Berlin", "10969", "+49 30 5550101"),
    _person("juergen", "Jürgen Schmidt", "juergen.schmidt@example.net", "DE", "en",
            "Schillerstraße 5", "München", "80336", "+49 89 5550112"),
    _person("sabine", "Sabine Fischer", "sabine.fischer@example.org", "DE", "en",
            "Königsallee 60", "Düsseldorf", "40212", "+49 211 5550123"),
    _company("schneider", "Schneider & Weber Webdesign GmbH", "DE497846950", "", "Lukas Weber",
             "schneider-weber.example.com", "DE", "en",
             "Hafenstraße 3", "Hamburg", "20459", "+49 40 5550201"),
    _company("hoffmann", "Bäckerei Hoffmann GmbH", "DE873308725", "", "Claudia Hoffmann",
             "baeckerei-hoffmann.example.com", "DE", "en",
             "Marktplatz 7", "Heidelberg", "69117", "+49 6221 5550212"),
    _company("rheinland", "Rheinland Logistik AG", "DE965170226", "", "Stefan Becker",
             "rheinland-logistik.example.com", "DE", "en",
             "Rheinuferstraße 20", "Köln", "50668", "+49 221 5550223"),
]
# fmt: on


# --- what each customer orders and does ----------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One service's story. Days count back from today."""

    customer: str
    product: str
    cycle: str
    ordered: int
    label: str = ""
    pays: int | None = None  # proformas the customer pays, the order's first; None: all
    renewal_paid_after: int = PAY_AFTER  # a late payer pays renewals this many days late
    addon_to: str = ""  # the product code of the customer's service it attaches to
    cancel: tuple[int, str] | None = None  # (days ago, "immediate" or "end_of_period")
    fraud: int | None = None  # days ago staff found the order fraudulent

    @property
    def key(self) -> tuple[str, str]:
        return (self.customer, self.product)


# fmt: off
PLANS: list[Plan] = [
    # Greek persons
    Plan("eleni", "web-starter", "annual", 330, "eleni-photography.gr"),
    Plan("eleni", "domain-gr", "annual", 330, "eleni-photography.gr"),
    Plan("eleni", "addon-storage", "annual", 200, addon_to="web-starter"),
    Plan("giorgos", "iptv-box", "monthly", 150, "Living room box"),
    Plan("maria", "web-starter", "monthly", 150, "maria-knits.gr", pays=3),  # terminated
    Plan("dimitris", "chat-plan", "monthly", 120, "antoniou-rooms.gr",
         cancel=(40, "end_of_period")),
    Plan("katerina", "mail-pro", "annual", 375, "vasileiou.gr", pays=1),  # suspended
    Plan("nikos", "ssl-dv", "annual", 350, "www.ioannou-law.gr", pays=1),  # expiring
    Plan("nikos", "domain-com", "annual", 350, "ioannou-law.com"),
    Plan("sofia", "web-starter", "annual", 20, "sofia-shop.gr", pays=0, fraud=18),
    # Greek companies
    Plan("elaionas", "eshop-woocommerce", "one_off", 300, "shop.elaionas-kritis.gr"),
    Plan("elaionas", "wp-care", "monthly", 150, "shop.elaionas-kritis.gr"),
    Plan("elaionas", "social-basic", "monthly", 150, "Facebook and Instagram"),
    Plan("thermaikos", "dedi-e2", "monthly", 150, "srv1.thermaikos-travel.gr"),
    Plan("thermaikos", "addon-ip", "monthly", 140, addon_to="dedi-e2"),
    Plan("thermaikos", "ads-google", "monthly", 150, "Summer campaign", pays=3),  # terminated
    Plan("dimitriou", "web-business", "annual", 390, "afoi-dimitriou.gr"),
    Plan("dimitriou", "support-10h", "quarterly", 200, "Office support"),
    Plan("naftiliaki", "seo-local", "quarterly", 210, "aegean-shipping.gr"),
    Plan("naftiliaki", "dedi-e2", "monthly", 150, "db1.aegean-shipping.gr", pays=4),
    # Cypriot persons; Andreas is the ``demo`` login
    Plan("andreas", "web-business", "annual", 350, "georgiou-architects.com.cy", pays=1),
    Plan("andreas", "addon-backup", "annual", 200, addon_to="web-business"),
    Plan("andreas", "domain-com", "annual", 300, "georgiou-architects.com"),
    Plan("andreas", "ssl-dv", "annual", 100, "www.georgiou-architects.com.cy"),
    Plan("andreas", "iptv-box", "monthly", 150, "Holiday flat", cancel=(60, "immediate")),
    Plan("andreas", "chat-plan", "monthly", 5, "georgiou-architects.com.cy", pays=0),
    Plan("christina", "web-starter", "annual", 380, "christina-yoga.com.cy",
         renewal_paid_after=35),  # paid late: suspended for a few days, then reactivated
    Plan("savvas", "iptv-box", "annual", 200, "Bedroom box"),
    # Cypriot companies
    Plan("aphrodite", "web-business", "annual", 390, "aphrodite-digital.com.cy"),
    Plan("aphrodite", "mail-pro", "annual", 390, "aphrodite-digital.com.cy"),
    Plan("troodos", "site-wordpress", "one_off", 60, "troodos-wines.com.cy", pays=0),
    Plan("troodos", "social-basic", "monthly", 150, "Instagram", pays=2),  # terminated
    Plan("ayianapa", "chat-plan", "annual", 390, "ayianapa-bay.com", cancel=(60, "end_of_period")),
    Plan("ayianapa", "support-10h", "annual", 100, "Front-desk support"),
    # Polish persons
    Plan("katarzyna", "web-starter", "biennial", 390, "nowak-ceramika.pl"),
    Plan("piotr", "iptv-box", "semiannual", 250, "Salon", pays=1),  # terminated
    Plan("agnieszka", "chat-plan", "monthly", 90, "wojcik-korepetycje.pl"),
    Plan("tomasz", "domain-com", "annual", 3, "kowalczyk-foto.com", pays=0),  # pending
    # Polish companies
    Plan("bursztyn", "dedi-e2", "annual", 300, "render1.bursztyn-studio.pl"),
    Plan("bursztyn", "seo-local", "monthly", 150, "bursztyn-studio.pl"),
    Plan("tatry", "web-business", "annual", 385, "tatry-travel.pl", pays=1),  # suspended
    Plan("tatry", "addon-storage", "annual", 300, addon_to="web-business"),
    Plan("piekarnia", "ads-google", "monthly", 100, "Local bakery campaign"),
    Plan("piekarnia", "site-wordpress", "one_off", 250, "piekarnia-wroclaw.pl"),
    # German persons
    Plan("anna", "web-starter", "monthly", 100, "anna-mueller-design.de"),
    Plan("juergen", "ssl-dv", "annual", 345, "www.schmidt-steuer.de", pays=1),  # expiring
    Plan("sabine", "mail-pro", "monthly", 60, "fischer-praxis.de"),
    # German companies
    Plan("schneider", "support-10h", "quarterly", 210, "Agency support"),
    Plan("schneider", "seo-local", "quarterly", 200, "schneider-weber.de"),
    Plan("hoffmann", "web-business", "annual", 200, "baeckerei-hoffmann.de"),
    Plan("hoffmann", "addon-backup", "annual", 150, addon_to="web-business"),
    Plan("hoffmann", "domain-com", "annual", 200, "baeckerei-hoffmann.com"),
    Plan("rheinland", "dedi-e2", "monthly", 150, "erp.rheinland-logistik.de",
         cancel=(20, "end_of_period")),  # written notice (R3.7): runs on a while
    Plan("rheinland", "wp-care", "annual", 200, "rheinland-logistik.de"),
]
# fmt: on

CANCEL_REASONS = {"immediate": "No longer needed", "end_of_period": "Moving to an in-house team"}
FRAUD_REASON = "Stolen card: the issuer reported the order as fraudulent"
PAYMENT_METHODS = (Method.BANK_TRANSFER, Method.CARD, Method.PAYPAL)


# --- guards and reset ----------------------------------------------------------------------


def check_allowed() -> None:
    """The demo's logins have published passwords: development databases only."""
    if not settings.DEBUG:
        raise DemoRefused(
            "kyklos demo creates logins with published passwords, so it runs only in "
            "development (KYKLOS_DEBUG=1). Nothing was changed."
        )


def is_loaded() -> bool:
    return User.objects.filter(username=CUSTOMER[0], customer__isnull=False).exists()


def is_empty() -> bool:
    return not (Customer.objects.exists() or Product.objects.exists() or User.objects.exists())


def wipe() -> None:
    """Delete every row of every table, then put back what the migrations seed (the
    default lifecycle policies, support defaults, VAT rates, payment-method fees); the
    schema stays."""
    # Inside a transaction, PostgreSQL refuses to truncate tables with deferred
    # foreign-key checks pending; run them first.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    seed_policies(LifecyclePolicy)
    support_defaults.seed(lambda name: django_apps.get_model("support", name))
    seed_rates()
    seed_fees(MethodFee)


# --- loading -------------------------------------------------------------------------------


@dataclass
class Summary:
    customers: int
    products: int
    services: dict[str, int]
    documents: int
    payments: int
    notices: int
    seconds: float

    def lines(self) -> list[str]:
        states = ", ".join(f"{count} {state}" for state, count in self.services.items())
        return [
            f"Demo data loaded in {self.seconds:.1f} s: {self.customers} customers, "
            f"{self.products} products, {sum(self.services.values())} services ({states}),",
            f"{self.documents} invoices and receipts, {self.payments} payments, "
            f"{self.notices} notices in the outbox.",
        ]


def load(today: date | None = None) -> Summary:
    """Load the demo into an empty database, all or nothing."""
    check_allowed()
    started = time.perf_counter()
    today = today or clock.today()
    with transaction.atomic():
        _Story(today).tell()
    return _summary(time.perf_counter() - started)


def _summary(seconds: float) -> Summary:
    counts = Counter(Service.objects.values_list("state", flat=True))
    return Summary(
        customers=Customer.objects.count(),
        products=Product.objects.count(),
        services={state: counts[state] for state in State.values if counts[state]},
        documents=Invoice.objects.count(),
        payments=Payment.objects.count(),
        notices=Outbox.objects.count(),
        seconds=seconds,
    )


def login_lines() -> list[str]:
    base = settings.KYKLOS_PORTAL_URL.rstrip("/")
    return [
        f"Staff:    {ADMIN[0]} / {ADMIN[1]}  (superuser), {BILLING[0]} / {BILLING[1]}  "
        f"(billing staff)   {base}/admin/",
        "          also "
        + ", ".join(f"{u} / {p}" for u, p, _r in ROLE_LOGINS)
        + "  (support, technical, DPO)",
        f"Staff second factor: TOTP secret {STAFF_TOTP_SECRET} (add it to an authenticator "
        f"app, or: oathtool --totp -b {STAFF_TOTP_SECRET})",
        f"Customer: {CUSTOMER[0]} / {CUSTOMER[1]}   {base}/portal/",
    ]


@dataclass
class _Story:
    """Plays :data:`PLANS` day by day, with the daily run between the days."""

    today: date
    users: dict[str, User] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    plans_by_service: dict[int, Plan] = field(default_factory=dict)
    paid: Counter = field(default_factory=Counter)

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def tell(self) -> None:
        first = self.ago(HISTORY_DAYS)
        with clock.frozen(first):
            self.create_staff()
            self.create_catalog(first)
        agenda = self.agenda()
        day, runs_from = first, self.ago(RUN_DAYS)
        while day <= self.today:
            if day >= runs_from:
                run_day(day)
            with clock.frozen(day):
                for action in agenda.get(day, []):
                    action()
                self.pay_due(day)
            day += timedelta(days=1)

    def agenda(self) -> dict[date, list[Callable[[], None]]]:
        """What happens on which day, in order: sign-ups, orders, cancellations, fraud."""
        agenda: dict[date, list[Callable[[], None]]] = defaultdict(list)
        signup = {
            spec["key"]: max(p.ordered for p in PLANS if p.customer == spec["key"])
            for spec in CUSTOMERS
        }
        for spec in CUSTOMERS:
            agenda[self.ago(signup[spec["key"]])].append(lambda s=spec: self.sign_up(s))
        for code, cycle, amount, days in PRICE_CHANGES:
            agenda[self.ago(days)].append(
                lambda c=code, y=cycle, a=amount, d=days: self.change_price(c, y, a, d)
            )
        for plan in sorted(PLANS, key=lambda p: (-p.ordered, bool(p.addon_to))):
            agenda[self.ago(plan.ordered)].append(lambda p=plan: self.order(p))
            if plan.cancel:
                agenda[self.ago(plan.cancel[0])].append(lambda p=plan: self.cancel(p))
            if plan.fraud is not None:
                agenda[self.ago(plan.fraud)].append(lambda p=plan: self.mark_fraud(p))
        return agenda

    # staff and catalog

    def create_staff(self) -> None:
        joined = clock.now()
        self.users["admin"] = User.objects.create_superuser(
            ADMIN[0],
            "admin@kyklos.localhost",
            ADMIN[1],
            date_joined=joined,
            first_name="Νίκη",
            last_name="Αλεξίου",
        )
        billing = User.objects.create_user(
            BILLING[0],
            "billing@kyklos.localhost",
            BILLING[1],
            is_staff=True,
            date_joined=joined,
            first_name="Στέλιος",
            last_name="Μαυρίδης",
        )
        roles.assign(billing, roles.BILLING)
        self.users["billing"] = billing
        for username, password, role in ROLE_LOGINS:
            user = User.objects.create_user(
                username, f"{username}@kyklos.localhost", password, date_joined=joined
            )
            roles.assign(user, role)
        key = base64.b32decode(STAFF_TOTP_SECRET).hex()
        TOTPDevice.objects.bulk_create(
            TOTPDevice(user=user, name="Demo authenticator", key=key, confirmed=True)
            for user in User.objects.filter(is_staff=True)
        )

    def create_catalog(self, first: date) -> None:
        admin = self.users["admin"]
        for code, product_type, name, prices, _addon_for in PRODUCTS:
            self.products[code] = catalog.create_product(
                code=code,
                type=product_type,
                name=name,
                prices=prices,
                valid_from=first,
                actor=admin,
            )
        for code, *_rest, addon_for in PRODUCTS:
            if addon_for:
                self.products[code].addon_for.set([self.products[c] for c in addon_for])

    def change_price(self, code: str, cycle: str, amount: str, days: int) -> None:
        catalog.set_price(
            self.products[code],
            cycle=cycle,
            amount=amount,
            valid_from=self.ago(days),
            actor=self.users["admin"],
        )

    # customers

    def sign_up(self, spec: dict) -> None:
        fields = {k: v for k, v in spec.items() if k != "key"}
        user = None
        if spec["key"] == DEMO_CUSTOMER:
            first_name, last_name = spec["name"].split(" ", 1)
            user = User.objects.create_user(
                CUSTOMER[0],
                spec["email"],
                CUSTOMER[1],
                date_joined=clock.now(),
                first_name=first_name,
                last_name=last_name,
            )
        self.customers[spec["key"]] = create_customer(
            **fields,
            user=user,
            terms_version=TERMS_VERSION,
            channel="portal" if user else "staff",
            actor=user or self.users["billing"],
        )

    def actor(self, plan: Plan) -> User:
        return self.customers[plan.customer].user or self.users["billing"]

    def order(self, plan: Plan) -> None:
        parent = self.services[(plan.customer, plan.addon_to)] if plan.addon_to else None
        if parent is not None:
            parent.refresh_from_db()
        service = lifecycle.order_service(
            customer=self.customers[plan.customer],
            product=self.products[plan.product],
            cycle=plan.cycle,
            label=plan.label,
            parent=parent,
            actor=self.actor(plan),
        )
        self.services[plan.key] = service
        self.plans_by_service[service.pk] = plan

    def cancel(self, plan: Plan) -> None:
        _days, when = plan.cancel
        lifecycle.request_cancellation(
            self.services[plan.key], when=when, reason=CANCEL_REASONS[when], actor=self.actor(plan)
        )

    def mark_fraud(self, plan: Plan) -> None:
        """Staff stop a fraudulent order; its unpaid proforma is cancelled with it."""
        lifecycle.end_services(
            [self.services[plan.key].pk],
            State.FRAUD,
            day=clock.today(),
            reason=FRAUD_REASON,
            actor=self.users["admin"],
        )

    # payments

    def pay_due(self, day: date) -> None:
        """Customers pay the open proformas their plan says they pay, when it says."""
        for invoice, plan, kind in self.open_proformas(day - timedelta(days=PAY_AFTER)):
            wait = PAY_AFTER if kind == Renewal.Kind.ORDER else plan.renewal_paid_after
            if plan.pays is not None and self.paid[plan.key] >= plan.pays:
                continue
            if (day - invoice.issued_on).days < wait:
                continue
            record_payment(
                invoice,
                amount=invoice.total,
                method=PAYMENT_METHODS[invoice.pk % len(PAYMENT_METHODS)],
                reference=f"Ref. {invoice.number}",
                actor=self.users["billing"],
            )
            self.paid[plan.key] += 1

    def open_proformas(self, issued_by: date) -> list[tuple[Invoice, Plan, str]]:
        """Open proformas issued by ``issued_by``, each with the plan of its main service
        (add-ons ride on their parent's renewal) and its kind; one query."""
        renewals = (
            Renewal.objects.filter(
                status=Renewal.Status.OPEN,
                invoice__status=Invoice.Status.OPEN,
                invoice__kind=DocumentKind.PROFORMA,
                invoice__issued_on__lte=issued_by,
            )
            .select_related("invoice", "service")
            .order_by("invoice_id", F("service__parent_id").asc(nulls_first=True), "service_id")
        )
        found: dict[int, tuple[Invoice, Plan, str]] = {}
        for renewal in renewals:
            if renewal.invoice_id not in found:
                plan = self.plans_by_service[renewal.service_id]
                found[renewal.invoice_id] = (renewal.invoice, plan, renewal.kind)
        return list(found.values())
