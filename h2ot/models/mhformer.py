"""MHFormer (Li et al., CVPR 2022) as the HoT repository builds it, seq2frame.

embed: the multi-hypothesis generator. The clip is read as 2 * J coordinate sequences; three pre-encoders (each a
    transformer whose token width is the frame count) refine them one after the other, residually, and each of
    the three results is embedded per frame into C channels: three hypotheses per frame, tokens `[B, T, 3, C]`,
    plus their position embedding (over all frames, before any pruning).
blocks: `depth - 1` self-hypothesis refinement (SHR) blocks, then one cross-hypothesis interaction (CHI) block;
    their attentions all run over time, so frames can be dropped between any two of them.
head: the final norm over the 3C concatenated hypotheses, then the per-frame regression (BatchNorm, linear).

The pre-encoders and embeddings are frame-count sized and always see every frame; they cost about 5% of the
FLOPs at 351 frames, the hypothesis blocks the rest."""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from einops import rearrange
from torch import Tensor, nn

from h2ot.errors import H2OTError
from h2ot.hourglass.contract import Backbone
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.layers import drop_path_rates
from h2ot.models.mhformer_blocks import HYPOTHESES, CHIBlock, CoordinateEncoder, SHRBlock
from h2ot.models.official import register_official
from h2ot.models.registry import build_model, register_backbone, register_preset

SMALL_CLIP = 27  # up to this many frames the official embedding adds BatchNorm, ReLU and dropout


class MHFormer(Backbone):
    """MHFormer. `dim` is the channel of one hypothesis (official `channel`), `mlp_hidden` the hidden width of
    the MLPs over the 3 * dim concatenated hypotheses (official `d_hid`); `depth` counts the SHR blocks and the
    final CHI block. The pre-encoders have `encoder_depth` blocks with `encoder_heads` heads over tokens `frames`
    wide. Initialised with PyTorch's defaults and zero position embeddings, as the official code."""

    frame_count_free = False  # each block is built for its frame count (block_frames)

    def __init__(self, frames: int = 351, dim: int = 512, mlp_hidden: int = 1024, depth: int = 3,
                 num_heads: int = 8, num_joints: int = 17, in_channels: int = 2, encoder_depth: int = 4,
                 encoder_heads: int = 9, drop: float = 0.1, drop_path: float = 0.2,
                 block_frames: Sequence[int] | None = None):
        super().__init__()
        _check(frames, dim, depth, num_heads, encoder_heads)
        self.frames, self.dim, self.depth, self.num_heads = frames, dim, depth, num_heads
        self.num_joints, self.in_channels, self.qkv_bias = num_joints, in_channels, True
        # No layer of the hypothesis blocks depends on the frame count: the counts are only recorded.
        self.block_frames = list(block_frames) if block_frames is not None else [frames] * depth
        coordinates = in_channels * num_joints
        self.encoder_norms = nn.ModuleList(nn.LayerNorm(frames) for _ in range(HYPOTHESES))
        self.encoders = nn.ModuleList(
            CoordinateEncoder(frames, coordinates, encoder_depth, encoder_heads, drop, drop_path)
            for _ in range(HYPOTHESES)
        )
        self.embeddings = nn.ModuleList(_embedding(coordinates, dim, frames) for _ in range(HYPOTHESES))
        self.pos_embed = nn.Parameter(torch.zeros(1, frames, HYPOTHESES, dim))
        self.pos_drop = nn.Dropout(drop)
        rates = drop_path_rates(drop_path, depth)
        self.blocks = nn.ModuleList(
            [SHRBlock(dim, num_heads, mlp_hidden, drop, rates[i]) for i in range(depth - 1)]
            + [CHIBlock(dim, num_heads, mlp_hidden, drop, rates[-1])]
        )
        self.norm = nn.LayerNorm(HYPOTHESES * dim, eps=1e-6)
        self.regression = nn.Sequential(nn.BatchNorm1d(HYPOTHESES * dim), nn.Linear(HYPOTHESES * dim, 3 * num_joints))

    def embed(self, x: Tensor) -> Tensor:
        x = rearrange(x, "b t j c -> b (j c) t")
        hypotheses = []
        for norm, encoder, embedding in zip(self.encoder_norms, self.encoders, self.embeddings, strict=True):
            x = x + encoder(norm(x))
            hypotheses.append(embedding(x))  # [B, C, T]
        tokens = rearrange(torch.stack(hypotheses, dim=1), "b s c t -> b t s c")
        return self.pos_drop(tokens + self.pos_embed)

    def forward_block(self, index: int, tokens: Tensor) -> Tensor:
        return self.blocks[index](tokens)

    def head(self, tokens: Tensor) -> Tensor:
        batch, frames = tokens.shape[:2]
        x = self.norm(tokens.flatten(2)).flatten(0, 1)  # [B * t, 3C]: the BatchNorm sees frames as samples
        return self.regression(x).view(batch, frames, self.num_joints, 3)

    def frame_features(self, tokens: Tensor) -> Tensor:
        """The three hypotheses concatenated ([B, t, 3C]): what the official TPC-MHFormer clusters."""
        return tokens.flatten(2)

    def temporal_attentions(self, index: int) -> list[nn.Module]:
        """The three attentions of block `index` (self attention in SHR, cross attention in CHI), all over time."""
        return list(self.blocks[index].attentions)


def _check(frames: int, dim: int, depth: int, num_heads: int, encoder_heads: int) -> None:
    if depth < 2:
        raise H2OTError(f"MHFormer needs depth >= 2 (SHR blocks, then one CHI block), got depth={depth}")
    if dim % num_heads:
        raise H2OTError(f"MHFormer's dim {dim} must be a multiple of num_heads {num_heads}")
    if frames % encoder_heads:
        raise H2OTError(f"MHFormer's pre-encoders are {frames} wide (the frame count) with {encoder_heads} heads: "
                        f"choose frames as a multiple of {encoder_heads} (e.g. 27, 81, 243, 351), or change "
                        "encoder_heads")


def _embedding(coordinates: int, dim: int, frames: int) -> nn.Module:
    """Per-frame embedding of the refined coordinates [B, 2J, T] -> [B, C, T]."""
    conv = nn.Conv1d(coordinates, dim, kernel_size=1)
    if frames > SMALL_CLIP:
        return conv
    return nn.Sequential(conv, nn.BatchNorm1d(dim), nn.ReLU(), nn.Dropout(0.25))


# Official name patterns -> ours, outside and inside `Transformer_hypothesis` (the digits count from 1 there).
_OUTER = ((r"^norm_(\d)\.", "encoder_norms.{0}."), (r"^Transformer_encoder_(\d)\.", "encoders.{0}."),
          (r"^embedding_(\d)\.", "embeddings.{0}."))
_INNER = ((r"\.norm1_(\d)\.", ".norms.{0}."), (r"\.norm3_(\d)(\d)\.", ".norms.{0}.{1}."),
          (r"\.attn_(\d)\.", ".attentions.{0}."), (r"\.norm2\.", ".mlp_norm."))


def _rename(key: str, patterns: tuple[tuple[str, str], ...]) -> str:
    for pattern, replacement in patterns:
        key = re.sub(pattern, lambda m, r=replacement: r.format(*(int(d) - 1 for d in m.groups())), key)
    return key


def official_key_map(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Official MHFormer / TPC-MHFormer keys to ours: the CHI block follows the SHR blocks in `blocks`, the three
    `pos_embed_s` stack into one `[1, T, 3, C]`, the regression's kernel-1 Conv1d becomes a Linear."""
    hypothesis = "Transformer_hypothesis."
    shr_blocks = 1 + max((int(key.split(".")[2]) for key in state if key.startswith(hypothesis + "SHR_blocks.")),
                         default=-1)
    converted = {}
    for key, value in state.items():
        if key.startswith(hypothesis + "pos_embed_"):
            continue
        if key.startswith(hypothesis):
            key = key[len(hypothesis):]
            key = re.sub(r"^SHR_blocks\.", "blocks.", key)
            key = re.sub(r"^CHI_blocks\.(\d+)\.", lambda m: f"blocks.{shr_blocks + int(m[1])}.", key)
            key = _rename(key, _INNER)
        else:
            key = _rename(key, _OUTER)
        if key == "regression.1.weight":
            value = value[..., 0]
        converted["backbone." + key] = value
    if hypothesis + "pos_embed_1" in state:
        converted["backbone.pos_embed"] = torch.stack(
            [state[f"{hypothesis}pos_embed_{s + 1}"] for s in range(HYPOTHESES)], dim=2)
    return converted


def _official_config(channel: int, d_hid: int, frames: int, n_joints: int) -> dict:
    return {"backbone": "mhformer", "pipeline": "seq2frame", "frames": frames, "dim": channel, "mlp_hidden": d_hid,
            "num_joints": n_joints, "in_channels": 2}


def official_mhformer(channel: int = 512, d_hid: int = 1024, frames: int = 351, n_joints: int = 17) -> HourglassModel:
    """model/mhformer/mhformer.py: returns the poses of all `frames` frames; the centre one is the prediction."""
    return build_model(_official_config(channel, d_hid, frames, n_joints))


def official_tpc_mhformer(channel: int = 512, d_hid: int = 1024, frames: int = 351, n_joints: int = 17,
                          token_num: int = 117, layer_index: int = 1) -> HourglassModel:
    """model/mhformer/tpc_mhformer.py: TPC keeps `token_num` frames (the centre always) before SHR block
    `layer_index` (0 or 1), with no extra position embedding, and returns the poses of the kept frames."""
    # The official model clusters in its loop over the two SHR blocks; with 2 or more it would prune nothing.
    if layer_index not in (0, 1):
        raise H2OTError(f"tpc_mhformer prunes before one of its two SHR blocks: layer_index must be 0 or 1, got "
                        f"{layer_index}")
    hourglass = {"pruner": "tpc", "recoverer": None, "schedule": [[layer_index, token_num]],
                 "position_embedding": False}
    return build_model(_official_config(channel, d_hid, frames, n_joints) | {"hourglass": hourglass})


register_backbone("mhformer", MHFormer)
_PUBLISHED = {"backbone": "mhformer", "pipeline": "seq2frame", "frames": 351, "dim": 512, "mlp_hidden": 1024}
register_preset("mhformer", **_PUBLISHED)
register_preset("tpc-mhformer", **_PUBLISHED, hourglass={"pruner": "tpc", "recoverer": None, "schedule": [[1, 117]],
                                                          "position_embedding": False})
# H2OT: the first stage is the official TPC one (117 of 351 frames before SHR block 1), the second keeps a third of
# those (39) for the CHI block; this pair cuts 50.7% of the FLOPs per clip. Block 0 and the pre-encoders see every
# frame here (37% of the full FLOPs); a stage at block 0 (the official layer_index 0) would prune block 0 too.
register_preset("h2ot-mhformer", **_PUBLISHED, hourglass={"pruner": "tpc", "recoverer": None,
                                                           "schedule": [[1, 117], [2, 39]],
                                                           "position_embedding": False})
register_official("mhformer", official_mhformer, official_key_map)
register_official("tpc_mhformer", official_tpc_mhformer, official_key_map)
