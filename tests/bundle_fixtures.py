"""Tiny data bundles in the reference's schema (NLA-SLR's shared folders), written for the tests.

Each has the split pickles (train.pkl plain, dev.pkl gzip-compressed, test.pkl plain: lists of
{name, label, seq_len, video_file}), the videos zipped as the reference reads them (WLASL: MP4
members `WLASL2000/<name>.mp4`, deflated; MS-ASL: PNG frames `<video_file><frame:04d>.png`,
stored; NMFs-CSL: JPG frames `<video_file>image_<frame+1:05d>.jpg`), the keypoint pickle
{name: (seq_len, 133, 3)} in the reference's frame (256², 512² for NMFs-CSL) and word vectors
{gloss: 300-d}. Videos are real (PyAV, Pillow), made-up and a few frames long.
"""
from __future__ import annotations

import gzip
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np

# Class words in an order that sorting changes (the reference numbers WLASL classes by sorted gloss).
WLASL_WORDS = ("water", "book", "mother", "apple")
MSASL_WORDS = ("hello", "nice", "teacher", "eat")
SPLIT_COUNTS = {"train": 3, "dev": 1, "test": 2}  # per class
FRAMES = 12  # seq_len of every sample
VECTOR_DIM = 300


def clip(seed: int, frames: int = FRAMES, size: int = 32) -> np.ndarray:
    """(T, size, size, 3) uint8: a bright square moving over a tinted background, different per seed."""
    rng = np.random.default_rng(seed)
    video = np.empty((frames, size, size, 3), np.uint8)
    video[:] = rng.integers(20, 120, 3, dtype=np.uint8)
    for t in range(frames):
        x = (seed * 5 + t * 2) % (size - 8)
        video[t, 8:16, x:x + 8] = 230
    return video


def keypoints(seed: int, frames: int, frame: int) -> np.ndarray:
    """(T, 133, 3) float32 x, y in pixels of a frame x frame image, score 0.9."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.2 * frame, 0.8 * frame, (frames, 133, 3)).astype(np.float32)
    values[..., 2] = 0.9
    return values


def _dump(path: Path, value: object, compressed: bool = False) -> None:
    data = pickle.dumps(value)
    path.write_bytes(gzip.compress(data) if compressed else data)


def _splits(root: Path, samples: dict[str, list[dict]]) -> None:
    for split, entries in samples.items():
        _dump(root / f"{split}.pkl", entries, compressed=split == "dev")


def _vectors(root: Path, name: str, glosses: list[str]) -> None:
    rng = np.random.default_rng(7)
    _dump(root / name, {gloss: rng.normal(size=VECTOR_DIM).astype(np.float32) for gloss in glosses})


def write_wlasl_bundle(root: Path) -> Path:
    """4 classes; 100.json lists the videos of the first 3 words, 300/1000/2000.json all of them;
    one training entry is an augmentation (dropped by the reference)."""
    from slrbench.builtins.datasets.synthetic import write_mp4

    root.mkdir(parents=True)
    samples: dict[str, list[dict]] = {split: [] for split in SPLIT_COUNTS}
    names_by_word: dict[str, list[str]] = {word: [] for word in WLASL_WORDS}
    kept, number = {}, 0
    with zipfile.ZipFile(root / "WLASL2000.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for word in WLASL_WORDS:
            for split, count in SPLIT_COUNTS.items():
                for _ in range(count):
                    name = f"{number:05d}"
                    buffer = root / f"{name}.mp4"
                    write_mp4(buffer, clip(number))
                    archive.write(buffer, f"WLASL2000/{name}.mp4")
                    buffer.unlink()
                    samples[split].append({"name": name, "label": word, "seq_len": FRAMES,
                                           "video_file": f"WLASL2000/{name}.mp4"})
                    names_by_word[word].append(name)
                    kept[name] = keypoints(number, FRAMES, 256)
                    number += 1
    samples["train"].append({"name": "00000", "label": "water", "seq_len": FRAMES,
                             "video_file": "augmentation/00000_flip.mp4"})
    _splits(root, samples)
    first_three = {name: {"subset": "train"} for word in WLASL_WORDS[:3] for name in names_by_word[word]}
    (root / "100.json").write_text(json.dumps(first_three))
    every = {name: {"subset": "train"} for names in names_by_word.values() for name in names}
    for size in (300, 1000, 2000):
        (root / f"{size}.json").write_text(json.dumps(every))
    _dump(root / "keypoints_hrnet_dark_coco_wholebody.pkl", kept)
    _vectors(root, "wlasl_word_embeddings.pkl", list(WLASL_WORDS))
    return root


def _image_bytes(frame: np.ndarray, kind: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format=kind, **({"quality": 95} if kind == "JPEG" else {}))
    return buffer.getvalue()


def write_msasl_bundle(root: Path) -> Path:
    """MSASL_classes.json of 120 words; samples of classes 0-3 and of class 110 (only in msasl200+)."""
    root.mkdir(parents=True)
    classes = list(MSASL_WORDS) + [f"sign{i:03d}" for i in range(4, 120)]
    (root / "MSASL_classes.json").write_text(json.dumps(classes))
    samples: dict[str, list[dict]] = {split: [] for split in SPLIT_COUNTS}
    kept, number = {}, 0
    with zipfile.ZipFile(root / "msasl_frames1.zip", "w", zipfile.ZIP_STORED) as archive:
        for label in (0, 1, 2, 3, 110):
            for split, count in SPLIT_COUNTS.items():
                for _ in range(count):
                    name = f"clip{number:04d}"
                    video_file = f"msasl_frames1/{split}/{name}/"
                    for frame_number, frame in enumerate(clip(number)):
                        archive.writestr(f"{video_file}{frame_number:04d}.png", _image_bytes(frame, "PNG"))
                    samples[split].append({"name": name, "label": classes[label], "seq_len": FRAMES,
                                           "video_file": video_file})
                    kept[name] = keypoints(number, FRAMES, 256)
                    number += 1
    _splits(root, samples)
    _dump(root / "keypoints_hrnet_dark_coco_wholebody.pkl", kept)
    _vectors(root, "msasl_word_embeddings_fasttext.pkl", classes)
    return root


def write_nmfs_csl_bundle(root: Path) -> Path:
    """4 classes with integer labels (index-only), JPG frames of 48²; keypoints in 512² pixels."""
    root.mkdir(parents=True)
    samples: dict[str, list[dict]] = {split: [] for split in SPLIT_COUNTS}
    kept, number = {}, 0
    with zipfile.ZipFile(root / "NMFs-CSL_video.zip", "w", zipfile.ZIP_STORED) as archive:
        for label in (7, 3, 12, 5):
            for split, count in SPLIT_COUNTS.items():
                for _ in range(count):
                    name = f"P{number:02d}_{label:04d}"
                    video_file = f"NMFs-CSL/{name}/"
                    for frame_number, frame in enumerate(clip(number, size=48)):
                        archive.writestr(f"{video_file}image_{frame_number + 1:05d}.jpg", _image_bytes(frame, "JPEG"))
                    samples[split].append({"name": name, "label": label, "seq_len": FRAMES, "video_file": video_file})
                    kept[name] = keypoints(number, FRAMES, 512)
                    number += 1
    _splits(root, samples)
    _dump(root / "keypoints_hrnet_dark_coco_wholebody.pkl", kept)
    return root
