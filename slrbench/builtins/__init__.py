"""The built-in plugins. Each module registers through the same hooks as a third-party plugin;
only option models live in these modules, the heavy code is imported by the factories."""

BUILTIN_PLUGIN_MODULES: tuple[str, ...] = (
    "slrbench.builtins.smoothers",
    "slrbench.builtins.mixups",
    "slrbench.builtins.embedders",
    "slrbench.builtins.datasets",
    "slrbench.builtins.datasets.more",
    "slrbench.builtins.backbones",
    "slrbench.builtins.extractors",
    "slrbench.builtins.loggers",
)
