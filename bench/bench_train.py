"""Pretraining throughput of the trainer (`ebird_mae.train.pretrain`): images/s and peak memory per
model size and precision, and the DataLoader's images/s against the training step's.

    python bench/bench_train.py                       # tiny@64 and base@224, fp32 vs bf16, on CUDA if present else CPU
    python bench/bench_train.py --configs tiny:64:64 --amps off bf16 fp16 --steps 6

Each training configuration runs in its own subprocess, so its peak memory is its own (CUDA: max
allocated; CPU: peak resident set of the process minus the resident set before training). The
training figures come from the trainer's own log records (`imgs_per_s`: images per second of
wall-clock time over the timed steps, data loading included; `data_frac`: the share of that time the
loop waited for the loader; `--num-workers`, default 1 as in `TrainConfig`), after warm-up steps that are not counted. tiny@64 trains on the embedded
synthetic birds as the trainer reads them by default (held in memory and augmented batched in the training
process; `--num-workers` then has no effect); base@224 on random tensors (rendering 224-px synthetic birds takes long), and the
loader figure at 224 px decodes the 64-px synthetic images and crops/resizes them to 224.
Prints a markdown table.
"""
import argparse, json, os, subprocess, sys, tempfile, time

def train_worker(size, img, batch, amp, steps, warm, device, vsc, workers):
    import resource, torch
    from ebird_mae.train import TrainConfig, pretrain, build_datasets
    cfg = TrainConfig(size=size, img_size=img, batch_size=batch, amp=amp, device=device, vsc=vsc, num_workers=workers,
                      output_dir=tempfile.mkdtemp(prefix='bench_train_'), progress=False, tensorboard=False,
                      recon_every=0, log_every=1, max_steps=warm + steps, epochs=1000)
    if size == 'tiny':
        ds, bench = None, None   # the trainer reads the synthetic birds itself (in memory unless in_memory_mb=0)
    else:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(batch * 4, 3, img, img, generator=g)
        ds = [(x[i], i) for i in range(len(x))]; bench = x[:2]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if device == 'cuda': torch.cuda.reset_peak_memory_stats()
    r = pretrain(cfg, dataset=ds, bench_images=bench)
    recs = [h for h in r.records() if h['step'] > warm]
    secs = [batch / h['imgs_per_s'] for h in recs]            # wall time of each timed step
    ips = batch * len(recs) / sum(secs)
    df = sum(h['data_frac'] * t for h, t in zip(recs, secs)) / sum(secs)
    mem = (torch.cuda.max_memory_allocated() if device == 'cuda'
           else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024)
    print(json.dumps(dict(imgs_per_s=ips, data_frac=df, peak_mem_mb=mem / 2**20, amp=r.amp, device=r.device,
                          data=(r.records('setup') or [{}])[0].get('data'))))

def loader_worker(img, batch, workers, batches):
    import torch
    from ebird_mae.train import SeededItems, EpochSampler
    from ebird_mae.synth import default_dataset
    from ebird_mae.data import BirdDataset, train_transform
    df = default_dataset(); df = df[df.split == 'train'].reset_index(drop=True)
    ds = BirdDataset(df, train_transform(img))
    L = (img // 8) ** 2
    dl = torch.utils.data.DataLoader(SeededItems(ds, L), batch_size=batch, sampler=EpochSampler(len(ds), batch),
                                     num_workers=workers, persistent_workers=workers > 0)
    it = iter(dl); next(it)
    t = time.perf_counter()
    for _ in range(batches): next(it)
    print(json.dumps(dict(imgs_per_s=batch * batches / (time.perf_counter() - t))))

def run(args):
    out = subprocess.run([sys.executable, __file__] + [str(a) for a in args], capture_output=True, text=True)
    if out.returncode:
        print(out.stderr[-3000:], file=sys.stderr); return None
    return json.loads(out.stdout.strip().splitlines()[-1])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--configs', nargs='+', default=['tiny:64:64', 'base:224:8'], help='size:img_size:batch')
    ap.add_argument('--amps', nargs='+', default=['off', 'bf16'])
    ap.add_argument('--steps', type=int, default=4, help='timed optimizer steps')
    ap.add_argument('--warm', type=int, default=2, help='untimed warm-up steps')
    ap.add_argument('--vsc', default='true', help='MAE-VSC (true) or plain MAE (false)')
    ap.add_argument('--device', default=None)
    ap.add_argument('--loader-workers', nargs='+', type=int, default=[0, 1])
    ap.add_argument('--num-workers', type=int, default=1, help="the trainer's DataLoader workers (TrainConfig default: 1)")
    ap.add_argument('--train-worker', nargs=9, help=argparse.SUPPRESS)
    ap.add_argument('--loader-worker', nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.train_worker:
        s, img, b, amp, n, w, d, v, nw = a.train_worker
        return train_worker(s, int(img), int(b), amp, int(n), int(w), d, v == 'true', int(nw))
    if a.loader_worker:
        img, b, w, n = map(int, a.loader_worker); return loader_worker(img, b, w, n)
    import torch
    dev = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    cpu = f"{os.cpu_count()} CPU cores, torch {torch.__version__}, {torch.get_num_threads()} threads"
    gpu = torch.cuda.get_device_name() if dev == 'cuda' else None
    print(f"device: {dev} ({gpu or cpu}); vsc={a.vsc}; {a.steps} timed steps after {a.warm} warm-up steps; "
          f"trainer loader workers: {a.num_workers}\n")
    rows = []
    for c in a.configs:
        s, img, b = c.split(':')
        loader = {w: run(['--loader-worker', img, b, w, max(2, 256 // int(b))]) for w in a.loader_workers}
        for amp in a.amps:
            r = run(['--train-worker', s, img, b, amp, a.steps, a.warm, dev, a.vsc, a.num_workers])
            if r is None: continue
            rows.append((s, img, b, r, loader))
    hdr = ['model', 'img', 'batch', 'amp', 'device', 'train img/s', 'peak mem (MB)', 'loader wait', *[f'loader img/s ({w} workers)' for w in a.loader_workers]]
    print('| ' + ' | '.join(hdr) + ' |\n|' + '---|' * len(hdr))
    for s, img, b, r, loader in rows:
        lw = [f"{loader[w]['imgs_per_s']:.0f}" if loader.get(w) else 'n/a' for w in a.loader_workers]
        print(f"| {s} | {img} | {b} | {r['amp']} | {r['device']} | {r['imgs_per_s']:.1f} | {r['peak_mem_mb']:.0f} | "
              f"{100 * r['data_frac']:.1f}% | " + ' | '.join(lw) + ' |')

if __name__ == '__main__': main()
