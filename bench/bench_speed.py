"""Training speed of this code against the previous code, in one run: interleaved rounds, medians, ratios.

    python bench/bench_speed.py                                   # tiny@64 b64, 3 rounds
    python bench/bench_speed.py --configs tiny:64:64 base:224:8 --variants previous new model --rounds 3

Variants, each run in its own subprocess per round (the rounds interleave them, so drift in machine
load hits all alike; the table shows the median over rounds and its ratio to `previous`):
  previous  the trainer as of git `--ref` (its `train.py` and `core.py`; the rest of the package from
            the working tree): default `TrainConfig` — 1 DataLoader worker decoding PNGs, default AdamW
  new       this working tree's defaults (images held in memory and augmented batched, fused AdamW)
  new-disk  this working tree, `in_memory_mb=0`: images read from disk by `num_workers` workers
  new-w0    this working tree, `in_memory_mb=0, num_workers=0`: decoded and transformed in the training process
  compile   this working tree with the model `torch.compile`d (inductor); the compile time is reported
  model     the bare model step (forward + backward + clip + AdamW on one random batch held in memory,
            fused AdamW as the trainer now builds it): the ceiling the trainer's loop is measured against
Trainer variants run `pretrain` on the embedded synthetic birds (tiny; base@224 also reads the 64-px
birds, resized to 224) for `warm + steps` optimizer steps with the default recipe (views) and
`--amp`; speed = images / wall time of the timed steps, from the trainer's per-step log records
(data loading included); 'fast-step img/s' = batch / the 20th percentile of the step times: the fast steps, least
disturbed by other processes (on a shared machine that is the steadier figure). 'fixed s' = the rest of the process's `pretrain` call: set-up (building
the model, decoding the images into memory), checkpoint and teardown.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_REF = 'f7d74d7'   # the last commit before the issue-15 changes to the trainer


def previous_package(ref: str) -> Path:
    "A copy of the working tree's package with `train.py` and `core.py` as of `ref`; returns the folder to put on PYTHONPATH."
    d = Path(tempfile.mkdtemp(prefix='bench_prev_'))
    shutil.copytree(ROOT/'ebird_mae', d/'ebird_mae')
    for f in ('train.py', 'core.py'):
        src = subprocess.run(['git', '-C', str(ROOT), 'show', f'{ref}:ebird_mae/{f}'], capture_output=True, text=True, check=True).stdout
        (d/'ebird_mae'/f).write_text(src)
    return d


def _quantile(xs, q):
    "The q-quantile of step times (lower is faster): the fast steps, least disturbed by other processes' load."
    xs = sorted(xs); return xs[min(len(xs) - 1, int(q * len(xs)))]


def linear_stem(TrainConfig) -> dict:
    "The linear patch embedding where the trainer has a stem choice: like for like with trainers before the hybrid stem."
    return {'stem': 'linear'} if 'stem' in TrainConfig.__dataclass_fields__ else {}

def trainer_worker(size, img, batch, amp, steps, warm, extra):
    import torch, ebird_mae
    from ebird_mae.train import TrainConfig, pretrain
    kw = json.loads(extra)
    comp = kw.pop('compile', False)
    kw = {**linear_stem(TrainConfig), **kw}
    cfg = TrainConfig(size=size, img_size=img, batch_size=batch, amp=amp, device='cpu', progress=False, tensorboard=False,
                      recon_every=0, log_every=1, max_steps=warm + steps, epochs=1000,
                      output_dir=tempfile.mkdtemp(prefix='bench_speed_'), **kw)
    t_compile = None
    if comp:   # compile the model the trainer builds: patch build_model for this process
        import ebird_mae.train as tr
        real = tr.build_model
        def build(cfg):
            m = real(cfg); m.compile(); return m
        tr.build_model = build
    t = time.perf_counter()
    r = pretrain(cfg)
    total = time.perf_counter() - t
    recs = [h for h in r.records() if h['step'] > warm]
    secs = [batch / h['imgs_per_s'] for h in recs]
    first = [batch / h['imgs_per_s'] for h in r.records() if h['step'] <= warm]
    print(json.dumps(dict(imgs_per_s=batch * len(recs) / sum(secs), fast_imgs_per_s=batch / _quantile(secs, 0.2),
                          fixed_s=total - sum(secs) - sum(first),
                          warm_s=sum(first), amp=r.amp, pkg=str(Path(ebird_mae.__file__).parent),
                          loss=r.losses()[-1], data=(r.records('setup') or [{}])[0].get('data', 'disk (previous)'))))


def model_worker(size, img, batch, amp, steps, warm):
    import torch
    from ebird_mae.train import TrainConfig
    from ebird_mae.core import autocast
    from _step import model_step_setup
    S = model_step_setup(TrainConfig(size=size, img_size=img, batch_size=batch, amp=amp, device='cpu', progress=False, **linear_stem(TrainConfig)))
    model, opt, params, x, knobs, gen = S.model, S.opt, S.params, S.x, S.knobs, S.gen
    def step():
        with autocast('cpu', amp): o = model(x, generator=gen, **knobs)
        o.loss.backward(); torch.nn.utils.clip_grad_norm_(params, 3.0); opt.step(); opt.zero_grad(set_to_none=True)
        return float(o.loss)
    for _ in range(warm): step()
    secs = []
    for _ in range(steps):
        t = time.perf_counter(); loss = step(); secs.append(time.perf_counter() - t)
    print(json.dumps(dict(imgs_per_s=batch * steps / sum(secs), fast_imgs_per_s=batch / _quantile(secs, 0.2), fixed_s=0., warm_s=0.,
                          amp=amp, pkg='', loss=loss, data='random batch')))


VARIANTS = {'previous': {}, 'new': {}, 'new-disk': {'in_memory_mb': 0}, 'new-w0': {'in_memory_mb': 0, 'num_workers': 0},
            'compile': {'compile': True}, 'model': None}


def run_variant(v, cfg, amp, steps, warm, prev_dir):
    s, img, b = cfg.split(':')
    env = dict(os.environ)
    if v == 'previous': env['PYTHONPATH'] = str(prev_dir) + os.pathsep + env.get('PYTHONPATH', '')
    args = (['--model-worker', s, img, b, amp, str(steps), str(warm)] if v == 'model' else
            ['--trainer-worker', s, img, b, amp, str(steps), str(warm), json.dumps(VARIANTS[v])])
    out = subprocess.run([sys.executable, __file__] + args, capture_output=True, text=True, env=env, cwd=str(ROOT))
    if out.returncode: print(f"{v} {cfg} failed:\n{out.stderr[-3000:]}", file=sys.stderr); return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--configs', nargs='+', default=['tiny:64:64'], help='size:img_size:batch')
    ap.add_argument('--variants', nargs='+', default=['previous', 'new', 'new-disk', 'model'], choices=list(VARIANTS))
    ap.add_argument('--amp', default='off')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--steps', type=int, default=12, help='timed optimizer steps')
    ap.add_argument('--warm', type=int, default=3, help='untimed warm-up steps')
    ap.add_argument('--ref', default=BASE_REF, help="git ref of the 'previous' trainer")
    ap.add_argument('--trainer-worker', nargs=7, help=argparse.SUPPRESS)
    ap.add_argument('--model-worker', nargs=6, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.trainer_worker:
        s, img, b, amp, n, w, extra = a.trainer_worker; return trainer_worker(s, int(img), int(b), amp, int(n), int(w), extra)
    if a.model_worker:
        s, img, b, amp, n, w = a.model_worker; return model_worker(s, int(img), int(b), amp, int(n), int(w))
    import torch
    prev = previous_package(a.ref) if 'previous' in a.variants else None
    from _step import run_banner
    print(run_banner(previous=a.ref, amp=a.amp, **{'timed steps': a.steps, 'warm-up steps': a.warm, 'interleaved rounds (medians)': a.rounds}) + '\n')
    res = {}
    for r in range(a.rounds):
        for c in a.configs:
            for v in a.variants:
                o = run_variant(v, c, a.amp, a.steps, a.warm, prev)
                if o is not None:
                    res.setdefault((c, v), []).append(o)
                    print(f"  round {r + 1} {c} {v}: {o['imgs_per_s']:.1f} img/s, fast steps {o['fast_imgs_per_s']:.1f} "
                          f"(load {os.getloadavg()[0]:.1f}; {o['data']}, fixed {o['fixed_s']:.1f} s, "
                          f"warm-up {o['warm_s']:.1f} s, loss {o['loss']:.4f}, package {o['pkg']})", file=sys.stderr, flush=True)
    print('| config | variant | img/s (median) | rounds | vs previous | fast-step img/s (median) | vs previous | fixed s | warm-up s | data |\n'
          '|---|---|---|---|---|---|---|---|---|---|')
    for c in a.configs:
        pr = res.get((c, 'previous'), [{'imgs_per_s': float('nan'), 'fast_imgs_per_s': float('nan')}])
        ref, reff = statistics.median(o['imgs_per_s'] for o in pr), statistics.median(o['fast_imgs_per_s'] for o in pr)
        for v in a.variants:
            os_ = res.get((c, v))
            if not os_: print(f"| {c} | {v} | failed | | | | | |"); continue
            m, mf = statistics.median(o['imgs_per_s'] for o in os_), statistics.median(o['fast_imgs_per_s'] for o in os_)
            print(f"| {c} | {v} | {m:.1f} | {', '.join('%.0f' % o['imgs_per_s'] for o in os_)} | {m / ref:.2f}x | {mf:.1f} | {mf / reff:.2f}x | "
                  f"{statistics.median(o['fixed_s'] for o in os_):.1f} | {statistics.median(o['warm_s'] for o in os_):.1f} | {os_[0]['data']} |")
    if prev: shutil.rmtree(prev, ignore_errors=True)


if __name__ == '__main__': main()
