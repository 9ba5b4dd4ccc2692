"""Run recipes shipped with the package (TOML files for `slrbench run --config`)."""
from pathlib import Path

RECIPES = Path(__file__).resolve().parent
DEMO = RECIPES / "demo.toml"
