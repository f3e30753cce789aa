"""Token Recovering Modules: from the kept frames back to every frame of the clip (seq2seq pipelines).

Both take the last kept tokens `[B, k, S, C]`, the clip frame indices of those tokens `[B, k]` and the
backbone's head, and return poses for all T frames, `[B, T, J, 3]`.

- TRA: T learnable queries, one multi-head cross-attention from the queries to the kept tokens of each
  stream, added to the queries as a residual; then the head. The queries start at zero, as in HoT (`queries:
  zeros`), so at first every frame asks the same question and gets the same answer, and each must learn its
  place in time from the loss alone; `queries: sine` starts each at the sinusoidal code of its frame instead.
- TRI: the head on the kept tokens, then linear interpolation in time between the kept frames. Parameter-free
  and exact for poses that are linear in time; frames before the first kept frame take its pose, frames after
  the last kept frame take that one's (the TPS pruner keeps both ends, so it never needs this).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from einops import rearrange
from torch import Tensor, nn

from h2ot.errors import H2OTError
from h2ot.layers import CrossAttention

Head = Callable[[Tensor], Tensor]


class AttentionRecoverer(nn.Module):
    """TRA (see the module docstring)."""

    name = "tra"
    min_tokens = 1

    def __init__(self, frames: int, dim: int, num_heads: int, qkv_bias: bool = True, queries: str = "zeros"):
        super().__init__()
        if queries not in QUERY_STARTS:
            raise H2OTError(f"unknown TRA query start {queries!r}: choose one of {', '.join(QUERY_STARTS)}")
        self.queries = nn.Parameter(QUERY_STARTS[queries](frames, dim))
        self.cross_attention = CrossAttention(dim, num_heads, qkv_bias=qkv_bias)

    def forward(self, tokens: Tensor, frames: Tensor, head: Head) -> Tensor:
        streams = tokens.shape[2]
        context = rearrange(tokens, "b k s c -> (b s) k c")
        recovered = self.queries + self.cross_attention(self.queries, context)
        return head(rearrange(recovered, "(b s) t c -> b t s c", s=streams))


def sinusoidal_code(frames: int, dim: int) -> Tensor:
    """`[1, frames, dim]`: sin and cos of each frame index at `dim // 2` wavelengths from 2 pi to 10000 x 2 pi
    (the transformer's position code), so that nearby frames get similar codes and every frame a distinct one."""
    position = torch.arange(frames, dtype=torch.float32)[:, None]
    rates = torch.exp(torch.arange(0, dim - dim % 2, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    code = torch.zeros(frames, dim)
    code[:, 0 : 2 * len(rates) : 2] = torch.sin(position * rates)
    code[:, 1 : 2 * len(rates) : 2] = torch.cos(position * rates)
    return code[None]


QUERY_STARTS: dict[str, Callable[[int, int], Tensor]] = {
    "zeros": lambda frames, dim: torch.zeros(1, frames, dim),
    "sine": sinusoidal_code,
}


class InterpolationRecoverer(nn.Module):
    """TRI (see the module docstring)."""

    name = "tri"
    min_tokens = 2

    def __init__(self, frames: int, **_: object):
        super().__init__()
        self.frames = frames

    def forward(self, tokens: Tensor, frames: Tensor, head: Head) -> Tensor:
        return interpolate_in_time(head(tokens), frames, self.frames)


def interpolate_in_time(values: Tensor, frames: Tensor, length: int) -> Tensor:
    """Linear interpolation of `values` `[B, k, ...]` known at sorted frame indices `frames` `[B, k]` to every
    frame `0 .. length - 1`, holding the end values outside `[frames[0], frames[-1]]`."""
    batch, known = frames.shape
    targets = torch.arange(length, device=frames.device).expand(batch, length)
    # The first known frame at or after each target (`searchsorted`, as a count of the known frames before it, since
    # searchsorted does not export to ONNX): [B, length, k] comparisons, small next to the model.
    right = (frames[:, None, :] < targets[:, :, None]).sum(dim=-1).clamp(1, known - 1)
    left = right - 1
    t_left, t_right = frames.gather(1, left), frames.gather(1, right)
    weight = ((targets - t_left).to(values.dtype) / (t_right - t_left).clamp_min(1).to(values.dtype)).clamp(0, 1)
    index = torch.arange(batch, device=frames.device)[:, None]
    weight = weight.view(batch, length, *([1] * (values.ndim - 2)))
    return torch.lerp(values[index, left], values[index, right], weight)


RECOVERERS: dict[str, type[nn.Module]] = {cls.name: cls for cls in (AttentionRecoverer, InterpolationRecoverer)}


def make_recoverer(name: str, frames: int, dim: int, num_heads: int, qkv_bias: bool = True,
                   queries: str = "zeros") -> nn.Module:
    if name not in RECOVERERS:
        raise H2OTError(f"unknown recoverer {name!r}: choose one of {', '.join(RECOVERERS)}")
    if name != "tra" and queries != "zeros":
        raise H2OTError(f"the hourglass setting queries is for the recoverer 'tra', which has queries; {name!r} "
                        "has none")
    options = {"queries": queries} if name == "tra" else {}
    return RECOVERERS[name](frames=frames, dim=dim, num_heads=num_heads, qkv_bias=qkv_bias, **options)
