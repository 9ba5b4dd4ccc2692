"""Run recipes shipped with the package (TOML files for `slrbench run --config`)."""
from slrbench.package_data import package_folder

RECIPES = package_folder("recipes")
DEMO = RECIPES / "demo.toml"
