"""Run every experiment notebook end to end through papermill, with the smoke-size parameters in experiment_params.yaml.

Researchers run these notebooks with papermill (`-p key value`), so CI does too: this exercises the `parameters` cell,
parameter injection and every code path, at sizes that fit CI. The committed notebooks carry the outputs of full runs
at their defaults. An experiment without an entry in the YAML fails, so none is silently left untested.
"""
from __future__ import annotations
import os, subprocess, sys
from pathlib import Path
import pytest, yaml

ROOT = Path(__file__).resolve().parents[1]
EXP = ROOT / "nbs" / "experiments"
NBS = sorted(EXP.glob("*.ipynb"))
PARAMS = yaml.safe_load((Path(__file__).parent / "experiment_params.yaml").read_text()) or {}


def test_every_experiment_has_smoke_params():
    missing = [p.stem for p in NBS if p.stem not in PARAMS]
    assert not missing, f"add smoke parameters for {missing} to tests/experiment_params.yaml"


@pytest.mark.parametrize("nb", NBS, ids=[p.stem for p in NBS])
def test_experiment_runs(nb, tmp_path):
    spec = PARAMS.get(nb.stem)
    if spec is None: pytest.fail(f"no smoke parameters for {nb.stem} in tests/experiment_params.yaml")
    if spec.get("covered_by"): pytest.skip(f"run end to end (with its own checks) by {spec['covered_by']}")
    if spec.get("needs_shared"):
        from audiolang.core import shared_data_dir
        if shared_data_dir() is None:
            pytest.skip("../shared/data is absent (a fresh clone has no development data; CI always has it)")
    params = dict(spec.get("params") or {}, out_dir=str(tmp_path / "out"))
    args = [sys.executable, "-m", "papermill", str(nb), str(tmp_path / "executed.ipynb"), "--cwd", str(EXP),
            "--no-progress-bar", "-k", "python3"]
    args += ["-y", yaml.safe_dump(params)]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", TOKENIZERS_PARALLELISM="false")
    res = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    assert res.returncode == 0, f"{nb.name} failed under papermill:\n{res.stdout[-3000:]}\n--- stderr ---\n{res.stderr[-6000:]}"
    assert (tmp_path / "out" / "results.json").exists() or nb.stem == "00_quickstart", "experiments write results.json"
