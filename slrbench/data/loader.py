"""The clip loader: manifest rows -> batches of backbone inputs, with workers and pinned memory.

Workers decode the window's frames and ship them as uint8 with the sample's draws; the video is
made on the training device in batch (`slrbench.data.video_batch`). Keypoint streams (a few
kilobytes a clip) are made in the workers, where plugin streams derive from them.

A batch is {"inputs": {stream: tensor}, "label": (B,) long, "sample_id": [B]}, with the streams
the backbone declares (`slrbench.inputs`: video, keypoints on the heatmap grid, keypoint
coordinates normalised to the crop, their crop's zoom, and streams a plugin derives from these
in the worker), keypoint channels chosen by the backbone's clip geometry;
test batches also carry "views", a list of such inputs dicts (start, middle, end for 3 crops) of
which "inputs" is the middle one. Evaluation crops the whole frame or the central box (`test_view`).
A sample whose video or keypoints are missing or unreadable is skipped in the worker and counted
in `ClipLoader.report` (by reason), never raised: one bad file costs one sample.
Randomness (window, crop box, jitter) is drawn from (seed, epoch, sample), so it does not depend
on the number of workers.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Mapping, Optional, Sequence

import numpy as np
import torch

from slrbench.data.decoding import VideoUnreadable
from slrbench.data.keypoints import KeypointsUnavailable, rescale_keypoints
from slrbench.data.sampling import epoch_order
from slrbench.data.sources import ClipReader, ClipSource, FileClipReader, window_frames
from slrbench.data.transforms import (
    TEST_VIEWS, ColourJitter, CropBox, crop_keypoints, evaluation_windows, normalise_keypoints, train_window,
)
from slrbench.data.video_batch import FRAMES, collate_frames, make_videos, sample_frames
from slrbench.data.yuv import YUV420Frames
from slrbench.errors import UsageError
from slrbench.inputs import InputStream, loader_streams, stream_table

UNREADABLE = (VideoUnreadable, KeypointsUnavailable)
VIDEO_TRANSPORTS = ("auto", "rgb", "yuv420")


@dataclass(frozen=True)
class LoaderSettings:
    inputs: tuple[str, ...] = ("video", "keypoints")  # the streams the backbone consumes
    num_frames: int = 64
    video_size: int = 224
    heatmap_size: int = 112
    crop_scale: tuple[float, float] = (0.7, 1.0)
    crop_ratio: tuple[float, float] = (0.75, 1.3)
    jitter_probability: float = 0.3
    test_view: str = "full"  # evaluation box: "full" frame (the reference) or "center-crop" (224/256)
    streams: tuple[InputStream, ...] = ()  # the backbone plugin's own (derived) streams
    keypoint_channels: Optional[tuple[int, ...]] = None  # of the 63; None: all
    # how workers ship decoded frames: "rgb", "yuv420" (I420 planes where PyAV decodes them, converted
    # on the device: `slrbench.data.yuv`), or "auto": yuv420 to a GPU, rgb to a CPU (whose workers then
    # convert in parallel with the step, instead of the step's own process)
    video_transport: str = "auto"

    def made_streams(self) -> tuple[str, ...]:
        """The built-in streams the loader makes (those consumed, and those derived streams need)."""
        return loader_streams(self.inputs, stream_table(self.streams))

    def derived_streams(self) -> list[InputStream]:
        return [stream for stream in self.streams if stream.name in self.inputs]


@dataclass
class Skipped:
    sample_id: str
    reason: str


@dataclass
class LoaderReport:
    """What the loader met: decoders used and the samples it skipped (first reason of each)."""

    decoders: Counter = field(default_factory=Counter)
    skipped: dict[str, str] = field(default_factory=dict)
    short_tracks: dict[str, str] = field(default_factory=dict)  # keypoints end before the clip: last ones repeated

    def as_dict(self) -> dict[str, Any]:
        return {"decoders": dict(self.decoders), "skipped": len(self.skipped),
                "skipped_samples": dict(sorted(self.skipped.items())),
                "short_keypoint_tracks": dict(sorted(self.short_tracks.items()))}


def load_sample(source: ClipSource, settings: LoaderSettings, train: bool, views: int,
                rng: np.random.Generator, video_here: bool = False) -> dict[str, Any]:
    """One sample: "views", each {stream: tensor without the batch dimension} of the keypoint and
    derived streams, and the decoded frames with their draws (`video_batch.sample_frames`) from which
    the device makes the video - or, with `video_here` (a plugin stream derives from the video in
    the worker), the video itself in each view."""
    made = settings.made_streams()
    planar = settings.video_transport == "yuv420"
    start, end = source.clip_range()
    length = end - start
    windows = [train_window(length, settings.num_frames, rng)] if train else evaluation_windows(length, settings.num_frames, views)
    outputs: list[dict[str, torch.Tensor]] = [{} for _ in windows]
    sample: dict[str, Any] = {"views": outputs}
    frame_size = None
    if "video" in made:
        needed = np.unique(np.concatenate(windows))  # decode each needed frame once
        frames = window_frames(source, (needed + start).tolist(), planar and not video_here)  # RGB or I420
        frame_size = frames.size if isinstance(frames, YUV420Frames) else (frames.shape[2], frames.shape[1])
    frame_size = frame_size or source.frame_size()
    box = (CropBox.random_resized(frame_size, rng, settings.crop_scale, settings.crop_ratio) if train
           else CropBox.for_test(frame_size, settings.test_view))
    if "video" in made:
        jitter = ColourJitter.draw(rng) if train and rng.random() < settings.jitter_probability else None
        position = {int(index): i for i, index in enumerate(needed)}
        positions = [[position[int(i)] for i in window] for window in windows]
        part = sample_frames(frames, positions, box, jitter)
        if video_here:
            for output, video in zip(outputs, make_videos(collate_frames([part]), settings.video_size, "cpu")):
                output["video"] = video[0]
        else:
            sample[FRAMES] = part
    if "keypoint_zoom" in made:
        track = source.keypoints()
        values = track.values
        if track.frame_size is not None:  # coordinates in another frame (e.g. the reference's 256 x 256)
            values = rescale_keypoints(values, track.frame_size, frame_size)
        if settings.keypoint_channels is not None:
            values = values[:, list(settings.keypoint_channels)]
        if "video" in made and values.shape[0] < end:  # counted, not silent: `data check` lists these too
            sample["short_track"] = f"{values.shape[0]} keypoint frames for a clip up to frame {end}"
        zoom = torch.tensor(box.zoom(frame_size), dtype=torch.float32)  # (2,): frame / box, x and y
        for output, window in zip(outputs, windows):
            points = values[np.clip(window + start, 0, values.shape[0] - 1)]
            if "keypoints" in made:
                output["keypoints"] = crop_keypoints(points, box, settings.heatmap_size)
            if "keypoint_coordinates" in made:
                output["keypoint_coordinates"] = normalise_keypoints(points, box)
            output["keypoint_zoom"] = zoom
    for stream in settings.derived_streams():
        derive = stream.derive_function()
        for output in outputs:
            output[stream.name] = derive({name: output[name] for name in stream.needs})
    return sample


class ClipDataset(torch.utils.data.Dataset):
    """Indexed by (position, epoch); returns a sample dict or a `Skipped`."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], reader: ClipReader, settings: LoaderSettings,
                 train: bool, views: int, seed: int):
        self.rows, self.reader, self.settings = list(rows), reader, settings
        self.train, self.views, self.seed = train, views, seed
        self.video_here = any("video" in stream.needs for stream in settings.derived_streams())

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: tuple[int, int]) -> dict[str, Any] | Skipped:
        index, epoch = key
        row = self.rows[index]
        rng = np.random.default_rng([self.seed, epoch, index])
        made = self.settings.made_streams()
        need_video, need_keypoints = "video" in made, "keypoint_zoom" in made
        try:
            source = self.reader.open(row, need_video, need_keypoints)
            sample = load_sample(source, self.settings, self.train, self.views, rng, self.video_here)
        except UNREADABLE as error:
            return Skipped(str(row["sample_id"]), str(error))
        return {**sample, "label": int(row["label"]), "sample_id": str(row["sample_id"]), "decoder": source.decoder}


def collate(samples: list[dict[str, Any] | Skipped]) -> dict[str, Any]:
    kept = [s for s in samples if not isinstance(s, Skipped)]
    batch: dict[str, Any] = {
        "skipped": [s for s in samples if isinstance(s, Skipped)],
        "decoders": [s["decoder"] for s in kept],
        "short_tracks": {s["sample_id"]: s["short_track"] for s in kept if "short_track" in s},
        "sample_id": [s["sample_id"] for s in kept],
        "label": torch.tensor([s["label"] for s in kept], dtype=torch.long),
    }
    if kept:
        views = [{key: torch.stack([s["views"][v][key] for s in kept]) for key in kept[0]["views"][v]}
                 for v in range(len(kept[0]["views"]))]
        batch["views"] = views
        batch["inputs"] = views[len(views) // 2]
        if FRAMES in kept[0]:
            batch[FRAMES] = collate_frames([s[FRAMES] for s in kept])
    return batch


class ClipLoader:
    """Batches of one split on `device`. `batches()` shuffles per epoch; `batches(index_batches=...)`
    follows a given plan (the trainer's, identical for any world size). The workers decode; the video
    is made on `device` (`slrbench.data.video_batch`), from host memory pinned when it is a GPU."""

    def __init__(self, manifest: Any, split: str, settings: LoaderSettings = LoaderSettings(), *,
                 reader: Optional[ClipReader] = None, train: Optional[bool] = None, views: int = 1,
                 batch_size: int = 4, num_workers: int = 0, pin_memory: Optional[bool] = None, seed: int = 0,
                 device: torch.device | str = "cpu"):
        rows = [row for row in _records(manifest) if row["split"] == split]
        if not rows:
            raise UsageError(f"split '{split}' has no samples; run `slrbench data check` to see what the data root holds")
        if views not in (1, 3):
            raise UsageError(f"views must be 1 or 3 (got {views})")
        known = stream_table(settings.streams)
        unknown = sorted(set(settings.inputs) - set(known))
        if unknown:
            raise UsageError(f"the loader provides {', '.join(known)}, not {', '.join(unknown)}")
        if settings.test_view not in TEST_VIEWS:
            raise UsageError(f"test_view must be one of {', '.join(TEST_VIEWS)} (got '{settings.test_view}')")
        if settings.video_transport not in VIDEO_TRANSPORTS:
            raise UsageError(f"video_transport must be one of {', '.join(VIDEO_TRANSPORTS)} (got '{settings.video_transport}')")
        self.device = torch.device(device)
        if settings.video_transport == "auto":
            settings = replace(settings, video_transport="yuv420" if self.device.type == "cuda" else "rgb")
        self.split, self.settings = split, settings
        self.train = split == "train" if train is None else train
        self.reader = reader or FileClipReader(planar=settings.video_transport == "yuv420")
        self.dataset = ClipDataset(rows, self.reader, settings, self.train, views, seed)
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self.pin_memory = self.device.type == "cuda" if pin_memory is None else pin_memory
        self.report = LoaderReport()
        _preload_pickles(rows, settings)

    def __len__(self) -> int:
        return len(self.dataset)

    def batches(self, epoch: int = 0, index_batches: Optional[list[list[int]]] = None,
                keep_empty: bool = False) -> Iterator[dict[str, Any]]:
        """Batches in plan order, their inputs on the loader's device. `keep_empty` also yields batches
        whose every sample was unreadable (no "inputs"), so a trainer can keep its steps aligned with
        the plan and the other processes."""
        for batch in self.host_batches(epoch, index_batches, keep_empty):
            yield self.to_device(batch)

    def to_device(self, batch: dict[str, Any]) -> dict[str, Any]:
        """A batch from `host_batches` with its inputs on the loader's device, the video made there."""
        return batch_to_device(batch, self.settings.video_size, self.device)

    def host_batches(self, epoch: int = 0, index_batches: Optional[list[list[int]]] = None,
                     keep_empty: bool = False) -> Iterator[dict[str, Any]]:
        """Batches as the workers deliver them: the video still as decoded frames (`FRAMES`)."""
        if index_batches is None:
            order = epoch_order(len(self), self.seed, epoch) if self.train else list(range(len(self)))
            index_batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        plan = [[(index, epoch) for index in batch] for batch in index_batches]
        loader = torch.utils.data.DataLoader(
            self.dataset, batch_sampler=plan, num_workers=self.num_workers, collate_fn=collate,
            pin_memory=self.pin_memory, persistent_workers=False,
        )
        for batch in loader:
            self.report.decoders.update(batch.pop("decoders"))
            self.report.short_tracks.update(batch.pop("short_tracks"))
            for skipped in batch.pop("skipped"):
                self.report.skipped.setdefault(skipped.sample_id, skipped.reason)
            if batch["sample_id"] or keep_empty:
                yield batch
        if self.report.skipped and len(self.report.skipped) >= len(self):
            first = next(iter(self.report.skipped.values()))
            raise UsageError(f"every sample of split '{self.split}' was unreadable (first: {first}); "
                             "run `slrbench data check`")


def batch_to_device(batch: dict[str, Any], video_size: int, device: torch.device | str) -> dict[str, Any]:
    """A host batch (`ClipLoader.host_batches`) with its inputs on `device` (non-blocking copies from
    pinned memory on a GPU), the video made there from the decoded frames; the frames leave the batch."""
    if "views" not in batch:
        return batch
    views = [{key: value.to(device, non_blocking=True) for key, value in view.items()} for view in batch["views"]]
    if FRAMES in batch:
        videos = make_videos(batch.pop(FRAMES), video_size, device)
        views = [{"video": video, **view} for view, video in zip(views, videos)]
    batch["views"], batch["inputs"] = views, views[len(views) // 2]
    return batch


def _records(manifest: Any) -> list[dict[str, Any]]:
    if hasattr(manifest, "to_dict"):
        return manifest.to_dict("records")
    return [dict(row) for row in manifest]


def _preload_pickles(rows: list[dict[str, Any]], settings: LoaderSettings) -> None:
    """Load keypoint pickles once in this process, so that forked workers share them."""
    if "keypoint_zoom" not in settings.made_streams():
        return
    from slrbench.data.keypoints import load_pickle, split_reference

    for path in {split_reference(str(row.get("keypoints") or ""))[0] for row in rows
                 if "#" in str(row.get("keypoints") or "")}:
        try:
            load_pickle(path)
        except KeypointsUnavailable:
            pass  # each affected sample is skipped and counted when it is read
