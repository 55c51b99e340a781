"""Mutation check of the claims: break one rule at a time, see which claim test catches it.

Each ``Mutation`` in ``tests/claims/mutations_*.py`` replaces one text in one source file. This
script copies the working tree to a scratch folder once, applies each mutation there in turn, runs
the mutation's own test selection (and, with ``--all``, every claims test), restores the file,
and prints a markdown table: mutation, the tests that failed, caught or MISSED. A missed mutation
is a rule no oracle checks. Exit status 1 if any mutation was missed or does not apply.

    python tests/claims/mutation_check.py [--all] [--only NAME_PART] [--keep]
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from claims.mutation import Mutation  # noqa: E402

FAILED = re.compile(r"^FAILED (\S+)", re.MULTILINE)


def load_mutations() -> list[Mutation]:
    """Every ``MUTATIONS`` list of ``tests/claims/mutations_*.py``, in file order."""
    found: list[Mutation] = []
    for path in sorted((ROOT / "tests" / "claims").glob("mutations_*.py")):
        spec = importlib.util.spec_from_file_location(f"claims.{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.extend(module.MUTATIONS)
    return found


def copy_tree(target: Path) -> None:
    """The working tree (tracked and untracked files, not ignored ones) copied to ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run_selection(tree: Path, selection: str) -> tuple[int, list[str], float]:
    """pytest on ``selection`` in ``tree``: exit code, failed test ids, seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "--hypothesis-seed=0", *selection.split()],
        cwd=tree, capture_output=True, text=True,
    )  # fmt: skip
    return done.returncode, FAILED.findall(done.stdout), time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="also run every claims test")
    parser.add_argument("--only", default="", help="only mutations whose name contains this")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    options = parser.parse_args()
    mutations = [m for m in load_mutations() if options.only in m.name]
    scratch = Path(tempfile.mkdtemp(prefix="vg-mutants-"))
    copy_tree(scratch)
    print("| mutation | file | caught by | verdict | s |")
    print("| --- | --- | --- | --- | --- |")
    bad = 0
    for mutation in mutations:
        target = scratch / mutation.path
        original = target.read_text()
        if original.count(mutation.old) != 1:
            print(f"| {mutation.name} | {mutation.path} | text found "
                  f"{original.count(mutation.old)} times | DOES NOT APPLY | |")  # fmt: skip
            bad += 1
            continue
        target.write_text(original.replace(mutation.old, mutation.new))
        try:
            selections = [mutation.tests] + (["tests/claims"] if options.all else [])
            failed: list[str] = []
            seconds = 0.0
            code = 0
            for selection in selections:
                code, ids, took = run_selection(scratch, selection)
                failed += ids
                seconds += took
                if code != 0:
                    break
        finally:
            target.write_text(original)
        caught = code != 0
        bad += not caught
        names = ", ".join(sorted({i.split("::")[-1].split("[")[0] for i in failed})) or (
            f"exit {code}" if caught else "—"
        )
        print(f"| {mutation.name} | {mutation.path} | {names} | "
              f"{'caught' if caught else 'MISSED'} | {seconds:.0f} |", flush=True)  # fmt: skip
    if not options.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n{len(mutations) - bad} of {len(mutations)} mutations caught")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
