"""Data roots in the files' schemas as ASL Citizen, AUTSL and LSA64 distribute them, generated
for the tests with made-up content (the real files are licensed for research use only, so the
repository holds none). Each writer can also put real, tiny H.264 MP4s (PyAV) where the dataset
keeps its videos, so that `data check` and training read them."""
from __future__ import annotations

import shutil
import zlib
from pathlib import Path

import numpy as np

# --- ASL Citizen: splits/{train,val,test}.csv + videos/ ----------------------------------------
# Glosses as the dataset writes them: upper case, words joined, variant digits, digit-led names.
ASL_CITIZEN_GLOSSES = ("NOTMIND", "SAIL1", "REMEMBER2", "9OCLOCK", "BOOK", "APPLE")
ASL_CITIZEN_SIGNERS = {"train": ("P1", "P2", "P3"), "val": ("P4",), "test": ("P5",)}
ASL_CITIZEN_HEADER = "Participant ID,Video file,Gloss,ASL-LEX Code"


def asl_citizen_video(gloss: str, signer: str) -> str:
    """A file name in the dataset's style: a long number, a dash, the recorded word."""
    return f"{zlib.crc32(f'{gloss}/{signer}'.encode()) * 7919:017d}-{gloss.rstrip('0123456789')}.mp4"


def write_asl_citizen(root: Path, with_videos: bool = False) -> Path:
    (root / "splits").mkdir(parents=True, exist_ok=True)
    for split, signers in ASL_CITIZEN_SIGNERS.items():
        lines = [ASL_CITIZEN_HEADER]
        for signer in signers:
            for number, gloss in enumerate(ASL_CITIZEN_GLOSSES):
                code = "NA" if gloss == "9OCLOCK" else f"C_0{number}_01{number}"
                lines.append(f"{signer},{asl_citizen_video(gloss, signer)},{gloss},{code}")
        (root / "splits" / f"{split}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        if with_videos:
            for signer in signers:
                for gloss in ASL_CITIZEN_GLOSSES:
                    name = asl_citizen_video(gloss, signer)
                    place_video(root / "videos" / name, root / "keypoints" / name.replace(".mp4", ".npy"))
    return root


# --- AUTSL: train/ val/ test/ + *_labels.csv (no header) + SignList_ClassId_TR_EN.csv ---------------
AUTSL_SIGNERS = {"train": (0, 1, 2), "val": (3,), "test": (4,)}
AUTSL_LABEL_FILES = {"train": "train_labels.csv", "val": "validation_labels.csv", "test": "test_labels.csv"}
AUTSL_USED_CLASSES = 4  # samples exist for classes 0..3 only (an excerpt of the 226)
AUTSL_NAMES = (("abla", "sister"), ("acele", "hurry"), ("açık", "open"), ("ağaç", "tree"))


def autsl_sign_list() -> list[tuple[int, str, str]]:
    """226 (ClassId, TR, EN) rows: the first four real-looking, with Turkish letters, then made-up ones."""
    rows = [(i, tr, en) for i, (tr, en) in enumerate(AUTSL_NAMES)]
    return rows + [(i, f"işaret{i}", f"sign {i}") for i in range(len(rows), 226)]


def autsl_sample_names(split: str) -> list[tuple[str, int]]:
    return [(f"signer{signer}_sample{signer * 10 + label + 1}", label)
            for signer in AUTSL_SIGNERS[split] for label in range(AUTSL_USED_CLASSES)]


def write_autsl(root: Path, with_videos: bool = False, test_labels: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    sign_list = "ClassId,TR,EN\n" + "".join(f"{i},{tr},{en}\n" for i, tr, en in autsl_sign_list())
    (root / "SignList_ClassId_TR_EN.csv").write_text("\ufeff" + sign_list, encoding="utf-8")  # with a BOM
    for split, name in AUTSL_LABEL_FILES.items():
        if split == "test" and not test_labels:
            continue
        samples = autsl_sample_names(split)
        (root / name).write_text("".join(f"{sample},{label}\n" for sample, label in samples))
        if with_videos:
            for sample, _ in samples:
                for modality in ("color", "depth"):
                    place_video(root / split / f"{sample}_{modality}.mp4", root / "keypoints" / f"{sample}_{modality}.npy")
    return root


# --- LSA64: <sign>_<signer>_<repetition>.mp4, as the archive unpacks (all/) --------------------------
def write_lsa64(root: Path, signs: tuple[int, ...] = (1, 2, 8), signers: int = 10, repetitions: int = 5) -> Path:
    """Real tiny videos named as the dataset names them (they are the annotation)."""
    for sign in signs:
        for signer in range(1, signers + 1):
            for repetition in range(1, repetitions + 1):
                name = f"{sign:03d}_{signer:03d}_{repetition:03d}"
                place_video(root / "all" / f"{name}.mp4", root / "keypoints" / f"{name}.npy")
    return root


# --- videos ------------------------------------------------------------------------------------------
_TEMPLATE: dict[str, Path] = {}


def place_video(path: Path, keypoints: Path | None = None) -> None:
    """A real 16-frame 64x64 H.264 MP4 at `path` (encoded once per session, then copied), and its
    whole-body keypoints (16, 133, 3) in the video's pixels at `keypoints`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if keypoints is not None:
        keypoints.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(len(path.name))
        points = rng.uniform(8, 56, size=(16, 133, 3)).astype(np.float32)
        points[..., 2] = 0.9
        np.save(keypoints, points)
    if "video" not in _TEMPLATE or not _TEMPLATE["video"].is_file():
        _TEMPLATE["video"] = path
        _encode(path)
    else:
        shutil.copyfile(_TEMPLATE["video"], path)


def _encode(path: Path, frames: int = 16) -> None:
    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.height, stream.width, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(frames):
            picture = np.zeros((64, 64, 3), np.uint8)
            picture[:, (i * 4) % 64] = 255  # a bar that moves
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
