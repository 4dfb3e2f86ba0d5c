"""The translation catalogues are compiled (.po to .mo) as the package is built, so that an
install from a clone (`pip install '.[hub]'`) needs no step of its own for them."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for source in ROOT.glob("*/translations/*/LC_MESSAGES/*.po"):
            with source.open("rb") as handle:
                catalogue = read_po(handle)
            with source.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalogue)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
