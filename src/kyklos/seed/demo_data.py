"""Who the demo's people are and what they do: the staff logins, the customers and the
story of each service (:class:`Plan`). :mod:`kyklos.seed.demo` plays it.

Staff and customer logins get fixed, published passwords: development only.
"""

from __future__ import annotations

from dataclasses import dataclass

from kyklos.accounts import roles
from kyklos.customers.models import Customer
from kyklos.payments.models import Method

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
#: code with ``kyklos demo --code``.
STAFF_TOTP_SECRET = "KYKLOSDEMOTOTPSECRETFORSTAFF2345"

# --- the calendar --------------------------------------------------------------------------

HISTORY_DAYS = 390  # the oldest order
#: The daily run goes over every day of this window up to today. Before it nothing falls
#: due: only annual and longer subscriptions are ordered earlier, and their first renewal
#: proforma falls inside it (were anything due earlier, the first run would catch up).
RUN_DAYS = 150
PAY_AFTER = 2  # days after issue a paying customer pays a proforma

# --- customers -----------------------------------------------------------------------------

#: The terms every demo customer accepted at sign-up.
TERMS_VERSION = "2024-01"


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

# --- the desk and the agency work ----------------------------------------------------------


@dataclass(frozen=True)
class DemoTicket:
    """A customer writes on ``opened`` days ago; support answers a day later; ``resolved``
    tickets are marked resolved after the answer."""

    customer: str
    opened: int
    department: str
    subject: str
    body: str
    reply: str = ""
    resolved: bool = False


TICKETS = [
    DemoTicket(
        "andreas",
        40,
        "technical",
        "Το email δεν στέλνει από το κινητό",
        "Από χθες το βράδυ το Outlook στο κινητό δεν στέλνει μηνύματα. Λαμβάνω κανονικά.",
        "Καλησπέρα σας, αλλάξαμε τη θύρα SMTP σε 587 με STARTTLS· δοκιμάστε ξανά.",
        resolved=True,
    ),
    DemoTicket(
        "andreas",
        6,
        "billing",
        "Τιμολόγιο με ΑΦΜ εταιρείας",
        "Μπορώ να πάρω το επόμενο τιμολόγιο στα στοιχεία της εταιρείας μου;",
        "Βεβαίως· ενημερώστε τα στοιχεία σας στο προφίλ και θα εκδοθεί στο νέο όνομα.",
    ),
    DemoTicket(
        "nikos",
        3,
        "technical",
        "Website slow since yesterday",
        "Our shop pages take 8 seconds to load since yesterday afternoon.",
    ),
    DemoTicket(
        "maria",
        1,
        "sales",
        "Αναβάθμιση πακέτου φιλοξενίας",
        "Θα ήθελα περισσότερο χώρο· τι επιλογές έχω;",
    ),
]


@dataclass(frozen=True)
class DemoQuote:
    """Staff send a quote ``sent`` days ago; the customer accepts it ``accepted`` days ago
    (a project opens and the deposit is asked for) or leaves it open."""

    customer: str
    sent: int
    title: str
    lines: tuple[tuple[str, str, int], ...]  # description, unit price, quantity
    accepted: int | None = None


QUOTES = [
    DemoQuote(
        "elaionas",
        45,
        "Ηλεκτρονικό κατάστημα ελαιολάδου",
        (
            ("Σχεδιασμός και ανάπτυξη καταστήματος", "3200.00", 1),
            ("Μετάφραση στα αγγλικά (ανά σελίδα)", "40.00", 12),
        ),
        accepted=40,
    ),
    DemoQuote(
        "andreas",
        5,
        "Ανανέωση ιστοσελίδας γραφείου",
        (("Νέο θέμα και μεταφορά περιεχομένου", "850.00", 1),),
    ),
]
