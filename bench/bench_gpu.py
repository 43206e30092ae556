"""One short GPU benchmark of the default model at study size: ViT-B/16 224-px MAE-VSC (the views recipe the
trainer builds by default), bf16 autocast: training images/s and MFU, and embedding-extraction images/s.

    python bench/bench_gpu.py                      # on a CUDA machine: eager, then torch.compile; ~2-3 min on an H100/H200
    python bench/bench_gpu.py --no-compile --batch 128
    python bench/bench_gpu.py --smoke-cpu          # a tiny version on the CPU (checks the script, not the speed)

Without CUDA it stops with an error (exit 2) unless `--smoke-cpu` is given. What it measures:
  train    the trainer's step on one random batch held on the GPU: `train.build_model` (MAEVSCViews, base, 224 px),
           `train.make_optimizer` (fused AdamW), forward under bf16 autocast, backward, `clip_grad_norm_`, step;
           warm-up steps, then timed steps between CUDA synchronisations;
  MFU      model FLOPs per training step, counted once by `torch.utils.flop_counter.FlopCounterMode` on the real
           forward + backward (matmuls, convolutions and attention; the optimizer and element-wise ops are not
           counted), times steps/s, divided by the GPU's peak dense bf16 FLOP/s (a table by device name, or
           `--peak-tflops`);
  extract  `model.encode` (the deterministic γ⊙μ code) in eval mode, no grad, bf16, at `--extract-batch`.
Each is run eager and (unless `--no-compile`) with the model `torch.compile`d; compile times are reported.
Prints a markdown table, and writes `gpu_bench.json` to `$OUT` (or `--out`) when given.
"""
import argparse, json, os, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PEAK_BF16_TFLOPS = {   # dense (no sparsity) bf16 tensor-core peaks from the vendors' data sheets
    'H200': 989., 'H100 SXM': 989., 'H100 NVL': 835., 'H100 PCIe': 756., 'H100': 989., 'GH200': 989.,
    'A100': 312., 'L40S': 362., 'L4': 121., 'A10G': 70., 'A10': 125., 'RTX 4090': 165., 'RTX 6000 Ada': 364.5,
}


def peak_tflops(name: str, override):
    if override: return float(override)
    for k, v in PEAK_BF16_TFLOPS.items():   # the more specific names come first
        if k.lower() in name.lower(): return v
    return None


def step_flops(model, x, knobs, gen, amp_ctx):
    "FLOPs of one forward + backward (FlopCounterMode), gradients discarded."
    from torch.utils.flop_counter import FlopCounterMode
    fc = FlopCounterMode(display=False)
    with fc:
        with amp_ctx(): o = model(x, generator=gen, **knobs)
        o.loss.backward()
    model.zero_grad(set_to_none=True)
    return fc.get_total_flops()


def bench(model, opt, params, x, knobs, gen, amp_ctx, steps, warm, sync, extract_x, extract_steps):
    import torch
    def step():
        with amp_ctx(): o = model(x, generator=gen, **knobs)
        o.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 3.0)
        opt.step(); opt.zero_grad(set_to_none=True)
        return o.loss
    t0 = time.perf_counter()
    for _ in range(warm): loss = step()
    sync(); t_warm = time.perf_counter() - t0
    t = time.perf_counter()
    for _ in range(steps): loss = step()
    sync(); dt = time.perf_counter() - t
    model.eval()
    with torch.no_grad(), amp_ctx():
        t0 = time.perf_counter(); model.encode(extract_x); model.encode(extract_x); sync(); t_ewarm = time.perf_counter() - t0
        t = time.perf_counter()
        for _ in range(extract_steps): z = model.encode(extract_x)
        sync(); de = time.perf_counter() - t
    model.train()
    return dict(train_imgs_per_s=x.shape[0] * steps / dt, step_ms=1e3 * dt / steps, warmup_s=t_warm, loss=float(loss.detach()),
                extract_imgs_per_s=extract_x.shape[0] * extract_steps / de, extract_warmup_s=t_ewarm, code_dim=int(z.shape[-1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--batch', type=int, default=256, help='training images per step')
    ap.add_argument('--extract-batch', type=int, default=512)
    ap.add_argument('--steps', type=int, default=30); ap.add_argument('--warm', type=int, default=8)
    ap.add_argument('--extract-steps', type=int, default=20)
    ap.add_argument('--no-compile', action='store_true', help='eager only')
    ap.add_argument('--stem', default='linear', help="patch embedding (`MAEConfig.stem`): 'linear' (the study recipe's, the figures quoted) or 'resnet_half' (the main job's hybrid)")
    ap.add_argument('--peak-tflops', type=float, default=None, help="the device's peak dense bf16 TFLOP/s (default: from its name)")
    ap.add_argument('--smoke-cpu', action='store_true', help='tiny model, 64 px, fp32, a few steps on the CPU: checks the script runs')
    ap.add_argument('--out', default=os.environ.get('OUT'), help='folder for gpu_bench.json (default: $OUT if set)')
    a = ap.parse_args()
    import torch
    from ebird_mae.train import TrainConfig, build_model, make_optimizer
    from ebird_mae.core import autocast
    if a.smoke_cpu:
        dev, amp, size, img = torch.device('cpu'), 'off', 'tiny', 64
        a.batch, a.extract_batch, a.steps, a.warm, a.extract_steps = 8, 16, 2, 1, 2
        name, sync = f'CPU smoke test ({os.cpu_count()} cores)', (lambda: None)
    else:
        if not torch.cuda.is_available():
            print("bench_gpu.py: no CUDA device. This benchmark measures a GPU; run it where one is present, "
                  "or pass --smoke-cpu to check the script on the CPU.", file=sys.stderr); sys.exit(2)
        dev, amp, size, img = torch.device('cuda'), 'bf16', 'base', 224
        name, sync = torch.cuda.get_device_name(), torch.cuda.synchronize
        torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    peak = None if a.smoke_cpu else peak_tflops(name, a.peak_tflops)
    cfg = TrainConfig(size=size, img_size=img, stem=a.stem, batch_size=a.batch, amp=amp, device=dev.type, progress=False)
    torch.manual_seed(0)
    model = build_model(cfg).to(dev).train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(model, cfg, 1e-4)
    g = torch.Generator(device=dev).manual_seed(0)
    x = torch.randn(a.batch, 3, img, img, device=dev, generator=g)
    xe = torch.randn(a.extract_batch, 3, img, img, device=dev, generator=g)
    knobs = {k: v for k, v in dict(c=50., prior_weight=1e-3).items() if k in model.train_knobs}
    amp_ctx = lambda: autocast(dev, amp)
    flops = step_flops(model, x, knobs, g, amp_ctx)
    head = dict(device=name, torch=torch.__version__, model=type(model).__name__, size=size, img=img, amp=amp,
                params_m=sum(p.numel() for p in params) / 1e6, batch=a.batch, extract_batch=a.extract_batch,
                flops_per_step=flops, flops_per_img=flops / a.batch, peak_tflops=peak,
                date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))
    rows = []
    for mode in (['eager'] if a.no_compile else ['eager', 'compile']):
        if mode == 'compile':
            t0 = time.perf_counter(); model.compile()
            r = bench(model, opt, params, x, knobs, g, amp_ctx, a.steps, a.warm, sync, xe, a.extract_steps)
            r['compile_note'] = 'warm-up includes compiling'
        else: r = bench(model, opt, params, x, knobs, g, amp_ctx, a.steps, a.warm, sync, xe, a.extract_steps)
        r['mode'] = mode
        r['mfu'] = flops * r['train_imgs_per_s'] / a.batch / (peak * 1e12) if peak else None
        if dev.type == 'cuda': r['peak_mem_gb'] = torch.cuda.max_memory_allocated() / 2**30
        rows.append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)
    print(f"\n{name}, torch {torch.__version__}, {head['date']}: {head['model']} {size} {img} px "
          f"({head['params_m']:.1f} M params), {amp}, train batch {a.batch}, extraction batch {a.extract_batch}; "
          f"{flops / a.batch / 1e9:.1f} GFLOP per training image (FlopCounterMode, fwd+bwd); "
          f"peak {peak if peak else 'unknown'} TFLOP/s\n")
    print('| mode | train img/s | step ms | MFU | warm-up s (incl. compile) | extraction img/s | peak mem GB |\n|---|---|---|---|---|---|---|')
    for r in rows:
        mfu = f"{100 * r['mfu']:.1f}%" if r['mfu'] is not None else 'n/a'
        print(f"| {r['mode']} | {r['train_imgs_per_s']:.1f} | {r['step_ms']:.1f} | {mfu} | {r['warmup_s']:.1f} | "
              f"{r['extract_imgs_per_s']:.1f} | {r.get('peak_mem_gb', float('nan')):.1f} |")
    if a.out:
        Path(a.out).mkdir(parents=True, exist_ok=True)
        (Path(a.out)/'gpu_bench.json').write_text(json.dumps(dict(**head, results=rows), indent=2))
    if not all(r['loss'] == r['loss'] for r in rows): sys.exit("non-finite training loss")


if __name__ == '__main__': main()
