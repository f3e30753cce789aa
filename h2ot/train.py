"""The training loop: from an experiment config to a run folder with logs and checkpoints. Nothing in it is
model-specific.

Run folder: `config.yaml` (the resolved config), `log.jsonl` (one line per epoch; TensorBoard too when it is
installed), `last.pt` and `best.pt` (lowest validation MPJPE). Checkpoints are written atomically and hold
what `h2ot eval` needs: the model config, the data description and the input normalisation.

`resume=True` continues from `last.pt`: the model, optimiser, schedule, random state, epoch and the batches
already done in that epoch. Ctrl-C saves `last.pt` at the current batch and exits. Under `torchrun` (several
processes) it trains with DistributedDataParallel: each process takes its share of every epoch's batches;
process 0 validates and writes the run folder.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import yaml
from torch.utils.data import DataLoader, Subset
from tqdm import tqdm

from h2ot.checkpoint import read_checkpoint, save_checkpoint, unwrap
from h2ot.config import model_config_of
from h2ot.data.clips import ClipDataset
from h2ot.data.sources import DataSpec, load_split
from h2ot.errors import H2OTError
from h2ot.evaluate import evaluate
from h2ot.losses import make_loss
from h2ot.models.registry import build_model

NORMALISATION = {
    "joints": "Human3.6M 17 (h2ot.skeleton.JOINT_NAMES)",
    "input": "normalised screen coordinates: x / w * 2 - 1, y / w * 2 - h / w (h2ot.camera.ScreenCodec); "
             "third channel, if any: confidence in [0, 1]",
    "output": "metres, camera coordinates, root-relative (pelvis at the origin)",
}


@dataclass
class TrainSettings:
    epochs: int = 10
    batch_size: int = 32
    lr: float = 4e-4
    weight_decay: float = 0.1
    lr_decay: float = 0.99  # multiplied into the learning rate after every epoch
    optimizer: str = "adamw"  # adamw | adam
    loss: str = "mixste"  # mixste | mpjpe
    grad_clip: float | None = 1.0
    flip: float = 0.5  # chance that a training clip is mirrored
    stride: int | None = None  # between training windows (default: a third of the frames)
    seed: int = 0
    workers: int = 0
    amp: bool = True  # bfloat16 autocast where the device has it (CUDA)
    max_batches: int | None = None  # per epoch, for quick runs
    validate: bool = True

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> TrainSettings:
        values = values or {}
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise H2OTError(f"the train section has no setting {', '.join(map(repr, unknown))}; its settings are "
                            f"{', '.join(sorted(names))}")
        settings = cls(**values)
        if settings.optimizer not in ("adamw", "adam"):
            raise H2OTError(f"unknown optimizer {settings.optimizer!r}: choose adamw or adam")
        if settings.epochs < 1 or settings.batch_size < 1:
            raise H2OTError("train.epochs and train.batch_size must be at least 1")
        make_loss(settings.loss)
        return settings


class _Distributed:
    """The process group, when launched by torchrun (WORLD_SIZE > 1)."""

    def __init__(self, device: torch.device):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


class _Interrupt:
    """Turns Ctrl-C into a flag checked between batches."""

    def __init__(self):
        self.requested = False
        self.previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def restore(self) -> None:
        signal.signal(signal.SIGINT, self.previous)


def prepare_run_folder(run_dir: Path, config: dict[str, Any], resume: bool) -> None:
    if resume:
        if not (run_dir / "last.pt").is_file():
            raise H2OTError(f"nothing to resume: {run_dir / 'last.pt'} does not exist")
        return
    if run_dir.exists() and any(run_dir.iterdir()):
        raise H2OTError(f"the run folder {run_dir} already holds a run: pass --resume to continue it, or --out "
                        "to choose another folder (nothing is overwritten)")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _batch_order(size: int, seed: int, epoch: int, rank: int, world: int) -> list[int]:
    """This process's share of the epoch's shuffled items (the same shuffle in every process)."""
    order = torch.randperm(size, generator=torch.Generator().manual_seed(seed * 100003 + epoch)).tolist()
    order = order[: size - size % world] if world > 1 else order
    return order[rank::world]


def _target_of(poses: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    return poses[torch.arange(poses.shape[0], device=poses.device)[:, None], frames]


def train(config: dict[str, Any], run_dir: str | Path, resume: bool = False, device: str | None = None,
          progress: bool = True) -> Path:
    """Train as `config` says into `run_dir`; returns the path of `best.pt` (or `last.pt` without validation)."""
    run_dir = Path(run_dir)
    settings = TrainSettings.from_dict(config.get("train"))
    data = DataSpec.from_dict(config.get("data") or {})
    eval_options = dict(config.get("eval") or {})
    model_config = model_config_of(config)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    ddp = _Distributed(device)
    if ddp.world > 1 and device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    try:
        if ddp.main:
            prepare_run_folder(run_dir, config, resume)
        ddp.barrier()
        return _train(config, settings, data, eval_options, model_config, run_dir, resume, device, ddp, progress)
    finally:
        ddp.close()


def _train(config, settings: TrainSettings, data: DataSpec, eval_options: dict, model_config: dict, run_dir: Path,
           resume: bool, device: torch.device, ddp: _Distributed, progress: bool) -> Path:
    _seed_everything(settings.seed)
    model = build_model(model_config).to(device)
    optimizer_cls = torch.optim.AdamW if settings.optimizer == "adamw" else torch.optim.Adam
    optimizer = optimizer_cls(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay,
                              **({"amsgrad": True} if settings.optimizer == "adam" else {}))
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=settings.lr_decay)
    start_epoch, start_batch, best = 0, 0, math.inf
    if resume:
        state = read_checkpoint(run_dir / "last.pt")
        unwrap(model).load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        start_epoch, start_batch, best = state["epoch"], state["batch"], state["best_mpjpe_mm"]
    trained = torch.nn.parallel.DistributedDataParallel(model) if ddp.world > 1 else model

    train_set = ClipDataset(load_split(data, "train"), model.frames, mode=model.pipeline, train=True,
                            stride=settings.stride, flip=settings.flip)
    validation = load_split(data, "validation") if settings.validate and ddp.main else None
    loss_fn = make_loss(settings.loss)
    channels = model.backbone.in_channels
    use_amp = settings.amp and device.type == "cuda"
    log = _Log(run_dir) if ddp.main else None
    interrupt = _Interrupt()
    last = run_dir / "last.pt"

    def save(path: Path, epoch: int, batch: int, extra: dict[str, Any] | None = None) -> None:
        save_checkpoint(path, model, model_config, data=data.to_dict(),
                        normalisation={**NORMALISATION, "keypoints_2d": data.keypoint_definition()},
                        config=config, epoch=epoch, batch=batch, best_mpjpe_mm=best,
                        optimizer=optimizer.state_dict(), schedule=schedule.state_dict(), rng=torch.get_rng_state(),
                        **(extra or {}))

    try:
        for epoch in range(start_epoch, settings.epochs):
            order = _batch_order(len(train_set), settings.seed, epoch, ddp.rank, ddp.world)
            batches = math.ceil(len(order) / settings.batch_size)
            if settings.max_batches is not None:
                batches = min(batches, settings.max_batches)
            skip = start_batch if epoch == start_epoch else 0
            loader = DataLoader(Subset(train_set, order[skip * settings.batch_size: batches * settings.batch_size]),
                                batch_size=settings.batch_size, num_workers=settings.workers,
                                # its own generator: creating the loader must not draw from the global one
                                generator=torch.Generator().manual_seed(settings.seed + epoch))
            trained.train()
            started, total, count = time.time(), 0.0, 0
            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{settings.epochs}", initial=skip, total=batches,
                       disable=not (progress and ddp.main), dynamic_ncols=True)
            for index, batch in enumerate(bar, start=skip):
                x = batch["keypoints"][..., :channels].to(device)
                target = batch["poses"].to(device)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                    out = trained(x, detailed=True)
                    pred = out.poses.float()
                    target = target if model.pipeline == "seq2seq" else _target_of(target, out.frames)
                    loss = loss_fn(pred, target)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if settings.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
                optimizer.step()
                total, count = total + loss.item(), count + 1
                bar.set_postfix(loss=f"{total / count:.4f}", lr=f"{optimizer.param_groups[0]['lr']:.2e}")
                if interrupt.requested:
                    if ddp.main:
                        save(last, epoch, index + 1)
                    bar.close()
                    raise KeyboardInterrupt
            bar.close()
            schedule.step()
            record = {"epoch": epoch + 1, "loss": total / max(count, 1), "lr": optimizer.param_groups[0]["lr"],
                      "seconds": round(time.time() - started, 1), "world_size": ddp.world,
                      "clips": len(order[skip * settings.batch_size: batches * settings.batch_size]) * ddp.world}
            if ddp.main:
                if validation is not None:
                    scores = evaluate(model, validation, device=device, **eval_options)
                    record.update({f"val_{k}": v for k, v in scores.items() if k.endswith("_mm")})
                    is_best = scores["mpjpe_mm"] < best
                    best = min(best, scores["mpjpe_mm"])
                else:
                    is_best = True
                save(last, epoch + 1, 0)
                if is_best:
                    save(run_dir / "best.pt", epoch + 1, 0)
                log.write(record)
                print(_summary_line(record, best), flush=True)
            ddp.barrier()
    except KeyboardInterrupt:
        if ddp.main:
            print(f"interrupted: saved {last}; continue with --resume", flush=True)
        raise
    finally:
        interrupt.restore()
        if log is not None:
            log.close()
    return run_dir / ("best.pt" if (run_dir / "best.pt").exists() else "last.pt")


def _summary_line(record: dict[str, Any], best: float) -> str:
    line = f"epoch {record['epoch']}: loss {record['loss']:.4f}, {record['seconds']:.0f} s"
    if "val_mpjpe_mm" in record:
        line += f", validation MPJPE {record['val_mpjpe_mm']:.1f} mm (best {best:.1f})"
    return line


class _Log:
    """log.jsonl, and TensorBoard scalars when tensorboard is installed."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / "log.jsonl"
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.board = SummaryWriter(str(run_dir / "tensorboard"))
        except ImportError:
            self.board = None

    def write(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        if self.board is not None:
            for key, value in record.items():
                if key != "epoch" and isinstance(value, (int, float)):
                    self.board.add_scalar(key, value, record["epoch"])

    def close(self) -> None:
        if self.board is not None:
            self.board.close()
