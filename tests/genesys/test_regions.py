"""Region names, base URL overrides and the API → login host rule."""

from __future__ import annotations

import pytest

from sanitizer.errors import ConfigError
from sanitizer.genesys.regions import (
    REGION_DOMAINS,
    api_url_for_region,
    login_url_for,
    resolve_endpoints,
)


@pytest.mark.parametrize(
    ("region", "api_url"),
    [
        ("us_east_1", "https://api.mypurecloud.com"),  # the SDK's enum spelling
        ("eu-west-1", "https://api.mypurecloud.ie"),  # AWS-style spelling with hyphens
        ("AP_SOUTHEAST_2", "https://api.mypurecloud.com.au"),  # case does not matter
        ("usw2.pure.cloud", "https://api.usw2.pure.cloud"),  # Archy's --location takes the domain
        ("api.euw2.pure.cloud", "https://api.euw2.pure.cloud"),  # the API host itself
    ],
)
def test_api_url_for_region_known_spellings_resolve(region: str, api_url: str) -> None:
    assert api_url_for_region(region) == api_url


def test_api_url_for_region_unknown_name_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        api_url_for_region("mars_north_1")
    assert "eu_west_1" in str(caught.value)


@pytest.mark.parametrize(
    ("api_url", "login_url"),
    [
        ("https://api.mypurecloud.ie", "https://login.mypurecloud.ie"),  # the SDK's rule
        ("https://api.use2.us-gov-pure.cloud", "https://login.use2.us-gov-pure.cloud"),  # gov
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),  # the emulator serves both
        ("https://proxy.example.com/genesys", "https://proxy.example.com/genesys"),  # a proxy too
    ],
)
def test_login_url_for_api_host_swaps_only_api_prefix(api_url: str, login_url: str) -> None:
    assert login_url_for(api_url) == login_url


def test_login_url_for_every_region_is_on_login_host() -> None:
    for name, domain in REGION_DOMAINS.items():
        endpoints = resolve_endpoints(region=name)
        assert endpoints.login_url == f"https://login.{domain}", name


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({}, "neither a region nor a base URL"),
        ({"region": "us_east_1", "base_url": "http://127.0.0.1:1"}, "both at once"),
        ({"base_url": "api.mypurecloud.com"}, "no scheme"),
        ({"base_url": "ftp://api.mypurecloud.com"}, "not http(s)"),
    ],
)
def test_resolve_endpoints_bad_input_raises_config_error(kwargs: dict[str, str], why: str) -> None:
    with pytest.raises(ConfigError):
        resolve_endpoints(**kwargs)


def test_resolve_endpoints_login_override_wins() -> None:
    endpoints = resolve_endpoints(
        base_url="https://gateway.example.com/api/", login_url="https://sso.example.com/"
    )
    assert endpoints.api_url == "https://gateway.example.com/api"
    assert endpoints.login_url == "https://sso.example.com"
