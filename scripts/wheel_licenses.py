"""Adds the licence of every library auditwheel bundled into a repaired wheel.

    python scripts/wheel_licenses.py dist/htj2k-...-manylinux_2_34_x86_64.whl

auditwheel copies each system library into ``htj2k.libs/`` renamed
``<name>-<8 hex>.<so suffix>`` (``libopenjph-1a2b3c4d.so.0.9.0``). For each, the
original file is found through ``ldconfig -p``, its Debian package with
``dpkg -S`` and the package's licence in ``/usr/share/doc/<package>/copyright``.
They go into the wheel as

    htj2k-<version>.dist-info/licenses/bundled/<package>/copyright
    htj2k-<version>.dist-info/licenses/bundled/README.txt  (which file is which package, version)

(the .dist-info ``licenses/`` folder is where PEP 639 puts a distribution's
licence files; installers copy it to site-packages unchanged) and RECORD gets
their hashes. A bundled library whose package or licence cannot be found is an
error: a wheel without the licence of code it ships is not to be published.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path


def original_name(bundled: str) -> str:
    """libopenjph-1a2b3c4d.so.0.9.0 -> libopenjph.so.0.9.0 (auditwheel's renaming undone:
    it keeps the name of the file the soname resolved to, with a hash added)."""
    m = re.match(r"^(.+)-[0-9a-f]{8}(\..+)$", bundled)
    if not m:
        raise SystemExit(f"wheel_licenses: {bundled}: not an auditwheel-renamed library")
    return m.group(1) + m.group(2)


def system_libraries() -> dict:
    """File name -> path of every 64-bit library the dynamic linker knows (ldconfig -p),
    by the name of the file each soname resolves to."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    paths = {}
    for line in out.splitlines()[1:]:
        m = re.match(r"^\s*(\S+) \((.*)\) => (\S+)$", line)
        if m and ("x86-64" in m.group(2) or "64bit" in m.group(2)):
            real = os.path.realpath(m.group(3))
            paths.setdefault(os.path.basename(real), real)
    return paths


def package_of(path: str) -> str:
    """The Debian package owning path (merged /usr: tries /lib and /usr/lib spellings)."""
    real = os.path.realpath(path)
    candidates = []
    for p in (path, real):
        candidates += [p]
        if p.startswith("/usr/lib/"):
            candidates.append(p[len("/usr"):])
        elif p.startswith("/lib/"):
            candidates.append("/usr" + p)
    for c in dict.fromkeys(candidates):
        r = subprocess.run(["dpkg-query", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    raise SystemExit(f"wheel_licenses: no Debian package owns {path} ({real})")


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main(argv) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    wheel = Path(argv[0])
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        entries = {n: z.read(n) for n in names}
        infos = {n: z.getinfo(n) for n in names}
    dist_info = next(n.split("/")[0] for n in names if re.match(r"^[^/]+\.dist-info/RECORD$", n))
    bundled = sorted(n.split("/", 1)[1] for n in names if re.match(r"^[^/]+\.libs/[^/]+$", n))
    if not bundled:
        raise SystemExit(f"wheel_licenses: {wheel.name} bundles no library (was it repaired?)")

    ld = system_libraries()
    added = {}
    readme = ["Libraries bundled in htj2k.libs/ by auditwheel, from Debian packages;",
              "each package's copyright file (its licence terms) is in <package>/copyright.", ""]
    for lib in bundled:
        name = original_name(lib)
        path = ld.get(name)
        if path is None:
            raise SystemExit(f"wheel_licenses: {name} (bundled as {lib}) is not known to ldconfig")
        pkg = package_of(path)
        pkg_base = pkg.split(":")[0]
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True).stdout
        copyright_file = Path("/usr/share/doc") / pkg_base / "copyright"
        if not copyright_file.is_file():
            raise SystemExit(f"wheel_licenses: {copyright_file} missing (licence of {lib})")
        added[f"{dist_info}/licenses/bundled/{pkg_base}/copyright"] = copyright_file.read_bytes()
        readme.append(f"htj2k.libs/{lib}: {path} from Debian {pkg_base} {version}")
        print(f"wheel_licenses: {lib} <- {path} ({pkg_base} {version})")
    added[f"{dist_info}/licenses/bundled/README.txt"] = ("\n".join(readme) + "\n").encode()

    record_name = f"{dist_info}/RECORD"
    record = entries[record_name].decode().splitlines()
    record = [r for r in record if r and r.split(",")[0] not in added]
    record_idx = next(i for i, r in enumerate(record) if r.startswith(record_name + ","))
    for name, data in sorted(added.items()):
        record.insert(record_idx, record_line(name, data))
        record_idx += 1
    entries.update(added)
    entries[record_name] = ("\n".join(record) + "\n").encode()

    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        order = [n for n in names if n != record_name] + [a for a in sorted(added) if a not in infos]
        for name in order + [record_name]:
            info = infos.get(name)
            zi = zipfile.ZipInfo(name, date_time=info.date_time if info else (2020, 1, 1, 0, 0, 0))
            zi.external_attr = info.external_attr if info else 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, entries[name])
    os.replace(tmp, wheel)
    print(f"wheel_licenses: {len(added) - 1} licence file(s) added to {wheel.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
