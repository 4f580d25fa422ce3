#!/usr/bin/python3
"""The artifact schema (schema/artifact-v2.schema.json) and perfledger's reader agree.

usage: schema_test.py PERFLEDGER_BINARY REPO_ROOT

Checks, over tests/data/artifacts/:
  * the schema is a valid JSON Schema (draft 2020-12);
  * every good fixture is accepted by both the schema and `perfledger validate`;
  * every bad fixture is rejected by both (except READER_ONLY: rules JSON Schema cannot
    express, which the schema must accept and the reader must reject, so the list cannot go
    stale), with exit code 2 and exactly the one stderr line in its .err file;
  * mutants of the good fixtures (every value deleted or replaced by null, "", "x", -1, 0,
    1.5, true, [], {}) get the same verdict from the schema and the reader.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

# Bad fixtures the reader rejects by a rule JSON Schema cannot state, and why.
READER_ONLY = {
    "duplicate-benchmark-name": "uniqueness of a property across array items",
    "range-to-not-commit": "equality of two fields (commit_range.to and commit.sha)",
    "impossible-date": "calendar validity (no February 29 in 2026) in a pattern",
    "out-of-range-number": "JSON Schema sees 1e999 as a number; the reader needs a finite double",
}

REPLACEMENTS = [None, "", "x", -1, 0, 1.5, True, [], {}]


def reject_constant(name):
    raise ValueError("not JSON: " + name)


def load_json(path):
    """The document, or None when it is not strict JSON (NaN and Infinity included)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.loads(f.read(), parse_constant=reject_constant)
    except (ValueError, UnicodeDecodeError):
        return None


def schema_accepts(validator, doc):
    return doc is not None and validator.is_valid(doc)


def reader_verdicts(binary, directory):
    """Runs `perfledger validate DIR`; returns the set of file paths it rejected."""
    proc = subprocess.run([binary, "validate", directory], capture_output=True, text=True)
    rejected = set()
    for line in proc.stderr.splitlines():
        if not line.startswith("error: "):
            raise AssertionError("unexpected stderr line: " + line)
        rest = line[len("error: "):]
        path = rest.split(".json", 1)[0] + ".json"
        rejected.add(os.path.normpath(path))
    if proc.returncode not in (0, 2):
        raise AssertionError("validate exited %d: %s" % (proc.returncode, proc.stderr))
    if (proc.returncode == 2) != bool(rejected):
        raise AssertionError("exit code %d disagrees with %d error lines"
                             % (proc.returncode, len(rejected)))
    return rejected


def pointers(doc, path=""):
    """Yields (pointer, parent, key) for every value below the root."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = path + "/" + k.replace("~", "~0").replace("/", "~1")
            yield p, doc, k
            yield from pointers(v, p)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            p = "%s/%d" % (path, i)
            yield p, doc, i
            yield from pointers(v, p)


def mutants(doc):
    """Yields (description, mutated document) for every value and replacement."""
    count = sum(1 for _ in pointers(doc))
    for index in range(count):
        for replacement in ["<delete>"] + REPLACEMENTS:
            mutated = copy.deepcopy(doc)
            pointer, parent, key = list(pointers(mutated))[index]
            if replacement == "<delete>":
                if not isinstance(parent, dict):
                    continue
                del parent[key]
            else:
                if parent[key] == replacement and type(parent[key]) is type(replacement):
                    continue
                parent[key] = copy.deepcopy(replacement)
            yield "%s := %s" % (pointer, json.dumps(replacement) if replacement != "<delete>"
                                else "<deleted>"), mutated


def main():
    binary, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    data = os.path.join(root, "tests", "data", "artifacts")
    with open(os.path.join(root, "schema", "artifact-v2.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []

    good = sorted(f for f in os.listdir(os.path.join(data, "good")) if f.endswith(".json"))
    bad = sorted(f for f in os.listdir(os.path.join(data, "bad")) if f.endswith(".json"))
    assert len(good) >= 8 and len(bad) >= 30, "fixtures missing"
    stale = set(READER_ONLY) - {b[:-5] for b in bad}
    if stale:
        failures.append("READER_ONLY names no fixture: %s" % sorted(stale))

    # Good fixtures: both accept.
    for name in good:
        doc = load_json(os.path.join(data, "good", name))
        if not schema_accepts(validator, doc):
            err = next(iter(validator.iter_errors(doc))) if doc is not None else "not JSON"
            failures.append("good/%s: schema rejects: %s" % (name, getattr(err, "message", err)))
    rejected = reader_verdicts(binary, os.path.join(data, "good"))
    for path in sorted(rejected):
        failures.append("%s: reader rejects a good fixture" % path)

    # Bad fixtures: both reject (READER_ONLY: schema accepts), with the golden error line.
    for name in bad:
        case = name[:-5]
        doc = load_json(os.path.join(data, "bad", name))
        accepted = schema_accepts(validator, doc)
        if case in READER_ONLY and not accepted:
            failures.append("bad/%s: listed as reader-only but the schema rejects it" % name)
        if case not in READER_ONLY and accepted:
            failures.append("bad/%s: the schema accepts it" % name)
        proc = subprocess.run([binary, "validate", "bad/" + name], cwd=data,
                              capture_output=True, text=True)
        with open(os.path.join(data, "bad", case + ".err"), encoding="utf-8") as f:
            golden = f.read()
        if proc.returncode != 2:
            failures.append("bad/%s: exit code %d, expected 2" % (name, proc.returncode))
        if proc.stderr != golden:
            failures.append("bad/%s: stderr differs from bad/%s.err:\n  got:      %r\n  expected: %r"
                            % (name, case, proc.stderr, golden))
        if proc.stderr.count("\n") != 1:
            failures.append("bad/%s: expected exactly one line on stderr" % name)

    # Mutants of the good fixtures: the same verdict from both.
    checked = 0
    with tempfile.TemporaryDirectory(prefix="perfledger-schema-") as tmp:
        verdicts = {}
        seen = set()
        for name in good:
            doc = load_json(os.path.join(data, "good", name))
            for description, mutated in mutants(doc):
                text = json.dumps(mutated, sort_keys=True)
                if text in seen:
                    continue
                seen.add(text)
                path = os.path.join(tmp, "m%05d.json" % len(seen))
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                verdicts[os.path.normpath(path)] = (name, description,
                                                    schema_accepts(validator, mutated))
        rejected = reader_verdicts(binary, tmp)
        for path, (name, description, schema_ok) in sorted(verdicts.items()):
            checked += 1
            reader_ok = path not in rejected
            if schema_ok != reader_ok:
                failures.append("good/%s with %s: schema %s, reader %s" % (
                    name, description, "accepts" if schema_ok else "rejects",
                    "accepts" if reader_ok else "rejects"))

    print("%d good fixtures, %d bad fixtures (%d reader-only), %d mutants checked"
          % (len(good), len(bad), len(READER_ONLY), checked))
    if failures:
        print("%d disagreements:" % len(failures))
        for f in failures[:60]:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
