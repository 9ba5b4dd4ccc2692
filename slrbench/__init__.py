"""slrbench: a plugin-based benchmark toolkit for isolated sign language recognition.

Only light objects are exported here, so that plugin modules and `slrbench list` never pull
in torch: the hook marker, the plugin description and the base class of option models.
"""
from slrbench.config import PluginConfig
from slrbench.hookspecs import hookimpl
from slrbench.spec import PluginSpec

__version__ = "0.1.0"
__all__ = ["PluginConfig", "PluginSpec", "hookimpl", "__version__"]
