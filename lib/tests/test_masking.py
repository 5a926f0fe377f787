from hypothesis import given
from hypothesis import strategies as st

from lib.masking import mask_name, mask_phone


def test_mobile_numbers_keep_three_and_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0471-6601234") == "047*****1234"


def test_names_keep_the_family_name():
    assert mask_name("王建国") == "王**"
    assert mask_name("欧阳") == "欧*"


@given(st.text(alphabet="0123456789", min_size=8, max_size=15))
def test_masked_phone_never_shows_the_middle_digits(phone):
    masked = mask_phone(phone)
    assert len(masked) == len(phone) and masked[3:-4] == "*" * (len(phone) - 7)
