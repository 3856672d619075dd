"""個人資料保護法: what people type is masked before it is stored; user ids are pseudonymised."""

from app.privacy import mask_personal_data, pseudonymise


def test_masks_taiwanese_id_numbers_phones_and_emails():
    text = "我是A123456789，手機0912-345-678，家裡04-22289111，信箱 wang.da@example.com.tw，居留證 AC01234567"
    masked = mask_personal_data(text)
    for secret in ("A123456789", "0912-345-678", "04-22289111", "wang.da@example.com.tw", "AC01234567"):
        assert secret not in masked
    assert masked.count("[ID]") == 2 and masked.count("[phone]") == 2 and "[email]" in masked


def test_keeps_what_is_not_personal():
    text = "老闆欠我3個月薪水共85000元，2025年12月離職，請撥1955"
    assert mask_personal_data(text) == text


def test_pseudonyms_are_stable_keyed_and_not_the_id():
    user = "U4af4980629a0f2d0f6ad1f3e6a0b1234"
    assert pseudonymise(user) == pseudonymise(user)
    assert pseudonymise(user) != pseudonymise(user[:-1] + "5")
    assert user not in pseudonymise(user) and len(pseudonymise(user)) == 32
    assert pseudonymise(None) is None
