# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse a JUnit XML file with a real XML parser, check its counts add up, print it as JSON.

Usage: check_junit.py FILE. Exits non-zero when the file is not well-formed XML or when the
suite's tests/failures/errors/skipped attributes disagree with its test cases.
"""

import json
import sys
import xml.etree.ElementTree as ET


def main(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if len(suites) != 1:
        sys.exit(f"expected one testsuite, found {len(suites)}")
    suite = suites[0]
    cases = []
    for case in suite.findall("testcase"):
        entry = {"classname": case.get("classname"), "name": case.get("name"), "time": case.get("time"), "outcome": "passed"}
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                entry.update(outcome=kind, type=element.get("type"), message=element.get("message"), text=element.text or "")
        entry["stdout"] = case.findtext("system-out") or ""
        cases.append(entry)
    counted = {kind: sum(1 for case in cases if case["outcome"] == kind) for kind in ("failure", "error", "skipped")}
    attributes = {name: int(suite.get(name)) for name in ("tests", "failures", "errors", "skipped")}
    expected = {"tests": len(cases), "failures": counted["failure"], "errors": counted["error"], "skipped": counted["skipped"]}
    if attributes != expected:
        sys.exit(f"suite attributes {attributes} disagree with its test cases {expected}")
    properties = {prop.get("name"): prop.get("value") for prop in suite.iter("property")}
    print(json.dumps({"root": root.tag, "suite": attributes, "properties": properties, "cases": cases}))


if __name__ == "__main__":
    main(sys.argv[1])
