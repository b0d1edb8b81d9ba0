import json

import pytest

from ganforge.config import RunConfig, from_dict, load_preset, parse_overrides, preset_names, resolve_auto
from ganforge.errors import ConfigError

REQUIRED_PRESETS = {
    "mnist-mlp",
    "mnist-dcgan",
    "mnist-wgan-gp",
    "mnist-lsgan",
    "mnist-hinge-sn",
    "fashion-dcgan",
    "fashion-resnet-hinge",
    "folder-dcgan",
    "mnist-cgan",
    "mnist-acgan",
    "mnist-projection",
    "fashion-projection",
    "folder-cgan",
    "edges2mnist-pix2pix",
    "edges2fashion-pix2pix",
}


def test_required_presets_exist_and_resolve() -> None:
    assert set(preset_names()) >= REQUIRED_PRESETS
    for name in preset_names():
        cfg = load_preset(name)
        assert cfg.preset == name and cfg.description
    assert load_preset("mnist-mlp").model.name == "mlp"
    assert load_preset("mnist-wgan-gp").recipe.loss == "wgan-gp"
    assert load_preset("mnist-hinge-sn").model.spectral_norm is True


def test_seed_setup_in_mlp_preset() -> None:
    cfg = load_preset("mnist-mlp")
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.beta1, cfg.optim.beta2) == (2e-4, 2e-4, 0.5, 0.999)


def test_overrides_are_typed() -> None:
    cfg = load_preset(
        "mnist-dcgan", ["optim.lr_g=1e-4", "train.steps=12", "model.spectral_norm=true", "data.path=null"]
    )
    assert cfg.optim.lr_g == 1e-4 and isinstance(cfg.optim.lr_g, float)
    assert cfg.train.steps == 12 and cfg.model.spectral_norm is True and cfg.data.path is None
    # ints are accepted where floats are expected, never the other way round
    assert load_preset("mnist-dcgan", {"optim.lr_g": 1}).optim.lr_g == 1.0
    with pytest.raises(ConfigError, match=r"train\.steps.*integer"):
        load_preset("mnist-dcgan", ["train.steps=1.5"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optim.lr=1e-4", "Did you mean 'optim.lr_g'"),
        ("optimm.lr_g=1e-4", "Did you mean 'optim.lr_g'"),  # the whole key, not just the section
        ("train.precision=fp16", "must be one of 'auto', 'fp32', 'bf16'"),
        ("train.steps=0", "train.steps must be >= 1"),
        ("model.spectral_norm=maybe", "true or false"),
        ("data.channels=2", "data.channels must be 1, 3"),
        ("optim=3", "is a section"),
        ("optim.batch_size=big", "optim.batch_size' must be an integer or 'auto', got 'big'"),
        ("optim.batch_size=0", "optim.batch_size must be >= 1 (or auto)"),
    ],
)
def test_bad_overrides_are_clear_errors(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_preset("mnist-dcgan", [override])


def test_auto_batch_size_depends_on_the_device() -> None:
    cfg = load_preset("mnist-dcgan")
    assert cfg.optim.batch_size == "auto"
    with pytest.raises(RuntimeError, match="resolve the config"):
        cfg.optim.batch  # noqa: B018 - the property raises
    cpu, cuda = resolve_auto(cfg, "cpu"), resolve_auto(cfg, "cuda")
    assert (cpu.optim.batch_size, cuda.optim.batch_size, resolve_auto(cfg, "mps").optim.batch_size) == (16, 32, 32)
    assert cpu.replace({"optim.lr_g": 1e-4}).optim.batch == 16  # a number from then on, through overrides and JSON
    assert json.loads(cpu.to_json())["optim"]["batch_size"] == 16
    assert cpu.replace({"optim.batch_size": "auto"}).optim.batch_size == "auto"  # an override may ask for it again
    explicit = load_preset("mnist-dcgan", {"optim.batch_size": 64})  # the user's number always wins
    assert resolve_auto(explicit, "cpu") is explicit and explicit.optim.batch == 64
    # a PacGAN pack checked against the batch it resolves to, naming both settings
    packed = load_preset("mnist-dcgan", {"recipe.pack": 3})
    with pytest.raises(ConfigError, match=r"batch_size=16 must be a multiple of recipe.pack=3 \(optim.batch_size=auto"):
        resolve_auto(packed, "cpu")


def test_step_lr_decay_milestones() -> None:
    cfg = load_preset("mnist-dcgan", ["optim.lr_decay=step", "optim.lr_milestones=[100,250]", "optim.lr_gamma=0.25"])
    assert cfg.optim.lr_milestones == (100, 250) and cfg.optim.lr_gamma == 0.25
    assert from_dict(json.loads(cfg.to_json())) == cfg  # the tuple survives config.json
    for bad, message in [
        (["optim.lr_decay=step"], "needs optim.lr_milestones"),
        (["optim.lr_milestones=[100]"], "only used with optim.lr_decay=step"),
        (["optim.lr_decay=step", "optim.lr_milestones=[300,200]"], r"increasing steps > 0, got \[300, 200\]"),
        (["optim.lr_decay=step", "optim.lr_milestones=[0]"], "increasing steps > 0"),
        (["optim.lr_decay=step", "optim.lr_milestones=100"], "must be a list"),
        (["optim.lr_decay=step", "optim.lr_milestones=[1.5]"], "must be an integer"),
        (["optim.lr_decay=step", "optim.lr_milestones=[10]", "optim.lr_gamma=0"], r"lr_gamma must be in \(0, 1\]"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_preset("mnist-dcgan", bad)


def test_override_syntax_error() -> None:
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["optim.lr_g"])


def test_json_round_trip() -> None:
    cfg = load_preset("fashion-resnet-hinge", ["train.seed=7"])
    again = from_dict(json.loads(cfg.to_json()))
    assert again == cfg and isinstance(again, RunConfig)


def test_unknown_preset_did_you_mean() -> None:
    with pytest.raises(ValueError, match="Did you mean 'mnist-dcgan'"):
        load_preset("mnist-dcgn")
