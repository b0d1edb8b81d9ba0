import pytest

from ganforge.registry import Registry, UnknownNameError


def test_register_get_names_and_duplicates() -> None:
    reg: Registry[int] = Registry("thing")
    reg.add("alpha", 1)

    @reg.register("beta")
    def _beta() -> int:
        return 2

    assert reg.get("alpha") == 1
    assert reg.names() == ["alpha", "beta"]
    assert "beta" in reg and "gamma" not in reg
    with pytest.raises(ValueError, match="already registered"):
        reg.add("alpha", 3)


def test_unknown_name_suggests_close_match() -> None:
    reg: Registry[int] = Registry("loss")
    for name in ["hinge", "wgan", "wgan-gp"]:
        reg.add(name, 0)
    with pytest.raises(UnknownNameError) as info:
        reg.get("wgan_gp")
    message = str(info.value)
    assert "unknown loss 'wgan_gp'" in message and "Did you mean 'wgan-gp'" in message
    assert isinstance(info.value, ValueError)
