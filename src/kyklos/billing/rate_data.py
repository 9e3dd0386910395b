"""The standard VAT rates of the 27 member states shipped with Kyklos, with the changes
since 2020 (R6.3). Append-only: a change is a new row from its date; the data migration
0003 and :func:`kyklos.billing.vat.RateBook.load` (which restores them into an empty
table, e.g. after a test database flush) read this list.
"""

from datetime import date

BASE = date(2020, 1, 1)
SOURCE = "European Commission, VAT rates applied in the Member States (taxation_customs)"

#: (country, rate, valid from): the rate in force on 1 January 2020, then each change.
RATES = [
    ("AT", "20", BASE),
    ("BE", "21", BASE),
    ("BG", "20", BASE),
    ("CY", "19", BASE),
    ("CZ", "21", BASE),
    ("DE", "19", BASE),
    ("DE", "16", date(2020, 7, 1)),  # temporary cut (Corona-Steuerhilfegesetz)
    ("DE", "19", date(2021, 1, 1)),
    ("DK", "25", BASE),
    ("EE", "20", BASE),
    ("EE", "22", date(2024, 1, 1)),
    ("EE", "24", date(2025, 7, 1)),
    ("ES", "21", BASE),
    ("FI", "24", BASE),
    ("FI", "25.5", date(2024, 9, 1)),
    ("FR", "20", BASE),
    ("GR", "24", BASE),
    ("HR", "25", BASE),
    ("HU", "27", BASE),
    ("IE", "23", BASE),
    ("IE", "21", date(2020, 9, 1)),  # temporary cut
    ("IE", "23", date(2021, 3, 1)),
    ("IT", "22", BASE),
    ("LT", "21", BASE),
    ("LU", "17", BASE),
    ("LU", "16", date(2023, 1, 1)),  # temporary cut for 2023
    ("LU", "17", date(2024, 1, 1)),
    ("LV", "21", BASE),
    ("MT", "18", BASE),
    ("NL", "21", BASE),
    ("PL", "23", BASE),
    ("PT", "23", BASE),
    ("RO", "19", BASE),
    ("RO", "21", date(2025, 8, 1)),
    ("SE", "25", BASE),
    ("SI", "22", BASE),
    ("SK", "20", BASE),
    ("SK", "23", date(2025, 1, 1)),
]
