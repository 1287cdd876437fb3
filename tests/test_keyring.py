"""The scrub key: where it is read from, what is refused, and the keyed digests drawn from it."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.errors import EXIT_CONFIG, KeyMaterialError
from sanitizer.keyring import KEY_ENV, MIN_KEY_BYTES, Keyring, generate_key, read_key

SECRET = "keyring-tests-secret-0123456789"


def test_read_key_env_set_uses_env() -> None:
    keyring = read_key(env={KEY_ENV: SECRET})
    assert keyring.secret == SECRET.encode()
    assert keyring.source == f"${KEY_ENV}"


def test_read_key_env_padded_with_whitespace_is_stripped() -> None:
    # A key pasted into a CI secret often carries a trailing newline; it must not change the key.
    assert read_key(env={KEY_ENV: f"  {SECRET}\n"}).secret == SECRET.encode()


def test_read_key_file_given_wins_over_env(tmp_path: Path) -> None:
    key_file = tmp_path / "scrub.key"
    key_file.write_text(SECRET + "\n", encoding="utf-8")
    keyring = read_key(key_file, env={KEY_ENV: "another-key-that-must-be-ignored"})
    assert keyring.secret == SECRET.encode()
    assert str(key_file) in keyring.source


@pytest.mark.parametrize(("mode", "warned"), [(0o600, False), (0o400, False), (0o644, True)])
def test_read_key_file_readable_by_others_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: int, warned: bool
) -> None:
    key_file = tmp_path / "scrub.key"
    key_file.write_text(SECRET + "\n", encoding="utf-8")
    key_file.chmod(mode)
    with caplog.at_level("WARNING", logger="sanitizer.keyring"):
        assert read_key(key_file, env={}).secret == SECRET.encode()
    messages = [r.getMessage() for r in caplog.records]
    assert bool(messages) is warned
    assert all(SECRET not in m and "0644" in m for m in messages)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "no scrub key"),  # nothing set: no default key, ever
        ({KEY_ENV: ""}, "no scrub key"),  # set but empty counts as absent
        ({KEY_ENV: "   \n"}, "no scrub key"),  # whitespace only counts as absent
        ({KEY_ENV: "short"}, f"at least {MIN_KEY_BYTES}"),  # too weak to key an HMAC
    ],
)
def test_read_key_env_missing_or_weak_raises_config_error(
    env: dict[str, str], expected: str
) -> None:
    with pytest.raises(KeyMaterialError) as caught:
        read_key(env=env)
    assert expected in str(caught.value)
    assert caught.value.exit_code == EXIT_CONFIG


def test_read_key_short_key_message_never_quotes_the_key() -> None:
    with pytest.raises(KeyMaterialError) as caught:
        read_key(env={KEY_ENV: "s3cr3t-ish"})
    assert "s3cr3t-ish" not in str(caught.value)
    assert "10 bytes" in str(caught.value)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda p: None, "cannot read key file"),  # the file does not exist
        (lambda p: p.mkdir(), "cannot read key file"),  # a folder where a file was expected
        (lambda p: p.write_text("", encoding="utf-8"), "is empty"),  # empty file
        (lambda p: p.write_text("\n\n  \n", encoding="utf-8"), "is empty"),  # whitespace only
        (lambda p: p.write_text("tiny\n", encoding="utf-8"), f"at least {MIN_KEY_BYTES}"),
    ],
)
def test_read_key_bad_key_file_raises_naming_the_file(
    tmp_path: Path, setup: object, expected: str
) -> None:
    key_file = tmp_path / "scrub.key"
    setup(key_file)  # type: ignore[operator]
    with pytest.raises(KeyMaterialError) as caught:
        read_key(key_file, env={KEY_ENV: SECRET})
    assert expected in str(caught.value)
    assert "scrub.key" in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_read_key_unreadable_key_file_raises(tmp_path: Path) -> None:
    key_file = tmp_path / "scrub.key"
    key_file.write_text(SECRET, encoding="utf-8")
    key_file.chmod(0)
    with pytest.raises(KeyMaterialError, match="cannot read key file"):
        read_key(key_file)


def test_keyring_fingerprint_is_public_and_stable() -> None:
    keyring = Keyring(SECRET.encode())
    assert keyring.fingerprint == Keyring(SECRET.encode()).fingerprint
    assert keyring.fingerprint.startswith("hmac-sha256:")
    assert len(keyring.fingerprint) == len("hmac-sha256:") + 16
    assert SECRET not in keyring.fingerprint
    assert SECRET.encode().hex() not in keyring.fingerprint


def test_keyring_fingerprint_other_key_differs() -> None:
    assert Keyring(SECRET.encode()).fingerprint != Keyring((SECRET + "x").encode()).fingerprint


def test_keyring_repr_hides_the_secret() -> None:
    assert SECRET not in repr(Keyring(SECRET.encode()))


def test_keyring_digest_same_input_same_output() -> None:
    keyring = Keyring(SECRET.encode())
    assert keyring.digest("email_address", "a@example.com") == keyring.digest(
        "email_address", "a@example.com"
    )


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("email_address", "a@example.com"), ("email_address", "b@example.com")),  # value
        (("email_address", "a@example.com"), ("person", "a@example.com")),  # namespace
        (("ab", "c"), ("a", "bc")),  # the separator keeps namespace and value apart
    ],
)
def test_keyring_digest_different_inputs_differ(
    left: tuple[str, str], right: tuple[str, str]
) -> None:
    keyring = Keyring(SECRET.encode())
    assert keyring.digest(*left) != keyring.digest(*right)


def test_keyring_digest_other_key_differs() -> None:
    one, two = Keyring(SECRET.encode()), Keyring((SECRET + "2").encode())
    assert one.digest("person", "Ada") != two.digest("person", "Ada")


@settings(max_examples=200, deadline=None)
@given(
    secret=st.binary(min_size=16, max_size=200),  # shorter than a SHA-256 block, equal, longer
    namespace=st.text(max_size=20),
    values=st.lists(st.text(max_size=30), max_size=5),
)
def test_keyring_digests_are_hmac_sha256(secret: bytes, namespace: str, values: list[str]) -> None:
    expected = [
        hmac.new(secret, f"{namespace}\x1f{v}".encode(), hashlib.sha256).digest() for v in values
    ]
    assert Keyring(secret).digests(namespace, values) == expected


def test_keyring_digests_batch_equals_single() -> None:
    keyring = Keyring(SECRET.encode())
    values = ["Ada", "Grace", "", "Ünïcødé"]
    assert keyring.digests("person", values) == [keyring.digest("person", v) for v in values]


def test_keyring_number_attempts_give_new_candidates() -> None:
    keyring = Keyring(SECRET.encode())
    candidates = {keyring.number("phone_number", "+12025550143", attempt) for attempt in range(5)}
    assert len(candidates) == 5
    assert all(0 <= c < 2**64 for c in candidates)


def test_keyring_derive_purposes_differ_and_hide_the_key() -> None:
    keyring = Keyring(SECRET.encode())
    assert keyring.derive("snapshot") != keyring.derive("other")
    assert len(keyring.derive("snapshot")) == 32
    assert SECRET.encode() not in keyring.derive("snapshot")


def test_generate_key_is_random_and_long_enough() -> None:
    one, two = generate_key(), generate_key()
    assert one.secret != two.secret
    assert len(one.secret) >= MIN_KEY_BYTES
