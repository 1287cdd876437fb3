"""Genesys Cloud regions: region name → API base URL, and the API → login host rule.

The region table is the one in the official Python SDK (`purecloud_region_hosts.py`) and the
Terraform provider (`getRegionMap`); the login host is the API host with `//api.` replaced by
`//login.` (SDK `api_client.get_conf_url`). A base URL that has no `//api.` host (the local
emulator, a proxy) serves `/oauth/token` itself, so its login URL is the base URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sanitizer.errors import ConfigError

REGION_DOMAINS: dict[str, str] = {
    "us_east_1": "mypurecloud.com",
    "eu_west_1": "mypurecloud.ie",
    "ap_southeast_2": "mypurecloud.com.au",
    "ap_northeast_1": "mypurecloud.jp",
    "eu_central_1": "mypurecloud.de",
    "us_west_2": "usw2.pure.cloud",
    "ca_central_1": "cac1.pure.cloud",
    "ap_northeast_2": "apne2.pure.cloud",
    "eu_west_2": "euw2.pure.cloud",
    "ap_south_1": "aps1.pure.cloud",
    "us_east_2": "use2.us-gov-pure.cloud",
    "sa_east_1": "sae1.pure.cloud",
    "me_central_1": "mec1.pure.cloud",
    "ap_northeast_3": "apne3.pure.cloud",
    "eu_central_2": "euc2.pure.cloud",
    "mx_central_1": "mxc1.pure.cloud",
    "ap_southeast_1": "apse1.pure.cloud",
    "eusc_de_east_1": "edee1.eusc-pure.cloud",
}

_API_HOST = re.compile(r"//api\.")


@dataclass(frozen=True)
class Endpoints:
    """Where to send API calls and where to get tokens."""

    api_url: str
    login_url: str


def api_url_for_region(region: str) -> str:
    """The API base URL of a region given as `us_east_1`, `us-east-1` or `mypurecloud.com`."""
    name = region.strip().lower().replace("-", "_")
    if name in REGION_DOMAINS:
        return f"https://api.{REGION_DOMAINS[name]}"
    domain = region.strip().lower().removeprefix("api.")
    if domain in REGION_DOMAINS.values():
        return f"https://api.{domain}"
    known = ", ".join(sorted(REGION_DOMAINS))
    raise ConfigError(
        f"unknown Genesys Cloud region {region!r}; expected one of: {known}",
        hint="or give the org's base URL instead of a region",
    )


def login_url_for(api_url: str) -> str:
    """The OAuth base URL: `https://api.X` → `https://login.X`; other hosts serve both."""
    return _API_HOST.sub("//login.", api_url, count=1)


def resolve_endpoints(
    *, region: str | None = None, base_url: str | None = None, login_url: str | None = None
) -> Endpoints:
    """Endpoints from a region or a base URL (exactly one), and an optional login URL override."""
    if (region is None) == (base_url is None):
        raise ConfigError("give exactly one of a Genesys region or a base URL")
    if base_url is not None:
        api = _checked_url(base_url, "base URL")
    else:
        api = api_url_for_region(region or "")
    login = _checked_url(login_url, "login URL") if login_url else login_url_for(api)
    return Endpoints(api_url=api, login_url=login)


def _checked_url(url: str, what: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"the Genesys {what} must be an absolute http(s) URL such as https://api.mypurecloud.com"
        )
    return url.strip().rstrip("/")
