"""`slrbench data check`: what a data root holds for a benchmark, per split, read-only.

Counts the annotated samples, the checked ones (all, or `--sample N` per split), present and
missing videos, present keypoints, the present files that cannot be read (a video whose window,
every frame of [start, end), does not decode; a keypoint entry that does not load, is not a
(frames, keypoints, 3) array of numbers or has 0 frames), the usable samples (a present file
and no unreadable one), keypoint tracks of another length than their video, and the samples
whose keypoints lie far outside the frame: their coordinates are in another frame than the
dataset declares (`outside_frame`). `unusable_splits` lists the splits with samples but none
usable (the command then exits 2). With `worst=N` the report also ranks the checked samples'
keypoint tracks by how broken they look (`slrbench.data.keypoint_quality`): `worst_keypoints`,
the N worst, and `without_keypoints`, the checked samples with no readable track. Nothing is
written anywhere, least of all into the data root (`--show-worst` draws into its own folder).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from slrbench.data.benchmark import OpenBenchmark
from slrbench.data.decoding import VideoUnreadable, quiet_native_stderr
from slrbench.data.keypoint_quality import KeypointQuality, keypoint_quality, worst_tracks
from slrbench.data.keypoints import KeypointsUnavailable, KeypointTrack, format_frame, rescale_keypoints
from slrbench.data.sources import FileClipReader, no_frame_reason, read_row_keypoints
from slrbench.interfaces import SPLITS

# A sample's keypoints are "outside the frame" when more than OUTSIDE_FRACTION of its confidently
# detected points (score > OUTSIDE_SCORE) lie more than OUTSIDE_MARGIN of the frame's width or
# height beyond its edges: a detector may place a few points just off the image, never most.
OUTSIDE_SCORE = 0.3
OUTSIDE_MARGIN = 0.1
OUTSIDE_FRACTION = 0.25
DECODE_CHUNK = 32  # frames decoded at once: bounded memory for long, large videos


def check_benchmark(opened: OpenBenchmark, progress: Optional[Callable[[int, int], None]] = None,
                    sample: Optional[int] = None, worst: Optional[int] = None) -> dict[str, Any]:
    """The report of `data check` (docs/data.md) on a benchmark `open_benchmark` opened. `sample`: check
    that many samples per split, drawn at random with a fixed seed (default: every sample); `worst`:
    rank the keypoint tracks and report that many of the worst."""
    table = opened.manifest()
    embedded = opened.clip_reader()
    splits = {split: {"annotated": 0, "checked": 0, "usable": 0, "videos_present": 0, "videos_missing": 0,
                      "keypoints_present": 0, "unreadable": 0, "keypoints_outside_frame": 0,
                      "keypoints_length_mismatch": 0} for split in SPLITS}
    findings = Findings(score_keypoints=worst is not None)
    rows = table.to_dict("records")
    for row in rows:
        splits[row["split"]]["annotated"] += 1
    chosen = _sampled(rows, sample)
    with quiet_native_stderr():  # ffmpeg and decord print their own lines about corrupt files
        for number, row in enumerate(chosen):
            counts = splits[row["split"]]
            counts["checked"] += 1
            if embedded is not None:  # clips generated in memory: present and readable by construction
                counts["videos_present"] += embedded.video_present(row)
                counts["keypoints_present"] += embedded.keypoints_present(row)
                counts["usable"] += 1
                if findings.score_keypoints:
                    clip = embedded.open(row, False, True)
                    findings.score(row, clip.keypoints(), clip.frame_size())
            else:
                _check_row(row, counts, findings)
            if progress is not None:
                progress(number + 1, len(chosen))
    warnings = opened.warnings() + findings.warnings()
    ranked: dict[str, Any] = {}
    if worst is not None:
        ranked = {"worst_keypoints": [quality.as_dict() for quality in worst_tracks(findings.qualities, worst)],
                  "without_keypoints": findings.without_keypoints}
    return {
        "benchmark": opened.name, "dataset": opened.dataset_name, "layout": opened.dataset.data_layout(),
        "num_classes": opened.info.num_classes, "splits": splits,
        "warnings": warnings, "problems": findings.problems,
        "unusable_splits": [split for split, counts in splits.items() if counts["checked"] and not counts["usable"]],
        **ranked,
    }


def _sampled(rows: list[dict[str, Any]], sample: Optional[int]) -> list[dict[str, Any]]:
    if sample is None:
        return rows
    rng = np.random.default_rng(0)
    chosen = []
    for split in SPLITS:
        members = [row for row in rows if row["split"] == split]
        if len(members) > sample:
            members = [members[i] for i in sorted(rng.choice(len(members), sample, replace=False))]
        chosen.extend(members)
    return chosen


class Findings:
    """Problems (one per unreadable file) and the samples behind each warning."""

    def __init__(self, score_keypoints: bool = False) -> None:
        self.score_keypoints = score_keypoints  # rank the tracks (`worst`): one small record per sample
        self.qualities: list[KeypointQuality] = []
        self.without_keypoints: list[str] = []  # checked samples with no readable keypoint track
        self.problems: list[dict[str, str]] = []
        self.outside: list[str] = []  # one line per sample whose keypoints lie outside the frame
        self.mismatched: list[str] = []  # samples whose keypoint track and video differ in length

    def unreadable(self, row: dict[str, Any], file: Any, reason: str) -> None:
        self.problems.append({"sample_id": str(row["sample_id"]), "file": str(file), "reason": reason})

    def score(self, row: dict[str, Any], track: Optional[KeypointTrack], video_size: Optional[tuple[int, int]]) -> None:
        if not self.score_keypoints:
            return
        if track is None:
            self.without_keypoints.append(str(row["sample_id"]))
            return
        values, frame = track_in_frame(track, video_size)
        self.qualities.append(keypoint_quality(str(row["sample_id"]), values, frame))

    def warnings(self) -> list[str]:
        lines = []
        if self.outside:
            lines.append(
                f"{len(self.outside)} sample(s) have keypoints far outside the frame, e.g. {self.outside[0]}: their "
                "coordinates are in another frame than declared; declare it with -o dataset.keypoints_frame=WxH (a "
                "manifest: its keypoints_frame column), or extract them again with `slrbench keypoints extract` "
                "(docs/data.md)")
        if self.mismatched:
            lines.append(
                f"{len(self.mismatched)} sample(s) have a keypoint track of another length than their video, e.g. "
                f"{self.mismatched[0]}: the loader pairs frame i with keypoints i and cuts both to the shorter; "
                "extract the keypoints from these very videos (`slrbench keypoints extract`)")
        return lines


def _check_row(row: dict[str, Any], counts: dict[str, int], findings: Findings) -> None:
    """Decode the sample's window, load and validate its keypoints; count what the run would meet."""
    files = FileClipReader()
    broken, readable, video_frames, video_size = False, False, None, None
    if files.video_present(row):
        counts["videos_present"] += 1
        reason, video_frames, video_size = _decode_window(files, row)
        if reason:
            broken = True
            findings.unreadable(row, row["video"], reason)
        else:
            readable = True
    else:
        counts["videos_missing"] += 1
    track = None
    if files.keypoints_present(row):
        counts["keypoints_present"] += 1
        track, reason = _read_track(row)
        if track is None:
            broken = True
            findings.unreadable(row, row["keypoints"], reason)
        else:
            readable = True
            if video_frames is not None and len(track.values) != video_frames:
                counts["keypoints_length_mismatch"] += 1
                findings.mismatched.append(f"sample {row['sample_id']}: {len(track.values)} keypoint frames, "
                                           f"{video_frames} video frames")
            finding = outside_frame(track, video_size)
            if finding:
                counts["keypoints_outside_frame"] += 1
                findings.outside.append(f"sample {row['sample_id']}: {finding}")
    findings.score(row, track, video_size)
    counts["unreadable"] += broken
    counts["usable"] += readable and not broken


def _decode_window(files: FileClipReader, row: dict[str, Any]) -> tuple[Optional[str], Optional[int],
                                                                         Optional[tuple[int, int]]]:
    """(why the window does not decode, None, None) or (None, the video's frames, (width, height)):
    every frame of the sample's [start, end) window is decoded, as training may read any of them."""
    try:
        source = files.open(row, need_video=True, need_keypoints=False)
        start, end = source.clip_range()
        for first in range(start, end, DECODE_CHUNK):
            decoded = source.frames(range(first, min(first + DECODE_CHUNK, end)))  # (t, H, W, 3)
        total = source._video.num_frames  # the whole file's frames (FileClipSource exposes no accessor yet)
        return None, int(total), (int(decoded.shape[2]), int(decoded.shape[1]))
    except VideoUnreadable as error:
        return str(error), None, None


def _read_track(row: dict[str, Any]) -> tuple[Optional[KeypointTrack], str]:
    """The sample's keypoint track as the loader reads it, or (None, why it is unusable)."""
    try:
        track = read_row_keypoints(row)
    except KeypointsUnavailable as error:
        return None, str(error)
    except (ValueError, TypeError) as error:  # an entry of the wrong type (the loader skips it too)
        return None, f"{row['keypoints']}: not a keypoint array ({error})"
    if track.frame_size is None and not row.get("video"):  # the loader could not place them either
        return None, no_frame_reason(row)
    values = np.asarray(track.values)
    if values.ndim != 3 or values.shape[-1] < 3 or not np.issubdtype(values.dtype, np.number):
        return None, f"{row['keypoints']}: expected (frames, keypoints, 3) numbers, got shape {values.shape}"
    if values.shape[0] == 0:
        return None, f"{row['keypoints']}: the keypoint track has 0 frames"
    return track, ""


def outside_frame(track: KeypointTrack, video_size: Optional[tuple[int, int]]) -> Optional[str]:
    """Why a track's keypoints lie outside the frame (the rule above), or None. The frame is the
    decoded video's when there is one (the declared frame rescaled to it, as the loader does), else
    the declared frame; keypoints in the pixels of a missing video cannot be checked."""
    values, frame = track_in_frame(track, video_size)
    if frame is None:
        return None
    confident = values[values[..., 2] > OUTSIDE_SCORE]  # (n, 3)
    if len(confident) == 0:
        return None
    size = np.asarray(frame, np.float32)
    xy = confident[:, :2]
    beyond = ((xy < -OUTSIDE_MARGIN * size) | (xy > (1 + OUTSIDE_MARGIN) * size)).any(axis=1)  # (n,)
    if beyond.mean() <= OUTSIDE_FRACTION:
        return None
    declared = track.values[track.values[..., 2] > OUTSIDE_SCORE][:, :2]
    where = f"the {format_frame(frame)} video" if video_size else f"its declared {format_frame(frame)} frame"
    low, high = declared.min(axis=0), declared.max(axis=0)
    reach = f"x {low[0]:.0f}..{high[0]:.0f}, y {low[1]:.0f}..{high[1]:.0f}"
    frame_text = format_frame(track.frame_size) if track.frame_size is not None else "the video's pixels"
    return (f"{beyond.mean():.0%} of its confident points lie outside {where} (declared frame: {frame_text}; "
            f"the points span {reach})")


def track_in_frame(track: KeypointTrack, video_size: Optional[tuple[int, int]]) -> tuple[np.ndarray,
                                                                                       Optional[tuple[int, int]]]:
    """(T, 63, 3) in the frame they are checked in, and that frame: the decoded video's (the declared
    frame rescaled to it, as the loader does), else the declared one, else None (unknown)."""
    frame = video_size or track.frame_size
    if frame is None or track.frame_size is None:
        return track.values, frame
    return rescale_keypoints(track.values, track.frame_size, frame), frame
