"""The embedded synthetic benchmark: deterministic, look-alike pairs by design, atomic cache."""
from __future__ import annotations

import numpy as np

from slrbench.data.synthetic import GLOSSES, class_programs, generate_samples
from slrbench.interfaces import DatasetContext
from slrbench.registry import default_registry

SMALL = {"train": 2, "val": 1, "test": 1}


def test_same_seed_same_benchmark_other_seed_other_benchmark():
    a, b = generate_samples(0, 20, SMALL, 64), generate_samples(0, 20, SMALL, 64)
    c = generate_samples(1, 20, SMALL, 64)
    assert [s.sample_id for s in a] == [s.sample_id for s in b]
    assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, b))
    assert not all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, c) if x.keypoints.shape == y.keypoints.shape)


def test_mean_frames_sets_clip_lengths_and_its_default_keeps_the_benchmark():
    default, explicit = generate_samples(0, 20, SMALL, 64), generate_samples(0, 20, SMALL, 64, mean_frames=40)
    assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(default, explicit))
    assert {len(s.keypoints) for s in default} <= set(range(24, 61))
    short = [len(s.keypoints) for s in generate_samples(0, 20, SMALL, 64, mean_frames=16)]
    assert min(short) >= 10 and max(short) <= 24 and 13 <= np.mean(short) <= 19


def test_look_alike_pairs_share_one_program_and_every_other_class_differs():
    programs = dict(zip(GLOSSES, class_programs(0, 20)))
    assert programs["cold"] == programs["winter"] and programs["table"] == programs["afternoon"]
    others = [p for g, p in programs.items() if g not in ("winter", "afternoon")]
    assert len(set(others)) == len(others)


def test_classes_are_real_glosses_and_splits_use_different_signers():
    dataset = default_registry().build("datasets", "synthetic", {}, DatasetContext())
    names = dataset.class_names("synthetic")
    assert {"cold", "winter", "table", "afternoon"} <= set(names) and len(names) == 20
    signers = {split: {s.signer for s in dataset.samples if s.split == split} for split in ("train", "val", "test")}
    assert not (signers["train"] & signers["test"]) and not (signers["train"] & signers["val"])
    counts = dataset.manifest("synthetic")["split"].value_counts().to_dict()
    assert counts == {"train": 480, "val": 120, "test": 160}


def test_cache_is_written_once_atomically_and_read_as_files(tmp_path):
    options = {"num_classes": 4, "train_per_class": 1, "val_per_class": 1, "test_per_class": 1,
               "cache_dir": str(tmp_path)}
    dataset = default_registry().build("datasets", "synthetic", options, DatasetContext())
    folders = [p.name for p in tmp_path.iterdir()]
    assert folders == [dataset.folder.name] and (dataset.folder / "manifest.csv").is_file()  # no staging left
    table = dataset.manifest("synthetic")
    assert len(table) == 12 and all((dataset.folder / "videos").joinpath(f"{i}.mp4").is_file() for i in table["sample_id"])
    assert dataset.clip_reader() is None
    stamp = (dataset.folder / "manifest.csv").stat().st_mtime_ns
    again = default_registry().build("datasets", "synthetic", options, DatasetContext())
    assert again.folder == dataset.folder and (dataset.folder / "manifest.csv").stat().st_mtime_ns == stamp


def test_frames_rendered_together_equal_frames_rendered_one_by_one():
    """render_frames places the blobs of all requested frames at once; no frame may see another's."""
    from slrbench.data.synthetic import make_signer, render_frames

    sample = generate_samples(0, 20, {"train": 1, "val": 1, "test": 1}, 64)[5]
    signer = make_signer(0, sample.signer)
    indices = [0, 3, 7, 7, len(sample.keypoints) - 1]
    together = render_frames(sample, signer, 64, indices)
    alone = np.concatenate([render_frames(sample, signer, 64, [index]) for index in indices])
    assert together.shape == (5, 64, 64, 3) and together.dtype == np.uint8
    assert np.array_equal(together, alone) and not np.array_equal(together[0], together[4])
