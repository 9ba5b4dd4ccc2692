"""Videos read from zip archives against the same videos as loose files, in one run.

The reference's bundle keeps its videos zipped (WLASL: MP4 members; MS-ASL: PNG frames; NMFs-CSL:
JPG frames); slrbench reads them in place (`slrbench.data.zip_media`). Each pair below holds the
same content, interleaved, best of `--rounds`:

* window decode, one process: a 64-frame training window of every clip (each clip in every form in
  turn, the best of the rounds per clip), through
  `FileClipReader` as the loader's workers read it: loose MP4 files against MP4 members of a zip,
  stored (`zip -0`) and deflated (`zip`'s default); loose PNG / JPG files (read with `open`, then
  decoded by the zip reader's own code: only where the bytes come from differs) against the same
  images in a zip;
* the training loader (`ClipLoader`'s batches before the device: window, crop box, keypoints):
  in process, batch by batch with every form in turn (the best time of each batch: robust on a
  shared machine), and with `--workers` workers, whole passes (best of the rounds; a busy machine
  moves these by tens of percent). Loose MP4 files against the stored and deflated zips, and the
  PNG zip (PNG decodes slower than H.264 wherever it lies: compare PNG with PNG in the first table).

    python benchmarks/perf/zip_media.py [--clips 32] [--frames 120] [--size 256] [--workers 2] [--rounds 5]
"""
from __future__ import annotations

import argparse
import io
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from slrbench.builtins.datasets.synthetic import write_mp4
from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.data.sources import FileClipReader
from slrbench.data.transforms import train_window
from slrbench.data.video_probe import VideoLimits
from slrbench.data.zip_archive import archive_index, archive_reference
from slrbench.data.zip_media import image_pixels, open_image

SHARED_VIDEO = Path(__file__).resolve().parents[2] / "tests" / "data" / "samples" / "test_video.mp4"
LIMITS = VideoLimits()


def source_frames(frames: int, size: int) -> np.ndarray:
    """(frames, size, size, 3) uint8: the test video (a real signer) resized and looped, else noise."""
    import torch.nn.functional as F

    from slrbench.data.decoding import open_video

    if SHARED_VIDEO.is_file():
        video = open_video(SHARED_VIDEO)
        pixels = torch.from_numpy(video.frames(list(range(video.num_frames)))).permute(0, 3, 1, 2)
        square = F.interpolate(pixels, size=(size, size), mode="bilinear", antialias=True).permute(0, 2, 3, 1).numpy()
    else:
        square = np.random.default_rng(0).integers(0, 255, (58, size, size, 3), dtype=np.uint8)
    loop = np.concatenate([square, square[::-1]])
    return np.ascontiguousarray(loop[[t % len(loop) for t in range(frames)]])


def image_bytes(frame: np.ndarray, kind: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    return buffer.getvalue()


def make_media(folder: Path, clips: int, frames: int, size: int) -> dict[str, pd.DataFrame]:
    """The same clips as loose MP4s, MP4 members of a stored and of a deflated zip, and PNG / JPG
    frames loose and zipped; one manifest per form (keypoints .npy shared)."""
    base = source_frames(frames + 7 * clips, size)
    stored = zipfile.ZipFile(folder / "stored.zip", "w", zipfile.ZIP_STORED)
    deflated = zipfile.ZipFile(folder / "deflated.zip", "w", zipfile.ZIP_DEFLATED)
    images = {kind: zipfile.ZipFile(folder / f"{kind}.zip", "w", zipfile.ZIP_STORED) for kind in ("png", "jpg")}
    rows: dict[str, list[dict]] = {form: [] for form in ("mp4", "zip-stored", "zip-deflated", "png", "jpg",
                                                         "zip-png", "zip-jpg")}
    for i in range(clips):
        clip = base[7 * i:7 * i + frames]
        path = folder / f"clip{i:03d}.mp4"
        write_mp4(path, clip)
        stored.write(path, f"videos/clip{i:03d}.mp4")
        deflated.write(path, f"videos/clip{i:03d}.mp4")
        keypoints = folder / f"clip{i:03d}.npy"
        np.save(keypoints, np.random.default_rng(i).uniform(0, size, (frames, 133, 3)).astype(np.float32))
        common = {"sample_id": f"clip{i:03d}", "split": "train", "label": i % 10, "gloss": "",
                  "keypoints": str(keypoints), "start": "", "end": ""}
        rows["mp4"].append({**common, "video": str(path)})
        rows["zip-stored"].append({**common, "video": archive_reference(folder / "stored.zip", f"videos/clip{i:03d}.mp4")})
        rows["zip-deflated"].append({**common, "video": archive_reference(folder / "deflated.zip",
                                                                          f"videos/clip{i:03d}.mp4")})
        for kind, pil_kind in (("png", "PNG"), ("jpg", "JPEG")):
            loose = folder / kind / f"clip{i:03d}"
            loose.mkdir(parents=True)
            for number, frame in enumerate(clip):
                data = image_bytes(frame, pil_kind)
                (loose / f"{number:04d}.{kind}").write_bytes(data)
                images[kind].writestr(f"clip{i:03d}/{number:04d}.{kind}", data)
            rows[kind].append({**common, "video": str(loose / f"%04d.{kind}")})
            rows[f"zip-{kind}"].append({**common, "video": archive_reference(folder / f"{kind}.zip",
                                                                             f"clip{i:03d}/%04d.{kind}")})
    for archive in (stored, deflated, *images.values()):
        archive.close()
    return {form: pd.DataFrame(table) for form, table in rows.items()}


def loose_images(pattern: str, indices: list[int]) -> np.ndarray:
    """The baseline for frame zips: the same images as files, decoded by the same code (Pillow)."""
    frames = []
    for index in indices:
        path = pattern % index
        with open_image(Path(path).read_bytes(), path, LIMITS) as image:
            frames.append(image_pixels(image, path))
    return np.stack(frames)


def decode_window(reader: FileClipReader, row: dict, window: list[int]) -> int:
    """Decode one clip's window as the loader's workers do; the frames decoded."""
    if "#" not in row["video"] and "%" in row["video"]:
        return len(loose_images(row["video"], window))
    return len(reader.open(row, True, False).frames(window))


def window_decode_rates(tables: dict[str, pd.DataFrame], frames: int, rounds: int) -> dict[str, float]:
    """Frames/s of each form: every clip's window decoded in every form in turn (clip by clip, so a
    burst of load on a shared machine hits all forms alike), the best time of each (form, clip)."""
    reader = FileClipReader()
    rows = {form: table.to_dict("records") for form, table in tables.items()}
    clips = len(next(iter(rows.values())))
    windows = [np.unique(train_window(frames, 64, np.random.default_rng(n))).tolist() for n in range(clips)]
    best = {form: [float("inf")] * clips for form in rows}
    count = {form: 0 for form in rows}
    for _ in range(rounds):
        for clip in range(clips):
            for form in rows:
                start = time.perf_counter()
                count[form] = decode_window(reader, rows[form][clip], windows[clip])
                best[form][clip] = min(best[form][clip], time.perf_counter() - start)
    return {form: count[form] * clips / sum(times) for form, times in best.items()}


def loader_batch_rates(loaders: dict[str, ClipLoader], rounds: int) -> dict[str, float]:
    """Clips/s of each in-process loader (no workers): batch by batch, every form in turn, the best
    time of each (form, batch)."""
    first = next(iter(loaders.values()))
    plan = [list(range(i, min(i + first.batch_size, len(first)))) for i in range(0, len(first), first.batch_size)]
    best = {form: [float("inf")] * len(plan) for form in loaders}
    for _ in range(rounds):
        for number, batch in enumerate(plan):
            for form, loader in loaders.items():
                start = time.perf_counter()
                for _ in loader.host_batches(index_batches=[batch]):
                    pass
                best[form][number] = min(best[form][number], time.perf_counter() - start)
    return {form: len(first) / sum(times) for form, times in best.items()}


def best_rate(work: Callable[[], int], results: dict[str, float], name: str) -> None:
    start = time.perf_counter()
    count = work()
    results[name] = max(results.get(name, 0.0), count / (time.perf_counter() - start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=32)
    parser.add_argument("--frames", type=int, default=120, help="frames per clip")
    parser.add_argument("--size", type=int, default=256, help="frame width and height (the reference's 256²)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        tables = make_media(Path(folder), args.clips, args.frames, args.size)
        for name in ("stored.zip", "deflated.zip", "png.zip", "jpg.zip"):
            archive_index(Path(folder) / name)  # read once here, as a bundle dataset does: workers share it
        forms = ("mp4", "zip-stored", "zip-deflated", "zip-png")
        loaders = {form: ClipLoader(tables[form], "train", LoaderSettings(), batch_size=args.batch_size,
                                    num_workers=args.workers, pin_memory=False, seed=0) for form in forms}
        in_process = {form: ClipLoader(tables[form], "train", LoaderSettings(), batch_size=args.batch_size,
                                       num_workers=0, pin_memory=False, seed=0) for form in forms}
        window_decode_rates(tables, args.frames, 1)  # page cache and decoder start-up
        decoded = window_decode_rates(tables, args.frames, args.rounds)
        per_batch = loader_batch_rates(in_process, args.rounds)
        served: dict[str, float] = {}
        for _ in range(args.rounds):
            for form, loader in loaders.items():
                best_rate(lambda loader=loader: sum(len(b["sample_id"]) for b in loader.host_batches()), served, form)
        decoders = {form: dict(loader.report.decoders) for form, loader in loaders.items()}
    print(f"{args.clips} clips x {args.frames} frames of {args.size}x{args.size}, 64-frame training windows, "
          f"best of {args.rounds} interleaved rounds (window decode: per clip)")
    print(f"{'window decode, one process':<34}{'frames/s':>10}{'vs loose':>10}")
    for form, baseline in (("mp4", "mp4"), ("zip-stored", "mp4"), ("zip-deflated", "mp4"), ("png", "png"),
                           ("zip-png", "png"), ("jpg", "jpg"), ("zip-jpg", "jpg")):
        print(f"{form:<34}{decoded[form]:>10.0f}{decoded[form] / decoded[baseline]:>9.2f}x")
    print(f"{'training loader, in process':<34}{'clips/s':>10}{'vs mp4':>10}")
    for form, rate in per_batch.items():
        print(f"{form:<34}{rate:>10.2f}{rate / per_batch['mp4']:>9.2f}x")
    print(f"{f'training loader, {args.workers} workers':<34}{'clips/s':>10}{'vs mp4':>10}")
    for form, rate in served.items():
        print(f"{form:<34}{rate:>10.2f}{rate / served['mp4']:>9.2f}x   decoders {decoders[form]}")


if __name__ == "__main__":
    main()
