"""The giltracer wheel: the Native AOT binary as the `giltracer` command (the wheel's .data/scripts, which pip
installs into the environment's bin/ as it is, as maturin's binary wheels do: no Python process in between) and
the `giltracer` package (the IPython extension, `python -m giltracer`).

Run by packaging/build-wheel.sh in the folder it lays out: giltracer/ (the package), scripts/giltracer (the
binary), VERSION, PLATFORM (manylinux_2_NN_ARCH, from the glibc symbols the binary imports).
"""
import os

from setuptools import Distribution, setup
from distutils.command.build_scripts import build_scripts  # setuptools' own distutils (Python 3.12 has none)

try:
    from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
except ImportError:
    from wheel.bdist_wheel import bdist_wheel  # Debian 12's setuptools 66 and wheel 0.38


def read(name):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), encoding="utf-8") as f:
        return f.read().strip()


class BinaryScripts(build_scripts):
    """Copies the scripts byte for byte: distutils would read a script as Python source to rewrite its #! line."""

    def run(self):
        self.mkpath(self.build_dir)
        for script in self.scripts:
            target = os.path.join(self.build_dir, os.path.basename(script))
            self.copy_file(script, target)
            os.chmod(target, 0o755)


class BinaryDistribution(Distribution):
    """Platform-specific (the binary), so the package goes to platlib, the wheel's root (Root-Is-Purelib: false)."""

    def has_ext_modules(self):
        return True


class BinaryWheel(bdist_wheel):
    """Tagged py3-none-PLATFORM: any Python 3 runs the package, the binary needs this platform's glibc."""

    def get_tag(self):
        return "py3", "none", read("PLATFORM")


setup(
    version=read("VERSION"),
    scripts=["scripts/giltracer"],
    distclass=BinaryDistribution,
    cmdclass={"build_scripts": BinaryScripts, "bdist_wheel": BinaryWheel},
)
