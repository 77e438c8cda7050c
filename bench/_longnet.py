"""Prov-GigaPath's slide encoder (LongNetViT, `gigapath_slide_enc12l768d`) in plain torch, for the
distillation benchmark: prov-gigapath's own LongNet (torchscale) is not installable here.

Written from docs/models.md §3 (positions §3.2, tokens §3.3, pre-LN encoder layers with sub-LNs
§3.4, outputs §3.5, dilated attention §3.6 with its quirks and gradient rule §3.7); the state dict
has the reference's names (§3.8), so the fixtures' weights load as they are.
"""
import torch
import torch.nn.functional as F
from torch import nn

BRANCHES = ((1024, 1), (5792, 2), (32768, 4), (185363, 8), (1048576, 16))  # (segment length, dilation)


def positions(coords, dim, tile_size=256):
    """pos(p) of §3.2 for tiles at level-0 pixel coords [N, 2] (x, y): [sc(row) | sc(column)],
    computed in float64 like the reference's numpy table, then rounded to float32."""
    xy = torch.as_tensor(coords, dtype=torch.float64)
    column, row = torch.floor(xy[:, 0] / tile_size), torch.floor(xy[:, 1] / tile_size)
    quarter = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)

    def sin_cos(t):
        angles = t[:, None] * omega[None, :]
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)

    return torch.cat([sin_cos(row), sin_cos(column)], dim=1).float()


def _branch(q, k, v, segment, ratio):
    """One (segment, ratio) branch of §3.6 on q, k, v [n, H, d]: per-(position, head) output
    [n, H, d] and natural-log lse [n, H] (unseen pairs: output 0, lse -1e8)."""
    n, heads, d = q.shape
    sl = min(segment, n)
    segments = -(-n // sl)
    padded = -(-sl // ratio) * ratio                 # ps: a segment's positions, padding included
    padded_heads = -(-heads // ratio) * ratio        # H'
    group = padded_heads // ratio                    # heads per head group
    rows = padded // ratio                           # positions a group takes per segment

    def gather(x):
        # Zero rows/heads after the projections; the last segment is padded to sl, each to ps.
        x = F.pad(x, (0, 0, 0, padded_heads - heads, 0, segments * sl - n)).view(segments, sl, padded_heads, d)
        x = F.pad(x, (0, 0, 0, 0, 0, padded - sl)).view(segments, rows, ratio, ratio, group, d)
        # position t = i * ratio + j, head = g * group + h: group g keeps the positions with j == g
        return torch.diagonal(x, dim1=2, dim2=3).permute(0, 4, 2, 1, 3)  # [segments, ratio, group, rows, d]

    qs, ks, vs = gather(q), gather(k), gather(v)
    logits = (qs @ ks.transpose(-1, -2)) * d ** -0.5   # padded keys: logit 0, value 0, no mask
    lse = torch.logsumexp(logits.detach(), dim=-1)
    out = torch.softmax(logits, dim=-1) @ vs
    def scatter(x):
        # Group g's rows back at positions i * ratio + g (zeros elsewhere), the groups side by side
        # as heads: laid at the padded stride ps per segment (the reference's layout), then cut.
        x = x.transpose(2, 3).unsqueeze(3)  # [segments, ratio, rows, 1, group, ...]
        x = torch.cat([F.pad(x[:, g], (0, 0) * (x.dim() - 5) + (0, 0, g, ratio - 1 - g)) for g in range(ratio)], dim=3)
        return x.reshape(segments * padded, padded_heads, *x.shape[4:])[:n, :heads]

    out, lse = scatter(out), scatter(lse)
    # The reference marks unseen pairs by lse == 0 (a genuine 0 included, §3.7).
    return out, lse.masked_fill(lse == 0, -1e8)


def dilated_attention(q, k, v, branches=BRANCHES):
    """§3.6: the branches merged by a softmax over their lse, whose weights carry no gradient (§3.7)."""
    outputs, lses = zip(*(_branch(q, k, v, s, r) for s, r in branches))
    weights = torch.softmax(torch.stack(lses), dim=0).detach()
    return (weights.unsqueeze(-1) * torch.stack(outputs)).sum(dim=0)


class _Module(nn.Module):
    """A bare container, so that parameter names follow the reference's state dict."""


class EncoderLayer(nn.Module):
    """torchscale's pre-LN EncoderLayer with sub-LN (§3.4)."""

    def __init__(self, dim, heads, ffn_dim, branches):
        super().__init__()
        self.heads, self.branches = heads, branches
        self.self_attn_layer_norm = nn.LayerNorm(dim, eps=1e-5)
        self.self_attn = _Module()
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            setattr(self.self_attn, name, nn.Linear(dim, dim))
        self.self_attn.inner_attn_ln = nn.LayerNorm(dim, eps=1e-5)
        self.final_layer_norm = nn.LayerNorm(dim, eps=1e-5)
        self.ffn = _Module()
        self.ffn.fc1 = nn.Linear(dim, ffn_dim)
        self.ffn.ffn_layernorm = nn.LayerNorm(ffn_dim, eps=1e-5)
        self.ffn.fc2 = nn.Linear(ffn_dim, dim)

    def forward(self, x):
        n, dim = x.shape
        a = self.self_attn_layer_norm(x)
        attn = self.self_attn
        q, k, v = (p(a).view(n, self.heads, dim // self.heads) for p in (attn.q_proj, attn.k_proj, attn.v_proj))
        o = dilated_attention(q, k, v, self.branches).reshape(n, dim)
        x = x + attn.out_proj(attn.inner_attn_ln(o))
        f = F.gelu(self.ffn.fc1(self.final_layer_norm(x)))
        return x + self.ffn.fc2(self.ffn.ffn_layernorm(f))


class LongNetViT(nn.Module):
    """The slide encoder of §3 on one slide: tile embeddings [N, D_in] and their coords [N, 2]."""

    def __init__(self, in_chans, embed_dim, depth, heads, ffn_dim=None, branches=BRANCHES, tile_size=256):
        super().__init__()
        self.tile_size = tile_size
        self.patch_embed = _Module()
        self.patch_embed.proj = nn.Linear(in_chans, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.encoder = _Module()
        self.encoder.layers = nn.ModuleList(
            EncoderLayer(embed_dim, heads, ffn_dim or 4 * embed_dim, branches) for _ in range(depth))
        self.encoder.layer_norm = nn.LayerNorm(embed_dim, eps=1e-5)
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)

    @staticmethod
    def from_state_dict(state, heads, branches=BRANCHES):
        """The model of these weights (shapes give the widths and the depth; heads are invisible)."""
        out_dim, in_chans = state["patch_embed.proj.weight"].shape
        depth = len({k.split(".")[2] for k in state if k.startswith("encoder.layers.")})
        model = LongNetViT(in_chans, out_dim, depth, heads, state["encoder.layers.0.ffn.fc1.weight"].shape[0], branches)
        model.load_state_dict(state)
        return model

    def init_fresh(self, generator=None):
        """Linear weights trunc_normal(0.02) with zero biases, LayerNorms 1/0, CLS normal(1e-6)."""
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.trunc_normal_(m.weight, std=0.02, generator=generator)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.LayerNorm):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
            nn.init.normal_(self.cls_token, std=1e-6, generator=generator)
        return self

    def forward(self, tile_embeds, coords):
        """Every output of §3.5: layer_{i}_embed, last_layer_embed, encoder_out_embed, global_pool_embed."""
        dim = self.cls_token.shape[-1]
        tokens = self.patch_embed.proj(tile_embeds) + positions(coords, dim, self.tile_size).to(tile_embeds.device)
        x = torch.cat([self.cls_token[0], tokens], dim=0)
        out = {"layer_0_embed": self.norm(x[0])}
        for i, layer in enumerate(self.encoder.layers):
            x = layer(x)
            out[f"layer_{i + 1}_embed"] = self.norm(x[0])
        out["last_layer_embed"] = out[f"layer_{len(self.encoder.layers)}_embed"]
        e = self.encoder.layer_norm(x)
        out["encoder_out_embed"] = self.norm(e[0])
        out["global_pool_embed"] = self.norm(e[1:].mean(dim=0))
        return out


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())

