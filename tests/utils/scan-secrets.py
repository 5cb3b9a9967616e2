#!/usr/bin/env python
"""Fail when a secret of the test run shows up in its output, results, reports or logs.

Usage: scan-secrets.py [--self-test] --secret-env NAME [--secret-env NAME ...] PATH [PATH ...]

Each secret is read from the environment variable NAME (never from the command line, so it does
not show in a process list) and searched in every file under the PATHs, as bytes, raw and in the
encodings a leak would most likely take: URL-quoted, JSON-escaped, base64 (standard and URL-safe)
and hex. A hit prints the file, the byte offset and the encoding, never the secret. Exit status:
0 clean, 1 a secret was found, 2 a usage problem (no secret, a secret too short to be distinctive,
nothing to scan). --self-test first plants each secret in a scratch file and checks that the scan
finds it in every encoding, so a broken scanner cannot pass silently.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import urllib.parse

# Shorter values could match by chance; the run's secrets are random and longer than this.
MIN_SECRET_LENGTH = 16


def encodings(secret: str) -> dict[str, bytes]:
    raw = secret.encode("utf-8")
    forms = {
        "raw": raw,
        "url-quoted": urllib.parse.quote(secret, safe="").encode(),
        "url-quoted-plus": urllib.parse.quote_plus(secret).encode(),
        "json-escaped": json.dumps(secret)[1:-1].encode(),
        "base64": base64.b64encode(raw).rstrip(b"="),
        "base64-urlsafe": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }
    # Keep one name per distinct form (a plain secret is the same in several).
    unique: dict[bytes, str] = {}
    for name, form in forms.items():
        unique.setdefault(form, name)
    return {name: form for form, name in unique.items()}


def files_under(paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        if os.path.isfile(path):
            found.append(path)
            continue
        for directory, _subdirectories, names in os.walk(path):
            found.extend(os.path.join(directory, name) for name in names)
    return sorted(found)


def scan(secrets: dict[str, str], paths: list[str]) -> tuple[list[str], int]:
    """(hits, files scanned). A hit names the variable, never its value."""
    hits = []
    files = files_under(paths)
    forms = {variable: encodings(value) for variable, value in secrets.items()}
    for path in files:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            hits.append(f"{path}: cannot be read ({error.strerror}), so it cannot be cleared")
            continue
        for variable, variants in forms.items():
            for name, form in variants.items():
                offset = data.find(form)
                if offset >= 0:
                    hits.append(f"{path}: byte {offset}: the value of {variable} ({name})")
    return hits, len(files)


def self_test(secrets: dict[str, str]) -> list[str]:
    """Problems found when scanning planted copies of each secret (empty: the scanner works)."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="scan-secrets-") as scratch:
        for variable, value in secrets.items():
            for name, form in encodings(value).items():
                planted = os.path.join(scratch, "planted.log")
                with open(planted, "wb") as handle:
                    handle.write(b"ok: [testhost] => {\"msg\": \"" + form + b"\"}\n")
                hits, _count = scan({variable: value}, [scratch])
                if not any(f"({name})" in hit for hit in hits):
                    problems.append(f"self-test: a planted {name} copy of {variable} was not found")
        clean = os.path.join(scratch, "planted.log")
        with open(clean, "wb") as handle:
            handle.write(b"ok: [testhost] => {\"secret_key\": \"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER\"}\n")
        hits, _count = scan(secrets, [scratch])
        if hits:
            problems.append(f"self-test: a clean file was reported: {hits}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--secret-env", action="append", required=True, metavar="NAME", help="environment variable holding a secret")
    parser.add_argument("--self-test", action="store_true", help="first check the scanner finds planted secrets")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    args = parser.parse_args(argv)
    secrets = {}
    for variable in args.secret_env:
        value = os.environ.get(variable, "")
        if len(value) < MIN_SECRET_LENGTH:
            print(f"scan-secrets: {variable} must hold a distinctive secret of at least {MIN_SECRET_LENGTH} characters", file=sys.stderr)
            return 2
        secrets[variable] = value
    if args.self_test:
        problems = self_test(secrets)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 2
    hits, count = scan(secrets, args.paths)
    if count == 0:
        print(f"scan-secrets: nothing to scan under {', '.join(args.paths)}", file=sys.stderr)
        return 2
    if hits:
        print(f"scan-secrets: {len(hits)} leak(s) in {count} files:", file=sys.stderr)
        print("\n".join(hits), file=sys.stderr)
        return 1
    print(f"scan-secrets: {count} files clean of {', '.join(sorted(secrets))} (raw, URL, JSON, base64, hex)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
