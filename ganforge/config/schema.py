"""The run configuration's schema: frozen, typed dataclasses, each section validating its own fields.

A run is described by one :class:`RunConfig`: the sections ``data``, ``model``, ``recipe`` (the method and its
knobs, a dataclass the recipe registers), ``optim``, ``train`` and ``eval``. It is built from the defaults below,
then a preset (:mod:`ganforge.config.presets`), then ``key=value`` overrides (:mod:`ganforge.config.overrides`).
The resolved config is written to the run directory as ``config.json`` and read back on ``--resume``; unknown keys
and ill-typed values are errors that name the key and the fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args, get_origin

from ganforge.config.overrides import MOVED_KEYS, check_finite, moved_key_error, parse_overrides, set_dotted
from ganforge.errors import ConfigError

Checks = list[tuple[bool, str]]
"""``(holds, message)`` pairs: a section's range checks, each message naming the key and the fix."""

_PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class DataConfig:
    """What to train on.

    Attributes:
        name: Registered dataset: ``mnist``, ``fashion-mnist``, ``stacked-mnist``, ``folder``, ``npz``, ``ring8``,
            ``grid25`` (see ``ganforge datasets``).
        split: Dataset split (``train`` / ``test``); ignored by ``folder`` and ``npz``.
        path: Folder of images, ``.npz`` file, or folder of IDX files; ``None`` = the dataset's default source.
        resolution: Square side in pixels the images are resized to; ``None`` = native size.
        channels: 1 (grey) or 3 (RGB); ``None`` = native channels.
        skip_bad: Skip unreadable images in a folder (with a count) instead of stopping.
        download: Allow downloading MNIST / Fashion-MNIST from the official mirrors into the cache.
        limit: Use only the first ``limit`` images (``0`` = all); handy for quick experiments and tests.
        direction: Paired datasets (``pairs``, ``edges2mnist``, ``edges2fashion``): ``AtoB`` learns A -> B,
            ``BtoA`` swaps the two halves of every pair.
        classes: ``folder`` only: ``auto`` = its subfolders are classes when every image lies in one and there
            are at least two (``imgs/cat/*.png``, ``imgs/dog/*.png``; sorted by name, class 0 first); ``subfolders``
            = they must be (an error names a stray image); ``none`` = unlabelled.
    """

    name: str = "mnist"
    split: str = "train"
    path: str | None = None
    resolution: int | None = None
    channels: int | None = None
    skip_bad: bool = False
    download: bool = False
    limit: int = 0
    direction: Literal["AtoB", "BtoA"] = "AtoB"
    classes: Literal["auto", "subfolders", "none"] = "auto"

    def checks(self) -> Checks:
        return [
            (self.channels in (None, 1, 3), "data.channels must be 1, 3 or null"),
            (self.resolution is None or self.resolution >= 4, "data.resolution must be >= 4 or null"),
            (self.limit >= 0, "data.limit must be >= 0"),
        ]


@dataclass(frozen=True)
class ModelConfig:
    """Generator and discriminator architecture.

    Attributes:
        name: Registered model family (``mlp``, ``dcgan``, ``resnet``; ``toy`` for 2D points; see ``ganforge models``).
        z_dim: Latent dimension of the generator input ``z ~ N(0, I)``.
        g_width: Generator base width (channels for conv models, hidden units for ``mlp``).
        d_width: Discriminator base width.
        spectral_norm: Spectral normalisation on every discriminator layer (Miyato et al. 2018).
        d_norm: Discriminator normalisation: ``auto`` (the family's default: BatchNorm for DCGAN unless
            spectral norm), ``batch``, ``layer`` (per-sample; use with gradient penalties), ``none``.
        conditional: Condition G and D on the dataset's class labels.
    """

    name: str = "dcgan"
    z_dim: int = 100
    g_width: int = 64
    d_width: int = 64
    spectral_norm: bool = False
    d_norm: Literal["auto", "batch", "layer", "none"] = "auto"
    conditional: bool = False

    def checks(self) -> Checks:
        return [
            (self.z_dim >= 1, "model.z_dim must be >= 1"),
            (self.g_width >= 1 and self.d_width >= 1, "model.g_width and model.d_width must be >= 1"),
        ]


@dataclass(frozen=True)
class RecipeConfig:
    """The method a run trains and its knobs: the base of every recipe's own config section (``recipe.*``).

    A recipe (:mod:`ganforge.recipes`) subclasses this with its fields and their paper defaults, validates them in
    :meth:`checks` and registers the class with the recipe; ``recipe.name`` picks it.

    Attributes:
        name: Registered recipe (``gan``; see ``ganforge recipes``).
    """

    name: str = "gan"

    def checks(self) -> Checks:
        return []

    def run_checks(self, cfg: RunConfig) -> Checks:
        """Checks across sections (e.g. the batch size against this recipe's packing); ``cfg`` holds ``self``."""
        return []

    def check_names(self) -> None:
        """Looks up the registered names this section holds (a loss, ...); raises with "did you mean" if unknown."""


@dataclass(frozen=True)
class OptimConfig:
    """Adam optimisers (separate for G and D) and the alternation schedule.

    Attributes:
        batch_size: Images per D and G step; ``auto`` = a batch for the device the run trains on
            (16 on a CPU, 32 on a GPU), fixed when the run starts and written as a number to its ``config.json``.
        lr_g: Generator learning rate.
        lr_d: Discriminator learning rate.
        beta1: Adam β1 (0.5 in DCGAN; 0 for WGAN-GP).
        beta2: Adam β2.
        lr_decay: ``none``; ``linear``: both learning rates fall linearly from their value at step 0 to 0 at
            ``train.steps`` (extending a run with ``--resume --steps`` stretches the rest of the schedule);
            ``step``: both rates are multiplied by ``lr_gamma`` at each of ``lr_milestones`` (as torch's
            ``MultiStepLR``). Either is a pure function of the step, so resuming is exact.
        lr_milestones: Steps at which ``lr_decay=step`` multiplies the rates by ``lr_gamma``, increasing
            (``[100000, 150000]``: from step 100,000 on the rates are ``lr_gamma`` times their value).
        lr_gamma: Factor per milestone, in (0, 1].
    """

    batch_size: int | Literal["auto"] = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    lr_decay: Literal["none", "linear", "step"] = "none"
    lr_milestones: tuple[int, ...] = ()
    lr_gamma: float = 0.1

    def checks(self) -> Checks:
        batch = self.batch_size
        return [
            (batch == "auto" or batch >= 1, "optim.batch_size must be >= 1 (or auto)"),
            (self.lr_g > 0 and self.lr_d > 0, "optim.lr_g and optim.lr_d must be > 0"),
            (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, "optim.beta1 and optim.beta2 must be in [0, 1)"),
            (
                self.lr_decay != "step" or len(self.lr_milestones) > 0,
                "optim.lr_decay=step needs optim.lr_milestones (e.g. optim.lr_milestones=[100000,150000])",
            ),
            (
                self.lr_decay == "step" or not self.lr_milestones,
                "optim.lr_milestones is only used with optim.lr_decay=step; set that too, or drop the milestones",
            ),
            (
                all(b > a for a, b in zip((0, *self.lr_milestones), self.lr_milestones, strict=False)),
                f"optim.lr_milestones must be increasing steps > 0, got {list(self.lr_milestones)}",
            ),
            (0 < self.lr_gamma <= 1, "optim.lr_gamma must be in (0, 1]"),
        ]

    @property
    def batch(self) -> int:
        """``batch_size`` as a number; the config must have been resolved (:func:`resolve_auto`) if it says ``auto``."""
        if self.batch_size == "auto":
            raise RuntimeError("optim.batch_size is 'auto': resolve the config for its device first (resolve_auto)")
        return self.batch_size


#: ``optim.batch_size: auto`` per device type. On a CPU the images per second barely depend on the batch (in fp32 a
#: DCGAN step at batch 16 processes 0.84-0.92x the images per second of batch 32), so the smaller batch's twice as
#: many updates win: with the mnist-dcgan recipe it needed 27-33k images to domain FD < 7 against 43-61k, was first to
#: it in every race on three CPUs, and its 10-minute Inception FID was lower at two seeds (docs/results.md). On a
#: GPU the step time hardly grows with the batch, so halving it would halve the images per second: there (and on
#: any other device) 32.
AUTO_BATCH_SIZE = {"cpu": 16}
AUTO_BATCH_SIZE_OTHER = 32


def resolve_auto(cfg: RunConfig, device_type: str) -> RunConfig:
    """``cfg`` with its device-dependent ``auto`` settings fixed for ``device_type`` (``"cpu"``, ``"cuda"``, ...).

    Only ``optim.batch_size`` has one. A run writes the resolved config, so a resumed run keeps its batch on any
    device.
    """
    if cfg.optim.batch_size != "auto":
        return cfg
    size = AUTO_BATCH_SIZE.get(device_type, AUTO_BATCH_SIZE_OTHER)
    try:
        return cfg.replace({"optim.batch_size": size})
    except ConfigError as exc:
        raise ConfigError(f"{exc} (optim.batch_size=auto is {size} on {device_type}; set a batch size)") from None


@dataclass(frozen=True)
class TrainConfig:
    """The training loop: length, precision, cadence and safety.

    Attributes:
        steps: Total generator steps of the run (``--steps``).
        seed: Seed of weights, latents and data order; same seed + steps = same weights.
        device: ``auto`` (CUDA if available, else CPU), ``cpu``, ``cuda``, ``cuda:1``, ...
        precision: ``fp32``; ``bf16`` (autocast; weights and optimiser stay fp32); ``auto`` = bf16 where the
            hardware computes it natively (CUDA with bf16, CPUs with AMX or AVX512-BF16), else fp32.
        channels_last: Use the channels-last memory format for conv models (faster on CPU and GPU).
        compile: ``none``; or a ``torch.compile`` mode for G's and D's forward passes in the adversarial
            phases (``default``, ``reduce-overhead`` = CUDA graphs on a GPU, ``max-autotune``). The R1 and
            gradient-penalty terms (double backward) keep the eager D. Compiling costs seconds to minutes once per
            process; on the CPUs measured it made steps slower (docs/results.md), so it is off by default.
        threads: CPU threads for torch; 0 = all cores available to the process.
        ema_decay: Decay of the EMA copy of G used for samples and export; 0 disables it.
        ema_start: Step at which the EMA starts averaging (before it, it copies G).
        log_every: Steps between metric logs (progress bar, ``metrics.jsonl``, TensorBoard).
        sample_every: Steps between sample grids (``samples/step_XXXXXXX.png``); 0 = only the last step.
        checkpoint_every: Steps between checkpoints; the last step is always checkpointed.
        keep_checkpoints: How many recent checkpoints to keep (the latest is always kept).
        on_nonfinite: ``rollback`` to the last good checkpoint with a lower LR, or ``stop`` with an error.
        max_rollbacks: Rollbacks allowed before giving up.
        rollback_lr_factor: Multiplier applied to both learning rates at each rollback.
        sample_grid: Number of images in each sample grid (a square number reads best).
        max_minutes: Time budget: end the run normally (checkpoint, samples, generator written) after this
            many minutes of training in one invocation, even before ``steps``; 0 = no limit. ``--resume`` goes on.
    """

    steps: int = 5000
    seed: int = 0
    device: str = "auto"
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    channels_last: bool = True
    compile: Literal["none", "default", "reduce-overhead", "max-autotune"] = "none"
    threads: int = 0
    ema_decay: float = 0.999
    ema_start: int = 0
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    on_nonfinite: Literal["rollback", "stop"] = "rollback"
    max_rollbacks: int = 3
    rollback_lr_factor: float = 0.5
    sample_grid: int = 100
    max_minutes: float = 0.0

    def checks(self) -> Checks:
        return [
            (self.steps >= 1, "train.steps must be >= 1"),
            (0 <= self.ema_decay < 1, "train.ema_decay must be in [0, 1) (0 disables the EMA)"),
            (self.log_every >= 1, "train.log_every must be >= 1"),
            (self.sample_every >= 0, "train.sample_every must be >= 0"),
            (self.checkpoint_every >= 1, "train.checkpoint_every must be >= 1"),
            (self.keep_checkpoints >= 1, "train.keep_checkpoints must be >= 1"),
            (self.sample_grid >= 1, "train.sample_grid must be >= 1"),
            (0 < self.rollback_lr_factor <= 1, "train.rollback_lr_factor must be in (0, 1]"),
            (self.max_rollbacks >= 0, "train.max_rollbacks must be >= 0"),
            (self.threads >= 0, "train.threads must be >= 0"),
            (self.max_minutes >= 0, "train.max_minutes must be >= 0"),
        ]


@dataclass(frozen=True)
class EvalConfig:
    """Evaluation while training (``metrics.jsonl`` ``eval_*`` keys, TensorBoard ``eval/``).

    Attributes:
        every: Steps between evaluations; 0 = off. Needs MNIST / Fashion-MNIST at 28x28 (domain metrics),
            Stacked MNIST at 28x28 (its 1,000-mode metrics), a 2D point dataset (mode metrics) or
            ``inception_samples > 0``.
        samples: Generated images for the domain metrics (fixed latents).
        inception_samples: Also Inception FID on this many generated vs as many reference images
            (a seeded random subset of the test split, or of the training images for folders / npz, drawn as
            ``ganforge eval --n`` draws); 0 = off (slow on a CPU).
        best_metric: Keep a copy of the checkpoint with the lowest value of this metric in ``RUN/best/``
            (``domain_fd`` or ``fid``; ``reverse_kl`` for 2D points; ``mode_kl`` for Stacked MNIST;
            ``class_fd_mean``, the mean per-class FD, for class-conditional MNIST-like runs; ``none`` = no best copy).
            Class-conditional MNIST / Fashion-MNIST runs also log ``conditioning_accuracy`` and ``class_fd_mean``.
        collapse_kl: Mode-collapse alarm (a warning and ``eval_collapse_alarm = 1``) when a class is missing
            or KL(class histogram || uniform) exceeds this (nats; ln 10 = 2.30 means one class). 2D point
            runs use their mode histogram (modes captured, reverse KL), Stacked MNIST its 1,000 modes.
    """

    every: int = 0
    samples: int = 2000
    inception_samples: int = 0
    best_metric: Literal["domain_fd", "fid", "reverse_kl", "mode_kl", "class_fd_mean", "none"] = "domain_fd"
    collapse_kl: float = 0.3

    def checks(self) -> Checks:
        return [
            (self.every >= 0, "eval.every must be >= 0 (0 = no evaluation while training)"),
            (self.samples >= 2, "eval.samples must be >= 2"),
            (self.inception_samples == 0 or self.inception_samples >= 2, "eval.inception_samples: 0 or >= 2"),
            (self.collapse_kl > 0, "eval.collapse_kl must be > 0"),
            (
                self.best_metric != "fid" or self.every == 0 or self.inception_samples > 0,
                "eval.best_metric=fid needs eval.inception_samples > 0",
            ),
        ]


def recipe_config_class(name: str) -> type[RecipeConfig]:
    """The config dataclass of the recipe registered as ``name`` (raises with "did you mean" when unknown)."""
    from ganforge.recipes import RECIPES  # the recipes register their config classes with themselves

    return RECIPES.get(name).config


def _default_recipe() -> RecipeConfig:
    return recipe_config_class(RecipeConfig.name)()


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run; written to ``config.json``.

    Attributes:
        preset: Name of the preset the run started from (``custom`` without one); names its run directory.
        description: One line saying what the run is for (presets describe themselves here).
    """

    preset: str = "custom"
    description: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    recipe: RecipeConfig = field(default_factory=_default_recipe)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    SECTIONS: ClassVar[tuple[str, ...]] = ("data", "model", "recipe", "optim", "train", "eval")

    def to_dict(self) -> dict[str, Any]:
        """A nested dict of every field as ``config.json`` holds it (lists, not tuples)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=False)

    def replace(self, overrides: dict[str, Any] | list[str]) -> RunConfig:
        """Returns a copy with dotted overrides applied (``{"optim.lr_g": 1e-4}`` or ``["optim.lr_g=1e-4"]``).

        Changing ``recipe.name`` starts the recipe section from the new recipe's defaults (its fields differ).
        """
        items = parse_overrides(overrides) if isinstance(overrides, list) else overrides
        data = self.to_dict()
        name = items.get("recipe.name", self.recipe.name)
        if name != self.recipe.name:
            data["recipe"] = dataclasses.asdict(recipe_config_class(name)())
        for key, value in items.items():
            check_finite(key, value)
            set_dotted(data, key, value)
        return from_dict(data)


def _describe(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return " or ".join(map(repr, get_args(tp)))
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(tp, repr(tp))


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Checks ``value`` against the field type ``tp``; ints are accepted for floats. Never guesses."""
    origin = get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key)
            except ConfigError as exc:
                errors.append(str(exc))
        if len(errors) > 1:  # int | Literal["auto"]: "must be an integer or 'auto', got ..."
            kinds = " or ".join(_describe(arg) for arg in args if arg is not type(None))
            raise ConfigError(f"config key {key!r} must be {kinds}, got {value!r}")
        raise ConfigError(errors[0] if errors else f"config key {key!r}: invalid value {value!r}")
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(f"config key {key!r} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if origin is tuple:
        (item, ellipsis) = get_args(tp)
        assert ellipsis is Ellipsis, f"only tuple[T, ...] fields are supported, not {tp!r}"
        if not isinstance(value, list | tuple):
            raise ConfigError(f"config key {key!r} must be a list (e.g. [1000, 2000]), got {value!r}")
        return tuple(_coerce(v, item, key) for v in value)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config key {key!r} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config key {key!r} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"config key {key!r} must be a number, got {value!r}")
        check_finite(key, float(value))
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"config key {key!r} must be a string, got {value!r}")
        return value
    raise ConfigError(f"config key {key!r}: unsupported type {tp!r}")  # pragma: no cover - programming error


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"config section {prefix.rstrip('.') or 'root'!r} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        key = unknown[0]
        moved = moved_key_error(prefix + key)
        if moved is not None:
            raise moved
        if prefix == "" and key == "loss":
            raise ConfigError(
                "config section 'loss' moved into 'recipe': write its name as recipe.loss and its fields as "
                "recipe.gp_weight, recipe.r1_gamma, ... (e.g. recipe: {name: gan, loss: hinge})"
            )
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
        hint = f" Did you mean {(prefix + close[0]) if close else ''!r}?" if close else ""
        raise ConfigError(f"unknown config key {prefix + key!r}.{hint} Known: {', '.join(names)}.")
    kwargs = {}
    for name in names:
        if name not in data:
            continue
        tp = hints[name]
        if tp is RecipeConfig:  # the section's class is the one its recipe registered
            section = data[name]
            if not isinstance(section, dict):
                raise ConfigError(f"config section {prefix + name!r} must be a mapping, got {section!r}")
            recipe = _coerce(section.get("name", RecipeConfig.name), str, f"{prefix}{name}.name")
            kwargs[name] = _build(recipe_config_class(recipe), section, f"{prefix}{name}.")
        elif dataclasses.is_dataclass(tp):
            kwargs[name] = _build(tp, data[name], f"{prefix}{name}.")  # type: ignore[arg-type]
        else:
            kwargs[name] = _coerce(data[name], tp, prefix + name)
    return cls(**kwargs)


def from_dict(data: dict[str, Any]) -> RunConfig:
    """Builds a validated :class:`RunConfig` from a (possibly partial) nested dict."""
    cfg: RunConfig = _build(RunConfig, data, "")
    validate(cfg)
    return cfg


def validate(cfg: RunConfig) -> None:
    """Runs every section's range checks, then the recipe's checks across sections; raises the first failure."""
    checks: Checks = [
        (
            bool(_PRESET_NAME.fullmatch(cfg.preset)),
            f"preset {cfg.preset!r} must be a plain name (letters, digits, '.', '_', '-'): it names run directories",
        ),
    ]
    for section in RunConfig.SECTIONS:
        checks += getattr(cfg, section).checks()
    checks += cfg.recipe.run_checks(cfg)
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)


def migrate_legacy(data: dict[str, Any]) -> dict[str, Any]:
    """A ``config.json`` written before the recipe section existed, in today's layout (its ``loss`` section,
    ``model.pack``, ``optim.n_critic`` and ``optim.share_fake`` moved to ``recipe``); other dicts unchanged."""
    if (
        not isinstance(data, dict)
        or "recipe" in data
        or not any(
            isinstance(data.get(section), dict) and key in data[section]
            for section, key in (k.split(".") for k in MOVED_KEYS)
        )
    ):
        return data
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    recipe: dict[str, Any] = {"name": "gan"}
    for old, new in MOVED_KEYS.items():
        section, key = old.split(".")
        if isinstance(data.get(section), dict) and key in data[section]:
            recipe[new.split(".")[1]] = data[section].pop(key)
    if data.get("loss") == {}:
        del data["loss"]
    data["recipe"] = recipe
    return data
