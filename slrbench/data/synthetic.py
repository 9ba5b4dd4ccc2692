"""The embedded synthetic benchmark: procedurally generated signing in the 63-point layout.

Each class is a *sign program*: where the dominant hand signs (forehead, chin, chest, ...), how
it moves (line, circle, zigzag, tap, arc), its handshape (start and end), its orientation, what
the other hand does and how the mouth moves. Classes carry real English glosses. Two designed
pairs share one program and so cannot be told apart by sight: cold / winter (similar meanings)
and table / afternoon (distinct meanings), which caps top-1 below 100 % and is where
language-aware smoothing should help or hurt. Signers differ in body scale, position, colours,
speed, amplitude and keypoint noise; train, val and test use different signers.

Everything is drawn from numpy generators seeded by (seed, ...): the same seed gives the same
benchmark on every machine. Keypoints are computed eagerly (small); frames are rendered on
demand (`render_frames`), as sums of Gaussian blobs (separable, so a frame is three small
matrix products).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slrbench.data.keypoint_layout import NUM_KEYPOINTS

GLOSSES = ("cold", "winter", "table", "afternoon", "hello", "book", "drink", "computer", "mother", "father",
           "eat", "go", "help", "yes", "no", "want", "deaf", "school", "friend", "finish")
LOOKALIKE_PAIRS = (("cold", "winter"), ("table", "afternoon"))  # one program each: identical on screen
GENERATOR_VERSION = 1  # bump when the output changes (it names the cache folder)
SPLIT_SIGNERS = {"train": (0, 1, 2, 3, 4, 5), "val": (6, 7), "test": (8, 9)}

ANCHORS = {"forehead": (0.0, -1.15), "chin": (0.0, -0.5), "chest": (0.0, 0.45), "neutral": (-0.25, 0.85),
           "cheek": (-0.3, -0.75), "side": (-0.75, 0.55), "shoulder": (0.35, 0.1)}
MOVEMENTS = ("line", "circle", "zigzag", "tap", "arc", "hold")
HANDSHAPES = {"flat": (0, 0, 0, 0, 0), "fist": (1, 1, 1, 1, 1), "index": (1, 0, 1, 1, 1), "v": (1, 0, 0, 1, 1),
              "y": (0, 1, 1, 1, 0), "claw": (.5, .5, .5, .5, .5), "l": (0, 0, 1, 1, 1), "c": (.3, .35, .35, .35, .35)}
ORIENTATIONS = (-np.pi / 2, -np.pi / 4, 0.0, -3 * np.pi / 4, np.pi / 2)  # direction the fingers point
OTHER_HAND = ("rest", "mirror", "base", "parallel")
REST_RIGHT, REST_LEFT = np.array([-0.45, 1.45]), np.array([0.45, 1.45])


@dataclass(frozen=True)
class SignProgram:
    anchor: str
    movement: str
    direction: float  # radians, of lines / zigzags / taps
    amplitude: float
    repetitions: int
    start_shape: str
    end_shape: str
    orientation: float
    other_hand: str
    mouth: float  # mouth opening amplitude


@dataclass(frozen=True)
class Signer:
    scale: float  # pixels per body unit, as a fraction of the frame
    centre: tuple[float, float]  # neck position, fraction of the frame
    skin: tuple[float, float, float]
    shirt: tuple[float, float, float]
    background: tuple[float, float, float]
    amplitude: float
    speed: float


@dataclass(frozen=True)
class SyntheticSample:
    sample_id: str
    split: str
    label: int
    gloss: str
    signer: int
    keypoints: np.ndarray  # (T, 63, 3): x, y in frame pixels, score


def class_programs(seed: int, num_classes: int) -> list[SignProgram]:
    """One program per class; the look-alike pairs share theirs; all others differ."""
    rng = np.random.default_rng([seed, 1])
    programs: dict[str, SignProgram] = {}
    used: set[tuple] = set()
    for gloss in GLOSSES[:num_classes]:
        partner = next((a for a, b in LOOKALIKE_PAIRS if b == gloss), None)
        if partner is not None:
            programs[gloss] = programs[partner]
            continue
        while True:
            shape = str(rng.choice(list(HANDSHAPES)))
            program = SignProgram(
                anchor=str(rng.choice(list(ANCHORS))), movement=str(rng.choice(MOVEMENTS)),
                direction=float(rng.choice([0, np.pi / 4, np.pi / 2, 3 * np.pi / 4])),
                amplitude=float(rng.uniform(0.25, 0.5)), repetitions=int(rng.integers(1, 4)),
                start_shape=shape, end_shape=shape if rng.random() < 0.6 else str(rng.choice(list(HANDSHAPES))),
                orientation=float(rng.choice(ORIENTATIONS)), other_hand=str(rng.choice(OTHER_HAND)),
                mouth=float(rng.choice([0.0, 0.05, 0.12])),
            )
            key = (program.anchor, program.movement, program.start_shape, program.end_shape, program.other_hand)
            if key not in used:
                used.add(key)
                programs[gloss] = program
                break
    return [programs[gloss] for gloss in GLOSSES[:num_classes]]


def make_signer(seed: int, signer: int) -> Signer:
    rng = np.random.default_rng([seed, 2, signer])
    skin = tuple(float(v) for v in np.array([0.85, 0.65, 0.5]) * rng.uniform(0.55, 1.1))
    return Signer(
        scale=float(rng.uniform(0.24, 0.3)), centre=(float(rng.uniform(0.44, 0.56)), float(rng.uniform(0.4, 0.48))),
        skin=skin, shirt=tuple(float(v) for v in rng.uniform(0.05, 0.6, 3)),
        background=tuple(float(v) for v in rng.uniform(0.0, 0.35, 3)),
        amplitude=float(rng.uniform(0.85, 1.15)), speed=float(rng.uniform(0.85, 1.15)),
    )


def _ease(u: np.ndarray) -> np.ndarray:
    return (1 - np.cos(np.pi * np.clip(u, 0, 1))) / 2


def _path(program: SignProgram, u: np.ndarray, amplitude: float) -> np.ndarray:
    """Dominant-hand offset from the anchor during the sign, u in [0, 1] -> (T, 2)."""
    d = np.array([np.cos(program.direction), np.sin(program.direction)])
    perp = np.array([-d[1], d[0]])
    a, reps = program.amplitude * amplitude, program.repetitions
    phase = 2 * np.pi * reps * u[:, None]
    if program.movement == "line":
        return (u[:, None] - 0.5) * a * d
    if program.movement == "circle":
        return 0.5 * a * np.concatenate([np.cos(phase), np.sin(phase)], axis=1)
    if program.movement == "zigzag":
        return (u[:, None] - 0.5) * a * d + 0.15 * np.sin(phase) * perp
    if program.movement == "tap":
        return 0.4 * a * np.abs(np.sin(phase / 2)) * d
    if program.movement == "arc":
        return 0.5 * a * np.concatenate([np.cos(np.pi * u[:, None]), -np.sin(np.pi * u[:, None])], axis=1)
    return np.zeros((len(u), 2))  # hold


def _hand(wrist: np.ndarray, angle: np.ndarray, curls: np.ndarray, mirror: float) -> np.ndarray:
    """21 hand points (COCO / MediaPipe order) for T frames: wrist (T, 2), angle (T,), curls (T, 5)."""
    T = len(wrist)
    points = np.zeros((T, 21, 2))
    points[:, 0] = wrist
    along = np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (T, 2)
    side = np.stack([-along[:, 1], along[:, 0]], axis=1) * mirror
    for finger in range(5):
        spread = (finger - 2) * 0.045 if finger else -0.09
        base = wrist + along * (0.05 if finger == 0 else 0.11) + side * spread
        direction_angle = angle + mirror * (finger - 2) * 0.12 + (mirror * -0.7 if finger == 0 else 0)
        curl = curls[:, finger]
        position = base
        for joint in range(4):
            bend = direction_angle + mirror * curl * (joint + 1) * 0.9
            step = np.stack([np.cos(bend), np.sin(bend)], axis=1) * (0.045 * (1 - 0.35 * curl))[:, None]
            position = position + (step if joint else 0 * step)
            points[:, 1 + finger * 4 + joint] = position
    return points


def sign_keypoints(program: SignProgram, signer: Signer, frame_size: int, rng: np.random.Generator,
                   mean_frames: int = 40) -> np.ndarray:
    """One performance of a program by a signer: (T, 63, 3) in frame pixels, T ~ 0.75-1.25 x
    `mean_frames` (signer speed and a per-clip factor), within 0.6-1.5 x `mean_frames`."""
    T = int(np.clip(round(mean_frames / (signer.speed * rng.uniform(0.85, 1.15))),
                    round(0.6 * mean_frames), round(1.5 * mean_frames)))
    t = np.linspace(0, 1, T)
    lead_in, lead_out = rng.uniform(0.15, 0.25), rng.uniform(0.75, 0.85)
    enter, leave = _ease(t / lead_in), _ease((t - lead_out) / (1 - lead_out))
    u = np.clip((t - lead_in) / (lead_out - lead_in), 0, 1)
    amplitude = signer.amplitude * rng.uniform(0.85, 1.15)
    anchor = np.array(ANCHORS[program.anchor]) + rng.normal(0, 0.05, 2)
    sign_path = anchor + _path(program, u, amplitude)
    right = REST_RIGHT + (sign_path - REST_RIGHT) * (enter - leave)[:, None]
    shape = np.array(HANDSHAPES[program.start_shape], float)[None] * (1 - u[:, None]) \
        + np.array(HANDSHAPES[program.end_shape], float)[None] * u[:, None]
    rest_shape = np.array(HANDSHAPES["claw"], float)[None]
    active = (enter - leave)[:, None]
    right_curls = rest_shape + (shape - rest_shape) * active
    right_angle = np.pi / 2 + (program.orientation - np.pi / 2) * active[:, 0]
    left, left_curls, left_angle = _other_hand(program, right, right_curls, right_angle, active)
    mouth_open = program.mouth * np.abs(np.sin(np.pi * 2 * u)) * active[:, 0]
    body = np.stack([np.broadcast_to(np.array(p, float), (T, 2)) for p in (
        (0, -0.9), (0.15, -1.02), (-0.15, -1.02), (0.3, -0.95), (-0.3, -0.95), (0.5, 0.0), (-0.5, 0.0))], axis=1)
    elbows = np.stack([_elbow(body[:, 5], left, 1), _elbow(body[:, 6], right, -1)], axis=1)
    units = np.concatenate([
        _hand(left, left_angle, left_curls, 1.0), _hand(right, right_angle, right_curls, -1.0),
        _mouth(mouth_open), body, elbows[:, [0, 1]], np.stack([left, right], axis=1),
    ], axis=1)  # (T, 63, 2): hands, mouth, nose, eyes, ears, shoulders, elbows, wrists
    units = units + rng.normal(0, 0.012, units.shape)
    pixels = units * signer.scale * frame_size + np.array(signer.centre) * frame_size
    scores = np.clip(rng.normal(0.92, 0.05, (T, NUM_KEYPOINTS, 1)), 0, 1)
    return np.concatenate([pixels, scores], axis=-1).astype(np.float32)


def _other_hand(program, right, right_curls, right_angle, active):
    if program.other_hand == "mirror":
        return right * np.array([-1, 1]), right_curls, np.pi - right_angle
    if program.other_hand == "parallel":
        return right + np.array([0.55, 0]) * active, right_curls, right_angle
    T = len(right)
    if program.other_hand == "base":
        base = REST_LEFT + (np.array([0.1, 0.6]) - REST_LEFT) * active
        return base, np.zeros((T, 5)), np.full(T, np.pi)
    return np.broadcast_to(REST_LEFT, (T, 2)).copy(), np.full((T, 5), 0.5), np.full(T, np.pi / 2)


def _elbow(shoulder: np.ndarray, wrist: np.ndarray, side: int) -> np.ndarray:
    middle = (shoulder + wrist) / 2
    outward = np.array([0.3 * side, 0.2])
    return middle + outward


def _mouth(opening: np.ndarray) -> np.ndarray:
    """iBUG mouth points 48, 50, ..., 66 around (0, -0.62): outer corners and lips, inner lips."""
    T = len(opening)
    o = opening[:, None]
    xs = np.array([-0.13, -0.05, 0.05, 0.13, 0.05, -0.05, -0.08, 0.0, 0.08, 0.0])
    ys = np.array([0.0, -0.04, -0.04, 0.0, 0.04, 0.04, 0.0, -0.01, 0.0, 0.01])
    lower = np.array([0, 0, 0, 0, 1, 1, 0, 0, 0, 1], float)
    y = -0.62 + ys[None] + o * lower[None]
    return np.stack([np.broadcast_to(xs, (T, 10)), y], axis=-1)


# --- the benchmark -------------------------------------------------------------------------------
def generate_samples(seed: int, num_classes: int, per_class: dict[str, int], frame_size: int,
                     mean_frames: int = 40) -> list[SyntheticSample]:
    programs = class_programs(seed, num_classes)
    signers = {i: make_signer(seed, i) for split in SPLIT_SIGNERS.values() for i in split}
    samples = []
    for split, count in per_class.items():
        pool = SPLIT_SIGNERS[split]
        for label, program in enumerate(programs):
            for index in range(count):
                signer = pool[index % len(pool)]
                rng = np.random.default_rng([seed, 3, ("train", "val", "test").index(split), label, index])
                keypoints = sign_keypoints(program, signers[signer], frame_size, rng, mean_frames)
                samples.append(SyntheticSample(f"{split}-{GLOSSES[label]}-{index:03d}", split, label, GLOSSES[label],
                                               signer, keypoints))
    return samples


_PART_COLOURS = {"mouth": (0.75, 0.2, 0.25), "eye": (0.05, 0.05, 0.05)}


def render_frames(sample: SyntheticSample, signer: Signer, frame_size: int, indices) -> np.ndarray:
    """(t, S, S, 3) uint8 frames of the sample at `indices`, drawn from its keypoints. The blobs of all
    frames are placed at once (the per-frame Python of an earlier version cost the loader half its time);
    the pixels are the same to the bit."""
    grid = np.arange(frame_size, dtype=np.float32) + 0.5
    unit = signer.scale * frame_size
    background = np.array(signer.background, np.float32)
    centres, radii, colours = _stamps(sample.keypoints[np.asarray(indices, dtype=np.int64), :, :2], signer, unit)
    scale = -1 / (2 * radii[:, None] ** 2)  # (n, 1)
    gx = np.exp((grid - centres[:, :, :1]) ** 2 * scale)  # (t, n, S)
    gy = np.exp((grid - centres[:, :, 1:]) ** 2 * scale).transpose(0, 2, 1)  # (t, S, n)
    frames = np.empty((len(centres), frame_size, frame_size, 3), dtype=np.uint8)
    for out in range(len(centres)):
        weight = gy[out] @ gx[out]  # (S, S): sum of the blobs
        paint = np.stack([(gy[out] * colours[:, c]) @ gx[out] for c in range(3)], axis=-1)
        paint /= np.maximum(weight, 1e-6)[..., None]
        alpha = np.minimum(weight, 1)[..., None]
        frames[out] = np.clip((background * (1 - alpha) + paint * alpha) * 255, 0, 255).astype(np.uint8)
    return frames


def _stamps(points: np.ndarray, signer: Signer, unit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blobs to draw for (t, 63, 2) points: the head, torso, arms (sampled along the limbs), hands, mouth
    and eyes as (t, n, 2) centres, (n,) radii and (n, 3) colours."""
    skin, shirt = np.array(signer.skin), np.array(signer.shirt)
    nose, shoulders, elbows, wrists = points[:, 52], points[:, 57:59], points[:, 59:61], points[:, 61:63]
    fractions = np.linspace(0, 1, 5)[None, :, None]  # (1, 5, 1): along each limb
    limbs = []
    for side in range(2):
        upper = shoulders[:, side, None] * (1 - fractions) + elbows[:, side, None] * fractions  # (t, 5, 2)
        lower = elbows[:, side, None] * (1 - fractions) + wrists[:, side, None] * fractions
        limbs.append(np.stack([upper, lower], axis=2).reshape(len(points), 10, 2))  # upper, lower, upper, ...
    head = nose + np.array([0, 0.05 * unit])
    torso = (shoulders[:, 0] + shoulders[:, 1]) / 2 + np.array([0, 0.45 * unit])
    centres = np.concatenate([head[:, None], torso[:, None], *limbs, points[:, :42], points[:, 42:52],
                              points[:, 53:55]], axis=1).astype(np.float32)
    radii = [0.32 * unit, 0.55 * unit] + [0.09 * unit, 0.07 * unit] * 10 + [0.035 * unit] * 42 + [0.03 * unit] * 12
    colours = ([skin, shirt] + [shirt, shirt * 0.8 + skin * 0.2] * 10 + [skin * 1.1] * 42
               + [np.array(_PART_COLOURS["mouth"])] * 10 + [np.array(_PART_COLOURS["eye"])] * 2)
    return centres, np.maximum(np.array(radii, np.float32), 0.6), np.clip(np.array(colours, np.float32), 0, 1)
