"""Where this djfront install keeps its prebuilt Lambda artifacts.

A djfront wheel (``make dist``; docs/install.md) carries, besides this
package and the ``djfront`` command, the linux/arm64 Lambda artifacts the
SAM template deploys, in the package directory ``_artifacts``::

    VERSION                     this package's __version__
    hostforward/bootstrap       CodeUri of HostForwardFunction
    invalidate/bootstrap        CodeUri of InvalidateFunction
    rotate/bootstrap            CodeUri of RotateFunction
    layer/                      ContentUri of HostForwardLayer:
      djfront/hostforward         unpacked at /opt
      djfront-wrapper             the AWS_LAMBDA_EXEC_WRAPPER

An install from source (``pip install git+…#subdirectory=python``) has none.
``djfront artifacts`` and ``python -m djfront.artifacts`` print the same
directory.
"""

from pathlib import Path

from . import __version__


def path() -> Path:
    """Return the artifacts directory of this install.

    Raises FileNotFoundError when this install has none (it is not from a
    wheel) and RuntimeError when they belong to another djfront version.
    """
    directory = Path(__file__).resolve().parent / "_artifacts"
    try:
        got = (directory / "VERSION").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{directory}: this djfront {__version__} has no Lambda artifacts: "
            "they come with its wheel (pip install djfront), not an install from source"
        ) from None
    if got != __version__:
        raise RuntimeError(
            f"{directory} holds the artifacts of djfront {got}, not {__version__}: "
            "reinstall djfront (pip install --force-reinstall djfront)"
        )
    return directory


if __name__ == "__main__":
    print(path())
