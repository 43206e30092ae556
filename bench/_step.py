"""The bare training step the speed benches share: what the trainer builds from a `TrainConfig` (model, optimizer,
schedule knobs), one random batch held in memory, and a seeded generator. Used by `bench_speed.py` and
`profile_train.py` so both time exactly the same step."""
from types import SimpleNamespace

def model_step_setup(cfg):
    "Model (train mode), optimizer, trainable params, a random batch, the model's knobs and a generator for `cfg`."
    import torch
    from ebird_mae.train import build_model, make_optimizer
    torch.manual_seed(0)
    model = build_model(cfg).train()
    opt = make_optimizer(model, cfg, 1e-4)
    params = [p for p in model.parameters() if p.requires_grad]
    x = torch.randn(cfg.batch_size, 3, model.cfg.img_size, model.cfg.img_size)
    knobs = {k: v for k, v in dict(c=50., prior_weight=1e-3).items() if k in model.train_knobs}
    return SimpleNamespace(model=model, opt=opt, params=params, x=x, knobs=knobs, gen=torch.Generator().manual_seed(0))

def run_banner(**extra) -> str:
    "One line naming what a bench ran on: load, CPU cores, torch, threads, UTC time, then `extra` as `key value`."
    import os, time, torch
    head = (f"load average at start {os.getloadavg()[0]:.1f}; CPU, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    return '; '.join([head, *(f"{k} {v}" for k, v in extra.items())])
