import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import uscc


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B", "91150203MA0000001T"])
def test_real_codes_are_valid(code):
    assert uscc.validate(code) == code


def test_lowercase_and_spaces_are_normalised():
    assert uscc.validate(" 91350100m000100y43 ") == "91350100M000100Y43"


def test_letter_authority_codes_are_valid_when_their_check_character_is():
    # Registration authorities N (farmers' cooperatives), Y (other) and A start with a letter;
    # python-stdnum refuses these, the standard does not.
    for first in "NYA":
        full = uscc.make(first + "2150203MJ0000000")
        assert uscc.validate(full) == full


@pytest.mark.parametrize(
    ("code", "check"),
    [
        ("9135010", "length"),
        ("91350100M000100Y431", "length"),
        ("91350100M0001OOY43", "charset"),  # letter O is not in the alphabet
        ("91ABCDEFM000100Y43", "region"),
        ("91350100M000100Y44", "check_character"),
    ],
)
def test_each_failed_check_is_named(code, check):
    with pytest.raises(uscc.UsccError) as info:
        uscc.validate(code)
    assert info.value.check == check


def test_wrong_check_character_message_gives_the_expected_one():
    with pytest.raises(uscc.UsccError, match="应为3"):
        uscc.validate("91350100M000100Y4Y")  # valid body, wrong check character
    assert uscc.check_character("91350100M000100Y4") == "3"


@given(st.text(max_size=30))
def test_only_validation_errors_escape(text):
    try:
        result = uscc.validate(text)
    except uscc.UsccError:
        return
    assert len(result) == 18 and uscc.is_valid(result)


@given(st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17))
def test_made_codes_validate_and_any_other_check_character_fails(body):
    body = body[:2] + "150203" + body[8:]
    good = uscc.make(body)
    assert uscc.is_valid(good)
    for ch in uscc.ALPHABET:
        if ch != good[-1]:
            assert not uscc.is_valid(body + ch)
