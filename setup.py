"""Install the top-level folders as one import name, ``congvan.<layer>`` (see pyproject.toml).

Every folder with an ``__init__.py`` under the five layers becomes a subpackage, so a new module
folder is installed without editing a list; ``congvan`` itself is a namespace package.
"""
from pathlib import Path

from setuptools import setup

LAYERS = ("letters", "models", "index", "training", "service")
HERE = Path(__file__).resolve().parent

packages: list[str] = []
package_dir: dict[str, str] = {}
for layer in LAYERS:
    for init in sorted((HERE / layer).rglob("__init__.py")):
        rel = init.parent.relative_to(HERE)
        name = "congvan." + ".".join(rel.parts)
        packages.append(name)
        package_dir[name] = rel.as_posix()

setup(packages=packages, package_dir=package_dir)
