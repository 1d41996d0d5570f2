"""Build hooks: a wheel carries the sample shop (data/sample) as package data, shopsync/sample;
and the bulk JSONL scanner (shopsync/_bulk_scan.c) is compiled, where a C compiler is.

Everything else is in pyproject.toml. A source checkout reads data/sample itself
(``shopsync.reference.sample_dir``), so an editable install copies nothing. The scanner is
optional: without a compiler the install still succeeds and shopsync.bulk_jsonl reads every
piece with pyarrow instead (the same frames, slower); .ci/run requires it built.
"""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

SAMPLE = Path(__file__).resolve().parent / "data" / "sample"


class BuildWithSample(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            shutil.copytree(SAMPLE, Path(self.build_lib, "shopsync", "sample"), dirs_exist_ok=True)


setup(
    cmdclass={"build_py": BuildWithSample},
    ext_modules=[
        Extension("shopsync._bulk_scan", ["shopsync/_bulk_scan.c"], optional=True),
    ],
)
