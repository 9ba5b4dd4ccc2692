"""Clips/s of the training loader against decoding every frame and cropping afterwards, in one run.

Both pipelines serve the same training batches (64-frame windows, one RandomResizedCrop box,
224 x 224 video in [-1, 1] and 63 keypoints) from the same H.264 clips of 256 x 256 pixels
(the reference's preprocessed size), with the same workers and batch size:

* loader:   `slrbench.data.loader.ClipLoader` - decodes only the window's frames (decord),
            crops and resizes them as uint8, converts once to float;
* baseline: decodes every frame of the clip, converts all to float, crops and resizes them all,
            then takes the window (what a straightforward video pipeline does).

    python benchmarks/perf/loader.py [--clips 64] [--frames 150] [--workers 2] [--batch-size 4]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.data.sources import FileClipReader, FileClipSource
from slrbench.data.transforms import CropBox

SHARED_VIDEO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "samples" / "test_video.mp4"


def make_clips(folder: Path, clips: int, frames: int) -> pd.DataFrame:
    """`clips` mp4s of `frames` frames at 256 x 256 (the shared test video, resized and looped)."""
    from slrbench.builtins.datasets.synthetic import write_mp4
    from slrbench.data.decoding import open_video

    if SHARED_VIDEO.is_file():
        video = open_video(SHARED_VIDEO)
        source = video.frames(list(range(video.num_frames)))
    else:  # no shared data: random texture
        source = np.random.default_rng(0).integers(0, 255, (58, 256, 256, 3), dtype=np.uint8)
    pixels = torch.from_numpy(source).permute(0, 3, 1, 2)
    square = F.interpolate(pixels, size=(256, 256), mode="bilinear", antialias=True).permute(0, 2, 3, 1).numpy()
    loop = np.concatenate([square, square[::-1]])  # ping-pong so the motion is continuous
    rows = []
    for i in range(clips):
        start = (i * 7) % len(loop)
        indices = [(start + t) % len(loop) for t in range(frames)]
        path = folder / f"clip{i:03d}.mp4"
        write_mp4(path, np.ascontiguousarray(loop[indices]))
        keypoints = folder / f"clip{i:03d}.npy"
        np.save(keypoints, np.random.default_rng(i).uniform(0, 256, (frames, 133, 3)).astype(np.float32))
        rows.append({"sample_id": f"clip{i:03d}", "split": "train", "label": i % 10, "gloss": "", "video": str(path),
                     "keypoints": str(keypoints), "start": "", "end": ""})
    return pd.DataFrame(rows)


class DecodeEverything(FileClipSource):
    """Decodes every frame of the clip, converts all to float, crops and resizes all of them,
    then hands the window's frames on (the loader's own window crop, ~10 ms, runs after it too)."""

    def frames(self, indices):
        everything = self._video.frames(list(range(self._video.num_frames)))  # (N, H, W, 3) uint8
        pixels = torch.from_numpy(everything).permute(0, 3, 1, 2).float().div(255)  # every frame, float
        height, width = everything.shape[1:3]
        box = CropBox.random_resized((width, height), np.random.default_rng(0))
        crop = pixels[:, :, box.y0:box.y0 + box.height, box.x0:box.x0 + box.width]
        F.interpolate(crop, size=(224, 224), mode="bilinear", align_corners=False, antialias=True)  # every frame
        return everything[indices]


class DecodeEverythingReader(FileClipReader):
    def open(self, row, need_video, need_keypoints):
        return DecodeEverything(row, self.decoder, need_video)


def clips_per_second(loader: ClipLoader, epochs: int) -> float:
    served, start = 0, time.perf_counter()
    for epoch in range(epochs):
        for batch in loader.batches(epoch=epoch):
            served += len(batch["sample_id"])
    return served / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=48)
    parser.add_argument("--frames", type=int, default=150, help="frames per clip (WLASL clips: ~50-200)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        table = make_clips(Path(folder), args.clips, args.frames)
        settings = LoaderSettings()
        kwargs = dict(batch_size=args.batch_size, num_workers=args.workers, pin_memory=False, seed=0)
        ours = ClipLoader(table, "train", settings, **kwargs)
        baseline = ClipLoader(table, "train", settings, reader=DecodeEverythingReader(), **kwargs)
        clips_per_second(ClipLoader(table.head(4), "train", settings, **kwargs), 1)  # warm the page cache
        ours_rate = clips_per_second(ours, args.epochs)
        baseline_rate = clips_per_second(baseline, args.epochs)
    print(f"{args.clips} clips x {args.frames} frames of 256x256 -> 64 x 224x224 video + 63 keypoints, "
          f"{args.workers} workers, batch {args.batch_size}, decoders {dict(ours.report.decoders)}")
    print(f"{'pipeline':<36}{'clips/s':>9}")
    print(f"{'decode every frame, crop afterwards':<36}{baseline_rate:>9.2f}")
    print(f"{'slrbench loader (window frames only)':<36}{ours_rate:>9.2f}")
    print(f"ratio: {ours_rate / baseline_rate:.2f}x")


if __name__ == "__main__":
    main()
