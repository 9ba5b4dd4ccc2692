"""The whole NLA-SLR training step at WLASL2000 sizes, slrbench's against the reference's procedure, in one run.

Both steps train the same full model (VKNet: four S3D streams with V-K, V-V and K-K laterals, seven
heads, N = 2000 glosses, 64 + 32 frames, 224² video, 112² heatmaps of 63 keypoints) with the
paper's recipe: language-aware smoothing, sign mixup (intra-modality with p = 0.75, the
inter-modality loss on every head), Adam and Eq. 6 after the step. Each starts from the batch the
loader hands over and ends after the optimizer step:

* reference: what the reference implementation does on the device - float32 video of the 256²
  frames, cropped per sample and resized to 224²; heatmaps drawn densely at 256² (σ = 8 px), cropped
  with the video's box and resized to 112²; the direct inter-modality formula (B x N x D blend);
  fp32.
* slrbench: the batch slrbench's loader hands over (`slrbench.data.loader`), the rest of the step
  as `slrbench.training.trainer` runs it (separable heatmaps, the O(B·N + N²) inter-modality loss).

Each configuration runs in its own process (peak memory: resident set on a CPU, CUDA's
max_memory_allocated on a GPU). Times per part come from CUDA events on a GPU (no synchronisation
inside the step) and the clock on a CPU; the step's median over `--steps` after `--warmup`.

    python benchmarks/perf/train_step.py --device cpu            # batch 1, fp32 (about 5-10 min on 2 cores)
    python benchmarks/perf/train_step.py --device cuda [--compile]  # batch 8 and 16, fp32 and bf16
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from heatmaps import dense_heatmaps  # noqa: E402  (the dense formula, shared with heatmaps.py)

from slrbench.data.transforms import CropBox, crop_keypoints  # noqa: E402
from slrbench.interfaces import BackboneContext, MixupContext, SmootherContext  # noqa: E402
from slrbench.models.clips import short_clip_starts, take_short_clip  # noqa: E402
from slrbench.registry import default_registry  # noqa: E402
from slrbench.training.losses import classification_loss  # noqa: E402
from slrbench.training.model import SignModel  # noqa: E402

REFERENCE_FRAME = 256  # the reference's preprocessed videos
REFERENCE_SIGMA = 8.0  # px at 256²
PARTS = ("preparation", "forward", "losses", "backward", "optimizer")


@dataclass(frozen=True)
class Config:
    variant: str  # "reference" or "slrbench"
    batch: int
    precision: str  # "fp32" or "bf16"
    compile: bool = False

    @property
    def label(self) -> str:
        return f"{self.variant}{' +compile' if self.compile else ''}"


class PartTimer:
    """Seconds between marks: CUDA events on a GPU (no synchronisation inside the step, one after it),
    the clock on a CPU. Medians over the measured steps."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.times: dict[str, list[float]] = {part: [] for part in ("step", *PARTS)}
        self.marks: list[tuple[str, object]] = []

    def _now(self) -> object:
        if not self.cuda:
            return time.perf_counter()
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event

    def _seconds(self, start: object, end: object) -> float:
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

    def medians(self) -> dict[str, float]:
        return {part: float(np.median(values)) for part, values in self.times.items()}


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_gib(device: torch.device) -> float:
    """CUDA: the most memory tensors held since the reset; CPU: the process's peak resident set."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


# --- the model and its training parts ---------------------------------------------------------
def build_training(args: argparse.Namespace, config: Config, device: torch.device):
    """The full model, the smoother's targets, the mixup and Adam, as `slrbench run` builds them."""
    registry = default_registry()
    torch.manual_seed(0)
    vectors = np.random.default_rng(0).standard_normal((args.classes, 300)).astype(np.float32)
    glosses = tuple(f"gloss{i}" for i in range(args.classes))
    smoother = registry.build("smoothers", "lang", {}, SmootherContext(args.classes, glosses, vectors))
    context = BackboneContext(num_keypoints=63, num_frames=args.frames, video_size=args.video_size,
                              heatmap_size=args.video_size // 2)
    backbone = registry.build("backbones", "vknet", {"width": args.width}, context)
    blends = backbone.input_blends({})
    mixup = registry.build("mixups", "sign", {"efficient": config.variant == "slrbench"},
                           MixupContext(args.classes, vectors, blends))
    branch = mixup.auxiliary_branch(dict(backbone.feature_dims), backbone.feature_groups())
    model = SignModel(backbone, args.classes, branch).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.998), weight_decay=1e-3)
    return model, smoother.target_table().float().to(device), mixup, optimizer


# --- the batch each loader hands over ---------------------------------------------------------
def make_batch(args: argparse.Namespace, config: Config, seed: int) -> dict[str, torch.Tensor]:
    """One batch on the host, as the variant's loader delivers it (same boxes and keypoints for both)."""
    rng = np.random.default_rng(seed)
    frame, size, grid = args.frame_size, args.video_size, args.video_size // 2
    b, t = config.batch, args.frames
    boxes = [CropBox.random_resized((frame, frame), rng) for _ in range(b)]
    points = np.concatenate([rng.uniform(0, frame, (b, t, 63, 2)), rng.uniform(0.2, 1, (b, t, 63, 1))], -1)
    batch = {"label": torch.from_numpy(rng.integers(0, args.classes, b))}
    if config.variant == "reference":  # float frames of the whole 256² picture, keypoints in its pixels
        batch["video"] = torch.from_numpy(rng.random((b, 3, t, frame, frame), dtype=np.float32))
        batch["keypoints"] = torch.from_numpy(points.astype(np.float32))
        batch["boxes"] = torch.tensor([[box.x0, box.y0, box.width, box.height] for box in boxes])
        return batch
    batch["video"] = torch.from_numpy(rng.random((b, 3, t, size, size), dtype=np.float32) * 2 - 1)
    batch["keypoints"] = torch.stack([crop_keypoints(p, box, grid) for p, box in zip(points, boxes)])
    batch["keypoint_zoom"] = torch.tensor([box.zoom((frame, frame)) for box in boxes], dtype=torch.float32)
    return batch


# --- preparation on the device ------------------------------------------------------------------
def reference_inputs(batch: dict[str, torch.Tensor], size: int, device: torch.device) -> dict[str, torch.Tensor]:
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


def slrbench_inputs(model: SignModel, batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """What the trainer does with the loader's batch: copy to the device, then the backbone's `prepare`."""
    inputs = {key: batch[key].to(device, non_blocking=True) for key in ("video", "keypoints", "keypoint_zoom")}
    return model.prepare(inputs)


# --- one configuration, in its own process --------------------------------------------------------
def run_config(args: argparse.Namespace, config: Config) -> dict:
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    model, targets, mixup, optimizer = build_training(args, config, device)
    network = torch.compile(model) if config.compile else model
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16")
    batches = [make_batch(args, config, seed) for seed in range(2)]
    if device.type == "cuda":
        batches = [{key: value.pin_memory() for key, value in batch.items()} for batch in batches]
    reset_peak_memory(device)
    timer, losses = PartTimer(device), []
    model.train()
    for step in range(args.warmup + args.steps):
        batch = batches[step % 2]
        timer.start()
        labels = batch["label"].to(device, non_blocking=True)
        with autocast:
            if config.variant == "reference":
                inputs = reference_inputs(batch, args.video_size, device)
            else:
                inputs = slrbench_inputs(model, batch, device)
            mixed = mixup.mix(inputs, labels, torch.Generator().manual_seed(step))
            timer.mark("preparation")
            features, logits = network(mixed.inputs)
            timer.mark("forward")
            loss = classification_loss(logits, targets, mixed) + model.branch.loss(features, mixed, 0.0)
            timer.mark("losses")
        loss.backward()
        timer.mark("backward")
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        model.branch.after_optimizer_step(model.heads.classifiers, 0.0)
        timer.mark("optimizer")
        timer.stop(measured=step >= args.warmup)
        losses.append(loss.detach())
        del inputs, mixed, features, logits, loss
    parts = timer.medians()
    return {"step_s": parts.pop("step"), "parts": parts, "peak_gib": peak_memory_gib(device),
            "first_loss": float(losses[0]), "steps": args.steps}


def child(args: argparse.Namespace, config: Config) -> dict:
    """Run one configuration in a fresh interpreter; an out-of-memory is a result, not a failure."""
    command = [sys.executable, __file__, "--child", json.dumps(config.__dict__), *sys.argv[1:]]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no output)"]
        return {"error": "out of memory" if "out of memory" in done.stderr.lower() else tail[0][:120]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def configurations(args: argparse.Namespace) -> list[Config]:
    if args.device == "cpu":
        return [Config("reference", b, "fp32") for b in args.batch] + \
               [Config("slrbench", b, p) for b in args.batch for p in args.precision]
    configs = [Config("reference", b, "fp32") for b in args.batch]
    configs += [Config("slrbench", b, p) for b in args.batch for p in args.precision]
    if args.compile:
        configs += [Config("slrbench", b, p, compile=True) for b in args.batch for p in args.precision]
    return configs


def print_table(args: argparse.Namespace, results: list[tuple[Config, dict]]) -> None:
    head = f"{'step':<19}{'batch':>6}{'precision':>10}{'step s':>9}{'clips/s':>9}{'peak GiB':>10}"
    print(head + "".join(f"{part:>13}" for part in PARTS) + f"{'1st loss':>10}")
    for config, result in results:
        row = f"{config.label:<19}{config.batch:>6}{config.precision:>10}"
        if "error" in result:
            print(row + f"  {result['error']}")
            continue
        clips = config.batch / result["step_s"]
        row += f"{result['step_s']:>9.3f}{clips:>9.2f}{result['peak_gib']:>10.2f}"
        print(row + "".join(f"{result['parts'][part]:>13.3f}" for part in PARTS) + f"{result['first_loss']:>10.3f}")
    print("ratios, reference / slrbench at the same batch (time per part: reference s / slrbench s):")
    reference = {c.batch: r for c, r in results if c.variant == "reference" and "error" not in r}
    for config, result in results:
        base = reference.get(config.batch)
        if config.variant == "reference" or base is None or "error" in result:
            continue
        parts = "  ".join(f"{part} {base['parts'][part] / max(result['parts'][part], 1e-9):.1f}x" for part in PARTS)
        print(f"  {config.label} b{config.batch} {config.precision}: step {base['step_s'] / result['step_s']:.2f}x "
              f"faster, peak memory {base['peak_gib'] / result['peak_gib']:.2f}x smaller; {parts}")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--batch", type=int, nargs="+", help="default: 1 on cpu, 8 16 on cuda")
    parser.add_argument("--precision", nargs="+", choices=("fp32", "bf16"), help="slrbench's step; default: fp32 "
                        "on cpu, fp32 bf16 on cuda (the reference's step is fp32)")
    parser.add_argument("--compile", action="store_true", help="also slrbench's step with torch.compile")
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
    args.steps = args.steps or (10 if cuda else 2)
    args.warmup = args.warmup if args.warmup is not None else (3 if cuda else 1)
    args.frame_size = round(args.video_size * REFERENCE_FRAME / 224)  # 256 for 224² video
    return args


def main() -> None:
    args = parse(sys.argv[1:])
    if args.child:
        print(json.dumps(run_config(args, Config(**json.loads(args.child)))))
        return
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is visible")
    where = torch.cuda.get_device_name() if args.device == "cuda" else f"cpu, {args.threads} threads"
    print(f"full NLA-SLR training step: N={args.classes}, {args.frames}+{args.frames // 2} frames, "
          f"{args.video_size}² video from {args.frame_size}² frames, {args.video_size // 2}² heatmaps, 63 keypoints, "
          f"7 heads, width {args.width}; lang smoothing, sign mixup, Adam")
    print(f"device: {where}; torch {torch.__version__}; median of {args.steps} steps after {args.warmup} warm-up")
    results = [(config, child(args, config)) for config in configurations(args)]
    print_table(args, results)


if __name__ == "__main__":
    main()
