"""Who is a photo's nearest neighbour in a views model's projector space — what NNCLR (`ViewsConfig.neighbours`) would
take as its positive (issue 11). For each of the 8,000 training photos of the default synthetic set: the pooled γ⊙μ
code of the full, unmasked image through the model's projector, cosine nearest neighbour among the other photos, and
the share of neighbours of the same species / family, against a random pairing.

    python bench/recipe/neighbours.py WEIGHTS [WEIGHTS ...]
"""
import sys, numpy as np, torch, torch.nn.functional as F
from ebird_mae.models import load_model, pool_tokens
from ebird_mae.vsc import vsc_code
from ebird_mae.synth import default_dataset
from ebird_mae.data import read_image, eval_transform

@torch.no_grad()
def projections(model, paths, size=64, bs=500):
    "Unit-norm projector outputs of the pooled γ⊙μ code, as the views term sees them (without masking)."
    tf, out = eval_transform(size), []
    for i in range(0, len(paths), bs):
        x = torch.stack([tf(read_image(p)) for p in paths[i:i + bs]])
        mu, _, lg = model.vsc_head(model.forward_features(x))
        out.append(F.normalize(model.projector(pool_tokens(vsc_code(mu, lg, 'gamma_mu'), model.views_cfg.pool)), dim=1))
    return torch.cat(out)

def main(weights):
    t = default_dataset().reset_index(drop=True); t = t[t.split == 'train'].reset_index(drop=True)
    sp, fa = t.species.values, t.family.values
    rnd = np.random.default_rng(0).permutation(len(t))
    for w in weights:
        m, _ = load_model(w); P = projections(m.eval(), list(t.path))
        S = P @ P.t(); S.fill_diagonal_(-2); nn_ = S.argmax(1).numpy()
        print(f"{w}: nearest neighbour of the same species {np.mean(sp[nn_] == sp):.3f}, same family {np.mean(fa[nn_] == fa):.3f} "
              f"(other species {np.mean((fa[nn_] == fa) & (sp[nn_] != sp)):.3f}); random photo: species {np.mean(sp[rnd] == sp):.3f}, "
              f"family {np.mean(fa[rnd] == fa):.3f}")

if __name__ == '__main__': main(sys.argv[1:])
