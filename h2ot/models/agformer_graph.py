"""MotionAGFormer's graph convolutions (Mehraban et al., WACV 2024), computed as its official code does.

Both mix the tokens of a `[B, T, J, C]` tensor along one axis, over the nodes of a graph with adjacency A:

    out = relu(x + BatchNorm(A_hat @ V(x) + U(x))),    A_hat = D^-1/2 A D^-1/2,  D = the row sums of A

A need not be symmetric (both graphs below are directed). The BatchNorm's channels are the graph's nodes: one
statistic per joint, or per frame.

- spatial: the nodes are the 17 Human3.6M joints, A the fixed skeleton `H36M_NEIGHBOURS` (no self loops).
- temporal: the nodes are the frames of one joint; A links each frame to its `neighbour_num` most similar
  frames (dot product of features; every frame tied with the k-th is kept), recomputed at every call. Its
  BatchNorm over frames is why a temporal graph layer is built for the frame count it will see.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from h2ot.errors import H2OTError

# Row i: the joints that joint i gathers from, as in the official code. The graph is directed: the thorax (8)
# does not gather from the shoulders (11, 14), nor the pelvis (0) from the left hip (4), though both feed them.
H36M_NEIGHBOURS: tuple[tuple[int, ...], ...] = (
    (1, 7), (2, 0), (3, 1), (2,), (5, 0), (6, 4), (5,), (0, 8), (7, 9),
    (8, 10), (9,), (12, 8), (13, 11), (12,), (15, 8), (16, 14), (15,),
)


def normalise_adjacency(adjacency: Tensor) -> Tensor:
    """D^-1/2 A D^-1/2 for `[..., N, N]` adjacencies, D the row sums (every row has at least one edge)."""
    scale = adjacency.sum(dim=-1) ** -0.5
    return scale[..., :, None] * adjacency * scale[..., None, :]


class GraphConv(nn.Module):
    """The graph convolution of the module docstring over `[N, nodes, C]`; subclasses choose the axis and A."""

    def __init__(self, dim: int, num_nodes: int):
        super().__init__()
        self.linear_self = nn.Linear(dim, dim)  # official name: U
        self.linear_neighbours = nn.Linear(dim, dim)  # official name: V
        self.batch_norm = nn.BatchNorm1d(num_nodes)
        for linear in (self.linear_self, self.linear_neighbours):
            nn.init.normal_(linear.weight, 0.0, (2.0 / dim) ** 0.5)

    def convolve(self, x: Tensor, adjacency: Tensor) -> Tensor:
        """`x` `[N, nodes, C]`, `adjacency` normalised, `[nodes, nodes]` or `[N, nodes, nodes]`."""
        aggregate = adjacency @ self.linear_neighbours(x)
        return torch.relu(x + self.batch_norm(aggregate + self.linear_self(x)))


class SpatialGraphConv(GraphConv):
    """Over the joints of each frame, on the skeleton graph."""

    def __init__(self, dim: int, neighbours: Sequence[Sequence[int]] = H36M_NEIGHBOURS):
        super().__init__(dim, len(neighbours))
        adjacency = torch.zeros(len(neighbours), len(neighbours))
        for joint, linked in enumerate(neighbours):
            adjacency[joint, list(linked)] = 1.0
        self.register_buffer("adjacency", normalise_adjacency(adjacency), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        batch, frames, joints, dim = x.shape
        return self.convolve(x.reshape(batch * frames, joints, dim), self.adjacency).view(x.shape)


class TemporalGraphConv(GraphConv):
    """Over the frames of each joint, on the graph of each frame's `neighbour_num` most similar frames."""

    def __init__(self, dim: int, frames: int, neighbour_num: int):
        super().__init__(dim, frames)
        self.neighbour_num = neighbour_num

    def forward(self, x: Tensor) -> Tensor:
        batch, frames, joints, dim = x.shape
        if frames != self.batch_norm.num_features:
            raise H2OTError(f"this temporal graph layer was built for {self.batch_norm.num_features} frames but "
                            f"got {frames}: build the backbone with the block_frames of its schedule")
        x = x.transpose(1, 2).reshape(batch * joints, frames, dim)
        similarity = x @ x.transpose(1, 2)
        threshold = similarity.topk(min(self.neighbour_num, frames), dim=-1).values[..., -1:]
        adjacency = normalise_adjacency((similarity >= threshold).to(x.dtype))
        return self.convolve(x, adjacency).view(batch, joints, frames, dim).transpose(1, 2)
