"""Freeze Faker's first- and last-name lists into names.json (run by hand when adding a locale).

    python -m sanitizer.data.build_name_pools

The fake names sanitizer generates are picks from these lists by a keyed hash, so the lists are part
of what makes a pseudonym stable: shipping a frozen copy means upgrading Faker does not silently change
every fake name in staging (which would look like a key rotation).
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path

LOCALES = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_NZ",
    "en_IN",
    "fr_FR",
    "fr_CA",
    "de_DE",
    "de_AT",
    "es_ES",
    "es_MX",
    "it_IT",
    "nl_NL",
    "pt_BR",
    "pt_PT",
    "sv_SE",
    "da_DK",
    "no_NO",
    "fi_FI",
    "pl_PL",
)
OUT = Path(__file__).with_name("names.json")


def _names(provider: object, attribute: str) -> list[str]:
    names = getattr(provider, attribute, ())
    return list(dict.fromkeys(str(name) for name in names if str(name).strip()))


def main() -> None:
    pools = {}
    for locale in LOCALES:
        provider = import_module(f"faker.providers.person.{locale}").Provider
        lists = {"first": _names(provider, "first_names"), "last": _names(provider, "last_names")}
        # A list Faker keeps elsewhere (by gender, say) is left out: that locale falls back to Faker.
        pools[locale] = {kind: names for kind, names in lists.items() if len(names) >= 50}
    OUT.write_text(
        json.dumps(pools, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )
    sizes = ", ".join(
        f"{locale} {len(p.get('first', ()))}/{len(p.get('last', ()))}"
        for locale, p in pools.items()
    )
    print(f"wrote {OUT}: {sizes}")


if __name__ == "__main__":
    main()
