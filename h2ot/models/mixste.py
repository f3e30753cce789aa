"""MixSTE (Zhang et al., CVPR 2022) as the HoT repository builds it: spatial and temporal transformer blocks
alternate; block i = spatial block over the joints of each frame, the shared spatial norm, the temporal block
over the frames of each joint, the shared temporal norm. The temporal position embedding is added inside
block 0, between its spatial and temporal halves, so it always covers every frame."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from einops import rearrange
from torch import Tensor, nn

from h2ot.hourglass.contract import Backbone
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.layers import Attention, TransformerBlock, drop_path_rates, init_weights
from h2ot.models.official import register_official
from h2ot.models.registry import build_model, register_backbone, register_preset


class MixSTE(Backbone):
    first_prunable_block = 1  # block 0 adds the temporal position embedding of every clip frame

    def __init__(self, frames: int = 243, dim: int = 512, mlp_hidden: int = 1024, depth: int = 8,
                 num_heads: int = 8, num_joints: int = 17, in_channels: int = 2, drop_path: float = 0.1,
                 drop: float = 0.0, block_frames: Sequence[int] | None = None):
        super().__init__()
        self.frames, self.dim, self.depth, self.num_heads = frames, dim, depth, num_heads
        self.num_joints, self.in_channels, self.qkv_bias = num_joints, in_channels, True
        self.block_frames = list(block_frames) if block_frames is not None else [frames] * depth
        self.joint_embed = nn.Linear(in_channels, dim)
        self.spatial_pos = nn.Parameter(torch.zeros(1, 1, num_joints, dim))
        self.temporal_pos = nn.Parameter(torch.zeros(1, frames, dim))
        self.pos_drop = nn.Dropout(drop)
        rates = drop_path_rates(drop_path, depth)

        def block(i: int) -> TransformerBlock:
            return TransformerBlock(dim, num_heads, mlp_hidden, qkv_bias=True, drop=drop, drop_path=rates[i])

        self.spatial_blocks = nn.ModuleList(block(i) for i in range(depth))
        self.temporal_blocks = nn.ModuleList(block(i) for i in range(depth))
        self.spatial_norm = nn.LayerNorm(dim, eps=1e-6)
        self.temporal_norm = nn.LayerNorm(dim, eps=1e-6)
        self.head_norm = nn.LayerNorm(dim)
        self.head_linear = nn.Linear(dim, 3)
        self.apply(init_weights)
        for embedding in (self.spatial_pos, self.temporal_pos):
            nn.init.trunc_normal_(embedding, std=0.02)

    def embed(self, x: Tensor) -> Tensor:
        return self.pos_drop(self.joint_embed(x) + self.spatial_pos)

    def forward_block(self, index: int, tokens: Tensor) -> Tensor:
        batch, frames = tokens.shape[:2]
        x = rearrange(tokens, "b t j c -> (b t) j c")
        x = self.spatial_norm(self.spatial_blocks[index](x))
        x = rearrange(x, "(b t) j c -> (b j) t c", b=batch)
        if index == 0:
            x = self.pos_drop(x + self.temporal_pos[:, :frames])
        x = self.temporal_norm(self.temporal_blocks[index](x))
        return rearrange(x, "(b j) t c -> b t j c", b=batch)

    def head(self, tokens: Tensor) -> Tensor:
        return self.head_linear(self.head_norm(tokens))

    def temporal_attentions(self, index: int) -> list[Attention]:
        return [self.temporal_blocks[index].attn]


def official_key_map(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Official MixSTE keys to ours (the HoT parts: `official.split_hourglass_keys`)."""
    renames = {
        "Spatial_patch_to_embedding.": "backbone.joint_embed.",
        "STEblocks.": "backbone.spatial_blocks.",
        "TTEblocks.": "backbone.temporal_blocks.",
        "Spatial_norm.": "backbone.spatial_norm.",
        "Temporal_norm.": "backbone.temporal_norm.",
        "head.0.": "backbone.head_norm.",
        "head.1.": "backbone.head_linear.",
    }
    converted = {}
    for key, value in state.items():
        if key == "Spatial_pos_embed":
            converted["backbone.spatial_pos"] = value[:, None]
        elif key == "Temporal_pos_embed":
            converted["backbone.temporal_pos"] = value
        else:
            prefix = next((p for p in renames if key.startswith(p)), None)
            converted[renames[prefix] + key[len(prefix):] if prefix else key] = value
    return converted


def _official_config(channel: int, frames: int, n_joints: int, depth: int, num_heads: int) -> dict:
    # The official code sizes its MLPs as 2 * channel whatever d_hid says; so do we.
    return {"backbone": "mixste", "frames": frames, "dim": channel, "mlp_hidden": 2 * channel, "depth": depth,
            "num_heads": num_heads, "num_joints": n_joints, "in_channels": 2}


def official_mixste(channel: int = 512, d_hid: int = 1024, frames: int = 243, n_joints: int = 17, depth: int = 8,
                    num_heads: int = 8) -> HourglassModel:
    return build_model(_official_config(channel, frames, n_joints, depth, num_heads))


def official_hot_mixste(channel: int = 512, d_hid: int = 1024, frames: int = 243, n_joints: int = 17,
                        depth: int = 8, num_heads: int = 8, token_num: int = 81,
                        layer_index: int = 3) -> HourglassModel:
    hourglass = {"pruner": "tpc", "recoverer": "tra", "schedule": [[layer_index, token_num]]}
    return build_model(_official_config(channel, frames, n_joints, depth, num_heads) | {"hourglass": hourglass})


def official_tpc_mixste(channel: int = 512, d_hid: int = 1024, frames: int = 243, n_joints: int = 17,
                        depth: int = 8, num_heads: int = 8, token_num: int = 81,
                        layer_index: int = 3) -> HourglassModel:
    hourglass = {"pruner": "tpc", "recoverer": None, "schedule": [[layer_index, token_num]],
                 "position_embedding": False}
    config = _official_config(channel, frames, n_joints, depth, num_heads)
    return build_model(config | {"pipeline": "seq2frame", "hourglass": hourglass})


register_backbone("mixste", MixSTE)
_PUBLISHED = {"backbone": "mixste", "frames": 243, "dim": 512, "mlp_hidden": 1024, "depth": 8, "num_heads": 8}
register_preset("mixste", **_PUBLISHED)
register_preset("hot-mixste", **_PUBLISHED,
                hourglass={"pruner": "tpc", "recoverer": "tra", "schedule": [[3, 81]]})
register_preset("h2ot-mixste", **_PUBLISHED,
                hourglass={"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 121], [2, 61], [4, 41]]})
register_official("mixste", official_mixste, official_key_map)
register_official("hot_mixste", official_hot_mixste, official_key_map)
register_official("tpc_mixste", official_tpc_mixste, official_key_map)
