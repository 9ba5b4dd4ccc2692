"""Run a keypoint extractor over a list of videos: resumable, in worker processes, failures counted.

Each worker builds its own extractor once and decodes its videos itself (decord, PyAV fallback),
so only the (T, 133, 3) arrays travel back. A missing or corrupt video, or an extractor error on
one video, is recorded with its reason and the run goes on; finished videos are saved as they
arrive (`slrbench.extraction.store`), so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from slrbench.data.decoding import quiet_native_stderr
from slrbench.data.decoding import VideoUnreadable, iter_frame_chunks, open_video
from slrbench.interfaces import ExtractorContext
from slrbench.extraction.jobs import VideoJob
from slrbench.extraction.store import KeypointStore, failures_path

CHUNK_FRAMES = 32
Progress = Callable[[int, int, int], None]  # (videos finished, videos to do, frames so far)


@dataclass
class ExtractionReport:
    out: Path
    videos: int  # videos the benchmark names
    skipped: int  # already in the output, or finished by an interrupted run
    missing: list[dict[str, str]]  # videos the annotations name but the data root lacks (not an error)
    extracted: int
    frames: int  # frames extracted in this run
    seconds: float
    entries: int  # videos in the written pickle
    failures: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        rate = self.frames / self.seconds if self.seconds > 0 else 0.0
        return {"out": str(self.out), "videos": self.videos, "skipped": self.skipped, "missing": len(self.missing),
                "extracted": self.extracted, "failed": len(self.failures), "frames": self.frames, "seconds": round(self.seconds, 2),
                "frames_per_second": round(rate, 2), "entries": self.entries,
                "failures_file": str(failures_path(self.out)) if self.failures or self.missing else None,
                "failures": self.failures}


def extract_one(extractor: Any, video: Path, decoder: str = "auto") -> np.ndarray:
    """A video's keypoints, checked to be (T, 133, 3) with one row per decoded frame."""
    return extract_video(extractor, video, decoder)[0]


def extract_video(extractor: Any, video: Path, decoder: str = "auto") -> tuple[np.ndarray, tuple[int, int]]:
    """`extract_one` and the (width, height) of the decoded frames: the frame of the coordinates."""
    opened = open_video(video, decoder)
    frames, size = 0, (0, 0)

    def counted_chunks():
        nonlocal frames, size
        for chunk in iter_frame_chunks(opened, CHUNK_FRAMES):  # (t, H, W, 3)
            frames += len(chunk)
            size = (int(chunk.shape[2]), int(chunk.shape[1]))
            yield chunk

    keypoints = np.asarray(extractor.extract(counted_chunks()), dtype=np.float32)
    if keypoints.shape != (frames, 133, 3):
        raise ValueError(f"the extractor returned {keypoints.shape} for {frames} frames; expected ({frames}, 133, 3)")
    return keypoints, size


# --- worker processes ----------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _start_worker(name: str, options: dict[str, Any], context: ExtractorContext, quiet: bool) -> None:
    from slrbench.registry import default_registry

    if quiet:  # MediaPipe, TFLite and ffmpeg log to file descriptor 2, over the progress bar
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    _WORKER["extractor"] = default_registry().build("extractors", name, options, context)


def _run_job(job: VideoJob) -> tuple[str, Optional[np.ndarray], Optional[tuple[int, int]], str]:
    """(key, keypoints, frame size, "") or (key, None, None, reason)."""
    try:
        return job.key, *extract_video(_WORKER["extractor"], job.video), ""
    except VideoUnreadable as error:
        return job.key, None, None, str(error)
    except Exception as error:  # one video must not end the run; the reason goes in the report
        return job.key, None, None, f"{job.video}: extractor failed: {type(error).__name__}: {error}"


def run_extraction(jobs: list[VideoJob], extractor: str, options: dict[str, Any], out: Path, *,
                   workers: int = 1, device: str = "cpu", force: bool = False, quiet: bool = True,
                   progress: Optional[Progress] = None) -> ExtractionReport:
    """Extract keypoints for every job not already done and write `out` (see module docstring)."""
    from slrbench.registry import default_registry

    threads = max(1, (os.cpu_count() or 1) // max(workers, 1))
    context = ExtractorContext(device=device, threads=threads)
    validated = default_registry().resolve_options("extractors", extractor, options)
    plain_options = validated.model_dump(mode="json")
    store = KeypointStore(out, {"extractor": extractor, "options": plain_options})
    base = {} if force else store.existing()
    # Parts without a finished video (an extraction that failed before its first one, e.g. a bad
    # model file) hold nothing to resume: start afresh with the options given now.
    restart = force or not any(store.parts.glob("*.npy"))
    done = set(base) | store.begin(restart=restart)
    pending = [job for job in jobs if job.key not in done]
    todo = [job for job in pending if job.video.is_file()]
    missing = [{"key": job.key, "video": str(job.video), "reason": "missing"} for job in pending if not job.video.is_file()]
    by_key = {job.key: job for job in jobs}
    failures: list[dict[str, str]] = []
    frames, extracted, started = 0, 0, time.perf_counter()

    def record(key: str, keypoints: Optional[np.ndarray], frame_size: Optional[tuple[int, int]],
               reason: str) -> None:
        nonlocal frames, extracted
        if keypoints is None or frame_size is None:
            failures.append({"key": key, "video": str(by_key[key].video), "reason": reason})
        else:
            store.save(key, keypoints, frame_size)
            frames += len(keypoints)
            extracted += 1
        if progress is not None:
            progress(extracted + len(failures), len(todo), frames)

    if progress is not None:
        progress(0, len(todo), 0)
    if todo:
        if workers <= 1:
            _start_worker(extractor, plain_options, context, quiet=False)
            try:
                for job in todo:
                    with quiet_native_stderr() if quiet else contextlib.nullcontext():
                        result = _run_job(job)
                    record(*result)
            finally:
                _WORKER.clear()
        else:
            _run_in_pool(todo, extractor, plain_options, context, workers, quiet, record)
    seconds = time.perf_counter() - started
    entries = store.finish(base, _provenance(len(jobs), len(failures)))
    _write_failures(out, failures + missing)
    return ExtractionReport(out, len(jobs), len(jobs) - len(pending), missing, extracted, frames, seconds, entries,
                            failures)


def _provenance(videos: int, failed: int) -> dict[str, Any]:
    from datetime import datetime, timezone
    from importlib.metadata import version

    return {"videos": videos, "failed": failed, "slrbench": version("slrbench"),
            "written": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _run_in_pool(todo, extractor, options, context, workers, quiet, record) -> None:
    from slrbench.registry import default_registry

    default_registry().build("extractors", extractor, options, context)  # a bad model fails here, once
    spawn = multiprocessing.get_context("spawn")  # MediaPipe and onnxruntime are not fork-safe
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_start_worker,
                             initargs=(extractor, options, context, quiet)) as pool:
        futures = {pool.submit(_run_job, job): job for job in todo}
        for future in as_completed(futures):
            try:
                record(*future.result())
            except BrokenProcessPool as error:  # a worker died in native code: the rest is retried next run
                record(futures[future].key, None, None, f"{futures[future].video}: worker process died ({error})")


def _write_failures(out: Path, failures: list[dict[str, str]]) -> None:
    import pandas as pd

    from slrbench.files import atomic_path

    path = failures_path(out)
    if not failures:
        path.unlink(missing_ok=True)
        return
    with atomic_path(path) as temporary:
        pd.DataFrame(failures, columns=["key", "video", "reason"]).to_csv(temporary, index=False)
