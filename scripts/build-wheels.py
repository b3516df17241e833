#!/usr/bin/env python3
"""build-wheels.py (make dist) assembles djfront's platform wheels from what make dist built.

    build-wheels.py --stage STAGE --out DIST   write one wheel per platform, and the pure one, into DIST
    build-wheels.py --version                  print the version (python/djfront/__init__.py)

STAGE holds the Go builds:

    STAGE/cli/GOOS-GOARCH/djfront    the djfront command, one per platform in PLATFORMS
    STAGE/artifacts/...              the linux/arm64 Lambda artifacts (layout: docs/install.md)

Each wheel holds the Django package (python/pyproject.toml's [tool.setuptools] packages, their
*.py files, as setuptools installs them), the artifacts under djfront/_artifacts with a VERSION
file, the command as djfront-VERSION.data/scripts/djfront (pip installs it into the environment's
bin/ as it is, executable), and METADATA written from pyproject.toml's [project] table. A key this
script does not know fails the build rather than be left out. One more, djfront-VERSION-py3-none-any,
holds the Django package and METADATA only: the app function's (sam build installs it for Lambda).

The wheels are reproducible: entries sorted, fixed timestamps and modes, METADATA from sorted
input, the same bytes for the same inputs. Standard library only (Python 3.11+: tomllib).
"""

import argparse
import ast
import base64
import hashlib
import os
import re
import sys
import zipfile
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    sys.exit("build-wheels.py: needs Python 3.11 or later (tomllib); run it with PYTHON3=python3.12 make dist")

ROOT = Path(__file__).resolve().parent.parent
PYTHON_DIR = ROOT / "python"

# PLATFORMS maps the Go platform (GOOS-GOARCH) of the djfront command to its wheel's platform tags.
# Go builds it with CGO_ENABLED=0: on Linux a static binary, which runs on any glibc (manylinux,
# the oldest tag pip still accepts) and on musl; on macOS it needs macOS 12 (Go 1.25 and later).
PLATFORMS = {
    "linux-amd64": ("manylinux_2_17_x86_64", "manylinux2014_x86_64", "musllinux_1_1_x86_64"),
    "linux-arm64": ("manylinux_2_17_aarch64", "manylinux2014_aarch64", "musllinux_1_1_aarch64"),
    "darwin-amd64": ("macosx_12_0_x86_64",),
    "darwin-arm64": ("macosx_12_0_arm64",),
}

# ZIP_EPOCH is every entry's timestamp: the earliest a zip file can hold.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

# The [project] keys write_metadata handles; any other fails the build.
KNOWN_PROJECT_KEYS = {
    "name", "version", "dynamic", "description", "readme", "requires-python", "license", "authors",
    "maintainers", "keywords", "classifiers", "urls", "dependencies", "optional-dependencies",
}


class BuildError(Exception):
    """A problem with the inputs, reported as build-wheels.py: MESSAGE."""


def normalize(name):
    """PEP 503/685 normalized name: lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_version(project, tool):
    """Return [project] version: static, or dynamic from [tool.setuptools.dynamic] version attr."""
    if "version" in project:
        return project["version"]
    if "version" not in project.get("dynamic", []):
        raise BuildError("pyproject.toml: [project] has no version, static or dynamic")
    attr = tool.get("setuptools", {}).get("dynamic", {}).get("version", {}).get("attr", "")
    module, _, variable = attr.rpartition(".")
    if not module:
        raise BuildError(f"pyproject.toml: dynamic version wants [tool.setuptools.dynamic] version = {{attr = \"pkg.VAR\"}}, got {attr!r}")
    base = PYTHON_DIR.joinpath(*module.split("."))
    source = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == variable for t in node.targets):
            value = ast.literal_eval(node.value)
            if isinstance(value, str):
                return value
    raise BuildError(f"{source}: no string assignment to {variable}")


def person_fields(people, field):
    """The Author/Author-email (or Maintainer) lines of a [project] authors list."""
    names = [p["name"] for p in people if "name" in p and "email" not in p]
    emails = [f'{p["name"]} <{p["email"]}>' if "name" in p else p["email"] for p in people if "email" in p]
    lines = [f"{field}: {', '.join(names)}"] if names else []
    return lines + ([f"{field}-email: {', '.join(emails)}"] if emails else [])


def readme(project):
    """Return (content type, text) of [project] readme, or (None, None)."""
    value = project.get("readme")
    if value is None:
        return None, None
    if isinstance(value, str):
        value = {"file": value}
    if "text" in value:
        text = value["text"]
    else:
        text = (PYTHON_DIR / value["file"]).read_text(encoding="utf-8")
    kind = value.get("content-type") or {".md": "text/markdown", ".rst": "text/x-rst"}.get(
        Path(value.get("file", "")).suffix.lower(), "text/plain")
    return kind, text


def metadata(project, version):
    """Core metadata 2.1 (METADATA) for [project] at version."""
    unknown = sorted(set(project) - KNOWN_PROJECT_KEYS)
    if unknown or set(project.get("dynamic", [])) - {"version"}:
        raise BuildError(f"pyproject.toml: [project] {unknown or project['dynamic']}: not supported by build-wheels.py; teach it")
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {version}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "keywords" in project:
        lines.append(f"Keywords: {','.join(project['keywords'])}")
    lines += person_fields(project.get("authors", []), "Author")
    lines += person_fields(project.get("maintainers", []), "Maintainer")
    license_ = project.get("license")
    if isinstance(license_, str):
        lines.append(f"License: {license_}")
    elif isinstance(license_, dict):
        text = license_.get("text") or (PYTHON_DIR / license_["file"]).read_text(encoding="utf-8")
        lines.append("License: " + text.strip().replace("\n", "\n        "))
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    lines += [f"Project-URL: {label}, {url}" for label, url in project.get("urls", {}).items()]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {req}" for req in project.get("dependencies", [])]
    for extra, reqs in sorted(project.get("optional-dependencies", {}).items()):
        extra = normalize(extra)
        lines.append(f"Provides-Extra: {extra}")
        for req in reqs:
            req, _, marker = (part.strip() for part in req.partition(";"))
            cond = f'({marker}) and extra == "{extra}"' if marker else f'extra == "{extra}"'
            lines.append(f"Requires-Dist: {req}; {cond}")
    kind, text = readme(project)
    if kind:
        lines.append(f"Description-Content-Type: {kind}")
    return "\n".join(lines) + "\n" + (f"\n{text}" if text else "")


def package_files(tool):
    """The (archive name, path) of each *.py file of [tool.setuptools] packages, sorted."""
    setuptools = tool.get("setuptools", {})
    unknown = sorted(set(setuptools) - {"packages", "dynamic"})
    if unknown:
        raise BuildError(f"pyproject.toml: [tool.setuptools] {unknown}: not supported by build-wheels.py; teach it")
    files = []
    for package in setuptools.get("packages", []):
        directory = PYTHON_DIR.joinpath(*package.split("."))
        if not (directory / "__init__.py").is_file():
            raise BuildError(f"{directory}: package {package} has no __init__.py")
        files += [(f"{package.replace('.', '/')}/{p.name}", p) for p in directory.glob("*.py")]
    return sorted(files)


def tree(root, prefix):
    """The (archive name, path) of every file under root, as prefix/relative path, sorted."""
    return sorted((f"{prefix}/{p.relative_to(root).as_posix()}", p) for p in root.rglob("*") if p.is_file())


def record_line(name, data):
    """RECORD's line for an entry: name, sha256=urlsafe base64 without padding, size."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(path, entries):
    """Write the wheel at path from entries [(archive name, bytes, executable)], in their order, RECORD last."""
    dist_info = next(n for n, _, _ in entries if n.endswith(".dist-info/METADATA")).rpartition("/")[0]
    record_name = f"{dist_info}/RECORD"
    record = "".join(record_line(n, d) + "\n" for n, d, _ in entries) + f"{record_name},,\n"
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, data, executable in entries + [(record_name, record.encode(), False)]:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix: pip reads the mode from external_attr
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            zf.writestr(info, data, compresslevel=9)
    os.replace(tmp, path)


def build(stage, out):
    """Write one wheel per PLATFORMS entry and the pure one into out; return their paths."""
    pyproject = tomllib.loads((PYTHON_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    project, tool = pyproject["project"], pyproject.get("tool", {})
    version = read_version(project, tool)
    dist = f"{normalize(project['name']).replace('-', '_')}-{version}"
    meta = metadata(project, version).encode()

    artifacts = stage / "artifacts"
    if not artifacts.is_dir():
        raise BuildError(f"{artifacts}: missing (make dist builds it)")
    built = sorted(p.name for p in (stage / "cli").iterdir()) if (stage / "cli").is_dir() else []
    if built != sorted(PLATFORMS):
        raise BuildError(f"{stage / 'cli'}: has {built}, want {sorted(PLATFORMS)}")

    common = [(name, p.read_bytes(), False) for name, p in package_files(tool)]
    common += [(name, p.read_bytes(), os.access(p, os.X_OK)) for name, p in tree(artifacts, "djfront/_artifacts")]
    common.append(("djfront/_artifacts/VERSION", f"{version}\n".encode(), False))

    out.mkdir(parents=True, exist_ok=True)
    wheels = []
    for platform, plat_tags in sorted(PLATFORMS.items()):
        cli = (stage / "cli" / platform / "djfront").read_bytes()
        entries = sorted(common + [(f"{dist}.data/scripts/djfront", cli, True)]) + [
            (f"{dist}.dist-info/METADATA", meta, False),
            (f"{dist}.dist-info/WHEEL", wheel_file(False, plat_tags), False),
        ]
        path = out / f"{dist}-py3-none-{'.'.join(plat_tags)}.whl"
        write_wheel(path, entries)
        wheels.append(path)
    # The function's wheel: the Django package alone, which sam build's pip installs for Lambda's
    # linux/arm64 whatever the machine (docs/adopt.md); pip on a platform of PLATFORMS prefers that
    # platform's wheel to it.
    entries = [(name, p.read_bytes(), False) for name, p in package_files(tool)] + [
        (f"{dist}.dist-info/METADATA", meta, False),
        (f"{dist}.dist-info/WHEEL", wheel_file(True, ("any",)), False),
    ]
    path = out / f"{dist}-py3-none-any.whl"
    write_wheel(path, entries)
    return wheels + [path]


def wheel_file(purelib, plat_tags):
    """WHEEL's contents for a wheel with plat_tags, pure Python or not."""
    return "".join(
        ["Wheel-Version: 1.0\n", "Generator: djfront scripts/build-wheels.py\n",
         f"Root-Is-Purelib: {'true' if purelib else 'false'}\n"]
        + [f"Tag: py3-none-{tag}\n" for tag in plat_tags]).encode()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", type=Path, help="what make dist built: cli/ and artifacts/")
    parser.add_argument("--out", type=Path, help="where to write the wheels")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    args = parser.parse_args(argv)
    try:
        if args.version:
            project = tomllib.loads((PYTHON_DIR / "pyproject.toml").read_text(encoding="utf-8"))
            print(read_version(project["project"], project.get("tool", {})))
            return 0
        if not args.stage or not args.out:
            parser.error("--stage and --out are required")
        for path in build(args.stage, args.out):
            print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    except (BuildError, OSError, KeyError, tomllib.TOMLDecodeError) as err:
        print(f"build-wheels.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
