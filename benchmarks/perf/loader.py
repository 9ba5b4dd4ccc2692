"""Clips/s of the training loader against decoding alone and against the loader before issue 17, in one run.

Every pipeline serves the same training batches (64-frame windows, one RandomResizedCrop box,
224 x 224 video in [-1, 1] and 63 keypoints) from the same H.264 clips of 256 x 256 pixels
(the reference's preprocessed size), with the same workers and batch size, interleaved, best of
`--rounds`:

* decode only (the ceiling): the workers decode the window's frames and ship them, nothing else:
  as RGB (decord, the loader's decoder before), and as the decoder's I420 planes (PyAV), which the
  loader ships to a GPU;
* float video made in the workers (the loader until issue 17): each worker crops, resizes, converts
  to float, jitters and normalises its clips and ships float32 video (38 MB a clip);
* slrbench loader: the workers ship the decoded uint8 frames with the draws (box, jitter) and the
  keypoints; the video is made on the training device (`slrbench.data.video_batch`). To a GPU they
  ship I420 planes, which the device converts to the same RGB (`slrbench.data.yuv`); its rate is what
  a GPU run gets, whose device makes a batch's video in milliseconds. To a CPU they ship RGB (the
  conversion then runs in the workers, beside the step); the line after it also makes the video on
  this CPU in the main process, as a CPU run does;
* with `--naive`, also decoding every frame of the clip and cropping them all in float (3x slower
  than the loader before issue 17).

    python benchmarks/perf/loader.py [--clips 48] [--frames 150] [--workers 2] [--batch-size 4] [--rounds 3]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.data.sources import FileClipReader, FileClipSource, window_frames
from slrbench.data.transforms import CropBox, train_window
from slrbench.inputs import InputStream

SHARED_VIDEO = Path(__file__).resolve().parents[2] / "tests" / "data" / "samples" / "test_video.mp4"


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
    then hands the window's frames on."""

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


class DecodeOnly(torch.utils.data.Dataset):
    """The ceiling: a worker decodes the window's frames of a clip and ships them, nothing else."""

    def __init__(self, rows: list[dict[str, Any]], frames: int, decoder: str, planar: bool):
        self.rows, self.frames, self.planar = rows, frames, planar
        self.reader = FileClipReader(decoder, planar=planar)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> torch.Tensor:
        source = self.reader.open(self.rows[index], True, False)
        start, end = source.clip_range()
        window = train_window(end - start, self.frames, np.random.default_rng(index))
        frames = window_frames(source, (np.unique(window) + start).tolist(), self.planar)
        return torch.from_numpy(frames.planes if self.planar else frames)


def _video_in_worker(clip: dict[str, torch.Tensor]) -> torch.Tensor:
    return clip["video"][:, :1, :1, :1]  # a stream derived from the video: the worker makes the video


# A plugin-style stream that needs the video makes the loader build the float video in its workers,
# per clip, as every run did until issue 17 (the same transforms; `slrbench.data.loader.load_sample`).
IN_WORKER = InputStream("video_probe", "(B, 3, 1, 1, 1)", derive=_video_in_worker, needs=("video",))


def decode_only(table: pd.DataFrame, args: argparse.Namespace, planar: bool) -> Iterator[Any]:
    rows = table.to_dict("records")
    loader = torch.utils.data.DataLoader(DecodeOnly(rows, 64, args.decoder, planar), batch_size=args.batch_size,
                                         num_workers=args.workers)
    yield from loader


def clips_per_second(batches: Callable[[], Iterator[Any]], clips: int) -> float:
    start = time.perf_counter()
    for _ in batches():
        pass
    return clips / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=48)
    parser.add_argument("--frames", type=int, default=150, help="frames per clip (WLASL clips: ~50-200)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; the best of each is shown")
    parser.add_argument("--decoder", default="auto", choices=("auto", "decord", "pyav"))
    parser.add_argument("--naive", action="store_true", help="also decode every frame and crop afterwards")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        table = make_clips(Path(folder), args.clips, args.frames)
        settings = LoaderSettings(video_transport="rgb")
        common = dict(batch_size=args.batch_size, num_workers=args.workers, pin_memory=False, seed=0,
                      reader=FileClipReader(args.decoder))
        ours = ClipLoader(table, "train", settings, **common)
        to_gpu = ClipLoader(table, "train", LoaderSettings(video_transport="yuv420"),
                            **{**common, "reader": FileClipReader(args.decoder, planar=True)})
        before = ClipLoader(table, "train", LoaderSettings(inputs=("video", "keypoints", "video_probe"),
                                                           streams=(IN_WORKER,), video_transport="rgb"), **common)
        pipelines: dict[str, Callable[[], Iterator[Any]]] = {
            "decode only, RGB": lambda: decode_only(table, args, planar=False),
            "decode only, I420 planes (the ceiling)": lambda: decode_only(table, args, planar=True),
            "float video made in the workers (before)": lambda: before.batches(),
            "slrbench loader to a GPU: I420 batch": lambda: to_gpu.host_batches(),
            "slrbench loader to a CPU: RGB batch": lambda: ours.host_batches(),
            "  + video made on this CPU (main process)": lambda: ours.batches(),
        }
        if args.naive:
            naive = ClipLoader(table, "train", settings, **{**common, "reader": DecodeEverythingReader(args.decoder)})
            pipelines["decode every frame, crop afterwards"] = lambda: naive.batches()
        clips_per_second(lambda: ClipLoader(table.head(4), "train", settings, **common).batches(), 4)  # page cache
        rates = {name: 0.0 for name in pipelines}
        for _ in range(args.rounds):
            for name, batches in pipelines.items():
                rates[name] = max(rates[name], clips_per_second(batches, args.clips))
        device_ms = video_on_cpu_ms(ours, args.rounds)
        planar_ms = video_on_cpu_ms(to_gpu, args.rounds)
    print(f"{args.clips} clips x {args.frames} frames of 256x256 -> 64 x 224x224 video + 63 keypoints, "
          f"{args.workers} workers, batch {args.batch_size}, decoders {dict(ours.report.decoders)} (RGB), "
          f"{dict(to_gpu.report.decoders)} (I420), best of {args.rounds} interleaved rounds")
    print(f"{'pipeline':<44}{'clips/s':>9}{'vs before':>11}")
    for name, rate in rates.items():
        print(f"{name:<44}{rate:>9.2f}{rate / rates['float video made in the workers (before)']:>10.2f}x")
    print(f"making a batch's video on this CPU: {device_ms:.0f} ms ({device_ms / args.batch_size:.0f} ms a clip) "
          f"from RGB, {planar_ms:.0f} ms from I420 planes")
    gpu, ceiling = rates["slrbench loader to a GPU: I420 batch"], rates["decode only, I420 planes (the ceiling)"]
    goal = f"; issue 17's goal >= 20 clips/s with 2 workers: {'met' if gpu >= 20 else 'not met'}" if args.workers == 2 else ""
    print(f"loader to a GPU: {gpu / ceiling:.0%} of its decode ceiling{goal}")


def video_on_cpu_ms(loader: ClipLoader, rounds: int) -> float:
    """Best time to make one host batch's video on this CPU (the device step of a CPU run)."""
    host = next(iter(loader.host_batches(index_batches=[list(range(loader.batch_size))])))
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        loader.to_device(dict(host))  # a copy: making the video takes the frames out of the batch
        best = min(best, time.perf_counter() - start)
    return best * 1e3


if __name__ == "__main__":
    main()
