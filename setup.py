"""Build hook: a wheel carries the sample shop (data/sample) as package data, shopsync/sample.

Everything else is in pyproject.toml. A source checkout reads data/sample itself
(``shopsync.reference.sample_dir``), so an editable install copies nothing.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SAMPLE = Path(__file__).resolve().parent / "data" / "sample"


class BuildWithSample(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            shutil.copytree(SAMPLE, Path(self.build_lib, "shopsync", "sample"), dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithSample})
