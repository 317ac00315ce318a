"""Packaging glue pyproject.toml cannot say: the package list, found, plus filmflow._config.

The film knowledge in top-level config/ ships inside the package as filmflow._config
(package-dir in pyproject.toml); `packages.find` cannot list a package whose folder
lies outside filmflow/, and an explicit list would miss every new subpackage.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["filmflow", "filmflow.*"]), "filmflow._config"])
