"""The contract between the hourglass and a backbone. This docstring is the whole of it.

A backbone is an `nn.Module` that lifts a clip of 2D keypoints `[B, T, J, C_in]` to 3D poses `[B, T, J, 3]` as

    tokens = embed(x)                        # [B, T, S, C]: S token streams per frame (joints for most
                                             #   backbones; MHFormer's three hypotheses)
    for i in range(depth):
        tokens = forward_block(i, tokens)    # [B, t, S, C] -> [B, t, S, C], for the t frames still kept
    tokens = neck(tokens)                    # once, after the last block (a final norm, or nothing)
    poses = head(tokens)                     # [B, t, S, C] -> [B, t, J, 3]

and promises:

- `forward_block(i, tokens)` works for any number of frames t <= T and treats every frame alike, so the
  hourglass may drop frames between blocks. A backbone whose layers depend on the frame count (a BatchNorm
  over frames, an encoder whose token size is the frame count) is built with `block_frames`, the count block
  i will see (see `Schedule.block_frames`), and builds each block for it.
- `frame_count_free` (a class attribute, True by default): False for a backbone built with `block_frames`,
  which then runs only the frame counts it was built for (an elastic model needs True).
- `count_blocks(kwargs)` (a classmethod) tells the depth before the backbone is built.
- `first_prunable_block` (a class attribute, 0 by default): the earliest block a stage may prune before. A
  backbone whose block 0 still adds something per clip frame (MixSTE's temporal position embedding) sets 1.
- `dim`, `num_heads`, `qkv_bias`: the token width and the attention style of the backbone, which the
  token-recovering attention follows.
- `frame_features(tokens) -> [B, t, D]`: one descriptor per frame, what TPC clusters (by default the mean
  over the S streams, as the official HoT).
- `temporal_attentions(i)`: the attention layers of block i that attend over time (`h2ot.layers.Attention`
  or `CrossAttention`, batch-major: `[B * streams, t, C]`); TPA asks them to record the attention each frame
  received.

The hourglass owns everything about which frames survive: it prunes before the blocks of its schedule, adds
a learned position embedding per stage, and recovers the full-length sequence (or returns the kept frames,
for seq2frame). Backbones know nothing of it.
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import Tensor, nn

from h2ot.layers import Attention, CrossAttention


class Backbone(nn.Module):
    """Base class of the backbones: the defaults of the contract above."""

    dim: int
    num_heads: int
    qkv_bias: bool
    frames: int
    depth: int
    in_channels: int
    num_joints: int
    first_prunable_block: int = 0
    frame_count_free: bool = True

    @classmethod
    def setting(cls, name: str, kwargs: dict[str, Any]) -> Any:
        """The value of constructor argument `name` in `kwargs`, else its default."""
        return kwargs.get(name, inspect.signature(cls.__init__).parameters[name].default)

    @classmethod
    def count_blocks(cls, kwargs: dict[str, Any]) -> int:
        """How many blocks `cls(**kwargs)` has, known before building it (to size `block_frames`)."""
        return cls.setting("depth", kwargs)

    def embed(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward_block(self, index: int, tokens: Tensor) -> Tensor:
        raise NotImplementedError

    def neck(self, tokens: Tensor) -> Tensor:
        return tokens

    def head(self, tokens: Tensor) -> Tensor:
        raise NotImplementedError

    def frame_features(self, tokens: Tensor) -> Tensor:
        return tokens.mean(dim=2)

    def temporal_attentions(self, index: int) -> list[Attention | CrossAttention]:
        raise NotImplementedError(f"{type(self).__name__} does not expose its temporal attention")

    def forward(self, x: Tensor) -> Tensor:
        """The backbone alone, every frame through every block."""
        tokens = self.embed(x)
        for index in range(self.depth):
            tokens = self.forward_block(index, tokens)
        return self.head(self.neck(tokens))
