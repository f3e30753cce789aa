"""The training loop: from an experiment config to a run folder with logs and checkpoints. Nothing in it is
model-specific.

Run folder: `config.yaml` (the resolved config), `log.jsonl` (one line per epoch; TensorBoard too when it is
installed), `last.pt` and `best.pt` (lowest validation MPJPE). Checkpoints are written atomically and hold
what `h2ot eval` needs: the model config, the data description and the input normalisation.

`last.pt` is saved at the end of every epoch, every `checkpoint_minutes` within an epoch, and on Ctrl-C (at the
batch that is running, or during validation at once). `resume=True` continues from it: the model, optimiser,
schedule, random state, epoch, the batches already done in that epoch and their loss, clips and time, so the
resumed run ends with the weights and `log.jsonl` of a run never stopped (but for `seconds`, and a
`resumed_at_batch` in the resumed epoch's record). After a kill (`kill -9`, a crash, a lost machine) the batches
since the last save are redone: at most `checkpoint_minutes` of work is lost.

A folder without a checkpoint is not a run: a start that fails before its first checkpoint removes what it wrote,
and a new start takes over a folder that holds only what a start writes first (`config.yaml`, `tensorboard/`).
Under `torchrun` (several processes) it trains with DistributedDataParallel: each process takes its share of
every epoch's batches; process 0 validates and writes the run folder.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch
import torch.distributed as dist
import yaml
from torch.utils.data import DataLoader, Subset
from tqdm import tqdm

from h2ot.checkpoint import NORMALISATION, read_checkpoint, save_checkpoint, unwrap
from h2ot.config import model_config_of, section_of
from h2ot.data.clips import ClipDataset
from h2ot.data.sources import DataSpec, load_split, require_data
from h2ot.device import resolve_device
from h2ot.errors import H2OTError
from h2ot.evaluate import evaluate, predict_sequences
from h2ot.hourglass.hourglass import FRESH_ON_INIT
from h2ot.losses import make_loss
from h2ot.models.official import load_exactly
from h2ot.models.registry import build_model
from h2ot.settings import check_types, type_hints


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
    checkpoint_minutes: float = 5.0  # last.pt within an epoch too, every this many minutes (0: after every batch)
    init: str | None = None  # an h2ot checkpoint whose weights start the run (fine-tuning); same model config, or
    # one that adds budget embeddings (hourglass budget_embedding: stages or blocks), which then start at zero
    lr_scale: dict[str, float] | None = None  # {module: factor}: the parameters of that module (a dotted path such as
    # backbone.head) learn at lr times factor, e.g. {budget_embedding: 30} for the parameters a fine-tune adds
    budget: list[float] | None = None  # [low, high]: an elastic model's budget, drawn per batch (HourglassModel)
    budget_draw: str = "uniform"  # uniform: one budget per batch, uniform in budget | log-uniform: uniform in its log,
    # which trains the low end, where accuracy moves fastest with the budget, more often | sandwich: high, low and a
    # uniformly drawn one in every batch
    distill: bool = False  # an elastic model's in-place distillation (slimmable networks): every batch first trains
    # at the budget range's high end on the ground truth, then at the other budgets on that prediction (detached)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> TrainSettings:
        values = values or {}
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise H2OTError(f"the train section has no setting {', '.join(map(repr, unknown))}; its settings are "
                            f"{', '.join(sorted(names))}")
        settings = cls(**check_types("train", values, type_hints(cls)))
        if settings.optimizer not in ("adamw", "adam"):
            raise H2OTError(f"unknown optimizer {settings.optimizer!r}: choose adamw or adam")
        if settings.budget_draw not in BUDGET_DRAWS:
            raise H2OTError(f"unknown budget_draw {settings.budget_draw!r}: choose {', '.join(BUDGET_DRAWS)}")
        for name, least in LEAST.items():
            value = getattr(settings, name)
            if value is not None and value < least:
                raise H2OTError(f"the train setting {name} must be at least {least}, got {value}")
        make_loss(settings.loss)
        for module, factor in (settings.lr_scale or {}).items():
            if not isinstance(module, str) or isinstance(factor, bool) or not isinstance(factor, int | float) \
                    or not factor > 0:
                raise H2OTError(f"the train setting lr_scale maps modules to factors above 0, got "
                                f"{module!r}: {factor!r}")
        if settings.budget is not None:
            low_high = settings.budget
            if len(low_high) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in low_high) \
                    or not 0 < low_high[0] <= low_high[1] <= 1:
                raise H2OTError(f"the train setting budget takes [low, high] with 0 < low <= high <= 1 (the share of "
                                f"frames kept at the last stage), got {low_high!r}")
        elif settings.budget_draw != "uniform" or settings.distill:
            what = "distill" if settings.distill else f"budget_draw {settings.budget_draw}"
            raise H2OTError(f"{what} draws from the train setting budget: give it too")
        return settings


BUDGET_DRAWS = ("uniform", "log-uniform", "sandwich")
LEAST = {"epochs": 1, "batch_size": 1, "max_batches": 1, "stride": 1, "workers": 0, "checkpoint_minutes": 0}
EVAL_SETTINGS = ("batch_size", "flip_test", "reuse_kept")  # the eval section: options of h2ot.evaluate


def eval_options_of(values: dict[str, Any] | None) -> dict[str, Any]:
    """The eval section, checked against what `h2ot.evaluate.predict_sequences` takes."""
    values = values or {}
    unknown = sorted(set(values) - set(EVAL_SETTINGS))
    if unknown:
        raise H2OTError(f"the eval section has no setting {', '.join(map(repr, unknown))}; its settings are "
                        f"{', '.join(EVAL_SETTINGS)}")
    values = check_types("eval", values, type_hints(predict_sequences))
    if values.get("batch_size", 1) < 1:
        raise H2OTError(f"the eval setting batch_size must be at least 1, got {values['batch_size']}")
    return values


@dataclass
class EpochTotals:
    """What the batches done so far in an epoch add up to (kept in checkpoints, so a resumed epoch logs whole)."""

    loss: float = 0.0
    batches: int = 0
    seconds: float = 0.0


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
    """Turns Ctrl-C into a flag checked between batches; within `at_once()` it raises KeyboardInterrupt at once."""

    def __init__(self):
        self.requested = False
        self.raise_at_once = False
        self.previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame) -> None:
        self.requested = True
        if self.raise_at_once:
            raise KeyboardInterrupt

    @contextmanager
    def at_once(self) -> Iterator[None]:
        self.raise_at_once = True
        try:
            yield
        finally:
            self.raise_at_once = False

    def restore(self) -> None:
        signal.signal(signal.SIGINT, self.previous)


FIRST_WRITES = ("config.yaml", "tensorboard")  # what a start writes before its first checkpoint


def prepare_run_folder(run_dir: Path, config: dict[str, Any], resume: bool) -> bool:
    """Check (resume) or make the run folder and write its config; returns whether this call made the folder."""
    if resume:
        if not (run_dir / "last.pt").is_file():
            raise H2OTError(f"nothing to resume: {run_dir} holds no last.pt (a start that stopped before its first "
                            "checkpoint is not a run): start it again without --resume")
        return False
    if (run_dir / "last.pt").exists() or (run_dir / "best.pt").exists():
        raise H2OTError(f"the run folder {run_dir} already holds a run: pass --resume to continue it, or --out "
                        "to choose another folder (nothing is overwritten)")
    if run_dir.exists() and not run_dir.is_dir():
        raise H2OTError(f"the run folder {run_dir} is a file: choose another --out")
    others = sorted(p.name for p in run_dir.iterdir() if p.name not in FIRST_WRITES) if run_dir.is_dir() else []
    if others:
        raise H2OTError(f"the folder {run_dir} holds files that are not a run's ({', '.join(others[:3])}"
                        f"{', ...' if len(others) > 3 else ''}): choose another --out (nothing is overwritten)")
    made = not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    except OSError as error:
        raise H2OTError(f"cannot write the run folder {run_dir} ({error.strerror or error}): choose another "
                        "--out") from None
    return made


def _start_from(model: torch.nn.Module, checkpoint: str) -> None:
    """Fine-tuning: the weights of `checkpoint` (a run's best.pt, a shipped model.pt) into `model`; the optimiser
    and the learning-rate schedule start fresh."""
    if not Path(checkpoint).is_file():
        raise H2OTError(f"the train setting init names {checkpoint}, which is not a file")
    fresh = load_exactly(model, read_checkpoint(checkpoint)["state_dict"], f"the init checkpoint {checkpoint}",
                         may_miss=FRESH_ON_INIT)
    if fresh:
        print(f"not in {checkpoint}, so starting at zero: {', '.join(fresh)}", flush=True)


def _parameter_groups(model: torch.nn.Module, settings: TrainSettings) -> list[dict[str, Any]]:
    """The optimiser's groups: the parameters of each `lr_scale` module at their rate, all others first at `lr`
    (the rate the log reports)."""
    named = list(model.named_parameters())
    groups = [{"params": [], "lr": settings.lr}]
    taken = set()
    for module, factor in (settings.lr_scale or {}).items():
        chosen = [(name, p) for name, p in named if name.startswith(module + ".") and name not in taken]
        if not chosen:
            raise H2OTError(f"the train setting lr_scale names {module!r}, which is no module of this model with "
                            f"parameters (its top modules: {', '.join(sorted({n.split('.')[0] for n, _ in named}))})")
        taken.update(name for name, _ in chosen)
        groups.append({"params": [p for _, p in chosen], "lr": settings.lr * factor})
    groups[0]["params"] = [p for name, p in named if name not in taken]
    return groups


def _remove_failed_start(run_dir: Path, made: bool) -> None:
    """What a start that stopped before its first checkpoint wrote: it is not a run."""
    if (run_dir / "last.pt").exists():
        return
    (run_dir / "config.yaml").unlink(missing_ok=True)
    shutil.rmtree(run_dir / "tensorboard", ignore_errors=True)
    if made and not any(run_dir.iterdir()):
        run_dir.rmdir()


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _batch_order(size: int, seed: int, epoch: int, rank: int, world: int) -> list[int]:
    """This process's share of the epoch's shuffled items (the same shuffle in every process)."""
    order = torch.randperm(size, generator=torch.Generator().manual_seed(seed * 100003 + epoch)).tolist()
    order = order[: size - size % world] if world > 1 else order
    return order[rank::world]


def _budget_of(settings: TrainSettings, epoch: int, batch: int) -> float | None:
    """The budget of one batch drawn from `settings.budget`, uniform or log-uniform (`budget_draw`): the same in every
    process and after a resume."""
    if settings.budget is None:
        return None
    low, high = settings.budget
    generator = torch.Generator().manual_seed(settings.seed * 1_000_003 + epoch * 100_003 + batch)
    share = torch.rand((), generator=generator)
    if settings.budget_draw == "log-uniform":
        return low * (high / low) ** float(share)
    return float(low + (high - low) * share)


def _budgets_of(settings: TrainSettings, epoch: int, batch: int) -> list[float | None]:
    """The budgets one batch trains at. `sandwich` (as slimmable networks train their widths) adds the range's two
    ends to the drawn budget, so that no pruning and the fewest frames, which a uniform draw almost never gives,
    are trained in every batch; the batch's loss is then the mean over the three. `distill` trains the high end
    first (the teacher), then the drawn budget."""
    drawn = _budget_of(settings, epoch, batch)
    if settings.budget is None:
        return [drawn]
    low, high = settings.budget
    if settings.budget_draw == "sandwich":
        return [high, low, drawn]
    return [high, drawn] if settings.distill else [drawn]


def _target_of(poses: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    return poses[torch.arange(poses.shape[0], device=poses.device)[:, None], frames]


def train(config: dict[str, Any], run_dir: str | Path, resume: bool = False, device: str | None = None,
          progress: bool = True) -> Path:
    """Train as `config` says into `run_dir`; returns the path of `best.pt` (or `last.pt` without validation).
    Everything the config names is checked before the run folder is made."""
    run_dir, device = Path(run_dir), resolve_device(device)
    settings = TrainSettings.from_dict(section_of(config, "train"))
    eval_options = eval_options_of(section_of(config, "eval"))
    model_config = model_config_of(config)
    _seed_everything(settings.seed)
    model = build_model(model_config)
    if settings.budget is not None and not model.elastic:
        raise H2OTError("the train setting budget needs an elastic model: set the model's hourglass elastic: true")
    if settings.distill and model.pipeline != "seq2seq":
        raise H2OTError("the train setting distill needs a seq2seq model: a seq2frame one predicts other frames at "
                        "other budgets")
    if settings.init is not None and not resume:
        _start_from(model, settings.init)
    data = DataSpec.from_dict(section_of(config, "data"))
    require_data(data, "fix it in the config, or pass {setting}=PATH")
    ddp = _Distributed(device)
    if ddp.world > 1 and device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    try:
        made = prepare_run_folder(run_dir, config, resume) if ddp.main else False
        ddp.barrier()
        try:
            return _train(config, settings, data, eval_options, model_config, model.to(device), run_dir, resume,
                          device, ddp, progress)
        except BaseException:
            if ddp.main and not resume:
                _remove_failed_start(run_dir, made)
            raise
    finally:
        ddp.close()


def _train(config, settings: TrainSettings, data: DataSpec, eval_options: dict, model_config: dict,
           model: torch.nn.Module, run_dir: Path, resume: bool, device: torch.device, ddp: _Distributed,
           progress: bool) -> Path:
    optimizer_cls = torch.optim.AdamW if settings.optimizer == "adamw" else torch.optim.Adam
    optimizer = optimizer_cls(_parameter_groups(model, settings), lr=settings.lr, weight_decay=settings.weight_decay,
                              **({"amsgrad": True} if settings.optimizer == "adam" else {}))
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=settings.lr_decay)
    start_epoch, start_batch, best, done = 0, 0, math.inf, EpochTotals()
    if resume:
        state = read_checkpoint(run_dir / "last.pt")
        unwrap(model).load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        start_epoch, start_batch, best = state["epoch"], state["batch"], state["best_mpjpe_mm"]
        done = EpochTotals(**state.get("epoch_totals", {}))
    # An elastic model may skip a stage at a high budget, leaving its embedding without a gradient in that batch.
    trained = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=model.elastic) \
        if ddp.world > 1 else model

    train_set = ClipDataset(load_split(data, "train"), model.frames, mode=model.pipeline, train=True,
                            stride=settings.stride, flip=settings.flip)
    validation = load_split(data, "validation") if settings.validate and ddp.main else None
    loss_fn = make_loss(settings.loss)
    channels = model.backbone.in_channels
    use_amp = settings.amp and device.type == "cuda"
    log = _Log(run_dir) if ddp.main else None
    interrupt = _Interrupt()
    last = run_dir / "last.pt"

    def save(path: Path, epoch: int, batch: int, totals: EpochTotals, rng: torch.Tensor | None = None) -> None:
        save_checkpoint(path, model, model_config, data=data.to_dict(),
                        normalisation={**NORMALISATION, "keypoints_2d": data.keypoint_definition()},
                        config=config, epoch=epoch, batch=batch, best_mpjpe_mm=best,
                        optimizer=optimizer.state_dict(), schedule=schedule.state_dict(),
                        rng=torch.get_rng_state() if rng is None else rng, epoch_totals=asdict(totals))

    def stop(epoch: int, batch: int, totals: EpochTotals, rng: torch.Tensor | None = None) -> NoReturn:
        if ddp.main:
            save(last, epoch, batch, totals, rng)
            print(f"interrupted: saved {last} at epoch {epoch + 1}, batch {batch}; continue with --resume",
                  flush=True)
        raise KeyboardInterrupt

    try:
        for epoch in range(start_epoch, settings.epochs):
            order = _batch_order(len(train_set), settings.seed, epoch, ddp.rank, ddp.world)
            batches = math.ceil(len(order) / settings.batch_size)
            if settings.max_batches is not None:
                batches = min(batches, settings.max_batches)
            skip = start_batch if epoch == start_epoch else 0
            totals = done if epoch == start_epoch else EpochTotals()
            loader = DataLoader(Subset(train_set, order[skip * settings.batch_size: batches * settings.batch_size]),
                                batch_size=settings.batch_size, num_workers=settings.workers,
                                # its own generator: creating the loader must not draw from the global one
                                generator=torch.Generator().manual_seed(settings.seed + epoch))
            trained.train()
            started = saved = time.monotonic()
            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{settings.epochs}", initial=skip, total=batches,
                       disable=not (progress and ddp.main), dynamic_ncols=True)
            for index, batch in enumerate(bar, start=skip):
                x = batch["keypoints"][..., :channels].to(device)
                poses = batch["poses"].to(device)
                budgets = _budgets_of(settings, epoch, index)
                optimizer.zero_grad(set_to_none=True)
                loss, teacher = 0.0, None
                for budget in budgets:  # one backward each: only one budget's activations are held at a time
                    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                        out = trained(x, detailed=True, budget=budget)
                        target = poses if model.pipeline == "seq2seq" else _target_of(poses, out.frames)
                        share = loss_fn(out.poses.float(), target if teacher is None else teacher) / len(budgets)
                    share.backward()
                    loss += share.item()
                    if settings.distill and teacher is None:  # the first budget, the high end, teaches the rest
                        teacher = out.poses.detach().float()
                if settings.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
                optimizer.step()
                now = time.monotonic()
                totals = EpochTotals(totals.loss + loss, totals.batches + 1, totals.seconds + now - started)
                started = now
                bar.set_postfix(loss=f"{totals.loss / totals.batches:.4f}",
                                lr=f"{optimizer.param_groups[0]['lr']:.2e}")
                if interrupt.requested:
                    bar.close()
                    stop(epoch, index + 1, totals)
                if ddp.main and now - saved >= settings.checkpoint_minutes * 60:
                    save(last, epoch, index + 1, totals)
                    saved = time.monotonic()
            bar.close()
            scores = None
            if validation is not None:
                rng = torch.get_rng_state()
                try:
                    with interrupt.at_once():
                        if interrupt.requested:
                            raise KeyboardInterrupt
                        scores = evaluate(model, validation, device=device, **eval_options)
                except KeyboardInterrupt:  # every batch is done: the resumed run validates again
                    stop(epoch, batches, totals, rng)
            schedule.step()
            record = {"epoch": epoch + 1, "loss": totals.loss / max(totals.batches, 1),
                      "lr": optimizer.param_groups[0]["lr"], "seconds": round(totals.seconds, 1),
                      "world_size": ddp.world, "clips": len(order[: batches * settings.batch_size]) * ddp.world}
            if skip:
                record["resumed_at_batch"] = skip
            if ddp.main:
                is_best = True
                if scores is not None:
                    record.update({f"val_{k}": v for k, v in scores.items() if k.endswith("_mm")})
                    is_best = scores["mpjpe_mm"] < best
                    best = min(best, scores["mpjpe_mm"])
                save(last, epoch + 1, 0, EpochTotals())
                if is_best:
                    save(run_dir / "best.pt", epoch + 1, 0, EpochTotals())
                log.write(record)
                print(_summary_line(record, best), flush=True)
            ddp.barrier()
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
