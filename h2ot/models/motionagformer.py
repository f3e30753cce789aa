"""MotionAGFormer (Mehraban et al., WACV 2024) as the HoT repository builds it, with the official defaults (layer
scale 1e-5, adaptive fusion, temporal similarity graph, no TCN, not hierarchical, no q/k/v bias).

Each layer (one hourglass block) runs two branches on the same input and fuses them per token:

    attention branch: MetaFormer block with spatial attention (over the joints), then one with temporal attention
    graph branch:     MetaFormer block with the skeleton GCN, then one with the temporal k-NN GCN
    fusion:           alpha = softmax(Linear(2C -> 2)([x_attn, x_graph])),  x = alpha_0 x_attn + alpha_1 x_graph

where a MetaFormer block is `x + s1 * mixer(norm1(x))` then `x + s2 * mlp(norm2(x))` (s1, s2: layer scales).
The temporal GCN holds a BatchNorm over the frames, so each layer is built for the frames it will see.

After the layers: `norm` (our neck; HoT-MotionAGFormer recovers the full sequence right after it), then
`rep_logit` (Linear + Tanh) and the linear head.

Official checkpoints (MotionAGFormer, HoT) take the Human3.6M 17-joint order and 3 input channels: x, y in screen
coordinates normalised to [-1, 1] and a confidence; they predict root-relative 3D poses in the normalised camera
units of the MotionBERT data pipeline they were trained with (not metres).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from h2ot.errors import H2OTError
from h2ot.hourglass.contract import Backbone
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.layers import Attention, CrossAttention, DropPath, Mlp
from h2ot.models.agformer_graph import H36M_NEIGHBOURS, SpatialGraphConv, TemporalGraphConv
from h2ot.models.official import register_official
from h2ot.models.registry import build_model, register_backbone, register_preset


class AxisAttention(Attention):
    """Self-attention over one axis of `[B, T, J, C]`: the joints of each frame (`temporal=False`) or the frames
    of each joint, batched joint-major within each sample as `(b j)`, as TPA expects."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool, temporal: bool, attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__(dim, num_heads, qkv_bias, attn_drop, proj_drop)
        self.temporal = temporal

    def forward(self, x: Tensor) -> Tensor:
        batch, frames, joints, dim = x.shape
        if not self.temporal:
            return super().forward(x.reshape(batch * frames, joints, dim)).view(x.shape)
        out = super().forward(x.transpose(1, 2).reshape(batch * joints, frames, dim))
        return out.view(batch, joints, frames, dim).transpose(1, 2)


class MetaFormerBlock(nn.Module):
    """`x + s1 * mixer(norm1(x))`, then `x + s2 * mlp(norm2(x))`, with per-channel layer scales s1, s2."""

    def __init__(self, dim: int, mixer: nn.Module, mlp_ratio: float, drop: float, drop_path: float,
                 layer_scale_init: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.mixer = mixer
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)
        self.drop_path = DropPath(drop_path)
        self.layer_scale_1 = nn.Parameter(torch.full((dim,), layer_scale_init))
        self.layer_scale_2 = nn.Parameter(torch.full((dim,), layer_scale_init))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.layer_scale_1 * self.mixer(self.norm1(x)))
        return x + self.drop_path(self.layer_scale_2 * self.mlp(self.norm2(x)))


class AGFormerLayer(nn.Module):
    """One MotionAGFormer layer: the attention and graph branches, adaptively fused (module docstring)."""

    def __init__(self, dim: int, frames: int, num_heads: int, mlp_ratio: float, neighbour_num: int,
                 qkv_bias: bool, drop: float, attn_drop: float, drop_path: float, layer_scale_init: float):
        super().__init__()

        def block(mixer: nn.Module) -> MetaFormerBlock:
            return MetaFormerBlock(dim, mixer, mlp_ratio, drop, drop_path, layer_scale_init)

        self.att_spatial = block(AxisAttention(dim, num_heads, qkv_bias, False, attn_drop, drop))
        self.att_temporal = block(AxisAttention(dim, num_heads, qkv_bias, True, attn_drop, drop))
        self.graph_spatial = block(SpatialGraphConv(dim))
        self.graph_temporal = block(TemporalGraphConv(dim, frames, neighbour_num))
        self.fusion = nn.Linear(2 * dim, 2)
        nn.init.zeros_(self.fusion.weight)  # equal weights at the start, as the official code
        nn.init.constant_(self.fusion.bias, 0.5)

    def forward(self, x: Tensor) -> Tensor:
        x_attn = self.att_temporal(self.att_spatial(x))
        x_graph = self.graph_temporal(self.graph_spatial(x))
        alpha = self.fusion(torch.cat((x_attn, x_graph), dim=-1)).softmax(dim=-1)
        return x_attn * alpha[..., 0:1] + x_graph * alpha[..., 1:2]


class MotionAGFormer(Backbone):
    """`n_layers` AGFormer layers of width `dim` on clips of `frames` frames (module docstring). Initialised as
    the official code (PyTorch defaults, GCN linears N(0, 2 / dim), zero joint position embedding); `drop_path`
    is the same rate in every layer, as there."""

    frame_count_free = False  # each block is built for its frame count (block_frames)

    def __init__(self, frames: int = 243, dim: int = 128, n_layers: int = 16, dim_rep: int = 512,
                 mlp_ratio: float = 4.0, num_heads: int = 8, neighbour_num: int = 2, num_joints: int = 17,
                 in_channels: int = 3, qkv_bias: bool = False, layer_scale_init: float = 1e-5, drop: float = 0.0,
                 attn_drop: float = 0.0, drop_path: float = 0.0, block_frames: Sequence[int] | None = None):
        super().__init__()
        _check_settings(frames, dim, n_layers, num_heads, neighbour_num, num_joints, block_frames)
        self.frames, self.dim, self.depth, self.num_heads = frames, dim, n_layers, num_heads
        self.num_joints, self.in_channels, self.qkv_bias = num_joints, in_channels, qkv_bias
        self.block_frames = list(block_frames) if block_frames is not None else [frames] * n_layers
        self.joints_embed = nn.Linear(in_channels, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_joints, dim))
        self.layers = nn.ModuleList(
            AGFormerLayer(dim, count, num_heads, mlp_ratio, neighbour_num, qkv_bias, drop, attn_drop, drop_path,
                          layer_scale_init)
            for count in self.block_frames
        )
        self.norm = nn.LayerNorm(dim)
        self.rep_logit = nn.Linear(dim, dim_rep)
        self.head_linear = nn.Linear(dim_rep, 3)

    @classmethod
    def count_blocks(cls, kwargs: dict[str, Any]) -> int:
        return cls.setting("n_layers", kwargs)

    def embed(self, x: Tensor) -> Tensor:
        return self.joints_embed(x) + self.pos_embed

    def forward_block(self, index: int, tokens: Tensor) -> Tensor:
        return self.layers[index](tokens)

    def neck(self, tokens: Tensor) -> Tensor:
        return self.norm(tokens)

    def head(self, tokens: Tensor) -> Tensor:
        return self.head_linear(torch.tanh(self.rep_logit(tokens)))

    def temporal_attentions(self, index: int) -> list[Attention | CrossAttention]:
        return [self.layers[index].att_temporal.mixer]


def _check_settings(frames: int, dim: int, n_layers: int, num_heads: int, neighbour_num: int, num_joints: int,
                    block_frames: Sequence[int] | None) -> None:
    if num_joints != len(H36M_NEIGHBOURS):
        raise H2OTError(f"MotionAGFormer's spatial graph is the {len(H36M_NEIGHBOURS)}-joint Human3.6M skeleton, "
                        f"got num_joints={num_joints}: convert the keypoints to that joint set")
    if dim % num_heads:
        raise H2OTError(f"MotionAGFormer's dim ({dim}) must be divisible by num_heads ({num_heads})")
    if min(frames, n_layers, neighbour_num) < 1:
        raise H2OTError(f"MotionAGFormer needs at least 1 frame, layer and neighbour, got frames={frames}, "
                        f"n_layers={n_layers}, neighbour_num={neighbour_num}")
    if block_frames is not None and len(block_frames) != n_layers:
        raise H2OTError(f"block_frames gives {len(block_frames)} frame counts for {n_layers} layers")


def official_key_map(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Official MotionAGFormer keys to ours (the HoT parts: `official.split_hourglass_keys`)."""
    renames = {"rep_logit.fc.": "backbone.rep_logit.", "head.": "backbone.head_linear."}
    converted = {}
    for key, value in state.items():
        prefix = next((p for p in renames if key.startswith(p)), None)
        if prefix:
            converted[renames[prefix] + key[len(prefix):]] = value
        else:
            key = key.replace(".mixer.U.", ".mixer.linear_self.").replace(".mixer.V.", ".mixer.linear_neighbours.")
            converted["backbone." + key] = value
    return converted


# Official builders. The keyword arguments are the official config names; num_heads 8 and neighbour_num 2 are the
# published MotionAGFormer configs (the HoT Model class defaults to 4 and 4, but is built from those configs).
# Neither changes the checkpoint's shapes, so pass the values the checkpoint was trained with.
def _official_config(maxlen: int, n_layers: int, dim_feat: int, dim_rep: int, mlp_ratio: float, num_heads: int,
                     neighbour_num: int, dim_in: int, n_joints: int) -> dict[str, Any]:
    return {"backbone": "motionagformer", "frames": maxlen, "dim": dim_feat, "n_layers": n_layers,
            "dim_rep": dim_rep, "mlp_ratio": mlp_ratio, "num_heads": num_heads, "neighbour_num": neighbour_num,
            "in_channels": dim_in, "num_joints": n_joints}


def official_motionagformer(maxlen: int = 243, n_layers: int = 16, dim_feat: int = 128, dim_rep: int = 512,
                            mlp_ratio: float = 4, num_heads: int = 8, neighbour_num: int = 2, dim_in: int = 3,
                            n_joints: int = 17) -> HourglassModel:
    return build_model(_official_config(maxlen, n_layers, dim_feat, dim_rep, mlp_ratio, num_heads, neighbour_num,
                                        dim_in, n_joints))


def official_hot_motionagformer(maxlen: int = 243, n_layers: int = 16, dim_feat: int = 128, dim_rep: int = 512,
                                mlp_ratio: float = 4, num_heads: int = 8, neighbour_num: int = 2, dim_in: int = 3,
                                n_joints: int = 17, token_num: int = 81, layer_index: int = 7) -> HourglassModel:
    config = _official_config(maxlen, n_layers, dim_feat, dim_rep, mlp_ratio, num_heads, neighbour_num, dim_in,
                              n_joints)
    hourglass = {"pruner": "tpc", "recoverer": "tra", "schedule": [[layer_index, token_num]]}
    return build_model(config | {"hourglass": hourglass})


register_backbone("motionagformer", MotionAGFormer)
# The published sizes (TaatiTeam/MotionAGFormer configs/h36m): dim_rep 512, MLP ratio 4, 8 heads, 2 neighbours.
_COMMON = {"backbone": "motionagformer", "dim_rep": 512, "mlp_ratio": 4, "num_heads": 8, "neighbour_num": 2}
_B = _COMMON | {"frames": 243, "dim": 128, "n_layers": 16}
register_preset("motionagformer-xs", **_COMMON, frames=27, dim=64, n_layers=12)
register_preset("motionagformer-s", **_COMMON, frames=81, dim=64, n_layers=26)
register_preset("motionagformer-b", **_B)
register_preset("motionagformer-l", **_COMMON, frames=243, dim=128, n_layers=26)
register_preset("hot-motionagformer-b", **_B, hourglass={"pruner": "tpc", "recoverer": "tra", "schedule": [[7, 81]]})
# H2OT pyramid: a quarter of the way in, half the frames; HoT's 81 a layer earlier than HoT; 41 for the last 6.
register_preset("h2ot-motionagformer-b", **_B,
                hourglass={"pruner": "tpc", "recoverer": "tra", "schedule": [[3, 121], [6, 81], [10, 41]]})
register_official("motionagformer", official_motionagformer, official_key_map)
register_official("hot_motionagformer", official_hot_motionagformer, official_key_map)
