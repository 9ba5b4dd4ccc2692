"""LSA64 (Ronchetti et al., CACIC 2016), read from the videos as distributed (raw or cut version):
`<sign>_<signer>_<repetition>.mp4`, three-digit numbers (`001_001_001.mp4`), 64 signs x 10 signers
x 5 repetitions, in --data-root or its `all/` or `videos/` folder. There are no annotation files:
the name is the label. The authors publish no split, so two are offered (docs/data.md):
`lsa64`, signer-independent (signers 1-8 train, 9 val, 10 test, the split OpenHands uses), and
`lsa64-signer-dependent` (repetitions 1-4 train, 5 test: a fixed 80/20 split, the proportion
of the paper's random splits). Class names: the English sign names of the authors' dataset page
(default: the language-aware parts' default embedders are English), or the authors' Spanish
glosses with `-o dataset.class_names=es` (then use a Spanish or multilingual embedder)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from slrbench.builtins.datasets.more import LSA64_CLASSES
from slrbench.builtins.datasets.signer_datasets import Sample, SignerSplitDataset, sample_row
from slrbench.data.annotation_schema import Problems
from slrbench.data.annotations import KeypointFinder
from slrbench.errors import UsageError

VIDEO_NAME = re.compile(r"^(\d{3})_(\d{3})_(\d{3})$")
VIDEO_FOLDERS = ("", "all", "videos")  # the data root, or the folder an archive unpacks to
SIGNERS, REPETITIONS = 10, 5
# Sign 1..64 as the authors' page names them (facundoq.github.io/datasets/lsa64). The page names
# signs 2 and 8 both "Red"; sign 8 is told apart here so that each class has its own name.
SIGN_NAMES = (
    "Opaque", "Red", "Green", "Yellow", "Bright", "Light-blue", "Colors", "Red (sign 8)", "Women", "Enemy",
    "Son", "Man", "Away", "Drawer", "Born", "Learn", "Call", "Skimmer", "Bitter", "Sweet milk", "Milk", "Water",
    "Food", "Argentina", "Uruguay", "Country", "Last name", "Where", "Mock", "Birthday", "Breakfast", "Photo",
    "Hungry", "Map", "Coin", "Music", "Ship", "None", "Name", "Patience", "Perfume", "Deaf", "Trap", "Rice",
    "Barbecue", "Candy", "Chewing-gum", "Spaghetti", "Yogurt", "Accept", "Thanks", "Shut down", "Appear",
    "To land", "Catch", "Help", "Dance", "Bathe", "Buy", "Copy", "Run", "Realize", "Give", "Find",
)
# The same signs as the authors' page names them in Spanish, in the same order (sign 1..64). The
# page could not be fetched while this was written: the words are the page's list as quoted in
# issue 20, checked one by one against the English names above (each is its translation).
# Sign 8 is told apart from sign 2 (both "Rojo") as in English.
SPANISH_SIGN_NAMES = (
    "Opaco", "Rojo", "Verde", "Amarillo", "Brillante", "Celeste", "Colores", "Rojo (seña 8)", "Mujer", "Enemigo",
    "Hijo", "Hombre", "Lejos", "Cajón", "Nacer", "Aprender", "Llamar", "Espumadera", "Amargo", "Leche dulce",
    "Leche", "Agua", "Comida", "Argentina", "Uruguay", "País", "Apellido", "Dónde", "Burla", "Cumpleaños",
    "Desayuno", "Foto", "Hambre", "Mapa", "Moneda", "Música", "Nave", "Ninguno", "Nombre", "Paciencia", "Perfume",
    "Sordo", "Trampa", "Arroz", "Asado", "Caramelo", "Chicle", "Fideos", "Yogur", "Aceptar", "Agradecer", "Apagar",
    "Aparecer", "Aterrizar", "Atrapar", "Ayudar", "Bailar", "Bañarse", "Comprar", "Copiar", "Correr", "Darse cuenta",
    "Dar", "Encontrar",
)
NAMES_BY_LANGUAGE = {"en": SIGN_NAMES, "es": SPANISH_SIGN_NAMES}


def video_folder(root: Path) -> Path:
    for name in VIDEO_FOLDERS:
        folder = root / name if name else root
        if folder.is_dir() and any(folder.glob("*.mp4")):
            return folder
    raise UsageError(f"no LSA64 videos (<sign>_<signer>_<repetition>.mp4) in {root}, {root / 'all'} or "
                     f"{root / 'videos'}; unpack the raw or cut archive there (see docs/data.md)")


def read_lsa64(root: Path, names: tuple[str, ...] = SIGN_NAMES) -> list[Sample]:
    """One sample per video, its gloss from `names`; a name outside the scheme or the dataset's
    ranges is one line each."""
    folder = video_folder(root)
    keypoints = KeypointFinder(root, "lsa64")
    problems = Problems()
    samples = []
    for path in sorted(folder.glob("*.mp4")):
        match = VIDEO_NAME.match(path.stem)
        if match is None:
            problems.add(path, "", "the name is not <sign>_<signer>_<repetition>.mp4 (three digits each)")
            continue
        sign, signer, repetition = (int(part) for part in match.groups())
        if not (1 <= sign <= LSA64_CLASSES and 1 <= signer <= SIGNERS and 1 <= repetition <= REPETITIONS):
            problems.add(path, "", f"sign 1..{LSA64_CLASSES}, signer 1..{SIGNERS} and repetition 1..{REPETITIONS} "
                         f"expected (got {sign}, {signer}, {repetition})")
            continue
        samples.append(sample_row(path.stem, "", sign - 1, names[sign - 1], path,
                                  keypoints.reference(path.stem), signer=signer, repetition=repetition))
    problems.raise_if_any()
    return samples


class Lsa64Dataset(SignerSplitDataset):
    name = "lsa64"
    layout = "<sign>_<signer>_<repetition>.mp4 videos (in the root, all/ or videos/)"
    declared = {"lsa64": LSA64_CLASSES, "lsa64-signer-dependent": LSA64_CLASSES}

    def read(self) -> tuple[list[Sample], Optional[list[str]]]:
        names = NAMES_BY_LANGUAGE[self.config.class_names]
        return read_lsa64(self.root, names), list(names)

    def split_of(self, benchmark: str, sample: Sample) -> Optional[str]:
        if benchmark == "lsa64":
            return "train" if sample["signer"] <= 8 else "val" if sample["signer"] == 9 else "test"
        return "train" if sample["repetition"] < REPETITIONS else "test"

    def summary(self, benchmark: str) -> str:
        return ("LSA64, signer-independent (signers 1-8 / 9 / 10)" if benchmark == "lsa64"
                else "LSA64, signer-dependent (repetitions 1-4 / 5)")
