"""Screening loop of issue 11 (the prototype of `ebird_mae.views`): tiny MAE-VSC on the default synthetic birds, optionally
with the cross-view InfoNCE term on the pooled code (--inv WEIGHT), then `harness.evaluate`.
Examples (the two runs of the sweep table in 02_train):
  python bench/recipe/exp_train.py --name base500 --steps 500
  python bench/recipe/exp_train.py --name inv500 --steps 500 --inv 1"""
import sys, json, time, math, argparse
from pathlib import Path
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
from ebird_mae.vsc import create_mae_vsc, vsc_code, VSCConfig, gate_on
from ebird_mae.models import save_weights
import torchvision.transforms.v2.functional as TF

ap = argparse.ArgumentParser()
ap.add_argument('--name', required=True); ap.add_argument('--steps', type=int, default=600)
ap.add_argument('--bs', type=int, default=64); ap.add_argument('--lr', type=float, default=3.75e-4)
ap.add_argument('--inv', type=float, default=0.0); ap.add_argument('--tau', type=float, default=0.2)
ap.add_argument('--pool', default='mean'); ap.add_argument('--hue', type=float, default=0.5)
ap.add_argument('--gray', type=float, default=0.2); ap.add_argument('--crop_min', type=float, default=0.35)
ap.add_argument('--wp', type=float, default=1e-3); ap.add_argument('--mask', type=float, default=0.75)
ap.add_argument('--rec_views', type=int, default=1); ap.add_argument('--norm_pix', type=int, default=1)
ap.add_argument('--dec_depth', type=int, default=None)
ap.add_argument('--plain_rec', type=int, default=0, help='1: reconstruct a view without colour changes; only the second view is recoloured')
a = ap.parse_args()
torch.manual_seed(0); torch.set_num_threads(2)
df, imgs = harness.data()
tr = np.where((df.split == 'train').values)[0]
kw = dict(norm_pix_loss=bool(a.norm_pix), **({'decoder_depth': a.dec_depth} if a.dec_depth else {}))
model = create_mae_vsc('tiny', VSCConfig(), **kw)
proj = nn.Sequential(nn.Linear(model.latent_dim, 512), nn.GELU(), nn.Linear(512, 128))
params = list(model.parameters()) + list(proj.parameters())
opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.95), weight_decay=0.05)
mean, std = torch.tensor((0.485, 0.456, 0.406)).view(3, 1, 1), torch.tensor((0.229, 0.224, 0.225)).view(3, 1, 1)
g = torch.Generator().manual_seed(0)

_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_RGB = torch.linalg.inv(_YIQ)
def colour_mats(n):
    "Per-sample 3x3 colour maps: hue rotation (YIQ), saturation, brightness, random grayscale."
    th = (torch.rand(n) * 2 - 1) * a.hue * 2 * math.pi
    sat = torch.empty(n).uniform_(0.5, 1.5) * (torch.rand(n) >= a.gray).float()
    bri = torch.empty(n).uniform_(0.7, 1.3)
    R = torch.zeros(n, 3, 3); R[:, 0, 0] = 1
    R[:, 1, 1] = torch.cos(th) * sat; R[:, 1, 2] = -torch.sin(th) * sat; R[:, 2, 1] = torch.sin(th) * sat; R[:, 2, 2] = torch.cos(th) * sat
    return bri.view(n, 1, 1) * (_RGB @ R @ _YIQ)

def view(u8, colour=True):
    x = torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 3, 1, 2).float() / 255
    n = x.shape[0]
    s = torch.empty(n).uniform_(a.crop_min, 1); r = torch.exp(torch.empty(n).uniform_(math.log(3/4), math.log(4/3)))
    w = torch.sqrt(s * r).clamp(max=1); h = torch.sqrt(s / r).clamp(max=1)
    cx = (torch.rand(n) * 2 - 1) * (1 - w); cy = (torch.rand(n) * 2 - 1) * (1 - h)
    flip = torch.where(torch.rand(n) < 0.5, -1.0, 1.0)
    th = torch.zeros(n, 2, 3); th[:, 0, 0] = w * flip; th[:, 0, 2] = cx; th[:, 1, 1] = h; th[:, 1, 2] = cy
    x = F.grid_sample(x, F.affine_grid(th, x.shape, align_corners=False), mode='bilinear', padding_mode='reflection', align_corners=False)
    if a.inv > 0 and colour: x = torch.einsum('nij,njhw->nihw', colour_mats(n), x)
    return (x.clamp(0, 1) - mean) / std

def pooled(mu, lg):
    z = vsc_code(mu, lg, 'gamma_mu')
    return z[:, 0] if a.pool == 'cls' else z[:, 1:].mean(1)

def nt_xent(p1, p2, tau):
    z = F.normalize(torch.cat([p1, p2]).float(), dim=1); n = p1.shape[0]
    sim = z @ z.t() / tau; sim.fill_diagonal_(-1e9)
    tgt = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, tgt)

warm = max(1, a.steps // 12); t0 = time.time(); log = []
for step in range(a.steps):
    lr = a.lr * (step + 1) / warm if step < warm else a.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / (a.steps - warm)))
    for pg in opt.param_groups: pg['lr'] = lr
    c = 50 + 150 * step / a.steps; pw = a.wp * min(1, step / max(1, a.steps // 12))
    idx = tr[torch.randint(0, len(tr), (a.bs,), generator=g).numpy()]
    u8 = imgs[np.sort(idx)]
    v1 = view(u8, colour=not a.plain_rec)
    model.train()
    with torch.autocast('cpu', torch.bfloat16):
        o1 = model(v1, mask_ratio=a.mask, c=c, prior_weight=pw)
        loss = o1.loss; inv = torch.zeros(())
        if a.inv > 0:
            v2 = view(u8)
            if a.rec_views == 2:
                o2 = model(v2, mask_ratio=a.mask, c=c, prior_weight=pw); loss = (loss + o2.loss) / 2; mu2, lg2 = o2.mu, o2.log_gamma
            else:
                lat2 = model.forward_encoder(v2, a.mask)[0]; mu2, _, lg2 = model.vsc_head(lat2)
            inv = nt_xent(proj(pooled(o1.mu, o1.log_gamma)), proj(pooled(mu2, lg2)), a.tau)
            loss = loss + a.inv * inv
    opt.zero_grad(set_to_none=True); loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 3.0); opt.step()
    if step % 50 == 0 or step == a.steps - 1:
        r = dict(step=step, loss=float(loss.detach()), rec=float(o1.loss_rec), kl=float(o1.loss_kl), inv=float(inv.detach()),
                 gamma=float(o1.log_gamma.exp().mean()), act=float(gate_on(o1.log_gamma).float().mean()), s=round(time.time() - t0))
        print(json.dumps(r), flush=True); log.append(r)
out = harness.EXP / 'runs' / a.name; out.mkdir(parents=True, exist_ok=True)
save_weights(model.eval(), out / 'weights.safetensors')
res = harness.evaluate(model, a.name, sets=['last_cls', 'last_mean', 'L4_mean', 'gmu_cls', 'gmu_mean'], note=json.dumps(vars(a)))
res['train_s'] = round(time.time() - t0); res['final_rec'] = log[-1]['rec']
print(json.dumps(res, indent=1))
