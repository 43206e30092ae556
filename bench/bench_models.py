"""Training-step throughput (images/s) and peak memory of the MAE, per size and precision.

    python bench/bench_models.py [--sizes tiny base] [--steps 10] [--batch-tiny 64] [--batch-base 16]

Each configuration runs in its own subprocess so peak memory is its own (CUDA: max allocated;
CPU: peak resident set minus the resident set after the model was built). Ratios (bf16 / fp32)
come from the same run.
"""
import argparse, json, os, subprocess, sys, time

def worker(size, amp, batch, steps, device):
    import resource, torch
    from ebird_mae.models import create_mae
    torch.manual_seed(0)
    dev = torch.device(device)
    model = create_mae(size).to(dev).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, betas=(0.9, 0.95))
    x = torch.randn(batch, 3, model.cfg.img_size, model.cfg.img_size, device=dev)
    dt = {'bf16': torch.bfloat16, 'fp16': torch.float16}.get(amp)
    scaler = torch.amp.GradScaler(dev.type, enabled=amp == 'fp16')
    def step():
        with torch.autocast(dev.type, dtype=dt, enabled=dt is not None):
            loss = model(x).loss
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward(); scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt); scaler.update()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(2): step()                      # warm-up
    if dev.type == 'cuda': torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(steps): step()
    if dev.type == 'cuda': torch.cuda.synchronize()
    el = time.perf_counter() - t
    mem = (torch.cuda.max_memory_allocated() if dev.type == 'cuda'
           else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024)
    print(json.dumps(dict(size=size, amp=amp, batch=batch, img=model.cfg.img_size, device=device,
                          imgs_per_s=batch * steps / el, peak_mem_mb=mem / 2**20)))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sizes', nargs='+', default=['tiny', 'base'])
    ap.add_argument('--amps', nargs='+', default=['off', 'bf16'])
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--batch-tiny', type=int, default=64)
    ap.add_argument('--batch-base', type=int, default=16)
    ap.add_argument('--device', default=None)
    ap.add_argument('--rounds', type=int, default=2, help='interleaved repeats; the best round counts (the machine is noisy)')
    ap.add_argument('--worker', nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        s, amp, b, n, d = a.worker; return worker(s, amp, int(b), int(n), d)
    import torch
    dev = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    best = {}
    for _ in range(a.rounds):  # fp32 and bf16 alternate, so drift in machine load hits both alike
        for s in a.sizes:
            b = a.batch_tiny if s == 'tiny' else a.batch_base
            for amp in a.amps:
                out = subprocess.run([sys.executable, __file__, '--worker', s, amp, str(b), str(a.steps), dev],
                                     capture_output=True, text=True)
                if out.returncode: print(out.stderr[-2000:]); continue
                r = json.loads(out.stdout.strip().splitlines()[-1])
                if (s, amp) not in best or r['imgs_per_s'] > best[s, amp]['imgs_per_s']: best[s, amp] = r
    rows = list(best.values())
    name = torch.cuda.get_device_name() if dev == 'cuda' else f'CPU ({os.cpu_count()} cores, torch {torch.__version__})'
    print(f"\nMAE training step, {name}, {a.steps} timed steps after 2 warm-up steps, best of {a.rounds} interleaved rounds\n")
    print(f"| size | image | batch | precision | images/s | peak memory (MiB) | vs fp32 |")
    print(f"|---|---|---|---|---|---|---|")
    for r in rows:
        ref = next((q for q in rows if q['size'] == r['size'] and q['amp'] == 'off'), r)
        print(f"| {r['size']} | {r['img']} px | {r['batch']} | {r['amp'] if r['amp'] != 'off' else 'fp32'} | "
              f"{r['imgs_per_s']:.1f} | {r['peak_mem_mb']:.0f} | {r['imgs_per_s'] / ref['imgs_per_s']:.2f}x |")

if __name__ == '__main__': main()
