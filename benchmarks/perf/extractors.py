"""Frames/s of each keypoint extractor on the real sample video, against decoding alone, in one run.

For every extractor installed here (`mediapipe` needs the `[mediapipe]` extra; `rtmpose` needs an
ONNX model: `--rtmpose-model FILE`, else the tests' stand-in network with RTMW-x's 288 x 384
input, which measures slrbench's pre- and post-processing rather than a real network):

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
    from slrbench.keypoints.extract import run_extraction

    report = run_extraction(jobs, name, options, out, workers=workers, force=True)
    assert not report.failures, report.failures
    return report.frames / report.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=8, help="copies of the 58-frame sample video")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rtmpose-model", type=Path, default=None)
    args = parser.parse_args()
    if not SHARED_VIDEO.is_file():
        sys.exit(f"needs the sample video {SHARED_VIDEO}")
    from slrbench.keypoints.jobs import VideoJob

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        jobs = []
        for number in range(args.copies):
            shutil.copy(SHARED_VIDEO, folder / f"v{number}.mp4")
            jobs.append(VideoJob(f"v{number}", folder / f"v{number}.mp4"))
        extractors = {}
        if importlib.util.find_spec("mediapipe") is not None:
            extractors["mediapipe"] = {}
        model = args.rtmpose_model
        if model is None:
            sys.path.insert(0, str(TESTS))
            from onnx_models import export_spot_locator

            model = export_spot_locator(folder / "stand-in.onnx", input_size=(288, 384), batch=None)
        extractors["rtmpose"] = {"path": str(model)}
        decode = decode_rate(SHARED_VIDEO, args.copies)
        print(f"sample video 540 x 720, {args.copies} copies x 58 frames; rtmpose model: "
              f"{args.rtmpose_model or 'stand-in network (tests/onnx_models.py), 288 x 384'}")
        print(f"{'extractor':<12}{'frames/s':>10}{'vs decode':>11}{f'{args.workers} workers':>12}{'speed-up':>10}")
        print(f"{'decode only':<12}{decode:>10.1f}{1.0:>10.2f}x")
        for name, options in extractors.items():
            one = extraction_rate(jobs, name, options, folder / f"{name}-1.pkl", 1)
            many = extraction_rate(jobs, name, options, folder / f"{name}-{args.workers}.pkl", args.workers)
            print(f"{name:<12}{one:>10.1f}{one / decode:>10.3f}x{many:>12.1f}{many / one:>9.2f}x")


if __name__ == "__main__":
    main()
