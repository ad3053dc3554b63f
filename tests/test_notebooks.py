"""Run every notebook through nbdev's own test runner (`nbdev.test.test_nb`), one pytest test per notebook.

nbdev's runner honours `#| eval: false`, `skip_exec` front matter and the test flags (cells marked `#| slow` are skipped
unless AUDIOLANG_TEST_FLAGS=slow, as `make test-slow` sets); nbmake would ignore all of these. Each notebook runs in its
own process so that a crash or a leaked thread in one notebook cannot take the others down.
"""
from __future__ import annotations
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
# Experiment notebooks run through papermill with smoke-size parameters instead (tests/test_experiments.py).
NBS = sorted(p for p in (ROOT / "nbs").rglob("*.ipynb")
             if not any(part.startswith((".", "_")) for part in p.relative_to(ROOT / "nbs").parts)
             and p.parent.name != "experiments")

RUNNER = r"""
import sys, time
from nbdev.config import get_config
from nbdev.test import test_nb
fn, force = sys.argv[1], sys.argv[2].split()
cfg = get_config()
skip = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags or [])
ok, secs = test_nb(fn, skip_flags=skip, force_flags=force, basepath=str(cfg.config_path), do_print=True,
                   cell_timeout=cfg.get('cell_timeout'))
print(f"{fn}: {'passed' if ok else 'FAILED'} in {secs:.1f}s")
sys.exit(0 if ok else 1)
"""


def test_found_notebooks():
    assert len(NBS) >= 5, NBS


@pytest.mark.parametrize("nb", NBS, ids=[str(p.relative_to(ROOT / "nbs")) for p in NBS])
def test_notebook(nb):
    force = os.environ.get("AUDIOLANG_TEST_FLAGS", "")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", TOKENIZERS_PARALLELISM="false")
    res = subprocess.run([sys.executable, "-c", RUNNER, str(nb), force], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=3600)
    tail = (res.stdout[-4000:] + "\n--- stderr ---\n" + res.stderr[-8000:])
    assert res.returncode == 0, f"{nb.name} failed under nbdev's test runner:\n{tail}"
