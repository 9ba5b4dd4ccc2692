"""Predict the signs of whole videos, or of windows sliding over a long one.

Each video (or window) becomes a row of a one-off manifest, read by the same loader and scored by
the same evaluation as `slrbench eval` (`slrbench.training.evaluate.evaluate_split`): the run's
test view, 1 or 3 temporal crops, its heads' softmaxes averaged. A video that cannot be read is
reported with its reason; the others still get their answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from slrbench.data.decoding import VideoUnreadable, open_video
from slrbench.errors import UsageError
from slrbench.predict.keypoints import CachedExtractor
from slrbench.predict.model import Predictor
from slrbench.training.build import make_loader
from slrbench.training.distributed import World
from slrbench.training.evaluate import evaluate_split

MAX_BATCH = 8


@dataclass(frozen=True)
class Guess:
    index: int
    gloss: str
    probability: float


@dataclass
class Segment:
    """One scored stretch of a video: the whole of it, or one window (frames [start, end))."""

    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    top: list[Guess]


@dataclass
class VideoAnswer:
    video: Path
    segments: list[Segment] = field(default_factory=list)  # one, or one per window
    error: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        def guesses(segment: Segment) -> list[dict[str, Any]]:
            return [{"class": g.index, "gloss": g.gloss, "probability": round(g.probability, 6)} for g in segment.top]

        if self.error is not None:
            return {"video": str(self.video), "error": self.error}
        if len(self.segments) == 1 and self.segments[0].start_frame == 0:
            return {"video": str(self.video), "predictions": guesses(self.segments[0])}
        return {"video": str(self.video), "windows": [
            {"start_s": round(s.start_s, 3), "end_s": round(s.end_s, 3), "start_frame": s.start_frame,
             "end_frame": s.end_frame, "predictions": guesses(s)} for s in self.segments]}


@dataclass(frozen=True)
class Windows:
    """`--window SECONDS --stride SECONDS`."""

    length_s: float
    stride_s: float

    def frames(self, total: int, fps: float) -> list[tuple[int, int]]:
        """[start, end) frame ranges; a video shorter than the window is one window."""
        length = max(1, round(self.length_s * fps))
        stride = max(1, round(self.stride_s * fps))
        if total <= length:
            return [(0, total)]
        starts = list(range(0, total - length + 1, stride))
        if starts[-1] + length < total:  # the tail gets a window of its own
            starts.append(total - length)
        return [(start, start + length) for start in starts]


def frame_rate(video: Path) -> float:
    """Frames per second from the container (PyAV); 25 when it does not say."""
    import av

    try:
        with av.open(str(video)) as container:
            rate = container.streams.video[0].average_rate
    except (av.error.FFmpegError, IndexError, OSError):
        rate = None
    return float(rate) if rate else 25.0


def predict_video(predictor: Predictor, video: Path, top_k: int, crops: int, *, keypoints: Optional[Path] = None,
                  extractor: Optional[CachedExtractor] = None, windows: Optional[Windows] = None) -> VideoAnswer:
    """The top-k glosses of one video (or of each window); never raises for an unreadable input."""
    try:
        return VideoAnswer(video, _segments(predictor, video, top_k, crops, keypoints, extractor, windows))
    except (VideoUnreadable, UsageError) as error:
        return VideoAnswer(video, error=_one_line(error))
    except Exception as error:  # an extractor failing on one video must not cost the others their answer
        return VideoAnswer(video, error=f"{video}: {type(error).__name__}: {_one_line(error)}")


def _segments(predictor: Predictor, video: Path, top_k: int, crops: int, keypoints: Optional[Path],
              extractor: Optional[CachedExtractor], windows: Optional[Windows]) -> list[Segment]:
    total = open_video(video).num_frames  # probes the header first: an unreadable file is one line here
    fps = frame_rate(video)
    reference = ""
    if predictor.needs_keypoints:
        if keypoints is None and extractor is None:
            raise UsageError(f"{video}: the run reads keypoints: give --keypoints FILE or an --extractor")
        reference = str(keypoints if keypoints is not None else extractor.keypoints_file(video))
    ranges = windows.frames(total, fps) if windows is not None else [(0, total)]
    manifest = pd.DataFrame([{"sample_id": f"{i:06d}", "split": "test", "label": 0, "gloss": "",
                              "video": str(video), "keypoints": reference, "keypoints_frame": "",
                              "start": start, "end": end} for i, (start, end) in enumerate(ranges)])
    settings = predictor.plan.settings
    batch_size = min(MAX_BATCH, settings.micro_batch_size or settings.batch_size)
    loader = make_loader(predictor.parts(manifest), "test", batch_size, views=crops, train=False, workers=0,
                         device=predictor.device)
    try:
        result = evaluate_split(predictor.model, loader, predictor.device, World(), predictor.num_classes,
                                settings.heads, crops, batch_size, bf16=settings.precision == "bf16")
    except UsageError:
        reasons = list(loader.report.skipped.values())
        if reasons:
            raise UsageError(reasons[0]) from None
        raise
    if result.skipped:
        raise UsageError(next(iter(result.skipped.values())))
    segments = []
    for row, probabilities in zip(result.sample_ids, result.probabilities):
        start, end = ranges[int(row)]
        order = np.argsort(-probabilities, kind="stable")[:top_k]
        top = [Guess(int(i), predictor.class_names[int(i)], float(probabilities[i])) for i in order]
        segments.append(Segment(start, end, start / fps, end / fps, top))
    return segments


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
