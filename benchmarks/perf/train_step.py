"""The whole NLA-SLR training step at WLASL2000 sizes, slrbench's against the reference's procedure, in one run.

Both steps train the same full model (VKNet: four S3D streams with V-K, V-V and K-K laterals, seven
heads, N = 2000 glosses, 64 + 32 frames, 224² video, 112² heatmaps of 63 keypoints) with the
paper's recipe: language-aware smoothing, sign mixup (intra-modality with p = 0.75, the
inter-modality loss on every head), Adam and Eq. 6 after the step. Each starts from the batch its
loader hands over and ends after the optimizer step:

* reference: what the reference implementation does on the device - float32 video of the 256²
  frames, cropped per sample and resized to 224²; heatmaps drawn densely at 256² (σ = 8 px), cropped
  with the video's box and resized to 112²; the direct inter-modality formula (B x N x D blend);
  fp32.
* slrbench: the batch slrbench's loader hands over (uint8 256² frames with the crop boxes and
  jitter draws, keypoints on the heatmap grid: `ClipLoader.host_batches`), made into inputs on the
  device (`slrbench.data.loader.batch_to_device`), then the trainer's own step
  (`slrbench.training.step.forward_losses`: separable heatmaps into reused buffers, all heads'
  inter-modality terms in one computation).

Times per part come from CUDA events on a GPU (no synchronisation inside the step, one after it)
and the clock on a CPU; best of `--steps` after `--warmup`. On a CPU, whose timings drift with
other jobs, the variants share one process and one model and take turns step by step; each one's
peak memory (resident set) is read after its first step in a fresh process. On a GPU each
configuration has its own process (peak memory: max_memory_allocated).

    python benchmarks/perf/train_step.py --device cpu      # batch 1, fp32 (about 8 minutes on 2 quiet cores)
    python benchmarks/perf/train_step.py --device cuda [--compile] [--channels-last]  # batch 8, 16; fp32, bf16
    python benchmarks/perf/train_step.py --device cuda --batch 32 --precision bf16 --checkpointing
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from heatmaps import dense_heatmaps  # noqa: E402  (the dense formula, shared with heatmaps.py)

from slrbench.data.loader import batch_to_device  # noqa: E402
from slrbench.data.transforms import ColourJitter, CropBox, crop_keypoints  # noqa: E402
from slrbench.data.video_batch import FRAMES, collate_frames, sample_frames  # noqa: E402
from slrbench.interfaces import BackboneContext, MixupContext, SmootherContext  # noqa: E402
from slrbench.models.clips import short_clip_starts, take_short_clip  # noqa: E402
from slrbench.registry import default_registry  # noqa: E402
from slrbench.training.model import SignModel  # noqa: E402
from slrbench.training.step import forward_losses  # noqa: E402

REFERENCE_FRAME = 256  # the reference's preprocessed videos
REFERENCE_SIGMA = 8.0  # px at 256²
PARTS = ("preparation", "forward", "losses", "backward", "optimizer")


@dataclass(frozen=True)
class Config:
    variant: str  # "reference" or "slrbench"
    batch: int
    precision: str = "fp32"  # or "bf16" (autocast)
    compile: bool = False
    channels_last: bool = False
    checkpointing: bool = False  # recompute each S3D block in backward

    @property
    def label(self) -> str:
        extras = ((" +compile", self.compile), (" +ch.last", self.channels_last), (" +ckpt", self.checkpointing))
        return self.variant + "".join(name for name, chosen in extras if chosen)


class PartTimer:
    """Seconds between marks: CUDA events on a GPU (no synchronisation inside the step, one after it),
    the clock on a CPU. The best of the measured steps."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.times: dict[str, list[float]] = {part: [] for part in ("step", *PARTS)}
        self.marks: list[tuple[str, Any]] = []

    def _now(self) -> Any:
        if not self.cuda:
            return time.perf_counter()
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event

    def _seconds(self, start: Any, end: Any) -> float:
        return start.elapsed_time(end) / 1e3 if self.cuda else end - start

    def start(self) -> None:
        self.marks = [("start", self._now())]

    def mark(self, part: str) -> None:
        self.marks.append((part, self._now()))

    def stop(self, measured: bool) -> None:
        if self.cuda:
            torch.cuda.synchronize()
        if measured:
            for (_, start), (part, end) in zip(self.marks, self.marks[1:]):
                self.times[part].append(self._seconds(start, end))
            self.times["step"].append(self._seconds(self.marks[0][1], self.marks[-1][1]))

    def best(self) -> dict[str, float]:
        return {part: min(values, default=float("nan")) for part, values in self.times.items()}


def peak_memory_gib(device: torch.device) -> float:
    """CUDA: the most memory tensors held since the last reset; CPU: the process's peak resident set."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


# --- the model and its training parts ---------------------------------------------------------
@dataclass
class Training:
    model: SignModel
    network: torch.nn.Module
    targets: torch.Tensor
    mixup: Any
    optimizer: torch.optim.Optimizer


def build_training(args: argparse.Namespace, config: Config, device: torch.device) -> Training:
    """The full model, the smoother's targets, the mixup and Adam, as `slrbench run` builds them."""
    registry = default_registry()
    torch.manual_seed(0)
    vectors = np.random.default_rng(0).standard_normal((args.classes, 300)).astype(np.float32)
    glosses = tuple(f"gloss{i}" for i in range(args.classes))
    smoother = registry.build("smoothers", "lang", {}, SmootherContext(args.classes, glosses, vectors))
    context = BackboneContext(num_keypoints=63, num_frames=args.frames, video_size=args.video_size,
                              heatmap_size=args.video_size // 2)
    options = {"width": args.width, "channels_last": config.channels_last,
               "gradient_checkpointing": config.checkpointing}
    backbone = registry.build("backbones", "vknet", options, context)
    mixup = registry.build("mixups", "sign", {}, MixupContext(args.classes, vectors, backbone.input_blends({})))
    branch = mixup.auxiliary_branch(dict(backbone.feature_dims), backbone.feature_groups())
    model = SignModel(backbone, args.classes, branch).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.998), weight_decay=1e-3)
    network = torch.compile(model) if config.compile else model
    return Training(model, network, smoother.target_table().float().to(device), mixup, optimizer)


# --- the batch each loader hands over ---------------------------------------------------------
def make_batch(args: argparse.Namespace, config: Config, seed: int) -> dict[str, Any]:
    """One batch on the host, as the variant's loader delivers it (the same boxes and keypoints)."""
    rng = np.random.default_rng(seed)
    frame, grid = args.frame_size, args.video_size // 2
    b, t = config.batch, args.frames
    boxes = [CropBox.random_resized((frame, frame), rng) for _ in range(b)]
    jitters = [ColourJitter.draw(rng) if rng.random() < 0.3 else None for _ in range(b)]
    points = np.concatenate([rng.uniform(0, frame, (b, t, 63, 2)), rng.uniform(0.2, 1, (b, t, 63, 1))], -1)
    frames = rng.integers(0, 256, (b, t, frame, frame, 3), dtype=np.uint8)
    batch: dict[str, Any] = {"label": torch.from_numpy(rng.integers(0, args.classes, b))}
    if config.variant == "reference":  # float frames of the whole 256² picture, keypoints in its pixels
        batch["video"] = torch.from_numpy(frames).permute(0, 4, 1, 2, 3).float().div_(255)  # (B, 3, T, F, F)
        batch["keypoints"] = torch.from_numpy(points.astype(np.float32))
        batch["boxes"] = torch.tensor([[box.x0, box.y0, box.width, box.height] for box in boxes])
        return batch
    batch[FRAMES] = collate_frames([sample_frames(f, [list(range(t))], box, jitter)
                                    for f, box, jitter in zip(frames, boxes, jitters)])
    batch["views"] = [{
        "keypoints": torch.stack([crop_keypoints(p, box, grid) for p, box in zip(points, boxes)]),
        "keypoint_zoom": torch.tensor([box.zoom((frame, frame)) for box in boxes], dtype=torch.float32)}]
    return batch


def pinned(batch: Any) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.pin_memory()
    if isinstance(batch, dict):
        return {key: pinned(value) for key, value in batch.items()}
    if isinstance(batch, list):
        return [pinned(value) for value in batch]
    return batch


# --- preparation on the device ------------------------------------------------------------------
def reference_inputs(batch: dict[str, Any], size: int, device: torch.device) -> dict[str, torch.Tensor]:
    """The reference's procedure: float video and dense 256² heatmaps cropped and resized per sample."""
    video = batch["video"].to(device, non_blocking=True)  # (B, 3, T, F, F) in [0, 1]
    keypoints = batch["keypoints"].to(device, non_blocking=True)  # (B, T, K, 3) in frame pixels
    frame = video.shape[-1]
    maps = dense_heatmaps(keypoints, frame, REFERENCE_SIGMA * frame / REFERENCE_FRAME)  # (B, K, T, F, F)
    videos, heatmaps = [], []
    for b, (x0, y0, w, h) in enumerate(batch["boxes"].tolist()):
        videos.append(F.interpolate(video[b, :, :, y0:y0 + h, x0:x0 + w], size=(size, size), mode="bilinear"))
        heatmaps.append(F.interpolate(maps[b, :, :, y0:y0 + h, x0:x0 + w], size=(size // 2, size // 2),
                                      mode="bilinear"))
    del maps
    video, heatmaps = torch.stack(videos).mul_(2).sub_(1), torch.stack(heatmaps)
    starts = short_clip_starts(video.shape[0], video.shape[2], True)
    return {"video": video, "video32": take_short_clip(video, 2, "window", starts),
            "heatmaps": heatmaps, "heatmaps32": take_short_clip(heatmaps, 2, "window", starts)}


def train_step(args: argparse.Namespace, config: Config, training: Training, batch: dict[str, Any], step: int,
               device: torch.device, timer: PartTimer, measured: bool) -> None:
    """One optimizer step from the handed-over batch."""
    model = training.model
    model.branch.efficient = config.variant == "slrbench"  # the reference: Eq. 5's B x N x D blend per head
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16")
    timer.start()
    labels = batch["label"].to(device, non_blocking=True)
    with autocast:
        if config.variant == "reference":
            inputs = reference_inputs(batch, args.video_size, device)
        else:
            inputs = batch_to_device(dict(batch), args.video_size, device)["inputs"]
        loss, _ = forward_losses(model, training.network, training.mixup, training.targets, inputs, labels,
                                 torch.Generator().manual_seed(step), 0.0, timer.mark)
    loss.backward()
    timer.mark("backward")
    training.optimizer.step()
    training.optimizer.zero_grad(set_to_none=True)
    model.branch.after_optimizer_step(model.heads.classifiers, 0.0)
    timer.mark("optimizer")
    timer.stop(measured)


def measure(args: argparse.Namespace, configs: list[Config]) -> list[dict]:
    """The configurations on one model (they differ in inputs and loss formula only), taking turns
    step by step after each one's warm-up; the first one's peak memory is read after its first step."""
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    training = build_training(args, configs[0], device)
    training.model.train()
    timers, batches, peak = [PartTimer(device) for _ in configs], [], 0.0
    for i, config in enumerate(configs):  # each one's batches made just before its warm-up
        pair = [make_batch(args, config, seed) for seed in range(2)]
        batches.append([pinned(batch) for batch in pair] if device.type == "cuda" else pair)
        if device.type == "cuda" and i == 0:
            torch.cuda.reset_peak_memory_stats(device)
        for step in range(max(args.warmup, 1)):
            train_step(args, config, training, batches[i][step % 2], step, device, timers[i], False)
            if step == 0 and i == 0:
                peak = peak_memory_gib(device)
    for step in range(args.warmup, args.warmup + args.steps):
        for i, config in enumerate(configs):
            train_step(args, config, training, batches[i][step % 2], step, device, timers[i], True)
    if device.type == "cuda":
        peak = peak_memory_gib(device)
    return [{"parts": timer.best(), "peak_gib": peak if i == 0 else None}
            for i, timer in enumerate(timers)]


# --- orchestration --------------------------------------------------------------------------------
def child(args: argparse.Namespace, configs: list[Config], steps: int | None = None) -> list[dict]:
    """Run configurations in a fresh interpreter; an out-of-memory is a result, not a failure."""
    extra = [] if steps is None else ["--steps", str(steps), "--warmup", "1"]
    payload = json.dumps([asdict(config) for config in configs])
    done = subprocess.run([sys.executable, __file__, *sys.argv[1:], *extra, "--child", payload],
                          capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return [{"error": "out of memory" if "out of memory" in done.stderr.lower() else tail[:120]}] * len(configs)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_all(args: argparse.Namespace) -> list[tuple[Config, dict]]:
    if args.device == "cuda":  # a process each: peak memory and compilation of its own
        configs = [Config("reference", b) for b in args.batch]
        configs += [Config("slrbench", b, p) for b in args.batch for p in args.precision]
        configs += [Config("slrbench", b, p, compile=True) for b in args.batch for p in args.precision if args.compile]
        configs += [Config("slrbench", b, p, channels_last=True) for b in args.batch for p in args.precision
                    if args.channels_last]
        configs += [Config("slrbench", b, p, checkpointing=True) for b in args.batch for p in args.precision
                    if args.checkpointing]
        return [(config, child(args, [config])[0]) for config in configs]
    results = []
    for b in args.batch:  # slrbench's first: its peak memory is read in the timing process
        pair = [Config("slrbench", b, args.precision[0]), Config("reference", b)]
        timed = child(args, pair)
        alone = child(args, [pair[1]], steps=0)[0]  # the reference's first step in a process of its own
        timed[1] = timed[1] if "error" in timed[1] else {**timed[1], "peak_gib": alone.get("peak_gib", float("nan"))}
        results += [(pair[1], timed[1]), (pair[0], timed[0])]
        if args.checkpointing:  # a model of its own: a process of its own, after the pair
            config = Config("slrbench", b, args.precision[0], checkpointing=True)
            results.append((config, child(args, [config])[0]))
    return results


def print_table(results: list[tuple[Config, dict]]) -> None:
    head = f"{'step':<22}{'batch':>6}{'precision':>10}{'step s':>9}{'clips/s':>9}{'peak GiB':>10}"
    print(head + "".join(f"{part:>13}" for part in PARTS))
    for config, result in results:
        row = f"{config.label:<22}{config.batch:>6}{config.precision:>10}"
        if "error" in result:
            print(row + f"  {result['error']}")
            continue
        parts = result["parts"]
        row += f"{parts['step']:>9.3f}{config.batch / parts['step']:>9.2f}{result['peak_gib']:>10.2f}"
        print(row + "".join(f"{parts[part]:>13.3f}" for part in PARTS))
    print("ratios, reference / slrbench at the same batch (per part: reference s / slrbench s):")
    reference = {c.batch: r for c, r in results if c.variant == "reference" and "error" not in r}
    for config, result in results:
        base = reference.get(config.batch)
        if config.variant == "reference" or base is None or "error" in result:
            continue
        ours, theirs = result["parts"], base["parts"]
        parts = "  ".join(f"{part} {theirs[part] / max(ours[part], 1e-9):.1f}x" for part in PARTS)
        print(f"  {config.label} b{config.batch} {config.precision}: step {theirs['step'] / ours['step']:.2f}x "
              f"faster, peak memory {base['peak_gib'] / result['peak_gib']:.2f}x smaller; {parts}")
    plain = {(c.batch, c.precision): r for c, r in results if c.label == "slrbench" and "error" not in r}
    for config, result in results:
        base = plain.get((config.batch, config.precision))
        if config.checkpointing and base is not None and "error" not in result:
            print(f"  gradient checkpointing b{config.batch} {config.precision}: step "
                  f"{result['parts']['step'] / base['parts']['step']:.2f}x the plain step's time, peak memory "
                  f"{base['peak_gib'] / result['peak_gib']:.2f}x smaller")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--batch", type=int, nargs="+", help="default: 1 on cpu, 8 16 on cuda")
    parser.add_argument("--precision", nargs="+", choices=("fp32", "bf16"), help="slrbench's step; default: fp32 "
                        "on cpu, fp32 bf16 on cuda (the reference's step is fp32)")
    parser.add_argument("--compile", action="store_true", help="cuda: also slrbench's step with torch.compile")
    parser.add_argument("--channels-last", action="store_true", help="cuda: also with channels_last_3d")
    parser.add_argument("--checkpointing", action="store_true", help="also slrbench's step with gradient "
                        "checkpointing (e.g. --batch 32 on cuda: the reference's batch-norm batch on one GPU)")
    parser.add_argument("--steps", type=int, help="measured steps (default: 2 on cpu, 10 on cuda)")
    parser.add_argument("--warmup", type=int, help="steps before measuring (default: 1 on cpu, 3 on cuda)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--classes", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--video-size", type=int, default=224)
    parser.add_argument("--width", type=float, default=1.0, help="channel multiplier (smaller: a quick smoke run)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cuda = args.device == "cuda"
    args.batch = args.batch or ([8, 16] if cuda else [1])
    args.precision = args.precision or (["fp32", "bf16"] if cuda else ["fp32"])
    args.steps = args.steps if args.steps is not None else (10 if cuda else 2)
    args.warmup = args.warmup if args.warmup is not None else (3 if cuda else 1)
    args.frame_size = round(args.video_size * REFERENCE_FRAME / 224)  # 256 for 224² video
    return args


def main() -> None:
    args = parse(sys.argv[1:])
    if args.child:
        print(json.dumps(measure(args, [Config(**config) for config in json.loads(args.child)])))
        return
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is visible")
    where = torch.cuda.get_device_name() if args.device == "cuda" else f"cpu, {args.threads} threads"
    print(f"full NLA-SLR training step: N={args.classes}, {args.frames}+{args.frames // 2} frames, "
          f"{args.video_size}² video from {args.frame_size}² frames, {args.video_size // 2}² heatmaps, 63 keypoints, "
          f"7 heads, width {args.width}; lang smoothing, sign mixup, Adam")
    order = "variants taking turns in one process" if args.device == "cpu" else "a process per configuration"
    print(f"device: {where}; torch {torch.__version__}; best of {args.steps} steps after {args.warmup} warm-up, {order}")
    print_table(run_all(args))


if __name__ == "__main__":
    main()
