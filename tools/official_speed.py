"""Latency of the OFFICIAL models (full and HoT/TPC) beside h2ot's presets of the same family, in one process.

    .venv/bin/python tools/official_speed.py --official-root DIR [--family mixste motionbert motionagformer mhformer]
        [--repeat 5] [--threads 2] [--json] [--smoke]

Per family, at the published size, batch 1, float32, eval mode, without gradients: the official full model, the
official HoT (or TPC) model, and h2ot's full / HoT / H2OT presets, all on the same random input. Each forward pass
is timed with `time.perf_counter`; the models of a family run in turn, one warm-up round and then `--repeat`
rounds, so that the machine's drift hits them alike; the median is reported with the parameter count and the
speed-up against the official full model. A check per family loads the official full model's weights (randomised
in every entry) into h2ot (`h2ot.from_official`) and prints the largest difference of the two outputs relative to
the largest official output: both run the same computation. It also counts the output frames more than 1e-4 apart:
where two values tie within rounding, a discrete choice (MotionAGFormer's top-k neighbour graph) can go the other way
for a frame or two, at some weights.

DIR holds checkouts of the official code, one folder per repository: mixste and mhformer need `DIR/HoT`, motionbert
needs `DIR/MotionBERT` and `DIR/HoT`, motionagformer needs `DIR/MotionAGFormer` and `DIR/HoT`, each made with
`git clone https://github.com/OWNER/NAME DIR/NAME` (NationalGAILab/HoT, Walter0807/MotionBERT,
TaatiTeam/MotionAGFormer); a family whose folders are missing is skipped with that sentence. The code is imported
from there, never copied; `timm` (DropPath, trunc_normal_) is replaced by a small stand-in when not installed.
The HoT repository hard-codes the sizes of hot_motionbert and hot_motionagformer; they equal the published ones,
and only `--smoke` (every model at a tiny size, one round: a check that the code paths work) edits them in the
source text it executes.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import statistics
import sys
import time
from argparse import Namespace
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import torch
from torch import nn

import h2ot

OFFICIAL_REPOS = {"HoT": "https://github.com/NationalGAILab/HoT", "MotionBERT": "https://github.com/Walter0807/MotionBERT",
                  "MotionAGFormer": "https://github.com/TaatiTeam/MotionAGFormer"}
CLASHING = ("model", "lib", "common")  # top-level package names the official repositories share
SEED = 0
APART = 1e-4  # a frame this far apart (relative) is a discrete choice decided the other way, not rounding
T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    frames: int
    dim: int
    mlp_hidden: int
    dim_rep: int
    token_num: int  # frames the official HoT / TPC model keeps
    layer_index: int  # where it prunes


@dataclass(frozen=True)
class Family:
    name: str
    repos: tuple[str, ...]  # folders under --official-root it needs
    in_channels: int
    published: Sizes
    smoke: Sizes
    build_official: Callable[[Path, Sizes], dict[str, nn.Module]]  # {official name: model}; the full model first
    presets: tuple[str, ...]  # h2ot's full, HoT and H2OT presets
    h2ot_sizes: Callable[[Sizes], dict[str, Any]]  # preset overrides for these sizes
    official_config: Callable[[Sizes], dict[str, Any]]  # `h2ot.from_official(name, ...)` config of the full model


@dataclass(frozen=True)
class Check:
    max_relative_difference: float  # max |h2ot - official| / max |official|
    frames_apart: int  # output frames that differ by more than APART (relative, as above)
    frames: int


@dataclass
class Record:
    family: str
    model: str
    source: str
    params_m: float
    latency_ms: float
    speedup: float = 1.0


# ---------------------------------------------------------------- importing the official code


class DropPath(nn.Module):
    """timm's stochastic depth: identity in eval mode."""

    def __init__(self, drop_prob: float = 0.0):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_prob == 0.0:
            return x
        keep = 1.0 - self.drop_prob
        return x * x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep) / keep


def install_timm_stand_in() -> None:
    """A module `timm.models.layers` with what the official code takes from it, unless timm is installed."""
    if importlib.util.find_spec("timm") is not None:
        return
    names = ("timm", "timm.models", "timm.models.layers")
    modules = {name: ModuleType(name) for name in names}
    modules["timm.models.layers"].DropPath = DropPath
    modules["timm.models.layers"].trunc_normal_ = nn.init.trunc_normal_
    modules["timm"].models = modules["timm.models"]
    modules["timm.models"].layers = modules["timm.models.layers"]
    sys.modules.update(modules)


def forget_clashing_modules() -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in CLASHING:
            del sys.modules[name]


def load_official(root: Path, relative: str, edits: Sequence[tuple[str, str]] = ()) -> ModuleType:
    """Execute the official file `root/relative` as a module, with `root` first on sys.path for its own imports;
    each (old, new) of `edits` whose texts differ replaces a hard-coded line that must occur exactly once."""
    path = root / relative
    source = path.read_text()
    for old, new in edits:
        if old != new:
            if source.count(old) != 1:
                raise SystemExit(f"{path} no longer holds {old!r} once: the official code changed, update the edits")
            source = source.replace(old, new)
    saved_path = list(sys.path)
    forget_clashing_modules()
    sys.path.insert(0, str(root))
    try:
        module = ModuleType(f"official_{root.name}_{Path(relative).stem}")
        module.__file__ = str(path)
        exec(compile(source, str(path), "exec"), module.__dict__)
    finally:
        sys.path[:] = saved_path
        forget_clashing_modules()
    return module


def quietly(build: Callable[[], T]) -> T:
    """`build()` with its prints swallowed (hot_motionbert and tpc_mhformer print their settings)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return build()


# ---------------------------------------------------------------- the official models of each family


def official_mixste(root: Path, s: Sizes) -> dict[str, nn.Module]:
    args = Namespace(channel=s.dim, d_hid=s.mlp_hidden, frames=s.frames, n_joints=17, out_joints=17,
                     token_num=s.token_num, layer_index=s.layer_index)
    return {"mixste": load_official(root / "HoT", "model/mixste/mixste.py").Model(args),
            "hot_mixste": load_official(root / "HoT", "model/mixste/hot_mixste.py").Model(args)}


def official_motionbert(root: Path, s: Sizes) -> dict[str, nn.Module]:
    """MotionBERT's DSTformer as its `load_backbone` builds it (lite size); HoT's hot_motionbert, sizes hard-coded."""
    dstformer = load_official(root / "MotionBERT", "lib/model/DSTformer.py").DSTformer(
        dim_in=3, dim_out=3, dim_feat=s.dim, dim_rep=s.dim_rep, depth=5, num_heads=8, mlp_ratio=s.mlp_hidden // s.dim,
        norm_layer=partial(nn.LayerNorm, eps=1e-6), maxlen=s.frames, num_joints=17)
    edits = [("dim_feat = 256", f"dim_feat = {s.dim}"), ("dim_rep = 512", f"dim_rep = {s.dim_rep}"),
             ("mlp_hidden_dim = 256 * 4", f"mlp_hidden_dim = {s.mlp_hidden}"), ("maxlen = 243", f"maxlen = {s.frames}"),
             ("self.token_num = 81", f"self.token_num = {s.token_num}"),
             ("self.layer_index = 1", f"self.layer_index = {s.layer_index}")]
    hot = load_official(root / "HoT", "model/motionbert/hot_motionbert.py", edits)
    return {"motionbert": dstformer, "hot_motionbert": hot.Model(Namespace(maxlen=s.frames))}


def official_motionagformer(root: Path, s: Sizes) -> dict[str, nn.Module]:
    """MotionAGFormer-B as its configs/h36m/MotionAGFormer-base.yaml sets it; HoT's hot_motionagformer with the same
    settings (its layer count, width, frames before pruning, token_num and layer_index are hard-coded)."""
    settings = {"dim_in": 3, "dim_rep": s.dim_rep, "mlp_ratio": s.mlp_hidden // s.dim, "num_heads": 8,
                "neighbour_num": 2, "qkv_bias": False}
    full = load_official(root / "MotionAGFormer", "model/MotionAGFormer.py").MotionAGFormer(
        n_layers=16, dim_feat=s.dim, n_frames=s.frames, **settings)
    edits = [("n_layers, dim_feat = 16, 128", f"n_layers, dim_feat = 16, {s.dim}"),
             ("n_frames_all = [243] * n_layers", f"n_frames_all = [{s.frames}] * n_layers"),
             ("self.token_num = 81", f"self.token_num = {s.token_num}"),
             ("self.layer_index = 7", f"self.layer_index = {s.layer_index}")]
    hot = load_official(root / "HoT", "model/motionagformer/hot_motionagformer.py", edits)
    return {"motionagformer-b": full, "hot_motionagformer": hot.Model(Namespace(maxlen=s.frames), **settings)}


def official_mhformer(root: Path, s: Sizes) -> dict[str, nn.Module]:
    args = Namespace(channel=s.dim, d_hid=s.mlp_hidden, frames=s.frames, n_joints=17, out_joints=17,
                     token_num=s.token_num, layer_index=s.layer_index)
    return {"mhformer": load_official(root / "HoT", "model/mhformer/mhformer.py").Model(args),
            "tpc_mhformer": load_official(root / "HoT", "model/mhformer/tpc_mhformer.py").Model(args)}


FAMILIES = {family.name: family for family in (
    Family("mixste", ("HoT",), 2, Sizes(243, 512, 1024, 0, 81, 3), Sizes(27, 32, 64, 0, 9, 3), official_mixste,
           ("mixste", "hot-mixste", "h2ot-mixste"),
           lambda s: {"frames": s.frames, "dim": s.dim, "mlp_hidden": s.mlp_hidden},
           lambda s: {"channel": s.dim, "d_hid": s.mlp_hidden, "frames": s.frames}),
    Family("motionbert", ("MotionBERT", "HoT"), 3, Sizes(243, 256, 1024, 512, 81, 1), Sizes(27, 32, 128, 64, 9, 1),
           official_motionbert, ("motionbert-lite", "hot-motionbert-lite", "h2ot-motionbert"),
           lambda s: {"frames": s.frames, "dim": s.dim, "mlp_hidden": s.mlp_hidden, "dim_rep": s.dim_rep},
           lambda s: {"maxlen": s.frames, "dim_feat": s.dim, "mlp_hidden": s.mlp_hidden, "dim_rep": s.dim_rep}),
    Family("motionagformer", ("MotionAGFormer", "HoT"), 3, Sizes(243, 128, 512, 512, 81, 7),
           Sizes(27, 32, 128, 64, 9, 7), official_motionagformer,
           ("motionagformer-b", "hot-motionagformer-b", "h2ot-motionagformer-b"),
           lambda s: {"frames": s.frames, "dim": s.dim, "dim_rep": s.dim_rep},
           lambda s: {"maxlen": s.frames, "dim_feat": s.dim, "dim_rep": s.dim_rep}),
    Family("mhformer", ("HoT",), 2, Sizes(351, 512, 1024, 0, 117, 1), Sizes(36, 32, 64, 0, 12, 1), official_mhformer,
           ("mhformer", "tpc-mhformer", "h2ot-mhformer"),
           lambda s: {"frames": s.frames, "dim": s.dim, "mlp_hidden": s.mlp_hidden},
           lambda s: {"channel": s.dim, "d_hid": s.mlp_hidden, "frames": s.frames}),
)}


# ---------------------------------------------------------------- measuring


def params_m(model: nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


def random_input(family: Family, frames: int) -> torch.Tensor:
    """[1, T, 17, C]: coordinates in [-1, 1), and a confidence in [0, 1) as the third channel."""
    generator = torch.Generator().manual_seed(SEED)
    x = torch.rand(1, frames, 17, family.in_channels, generator=generator)
    x[..., :2] = x[..., :2] * 2 - 1
    return x


def randomise(model: nn.Module) -> None:
    """Noise in every floating entry (running variances kept positive), so that no key can hide behind a 0 or 1."""
    generator = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if value.is_floating_point():
                noise = torch.rand(value.shape, generator=generator)
                value.copy_(0.5 + noise if key.endswith("running_var") else value + 0.1 * (noise * 2 - 1))


def time_models(models: dict[Any, nn.Module], x: torch.Tensor, repeat: int) -> dict[Any, float]:
    """Median seconds of one forward pass per model: one warm-up round, then `repeat` rounds of every model."""
    times: dict[Any, list[float]] = {name: [] for name in models}
    with torch.no_grad():
        for round_index in range(1 + repeat):
            for name, model in models.items():
                inputs = x.clone()
                start = time.perf_counter()
                model(inputs)
                if round_index:
                    times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def check_same_computation(family: Family, official_full: nn.Module, sizes: Sizes, x: torch.Tensor) -> Check:
    """The official full model against h2ot's port holding its weights, on `x`."""
    port = h2ot.from_official(family.name, official_full.state_dict(), **family.official_config(sizes))
    with torch.no_grad():
        reference, ours = official_full(x.clone()), port(x.clone())
    scale = reference.abs().max()
    frame_error = (ours - reference).abs().amax(dim=(0, 2, 3)) / scale
    return Check(float(frame_error.max()), int((frame_error > APART).sum()), frame_error.numel())


def measure_family(family: Family, root: Path, sizes: Sizes, repeat: int) -> tuple[list[Record], Check]:
    """The family's records (official models first) and the check of `check_same_computation`."""
    torch.manual_seed(SEED)  # the models' initial weights
    official = {name: model.eval() for name, model in quietly(lambda: family.build_official(root, sizes)).items()}
    full_name = next(iter(official))
    randomise(official[full_name])
    models = {("official", name): model for name, model in official.items()}
    models |= {("h2ot", name): h2ot.create_model(name, **family.h2ot_sizes(sizes)).eval() for name in family.presets}
    x = random_input(family, sizes.frames)
    check = check_same_computation(family, official[full_name], sizes, x)
    latency = time_models(models, x, repeat)
    baseline = latency[("official", full_name)]
    records = [Record(family.name, name, source, round(params_m(model), 2), round(latency[source, name] * 1e3, 1),
                      round(baseline / latency[source, name], 2)) for (source, name), model in models.items()]
    return records, check


# ---------------------------------------------------------------- the command


def missing_repos(family: Family, root: Path) -> list[str]:
    return [name for name in family.repos if not (root / name).is_dir()]


def print_table(records: list[Record], checks: dict[str, Check]) -> None:
    header = ("family", "model", "source", "params (M)", "latency ms", "speed-up vs official full")
    rows = [header] + [(r.family, r.model, r.source, f"{r.params_m:.2f}", f"{r.latency_ms:.1f}", f"{r.speedup:.2f}x")
                       for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    for family, check in checks.items():
        note = " (a discrete choice, e.g. a top-k, that rounding decided the other way)" if check.frames_apart else ""
        print(f"{family}: official full model vs h2ot's port holding its (random) weights: max |h2ot - official| / "
              f"max |official| = {check.max_relative_difference:.1e}; frames apart by more than {APART:g}: "
              f"{check.frames_apart} of {check.frames}{note}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-root", type=Path, required=True,
                        help="folder of the official checkouts: HoT, MotionBERT, MotionAGFormer")
    parser.add_argument("--family", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds after one warm-up round (default 5)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--smoke", action="store_true", help="every model at a tiny size, one round: checks the code")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.threads < 1:
        parser.error("--repeat and --threads must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    install_timm_stand_in()
    records: list[Record] = []
    checks: dict[str, Check] = {}
    for name in args.family:
        family = FAMILIES[name]
        missing = missing_repos(family, args.official_root)
        if missing:
            print(f"skipped {name}: it needs " + ", ".join(
                f"{args.official_root / repo} (git clone {OFFICIAL_REPOS[repo]} {args.official_root / repo})"
                for repo in missing), file=sys.stderr)
            continue
        sizes, repeat = (family.smoke, 1) if args.smoke else (family.published, args.repeat)
        family_records, checks[name] = measure_family(family, args.official_root, sizes, repeat)
        records += family_records
    if not records:
        print("nothing measured", file=sys.stderr)
        return 1
    if args.json:
        settings = {"threads": args.threads, "repeat": 1 if args.smoke else args.repeat, "smoke": args.smoke,
                    "torch": torch.__version__, "batch": 1, "dtype": "float32"}
        print(json.dumps({"settings": settings, "models": [asdict(r) for r in records],
                          "same_computation": {name: asdict(check) for name, check in checks.items()}}, indent=1))
    else:
        print_table(records, checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
