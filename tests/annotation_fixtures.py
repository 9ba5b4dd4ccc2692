"""Annotation files in the official WLASL, MS-ASL and NMFs-CSL formats, generated for the tests.

The real files carry their datasets' research-only licences (C-UDA), so the repository holds none
of them. These fixtures have the official schemas (every field with its JSON type, WLASL's 1-based
`frame_start` and `frame_end` -1, MS-ASL's frame numbers beside times in seconds, URLs with and
without a scheme, the optional `review` field, clips listed twice, digit-only class names) with
made-up content, deterministic and sized for fast tests. `../shared/data/annotations`, when present,
holds real excerpts: test_data_annotations.py checks that the fixtures' fields and types match them.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

# --- WLASL_v0.3.json: [{gloss, instances: [...]}], class index = gloss order ---------------------
WLASL_GLOSSES = ("book", "water", "mother", "before", "house", "green", "teacher", "apple", "school", "friend",
                 "cold", "winter", "dog", "play", "thank you", "eat", "family", "red", "work", "all")
# The first four instances of 'book' (all train) are the ones the tests give files to; 68208 ends at
# frame 60 (frame_start 1, an explicit end), the others run to the end of their video.
WLASL_NAMED = (("69241", -1), ("65225", -1), ("68011", -1), ("68208", 60))
WLASL_SOURCES = ("aslbrick", "aslpro", "aslsignbank", "handspeak", "signingsavvy", "valencia-asl", "youtube")
WLASL_FRAMES = ((1280, 720), (640, 480), (320, 240))


def wlasl_split_counts(label: int) -> tuple[int, int, int]:
    """(train, val, test) instances of gloss `label`: fewer for later (less frequent) glosses."""
    return 18 - (6 * label) // 19, 4 if label < 10 else 3, 4 if label < 5 else 3


def _youtube_id(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(rng.choice(alphabet) for _ in range(11))


def _wlasl_instance(rng: random.Random, number: int, gloss: str, position: int, video_id: str, split: str,
                    frame_end: int | None = None) -> dict[str, Any]:
    width, height = rng.choice(WLASL_FRAMES)
    frame_start = 1
    if frame_end is None:
        frame_end = -1
        if number % 9 == 4:  # a sign inside a longer video (WLASL's trimmed instances)
            frame_start = rng.randint(200, 6000)
            frame_end = frame_start + rng.randint(40, 120)
        elif number % 9 == 7:  # a whole video with an explicit last frame
            frame_end = rng.randint(45, 80)
    source = rng.choice(WLASL_SOURCES)
    url = (f"https://www.youtube.com/watch?v={_youtube_id(rng)}" if source == "youtube"
           else f"https://{source}.example/{gloss.replace(' ', '-')}/{position}.mp4")
    bbox = [rng.randint(0, width // 3), rng.randint(0, height // 10), rng.randint(2 * width // 3, width),
            rng.randint(height * 3 // 4, height)]
    variation = 2 if number % 31 == 5 else 1 if number % 7 == 3 else 0
    return {"bbox": bbox, "fps": 25, "frame_end": frame_end, "frame_start": frame_start, "instance_id": position,
            "signer_id": rng.randint(1, 130), "source": source, "split": split, "url": url,
            "variation_id": variation, "video_id": video_id}


def wlasl_entries() -> list[dict[str, Any]]:
    """A WLASL_v0.3.json of 20 glosses (a fresh copy each call; tests mutate it)."""
    rng = random.Random(2000)
    entries, number = [], 0
    for label, gloss in enumerate(WLASL_GLOSSES):
        train, val, test = wlasl_split_counts(label)
        rest = ["train"] * (train - 4) + ["val"] * val + ["test"] * test
        rng.shuffle(rest)
        instances = []
        for position, split in enumerate(["train"] * 4 + rest):
            if label == 0 and position < len(WLASL_NAMED):
                video_id, frame_end = WLASL_NAMED[position]
                instances.append(_wlasl_instance(rng, number, gloss, position, video_id, split, frame_end))
            else:  # unique five-digit ids, half of them with a leading zero as in the official file
                video_id = f"{(60000 if number % 2 else 1000) + number:05d}"
                instances.append(_wlasl_instance(rng, number, gloss, position, video_id, split))
            number += 1
        entries.append({"gloss": gloss, "instances": instances})
    return entries


# --- MS-ASL: MSASL_{train,val,test}.json (lists of samples) + MSASL_classes.json --------------------
_WORDS = ("water", "hello", "mother", "book", "green", "friend", "eat", "cold", "school", "dog", "sister", "milk",
          "brother", "teacher", "father", "happy", "like", "learn", "sign", "name", "what", "where", "who", "want",
          "why", "yes", "good", "bad", "help", "more", "finish", "again", "slow", "fast", "hot", "no", "winter",
          "summer", "red", "blue", "orange", "black", "white", "deaf", "cat", "bird", "horse", "fish", "apple",
          "bread", "car", "bus", "house", "work", "play", "sleep", "walk", "run", "read", "write")
MSASL_NUMERIC = {475: "30", 849: "100", 941: "50"}  # digit-only class names, as the official list has
MSASL_SPECIAL = {120: "put_down", 121: "can't", 122: "how_many"}  # underscores and apostrophes


def msasl_classes() -> list[str]:
    """1,000 distinct class names in label order: words, then word pairs, a few odd ones."""
    pairs = (f"{a} {b}" for a in _WORDS for b in _WORDS if a != b)
    names = []
    for label in range(1000):
        special = MSASL_NUMERIC.get(label) or MSASL_SPECIAL.get(label)
        names.append(special or (_WORDS[label] if label < len(_WORDS) else next(pairs)))
    return names


def msasl_split_counts(label: int) -> tuple[int, int, int]:
    """(train, val, test) samples of class `label` < 10."""
    return 10 + label, 3 + label % 3, 2 + label % 2


# Samples of higher classes: msasl100 must leave them out (label 100 is the first one it drops).
MSASL_HIGH_LABELS = {"train": (100, 250, 475, 999), "val": (130, 700), "test": (199, 500)}
MSASL_FIRST_TRAIN = ("www.youtube.com/watch?v=Qm1x-Y_9fZ0", 0, 52)  # url (no scheme), start, end


def _msasl_sample(rng: random.Random, label: int, name: str, review: bool) -> dict[str, Any]:
    fps = rng.choice((29.97, 29.97, 25.0, 30.0, 23.976))
    start_time = 0.0 if rng.random() < 0.2 else round(rng.uniform(1, 600), 3)
    start = round(start_time * fps)
    end = start + rng.randint(30, 120)
    url = f"https://www.youtube.com/watch?v={_youtube_id(rng)}"
    if rng.random() < 0.1:
        url = url.removeprefix("https://")
    org_text = rng.choice((name, name.upper(), name.capitalize(), name + " ", f"{name.capitalize()} (1 handed)"))
    y0, x0 = rng.uniform(0, 0.2), rng.uniform(0, 0.4)
    sample = {"org_text": org_text, "clean_text": name, "start_time": start_time, "signer_id": rng.randint(0, 200),
              "signer": rng.choice((-1, -1, rng.randint(0, 60))), "start": start, "end": end,
              "file": f"{name} - vocabulary {rng.randint(1, 40)}", "label": label,
              "height": rng.choice((360.0, 352.0, 480.0)), "fps": fps, "end_time": round(end / fps, 3), "url": url}
    if review:
        sample["review"] = 1
    sample.update({"text": name, "box": [y0, x0, rng.uniform(0.8, 1.0), rng.uniform(x0 + 0.4, 1.0)],
                   "width": rng.choice((640.0, 480.0))})
    return sample


def msasl_samples() -> dict[str, list[dict[str, Any]]]:
    """Train, val and test samples of classes 0-9 plus a few higher ones (fresh copies each call)."""
    rng = random.Random(1000)
    names = msasl_classes()
    splits = {}
    for index, split in enumerate(("train", "val", "test")):
        labels = [label for label in range(10) for _ in range(msasl_split_counts(label)[index])]
        labels += MSASL_HIGH_LABELS[split]
        rng.shuffle(labels)
        splits[split] = [_msasl_sample(rng, label, names[label], rng.random() < 0.3) for label in labels]
    first = splits["train"][0]
    first["url"], first["start"], first["end"] = MSASL_FIRST_TRAIN
    first["start_time"], first["end_time"] = 0.0, round(52 / first["fps"], 3)
    twice = dict(splits["train"][5], org_text=splits["train"][5]["clean_text"].upper())
    splits["train"].insert(17, twice)  # the official files list a few clips twice
    return splits


def msasl_split_sizes(below: int) -> dict[str, int]:
    """How many samples of each split have label < `below`."""
    return {split: sum(sample["label"] < below for sample in samples) for split, samples in msasl_samples().items()}


# --- writers: a data root with the files under their official names ------------------------------
def write_wlasl(root: Path, entries: list[dict[str, Any]] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "WLASL_v0.3.json").write_text(json.dumps(wlasl_entries() if entries is None else entries))
    return root


def write_msasl(root: Path, samples: dict[str, list[dict[str, Any]]] | None = None,
                classes: Any = None) -> Path:
    """`classes`: what MSASL_classes.json holds (None: msasl_classes())."""
    root.mkdir(parents=True, exist_ok=True)
    for split, content in (msasl_samples() if samples is None else samples).items():
        (root / f"MSASL_{split}.json").write_text(json.dumps(content))
    (root / "MSASL_classes.json").write_text(json.dumps(msasl_classes() if classes is None else classes))
    return root


def write_nmfs_csl(root: Path) -> Path:
    """NMFs-CSL split lists: 20 training videos of labels 0-6 (signers P00-P19), 5 test videos of
    signer P50 after a comment line, a trailing empty line; no val.txt (NMFs-CSL has no dev split)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.txt").write_text("".join(f"P{i:02d}/sign_{i % 7:04d}.mp4 {i % 7}\n" for i in range(20)))
    (root / "test.txt").write_text("# signer P50\n" + "".join(f"P50/sign_{i:04d}.mp4 {i}\n" for i in range(5)) + "\n")
    return root
