"""Which packages the distribution holds; everything else is in pyproject.toml.

The repository keeps ``policies/`` (Rego) and ``transforms/`` (the SQLMesh project) at
the top level (DESIGN.md §2), but an installed hub must carry them.  They ship as the
data packages ``hub.packaged.policies`` and ``hub.packaged.transforms`` (mapped with
``package_dir``; their package data is declared in pyproject.toml) and are found through
``importlib.resources`` (``hub.packaged``) — in a wheel and in an editable install alike.
Top-level ``policies`` / ``transforms`` packages would collide with unrelated PyPI
distributions of those names, hence the mapping under ``hub``.  pyproject.toml cannot
combine package discovery with mapped packages, which is the one reason this file exists.
"""

from setuptools import find_packages, setup

MAPPED = {"hub.packaged.policies": "policies", "hub.packaged.transforms": "transforms"}

setup(
    packages=[*find_packages(include=["hub*", "connectors*", "catalog*"]), *MAPPED],
    package_dir=MAPPED,
)
