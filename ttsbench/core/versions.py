"""Installed package versions, recorded beside every result."""

from __future__ import annotations

import contextlib
import sys


def package_versions(*packages: str) -> dict:
    """{"python": …, package: version} for the packages that are installed."""
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for pkg in packages:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out
