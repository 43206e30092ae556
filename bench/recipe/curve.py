"""Probe accuracy against training time: evaluate a run's kept checkpoints with `harness.evaluate`.
Usage: python bench/recipe/curve.py RUN_LOG.jsonl CKPT [CKPT ...]   (minutes read from the run's log)"""
import sys, json
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
from ebird_mae.models import load_model

log = [json.loads(l) for l in open(sys.argv[1])]
t = {r['step']: r for r in log if r.get('kind') == 'train'}
for ck in sys.argv[2:]:
    m, _ = load_model(ck)
    step = int(Path(ck).stem.split('-')[-1])
    r = harness.evaluate(m, f'curve-{step}', sets=['last_mean', 'gmu_mean'], note=json.dumps({'ckpt': str(ck), 'step': step}))
    print(step, json.dumps({k: r[k] for k in ('last_mean', 'gmu_mean', 'n_active_mean_median')}), flush=True)
