"""Run hostile cases under resource limits: read cases (JSON) on stdin, print one result line
per case (JSON: {"case": ..., "kind": exception class, "message": ..., "lines": n}).

Started by test_hostile_rules.py in a subprocess with RLIMIT_AS and RLIMIT_CPU set, so a case
that builds a huge value or loops kills only this process, and the test names the case.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from mapper.engine.documents import InputProblem, read_documents
from mapper.engine.errors import MapperError
from mapper.engine.rules.compile import compile_rule_set
from mapper.engine.rules.render import payload_problem

HEADER = 'name: tiny\nversion: "1.0.0"\nkind: target\noutput_schema: test\n'
DOCUMENT = {"order": {"id": 7, "name": "tea", "lines": [{"amount": "1.00"}], "total": "1e400"}}


def _rule_set(folder: Path, case: dict) -> Path:
    rules = folder / "rules"
    rules.mkdir()
    if "expression" in case:
        body = f"output:\n  value: |-\n    {case['expression']}\n"
        (rules / "mapping.yaml").write_text(HEADER + body, encoding="utf-8")
    for name, text in case.get("files", {}).items():
        path = rules / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            text.replace("{OUTSIDE}", str(folder / "outside")),
            encoding="utf-8",
            errors="surrogateescape",
        )
    for name, target in case.get("symlinks", {}).items():
        (rules / name).symlink_to(target.replace("{OUTSIDE}", str(folder / "outside")))
    outside = folder / "outside"
    outside.mkdir()
    (outside / "secrets.yaml").write_text("password: hunter2\n", encoding="utf-8")
    return rules


def run(case: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.chdir(folder)
        try:
            if "input" in case:
                path = folder / "orders.json"
                path.write_text(case["input"], encoding="utf-8", errors="surrogatepass")
                found = []
                for item in read_documents(path):
                    if isinstance(item, InputProblem):
                        found.append(f"{item.where.replace(str(folder) + '/', '')}: {item.message}")
                    else:
                        found.append("ok")
                return {"kind": "documents", "message": " | ".join(found)}
            if "payload" in case:
                problem = payload_problem(case["payload"], xml=True)
                return {"kind": "payload", "message": ": ".join(problem) if problem else "ok"}
            rules = compile_rule_set(_rule_set(folder, case))
            result = rules.bind().apply(json.loads(json.dumps(DOCUMENT)), "7")
            return {"kind": "ok", "message": repr(result)[:200]}
        except MapperError as error:
            message = str(error).replace(str(folder) + "/", "")
            return {"kind": type(error).__name__, "message": message}
        except BaseException as error:  # what a user must never see: reported, not raised
            return {"kind": "uncaught " + type(error).__name__, "message": str(error)[:200]}


def main() -> None:
    for line in sys.stdin:
        case = json.loads(line)
        print(f"case {case['name']}", file=sys.stderr, flush=True)
        result = run(case)
        result["case"] = case["name"]
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
