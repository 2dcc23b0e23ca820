"""Invented customers for the simulated shop: names, streets, postcodes, phones, companies, VAT ids.

Everything is drawn from a caller's `random.Random`, so a seed gives the same people every run.
VAT numbers are built with each country's real check-digit rule, so a validator (python-stdnum,
VIES syntax checks) accepts the valid ones and refuses the invalid ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_FIRST = {
    "NL": ("Sanne", "Daan", "Emma", "Bram", "Lotte", "Ruben", "Fleur", "Thijs", "Anouk", "Joost"),
    "BE": ("Lien", "Wout", "Elise", "Pieter", "Amélie", "Jonas", "Louise", "Arne", "Marie", "Tom"),
    "DE": ("Lena", "Jonas", "Mia", "Lukas", "Hannah", "Felix", "Anna", "Paul", "Sophie", "Jan"),
    "FR": ("Camille", "Louis", "Chloé", "Hugo", "Léa", "Jules", "Manon", "Théo", "Inès", "Noé"),
    "GB": ("Olivia", "Harry", "Amelia", "George", "Isla", "Oliver", "Ava", "Jack", "Grace", "Leo"),
    "US": ("Emily", "Jacob", "Madison", "Ethan", "Abigail", "Noah", "Ella", "Mason", "Avery", "Liam"),
}
_LAST = {
    "NL": ("de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
           "Mulder", "van Dijk"),
    "BE": ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
           "Dubois", "Lambert"),
    "DE": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann"),
    "FR": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
           "Leroy", "Moreau"),
    "GB": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
           "Evans", "Walker"),
    "US": ("Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson", "Taylor", "Moore",
           "Jackson", "White"),
}
_STREETS = {
    "NL": ("Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein", "Prinsengracht",
           "Julianalaan", "Lindelaan", "Havenkade"),
    "BE": ("Kerkstraat", "Stationsstraat", "Rue de la Loi", "Meir", "Grote Markt", "Veldstraat"),
    "DE": ("Hauptstraße", "Schulstraße", "Gartenweg", "Bahnhofstraße", "Lindenallee", "Ringstraße"),
    "FR": ("rue de la Paix", "avenue Victor Hugo", "rue du Moulin", "boulevard Voltaire",
           "place de la République", "rue des Écoles"),
    "GB": ("High Street", "Station Road", "Church Lane", "Park Avenue", "Victoria Road", "Mill Lane"),
    "US": ("Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Elm Street", "Washington Ave"),
}
# (city, postcode prefix, PrestaShop state id — only the US uses states)
_CITIES = {
    "NL": (("Amsterdam", "10", "0"), ("Utrecht", "35", "0"), ("Rotterdam", "30", "0"),
           ("Groningen", "97", "0"), ("Eindhoven", "56", "0"), ("Zwolle", "80", "0")),
    "BE": (("Antwerpen", "20", "0"), ("Gent", "90", "0"), ("Brussel", "10", "0"),
           ("Leuven", "30", "0"), ("Liège", "40", "0")),
    "DE": (("Berlin", "10", "0"), ("Hamburg", "20", "0"), ("Köln", "50", "0"),
           ("München", "80", "0"), ("Düsseldorf", "40", "0")),
    "FR": (("Paris", "75", "0"), ("Lyon", "69", "0"), ("Lille", "59", "0"),
           ("Bordeaux", "33", "0"), ("Nantes", "44", "0")),
    "GB": (("London", "SW1", "0"), ("Manchester", "M1", "0"), ("Bristol", "BS1", "0"),
           ("Leeds", "LS1", "0")),
    "US": (("New York", "100", "32"), ("Miami", "331", "9"), ("Austin", "787", "43"),
           ("San Francisco", "941", "5")),
}
_COMPANY_FORMS = {
    "NL": ("B.V.", "V.O.F."), "BE": ("BV", "NV"), "DE": ("GmbH", "KG"), "FR": ("SARL", "SAS"),
    "GB": ("Ltd",), "US": ("LLC", "Inc."),
}
_COMPANY_WORDS = ("Theehuis", "Tea Corner", "Kruidenier", "Café Central", "Leaf & Co",
                  "Porselein", "Het Groene Blad", "Samovar", "Lotus", "Kettle Works")


@dataclass(frozen=True)
class Person:
    country: str
    firstname: str
    lastname: str
    email: str
    gender: str
    birthday: str


@dataclass(frozen=True)
class Street:
    address1: str
    postcode: str
    city: str
    id_state: str
    phone: str


def person(rng: random.Random, country: str, number: int) -> Person:
    """A private person living in `country`; `number` keeps e-mail addresses unique."""
    firstname = rng.choice(_FIRST[country])
    lastname = rng.choice(_LAST[country])
    local = f"{firstname}.{lastname}".lower().replace(" ", "").replace("é", "e").replace("ü", "u")
    domain = rng.choice(("example.com", "example.net", "example.org"))
    gender = "2" if firstname in _FIRST[country][::2] else "1"
    birthday = f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return Person(country, firstname, lastname, f"{local}.{number}@{domain}", gender, birthday)


def street(rng: random.Random, country: str) -> Street:
    name = rng.choice(_STREETS[country])
    number = rng.randint(1, 180)
    city, prefix, id_state = rng.choice(_CITIES[country])
    if country == "NL":
        postcode = f"{prefix}{rng.randint(10, 99)} {rng.choice('ABCDEGHJKLMNPRST')}"
        postcode += rng.choice("ABCDEGHJKLMNPRSTVWXZ")
        address1 = f"{name} {number}"
        phone = f"06 {rng.randint(10000000, 99999999)}"
    elif country == "BE":
        postcode = f"{prefix}{rng.randint(0, 99):02d}"
        address1 = f"{name} {number}"
        phone = f"+32 4{rng.randint(10000000, 99999999)}"
    elif country == "DE":
        postcode = f"{prefix}{rng.randint(0, 999):03d}"
        address1 = f"{name} {number}"
        phone = f"+49 15{rng.randint(10000000, 99999999)}"
    elif country == "FR":
        postcode = f"{prefix}{rng.randint(0, 999):03d}"
        address1 = f"{number}, {name}"
        phone = f"+33 6 {rng.randint(10000000, 99999999)}"
    elif country == "GB":
        postcode = f"{prefix} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        postcode += rng.choice("ABDEFGHJLNPQRSTUWXYZ")
        address1 = f"{number} {name}"
        phone = f"+44 7{rng.randint(100000000, 999999999)}"
    else:
        postcode = f"{prefix}{rng.randint(0, 99):02d}"
        address1 = f"{number} {name}"
        phone = f"+1 {rng.randint(200, 989)} {rng.randint(2000000, 9999999)}"
    return Street(address1, postcode, city, id_state, phone)


def company_name(rng: random.Random, country: str) -> str:
    return f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_FORMS[country])}"


def valid_vat_number(rng: random.Random, country: str) -> str:
    """A VAT number of `country` (NL, BE, DE, FR) whose check digits are right."""
    if country == "NL":
        while True:
            digits = [rng.randint(0, 9) for _ in range(8)]
            digits[0] = rng.randint(1, 9)
            check = sum((9 - i) * d for i, d in enumerate(digits)) % 11
            if check < 10:
                body = "".join(map(str, digits)) + str(check)
                return f"NL{body}B{rng.randint(1, 9):02d}"
    if country == "BE":
        base = f"0{rng.randint(2000000, 9999999)}"
        return f"BE{base}{97 - int(base) % 97:02d}"
    if country == "DE":
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        return "DE" + "".join(map(str, digits)) + str(_mod_11_10(digits))
    if country == "FR":
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        siren = "".join(map(str, digits)) + str(_luhn_check_digit(digits))
        return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    raise ValueError(f"no VAT numbers for {country}")


def invalid_vat_number(rng: random.Random, country: str) -> str:
    """A VAT number of `country` that looks right but whose check digit is wrong."""
    valid = valid_vat_number(rng, country)
    at = 10 if country == "NL" else len(valid) - 1  # NL: the 9th digit, before "B01"
    for step in range(1, 10):
        wrong = valid[:at] + str((int(valid[at]) + step) % 10) + valid[at + 1:]
        if not (country == "NL" and _nl_mod_97_valid(wrong)):
            return wrong
    raise AssertionError("unreachable: at most one digit passes the NL mod-97 rule")


def _nl_mod_97_valid(vat: str) -> bool:
    """The Dutch VAT id of sole proprietors (since 2020): ISO 7064 MOD 97-10 over "NL…B..."."""
    digits = "".join(str(ord(c) - 55) if c.isalpha() else c for c in vat)
    return int(digits) % 97 == 1


def _mod_11_10(digits: list[int]) -> int:
    """ISO 7064 MOD 11,10 check digit (German USt-IdNr)."""
    product = 10
    for digit in digits:
        total = (digit + product) % 10 or 10
        product = (2 * total) % 11
    return (11 - product) % 10


def _luhn_check_digit(digits: list[int]) -> int:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10
