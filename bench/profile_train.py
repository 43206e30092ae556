"""Where the time of a training step goes: torch.profiler per-op tables for the bare model step and
for the trainer's step (`ebird_mae.train.train_step`, loader included).

    python bench/profile_train.py                                   # tiny:64:64 and base:224:8, fp32, both kinds
    python bench/profile_train.py --configs tiny:64:64 --amp bf16 --steps 3 --what model

The model is what the trainer builds from `TrainConfig` (by default the views recipe,
`views.MAEVSCViews`: MAE-VSC + a second encoder pass + InfoNCE). *model step*: forward (autocast),
backward, gradient clipping and AdamW exactly as `train_step` does them, on one random batch
held in memory. *trainer step*: `setup_run` + `train_step` on the real loader (tiny: the embedded
synthetic birds, read as the trainer reads them: held in memory unless `--trainer-settings '{"in_memory_mb": 0}'`;
base@224: random tensors in a list, as `bench_train.py` does). Each prints
  1. wall ms/step with the profiler on, and the phases: the profiler's top-level events per step
     (forward, backward, clip, optimizer, data), with the rest (python glue) as 'other';
  2. the top ops by self CPU time (`key_averages`), per step.
Each (config, kind) runs in its own subprocess. Profiler overhead inflates small ops a little;
read the shares, and take speeds from `bench_train.py` / `bench_speed.py`.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _phase_of(name, state):
    "The phase of a top-level event, from its name and the phase before it (events come in time order)."
    if name in ('forward', 'backward', 'clip_grad_norm_', 'optimizer.step', 'zero_grad'): return name   # the model step's labels
    if name.startswith('enumerate(DataLoader)'): return 'data (loader next)'
    if name.startswith('autograd::engine'): return 'backward'
    if name.startswith('Optimizer.step'): return 'optimizer.step'
    if name.startswith('Optimizer.zero_grad'): return 'zero_grad'
    if state in ('backward', 'clip + finite check'): return 'clip + finite check'   # between the backward and the step
    return 'forward'


def _phases(prof, steps, wall_ms):
    "ms/step per phase of the main thread's top-level CPU events (time order); the remainder as 'other'."
    evs = sorted((e for e in prof.events() if e.cpu_parent is None and e.device_type.name == 'CPU'), key=lambda e: e.time_range.start)
    tot, state = {}, 'forward'
    for e in evs:
        state = _phase_of(e.name, state)
        tot[state] = tot.get(state, 0.) + e.cpu_time_total / 1e3
        if state in ('optimizer.step', 'zero_grad', 'data (loader next)'): state = 'forward'
    rows = sorted(((k, v / steps) for k, v in tot.items()), key=lambda kv: -kv[1])
    return rows, max(0., wall_ms - sum(v for _, v in rows))


def _report(prof, steps, wall_s, batch, title, top):
    wall_ms = 1e3 * wall_s / steps
    rows, other = _phases(prof, steps, wall_ms)
    print(f"\n### {title}\n\nwall {wall_ms:.1f} ms/step ({batch * steps / wall_s:.1f} img/s with the profiler on)\n")
    print("| phase | ms/step | share |\n|---|---|---|")
    for k, v in rows[:12]:
        if v >= 0.05 * wall_ms / 100: print(f"| {k} | {v:.1f} | {100 * v / wall_ms:.1f}% |")
    print(f"| (other: python between events) | {other:.1f} | {100 * other / wall_ms:.1f}% |")
    ka = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    tot = sum(e.self_cpu_time_total for e in ka)
    print(f"\n| op (self CPU) | calls/step | ms/step | share of op time |\n|---|---|---|---|")
    for e in ka[:top]:
        print(f"| {e.key} | {e.count / steps:.0f} | {e.self_cpu_time_total / 1e3 / steps:.1f} | {100 * e.self_cpu_time_total / tot:.1f}% |")


def _cfg(size, img, batch, amp, **kw):
    from ebird_mae.train import TrainConfig
    return TrainConfig(size=size, img_size=img, batch_size=batch, amp=amp, device='cpu', output_dir=tempfile.mkdtemp(prefix='prof_'),
                       progress=False, tensorboard=False, recon_every=0, log_every=10, epochs=1000, **kw)


def model_worker(size, img, batch, amp, steps, warm, top):
    import torch
    from torch.profiler import profile, record_function, ProfilerActivity
    from ebird_mae.core import autocast
    from _step import model_step_setup
    S = model_step_setup(_cfg(size, img, batch, amp))
    model, opt, params, x, knobs, gen = S.model, S.opt, S.params, S.x, S.knobs, S.gen
    def step():
        with record_function('forward'), autocast('cpu', amp): o = model(x, generator=gen, **knobs)
        with record_function('backward'): o.loss.backward()
        with record_function('clip_grad_norm_'): gn = torch.nn.utils.clip_grad_norm_(params, 3.0)
        with record_function('optimizer.step'): opt.step()
        with record_function('zero_grad'): opt.zero_grad(set_to_none=True)
        return o.loss
    for _ in range(warm): step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t = time.perf_counter()
        for _ in range(steps): step()
        wall = time.perf_counter() - t
    _report(prof, steps, wall, batch, f"model step: {size}@{img} b{batch} {amp} ({type(model).__name__}, "
            f"{sum(p.numel() for p in params) / 1e6:.1f} M params)", top)


def trainer_worker(size, img, batch, amp, steps, warm, top, extra):
    import torch
    from torch.profiler import profile, ProfilerActivity
    from ebird_mae.train import setup_run, train_step, build_datasets
    cfg = _cfg(size, img, batch, amp, **json.loads(extra))
    if size == 'tiny': ds, bench = None, None   # the trainer reads the synthetic birds itself (in memory unless in_memory_mb=0)
    else:
        g = torch.Generator().manual_seed(0); x = torch.randn(batch * 8, 3, img, img, generator=g)
        ds = [(x[i], i) for i in range(len(x))]; bench = x[:2]
    run = setup_run(cfg, ds, None, bench)
    run.model.train(); run.sampler.set_epoch(0, 0); it = iter(run.loader)
    for _ in range(warm): train_step(run, it); run.step += 1
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t = time.perf_counter()
        for _ in range(steps): train_step(run, it); run.step += 1
        wall = time.perf_counter() - t
    data = 'images in memory' if type(run.dataset).__name__ == 'MemoryImages' else f'DataLoader, {cfg.num_workers} worker(s)'
    _report(prof, steps, wall, batch, f"trainer step: {size}@{img} b{batch} {run.amp} ({data}; settings {extra})", top)
    run.logger.close(); del it


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--configs', nargs='+', default=['tiny:64:64', 'base:224:8'], help='size:img_size:batch')
    ap.add_argument('--amp', default='off', help="'off' (fp32) or 'bf16'")
    ap.add_argument('--what', nargs='+', default=['model', 'trainer'])
    ap.add_argument('--steps', type=int, default=4, help='profiled steps')
    ap.add_argument('--warm', type=int, default=2, help='warm-up steps (not profiled)')
    ap.add_argument('--top', type=int, default=15, help='ops listed')
    ap.add_argument('--trainer-settings', default='{}', help='TrainConfig fields (JSON) for the trainer step, e.g. {"num_workers": 0}')
    ap.add_argument('--worker', nargs=8, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        kind, s, img, b, amp, n, w, extra = a.worker
        if kind == 'model': return model_worker(s, int(img), int(b), amp, int(n), int(w), a.top)
        return trainer_worker(s, int(img), int(b), amp, int(n), int(w), a.top, extra)
    import torch
    print(f"# profile: CPU, {os.cpu_count()} cores, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {a.steps} profiled steps after {a.warm} warm-up")
    for c in a.configs:
        s, img, b = c.split(':')
        for kind in a.what:
            out = subprocess.run([sys.executable, __file__, '--top', str(a.top), '--worker', kind, s, img, b, a.amp,
                                  str(a.steps), str(a.warm), a.trainer_settings], capture_output=True, text=True)
            print(out.stdout, end='')
            if out.returncode: print(out.stderr[-3000:], file=sys.stderr)


if __name__ == '__main__': main()
