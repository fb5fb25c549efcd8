"""Open every collection of gridgov's OGC API in QGIS (Debian's python3-qgis, headless),
through a "Basic" authentication configuration as a QGIS user would make one, and
compare each collection's feature count with the store's.

Run by scripts/qgis/test-qgis.sh with the system Python (/usr/bin/python3), not uv's:
    check_oapif.py URL USER KEY COUNTS.json
Exits 1 when a collection does not open or its count differs; 0 when all match.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def main(url: str, user: str, key: str, counts_file: str) -> int:
    """Open each collection with the OAPIF provider and count its features."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # A throwaway authentication database, not the user's own (deleted at the end).
    auth_dir = tempfile.TemporaryDirectory(prefix="gridgov-qgis-auth-")
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = auth_dir.name
    from qgis.core import (
        Qgis,
        QgsApplication,
        QgsAuthMethodConfig,
        QgsDataSourceUri,
        QgsVectorLayer,
    )

    app = QgsApplication([], False)
    app.initQgis()
    manager = QgsApplication.authManager()
    manager.setMasterPassword("gridgov-test", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("gridgov")
    config.setConfig("username", user)
    config.setConfig("password", key)
    # PyQGIS answers (stored, config): the id is set on the config it hands back.
    stored = manager.storeAuthenticationConfig(config)
    ok, config = stored if isinstance(stored, tuple) else (stored, config)
    if not ok or not config.id():
        print("could not store the Basic authentication configuration", file=sys.stderr)
        return 1
    expected: dict[str, int] = json.loads(Path(counts_file).read_text(encoding="utf-8"))

    def layer(name: str, authcfg: str | None) -> QgsVectorLayer:
        uri = QgsDataSourceUri()
        uri.setParam("url", url)
        uri.setParam("typename", name)
        uri.setParam("pagingEnabled", "true")
        if authcfg:
            uri.setAuthConfigId(authcfg)
        return QgsVectorLayer(uri.uri(False), name, "OAPIF")

    print(f"QGIS {Qgis.QGIS_VERSION}, Basic authentication as {user!r}, {url}")
    print(f"{'collection':<16}{'store':>8}{'QGIS':>8}  result")
    failed = 0
    for name, count in expected.items():
        opened = layer(name, config.id())
        found = sum(1 for _ in opened.getFeatures()) if opened.isValid() else -1
        ok = opened.isValid() and found == count
        failed += not ok
        result = "ok" if ok else ("did not open" if not opened.isValid() else "count differs")
        print(f"{name:<16}{count:>8}{found:>8}  {result}")
    # Without the authentication configuration the server must refuse: a real check.
    anonymous = layer(next(iter(expected)), None)
    if anonymous.isValid():
        print("a layer opened without authentication: the API is not guarded", file=sys.stderr)
        failed += 1
    auth_dir.cleanup()
    print("all collections match" if not failed else f"{failed} check(s) failed")
    # QGIS 3.22's teardown (exitQgis, then Qt's) crashes standalone scripts with a
    # segmentation fault after all is done: leave without it, with our own status.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1 if failed else 0)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
