"""Server error messages: only words known not to be values survive, whatever the server put in."""

from __future__ import annotations

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.genesys.messages import VOCABULARY, readable_message, safe_message


@pytest.mark.parametrize(
    ("message", "expected", "why"),
    [
        ("Contact John Smith already exists", "Contact … already exists", "names mid-sentence"),
        ("The value [Jane Doe] is not valid", "The value … is not valid", "bracketed parameter"),
        (
            "Invalid value for field firstName: Margaret",
            "Invalid value for field firstName: …",
            "a value after a colon; the camelCase field name stays",
        ),
        ("Retry the request in [59] seconds", "Retry the request in … seconds", "Genesys 429"),
        (
            "Invalid phone '+1 212 555 0100' for jane.doe@example.com, account 99812345",
            "Invalid phone … for …, account …",
            "quoted number, address, digits",
        ),
        ("Unable to find a contact list with that id.", None, "all vocabulary: unchanged"),
        ("Export is not complete. Please retry later.", None, "sentence starts may be capitalised"),
        ("smith will grace is not valid", "… will … is not valid", "lower-case words not known"),
        ("Smith, John: duplicate", "", "nothing readable left: empty"),
        ("Will Grace failed", "Will … failed", "a known word opening a sentence stays"),
    ],
)
def test_safe_message_table(message: str, expected: str | None, why: str) -> None:
    assert safe_message(message) == (message if expected is None else expected), why


def test_safe_message_of_no_text_is_empty() -> None:
    assert safe_message(None) == "" and safe_message({"a": 1}) == ""


def test_readable_message_prefers_the_template_with_placeholders() -> None:
    body = {"message": "Contact Ann Lee exists", "messageWithParams": "Contact {name} exists"}
    assert readable_message(body) == "Contact {name} exists"
    assert readable_message({"message": "Contact Ann Lee exists"}) == "Contact … exists"


TEMPLATES = [
    "Contact {} already exists",
    "The value [{}] is not valid",
    "Invalid value for field lastName: {}",
    "Unable to update {} because the record is locked",
    "{} is not a valid phone",
    "A contact named {} was not found. Retry later",
]
fake = Faker("en_US")
PEOPLE = [fake.unique.name() for _ in range(300)] + [fake.unique.email() for _ in range(100)]


@settings(max_examples=400, deadline=None)
@given(template=st.sampled_from(TEMPLATES), value=st.sampled_from(PEOPLE))
def test_no_name_or_email_survives_any_template(template: str, value: str) -> None:
    shown = safe_message(template.format(value))
    for word in value.replace("@", " ").replace(".", " ").split():
        if word.lower() not in VOCABULARY:  # "Will" or "Mark" may also be words of the message
            assert word not in shown.split(), (template, shown)
