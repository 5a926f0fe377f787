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


def test_text_leaving_the_site_has_its_mobile_and_identity_numbers_masked():
    from lib.masking import mask_text

    assert mask_text("请联系13812345678或139-1234-5678") == "请联系138****5678或139****5678"
    assert mask_text("身份证150203199001011234号") == "身份证150***********1234号"
    assert mask_text("身份证15020319900101123X") == "身份证150***********123X"
    # codes that merely contain digits are left alone
    for keep in ("91150203MA0000001T", "2020年2月21日", "headcount 13800", "电话0471-6601234"):
        assert mask_text(keep) == keep
    assert mask_text("订单号213812345678901") == "订单号213812345678901"


def test_secrets_and_webhook_tokens_show_only_their_ends():
    from lib.masking import mask_secret, mask_url

    assert mask_secret("SEC0123456789abcdef1a2b") == "SEC…1a2b"
    assert mask_secret("short") == "…" and mask_secret("") == ""
    assert (
        mask_url("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef")
        == "https://oapi.dingtalk.com/robot/send?access_token=012…cdef"
    )
    masked = mask_url(
        "https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4"
    )
    assert masked == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693…4bc4"
