"""The build: setup.cfg holds the metadata; this adds qualcode's one compiled module.

``qualcode/coding/keywords/_windows.pyx`` is compiled with Cython where a C compiler is found
(the prefilter of the auto-coder, about 2.4 x faster). It is optional: where Cython or a compiler
is missing, the install goes on without it and qualcode runs the same code in Python."""
from setuptools import Extension, setup


def _extensions() -> list:
    try:
        from Cython.Build import cythonize
    except ImportError:  # a build without Cython (no build isolation): the Python code only
        return []
    return cythonize(
        [Extension("qualcode.coding.keywords._windows", ["qualcode/coding/keywords/_windows.pyx"], optional=True)],
        compiler_directives={"language_level": "3"}, quiet=True)


setup(ext_modules=_extensions())
