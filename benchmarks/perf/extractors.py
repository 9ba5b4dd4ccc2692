"""Frames/s of each keypoint extractor on the real sample video, against decoding alone, in one run.

For every extractor installed here (`mediapipe` needs the `[mediapipe]` extra). `rtmpose` runs
`--rtmpose-model FILE` when given; no real RTMPose weights can be fetched here, so by default it
runs stand-ins with RTMPose's signature and random weights:
* `rtmpose/tiny`: the tests' spot locator (288 x 384): slrbench's pre- and post-processing alone;
* `rtmpose/m-size`: timm's cs3darknet_m (a CSPDarknet like RTMPose-m's CSPNeXt-m) + a SimCC-style
  head at 192 x 256, a network of roughly RTMPose-m's cost (`--stand-ins l` adds cs3darknet_l at
  288 x 384, roughly RTMW-l's input and depth).

* decode:      decoding the video alone (decord, PyAV fallback): the floor of any extractor;
* 1 process:   `keypoints extract` over N copies of the video, one process;
* N workers:   the same with `--workers`, reported as a speed-up over one process.

    python benchmarks/perf/extractors.py [--copies 8] [--workers 2] [--rtmpose-model FILE]
"""
from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

SHARED_VIDEO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "samples" / "test_video.mp4"
TESTS = Path(__file__).resolve().parents[2] / "tests"


def decode_rate(video: Path, repeats: int) -> float:
    from slrbench.data.decoding import iter_frame_chunks, open_video

    started, frames = time.perf_counter(), 0
    for _ in range(repeats):
        for chunk in iter_frame_chunks(open_video(video), 32):
            frames += len(chunk)
    return frames / (time.perf_counter() - started)


def extraction_rate(jobs, name: str, options: dict, out: Path, workers: int) -> float:
    from slrbench.extraction.extract import run_extraction

    report = run_extraction(jobs, name, options, out, workers=workers, force=True)
    assert not report.failures, report.failures
    return report.frames / report.seconds


def export_stand_in(size: str, folder: Path) -> Path:
    """An ONNX model with RTMPose's signature (see the module docstring); random weights."""
    sys.path.insert(0, str(TESTS))
    from onnx_models import export_spot_locator

    if size == "tiny":
        return export_spot_locator(folder / "tiny.onnx", input_size=(288, 384), batch=None)
    import timm
    import torch

    backbone, (width, height) = {"m": ("cs3darknet_m", (192, 256)), "l": ("cs3darknet_l", (288, 384))}[size]

    class StandIn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = timm.create_model(backbone, pretrained=False, features_only=True, out_indices=(-1,))
            self.points = torch.nn.Conv2d(self.body.feature_info.channels()[-1], 133, 7, padding=3)
            self.hidden = torch.nn.Linear((width // 32) * (height // 32), 256)
            self.x, self.y = torch.nn.Linear(256, width * 2), torch.nn.Linear(256, height * 2)

        def forward(self, image):
            features = torch.relu(self.hidden(self.points(self.body(image)[-1]).flatten(2)))
            return self.x(features), self.y(features)

    path = folder / f"{size}.onnx"
    axes = {name: {0: "batch"} for name in ("input", "simcc_x", "simcc_y")}
    torch.onnx.export(StandIn().eval(), (torch.zeros(1, 3, height, width),), str(path), input_names=["input"],
                      output_names=["simcc_x", "simcc_y"], dynamic_axes=axes, opset_version=17, dynamo=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=8, help="copies of the 58-frame sample video")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rtmpose-model", type=Path, default=None)
    parser.add_argument("--stand-ins", nargs="*", default=["tiny", "m"], choices=["tiny", "m", "l"])
    args = parser.parse_args()
    if not SHARED_VIDEO.is_file():
        sys.exit(f"needs the sample video {SHARED_VIDEO}")
    from slrbench.extraction.jobs import VideoJob

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        jobs = []
        for number in range(args.copies):
            shutil.copy(SHARED_VIDEO, folder / f"v{number}.mp4")
            jobs.append(VideoJob(f"v{number}", folder / f"v{number}.mp4"))
        extractors = {}
        if importlib.util.find_spec("mediapipe") is not None:
            extractors["mediapipe"] = {}
        if args.rtmpose_model is not None:
            extractors["rtmpose"] = {"path": str(args.rtmpose_model)}
        else:
            for size in args.stand_ins:
                extractors[f"rtmpose/{size}"] = {"path": str(export_stand_in(size, folder))}
        decode = decode_rate(SHARED_VIDEO, args.copies)
        print(f"sample video 540 x 720, {args.copies} copies x 58 frames")
        print(f"{'extractor':<16}{'frames/s':>10}{'vs decode':>11}{f'{args.workers} workers':>12}{'speed-up':>10}")
        print(f"{'decode only':<16}{decode:>10.1f}{1.0:>10.2f}x")
        for label, options in extractors.items():
            name = label.partition("/")[0]
            one = extraction_rate(jobs, name, options, folder / f"{name}-1.pkl", 1)
            many = extraction_rate(jobs, name, options, folder / f"{name}-{args.workers}.pkl", args.workers)
            print(f"{label:<16}{one:>10.1f}{one / decode:>10.3f}x{many:>12.1f}{many / one:>9.2f}x")


if __name__ == "__main__":
    main()
