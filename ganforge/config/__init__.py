"""Run configuration, split by job: :mod:`.schema` (the typed sections and their checks), :mod:`.overrides`
(dotted ``key=value`` edits and the resume policy) and :mod:`.presets` (the shipped presets and config files)."""

from ganforge.config.overrides import (
    MOVED_KEYS,
    RESUME_OVERRIDES,
    check_resume_overrides,
    parse_overrides,
)
from ganforge.config.presets import PRESET_DIR, PRESETS, load_config_file, load_preset, preset_names
from ganforge.config.schema import (
    AUTO_BATCH_SIZE,
    AUTO_BATCH_SIZE_OTHER,
    DataConfig,
    EvalConfig,
    ModelConfig,
    OptimConfig,
    RecipeConfig,
    RunConfig,
    TrainConfig,
    from_dict,
    migrate_legacy,
    recipe_config_class,
    resolve_auto,
    validate,
)

__all__ = [
    "AUTO_BATCH_SIZE",
    "AUTO_BATCH_SIZE_OTHER",
    "MOVED_KEYS",
    "PRESETS",
    "PRESET_DIR",
    "RESUME_OVERRIDES",
    "DataConfig",
    "EvalConfig",
    "ModelConfig",
    "OptimConfig",
    "RecipeConfig",
    "RunConfig",
    "TrainConfig",
    "check_resume_overrides",
    "from_dict",
    "load_config_file",
    "load_preset",
    "migrate_legacy",
    "parse_overrides",
    "preset_names",
    "recipe_config_class",
    "resolve_auto",
    "validate",
]
