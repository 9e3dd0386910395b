"""The demo catalog: the products a Greek provider sells, with their prices per cycle.

``kyklos demo`` creates them as staff would; ``kyklos bench seed`` creates those missing and
sells them in the mix of :data:`kyklos.seed.bench_rows.MIX`.
"""

from kyklos.catalog.models import ProductType as T

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

#: What the shop shows under a product's name (demo only).
DESCRIPTIONS = {
    "web-starter": "One website, 10 GB SSD, free SSL certificate, daily backups.",
    "web-business": "Up to 10 websites, 50 GB SSD, staging copies, daily backups for 30 days.",
    "mail-pro": "10 mailboxes of 10 GB with spam filtering, webmail and calendar sharing.",
    "ssl-dv": "A domain-validated certificate, installed for you on our servers.",
    "dedi-e2": "Intel Xeon E-2 server, 32 GB RAM, 2 × 1 TB NVMe, 1 Gbit/s, in Athens.",
    "site-wordpress": "A WordPress site of up to 8 pages, in two languages, ready in 4 weeks.",
    "eshop-woocommerce": "A WooCommerce shop with cards, bank transfer and courier shipping.",
    "wp-care": "Updates, backups, uptime checks and an hour of changes a month.",
    "iptv-box": "A set-top box with TV channels and recordings; the box is shipped to you.",
    "chat-plan": "A chat window for your site, with the conversations kept in the EU.",
}

#: The demo's terms of service, published when the catalogue is made (R12.3).
TERMS_TEXTS = {
    "el": "Όροι χρήσης (επίδειξη).\n\nΟι υπηρεσίες πληρώνονται προκαταβολικά.",
    "en": "Terms of service (demo).\n\nServices are paid in advance.",
    "pl": "Regulamin (demonstracja).\n\nUsługi są płatne z góry.",
}
