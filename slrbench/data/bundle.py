"""The reference's data bundle, read as NLA-SLR's authors distribute it (docs/data.md).

Its shared folders hold per dataset: split pickles `train.pkl`, `dev.pkl`, `test.pkl` (plain or
gzip; a list of {name, label (the gloss), seq_len (frames), video_file}), the keypoints
`keypoints_hrnet_dark_coco_wholebody.pkl`, word vectors (WLASL, MS-ASL) and the videos zipped
as the reference's README asks. This module turns them into manifest rows, with the reference's
rules (its `dataset/Dataset.py` and `VideoLoader.py`):

    WLASL     entries whose video_file contains 'augmentation' are dropped; subset K keeps the
              names listed in `<K>.json`; classes = the kept training labels, sorted; the video is
              `WLASL2000/<name>.mp4` in `WLASL2000.zip`, of which the first seq_len - 2 frames
              are read (the reference's decoder loses the last two)
    MS-ASL    subset K keeps the labels among the first K of `MSASL_classes.json`, in that order;
              frames `<video_file><frame:04d>.png` in the zip (`msasl_frames1.zip`)
    NMFs-CSL  classes = the training labels, sorted; frames `<video_file>image_<frame+1:05d>.jpg`
              in `NMFs-CSL_video.zip`

Annotation pickles go through the one restricted loader (`slrbench.safe_pickle`): no code runs.
Every entry is validated; problems name the file, the entry and the field, all at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from slrbench.data.annotation_schema import Problems, check_glosses
from slrbench.data.annotations import MSASL_CLASSES, KeypointFinder, read_json
from slrbench.data.zip_archive import archive_reference
from slrbench.errors import UsageError
from slrbench.safe_pickle import PickleRefused, read_data_pickle

SPLIT_PICKLES = {"train": "train.pkl", "val": "dev.pkl", "test": "test.pkl"}  # dev.pkl is optional
ARCHIVES = {"wlasl": "WLASL2000.zip", "msasl": "msasl_frames1.zip", "nmfs-csl": "NMFs-CSL_video.zip"}
WORD_VECTORS = {"wlasl": "wlasl_word_embeddings.pkl", "msasl": "msasl_word_embeddings_fasttext.pkl"}
OFFICIAL_FILES = {"wlasl": ("WLASL_v0.3.json",), "msasl": ("MSASL_train.json",), "nmfs-csl": ("train.txt",)}
LAYOUTS = ("auto", "official", "bundle")
WLASL_DROPPED = "augmentation"  # the reference drops WLASL entries whose video_file contains it
WLASL_LOST_FRAMES = 2  # the reference reads seq_len - 2 frames of each WLASL video


class BundleSample(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)  # other fields are the reference's business

    name: StrictStr = Field(min_length=1)
    label: Union[StrictStr, StrictInt]
    seq_len: StrictInt = Field(ge=1, le=1_000_000)
    video_file: StrictStr


@dataclass
class BundleSubset:
    """One benchmark of a bundle: manifest rows, class names (None: label indices only), warnings."""

    rows: list[dict[str, Any]]
    glosses: Optional[list[str]]
    num_classes: int
    warnings: list[str] = field(default_factory=list)


def choose_layout(root: Path, dataset: str, chosen: str) -> str:
    """'official' or 'bundle': as chosen, or (auto) detected by the files the data root holds."""
    if chosen != "auto":
        return chosen
    bundle = (root / SPLIT_PICKLES["train"]).is_file()
    official = [name for name in OFFICIAL_FILES[dataset] if (root / name).is_file()]
    if bundle and official:
        raise UsageError(f"--data-root {root} holds both the official {official[0]} and the reference's bundle "
                         f"({SPLIT_PICKLES['train']}); choose one with -o dataset.layout=official or "
                         "-o dataset.layout=bundle")
    return "bundle" if bundle else "official"


def find_archive(root: Path, dataset: str, chosen: Optional[Path]) -> tuple[Path, list[str]]:
    """The bundle's video zip (the option's, the reference's name, else the only .zip of the root)
    and a warning when there is none: keypoint-only runs do not need it."""
    if chosen is not None:
        return chosen, [] if chosen.is_file() else [f"dataset.archive: {chosen} does not exist; no video can be read"]
    default = root / ARCHIVES[dataset]
    if default.is_file():
        return default, []
    zips = sorted(path for path in root.glob("*.zip") if path.is_file())
    if len(zips) == 1:
        return zips[0], []
    found = f"; it holds {', '.join(p.name for p in zips)}: choose one" if zips else ""
    return default, [f"the bundle's video archive {default.name} is not in {root}{found} (-o dataset.archive=FILE); "
                     "no video can be read, keypoint-only backbones still train"]


def read_split_pickles(root: Path) -> dict[str, list[BundleSample]]:
    """The split pickles, validated (all problems at once); dev.pkl may be absent."""
    problems = Problems()
    splits: dict[str, list[BundleSample]] = {}
    for split, name in SPLIT_PICKLES.items():
        path = root / name
        if not path.is_file():
            if split == "val":
                continue
            raise UsageError(f"{path} is missing; the reference's bundle has {', '.join(SPLIT_PICKLES.values())} "
                             "(see docs/data.md)")
        try:
            entries = read_data_pickle(path)
        except PickleRefused as error:
            raise UsageError(str(error)) from None
        if not isinstance(entries, list):
            problems.add(path, "", f"expected a list of {{name, label, seq_len, video_file}} entries, got a "
                         f"{type(entries).__name__}")
            continue
        checked = [problems.validate(BundleSample, entry, path, f"entry {number}") for number, entry in enumerate(entries)]
        splits[split] = [sample for sample in checked if sample is not None]
    problems.raise_if_any()
    return splits


def sorted_labels(samples: list[BundleSample], where: Path) -> list[Union[str, int]]:
    """The reference's vocabulary: the distinct training labels, sorted (one type: words or indices)."""
    labels = {sample.label for sample in samples}
    if len({type(label) for label in labels}) > 1:
        raise UsageError(f"{where}: labels mix words and numbers (e.g. {sorted(map(repr, labels))[0]}); the reference "
                         "sorts them, which needs one kind")
    return sorted(labels)


class BundleReader:
    """Manifest rows of one dataset's bundle, per benchmark (`subset(size)`)."""

    def __init__(self, root: Path, dataset: str, archive: Path):
        self.root, self.dataset, self.archive = root, dataset, archive
        self.samples = read_split_pickles(root)
        self.keypoints = KeypointFinder(root, dataset)

    def subset(self, benchmark: str, size: int) -> BundleSubset:
        readers: dict[str, Callable[[str, int], BundleSubset]] = {
            "wlasl": self._wlasl, "msasl": self._msasl, "nmfs-csl": self._nmfs_csl}
        return readers[self.dataset](benchmark, size)

    def _wlasl(self, benchmark: str, size: int) -> BundleSubset:
        names = self._subset_names(size, benchmark)
        kept = {split: [s for s in samples if WLASL_DROPPED not in s.video_file and s.name in names]
                for split, samples in self.samples.items()}
        vocabulary = sorted_labels(kept["train"], self.root / SPLIT_PICKLES["train"])
        glosses = self._glosses(vocabulary)
        return self._rows(kept, vocabulary, glosses, lambda s: f"WLASL2000/{s.name}.mp4", WLASL_LOST_FRAMES, benchmark)

    def _msasl(self, benchmark: str, size: int) -> BundleSubset:
        classes = read_json(self.root / MSASL_CLASSES)
        if not isinstance(classes, list):
            raise UsageError(f"{self.root / MSASL_CLASSES}: expected a list of class names")
        problems = Problems()
        check_glosses(classes, self.root / MSASL_CLASSES, problems, what="class")
        problems.raise_if_any()
        vocabulary = list(classes[:size])
        chosen = set(vocabulary)
        kept = {split: [s for s in samples if s.label in chosen] for split, samples in self.samples.items()}
        return self._rows(kept, vocabulary, [str(g) for g in vocabulary], lambda s: f"{s.video_file}%04d.png", 0,
                          benchmark)

    def _nmfs_csl(self, benchmark: str, size: int) -> BundleSubset:
        vocabulary = sorted_labels(self.samples["train"], self.root / SPLIT_PICKLES["train"])
        glosses = self._glosses(vocabulary) if all(isinstance(v, str) for v in vocabulary) else None
        return self._rows(self.samples, vocabulary, glosses, lambda s: f"{s.video_file}image_%05d.jpg", 0, benchmark)

    def _subset_names(self, size: int, benchmark: str) -> set[str]:
        path = self.root / f"{size}.json"
        if not path.is_file():
            raise UsageError(f"{path} is missing: the reference's bundle lists the videos of {benchmark} there "
                             "(copy it from the reference's WLASL folder)")
        listed = read_json(path)
        if isinstance(listed, dict):
            listed = list(listed)
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            raise UsageError(f"{path}: expected {{video name: ...}} (the reference's subset file) or a list of names")
        return set(listed)

    def _glosses(self, vocabulary: list[Any]) -> list[str]:
        problems = Problems()
        glosses = check_glosses(list(vocabulary), self.root / SPLIT_PICKLES["train"], problems, what="class")
        problems.raise_if_any()
        return glosses

    def _rows(self, kept: dict[str, list[BundleSample]], vocabulary: list[Any], glosses: Optional[list[str]],
              member: Callable[[BundleSample], str], lost: int, benchmark: str) -> BundleSubset:
        index = {label: number for number, label in enumerate(vocabulary)}
        rows, seen, untrained, problems = [], set(), 0, Problems()
        for split, samples in kept.items():
            for position, sample in enumerate(samples):
                if sample.label not in index:
                    untrained += 1
                    continue
                frames = sample.seq_len - lost
                if frames < 1:
                    problems.add(self.root / SPLIT_PICKLES[split], f"sample {sample.name!r}",
                                 f"seq_len {sample.seq_len} leaves no frame (the reference reads seq_len - {lost})")
                    continue
                sample_id = sample.name if sample.name not in seen else f"{sample.name}~{split}{position}"
                seen.add(sample_id)
                keypoints = self.keypoints.reference(sample.name)
                rows.append({"sample_id": sample_id, "split": split, "label": index[sample.label],
                             "gloss": glosses[index[sample.label]] if glosses is not None else "",
                             "video": archive_reference(self.archive, member(sample)), "keypoints": keypoints[0],
                             "start": "", "end": frames, "keypoints_frame": keypoints[1]})
        problems.raise_if_any()
        warnings = []
        if untrained:
            warnings.append(f"{benchmark}: {untrained} sample(s) of the dev / test pickles carry a label no training "
                            "sample has; left out (the reference's classes are the training labels)")
        return BundleSubset(rows, glosses, len(vocabulary), warnings)
