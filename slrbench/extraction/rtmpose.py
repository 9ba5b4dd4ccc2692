"""RTMPose / RTMW (COCO-WholeBody, SimCC heads) as a keypoint extractor, run with onnxruntime.

Top-down without a detector: the person box is the whole frame, preprocessed and decoded as
mmpose's RTMPose does (`bbox_xyxy2cs` with padding, `fix_aspect_ratio`, `get_warp_matrix` +
`cv2.warpAffine`, `get_simcc_maximum`), so exported mmpose/rtmlib models score as in mmpose.

Pixel convention (OpenCV's, which mmpose uses): integer coordinates are pixel centres, in the
frame and in the model input alike. The warp maps frame point p to s * (p - center) + input/2
with s = input_w / scale_w (= input_h / scale_h once the aspect ratio is fixed), and decoding
applies the exact inverse p = u / input_w * scale_w + center - scale_w / 2. The warp is a
separable bilinear resampling in numpy (no OpenCV): out-of-frame neighbours weigh zero (cv2's
BORDER_CONSTANT 0), and the result stays float (cv2 rounds to uint8 first; a difference below
half a grey level). The model file is the user's (`path`); nothing is downloaded.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from slrbench.errors import UsageError
from slrbench.interfaces import ExtractorContext
from slrbench.extraction.wholebody import NUM_POINTS

_EXPORT_HINT = "export an RTMPose/RTMW COCO-WholeBody model to ONNX (see docs/keypoints.md)"
_EXPECTED = (f"expected one input (N, 3, H, W) float32 and two outputs simcc_x (N, {NUM_POINTS}, W*r) "
             f"and simcc_y (N, {NUM_POINTS}, H*r)")


@dataclass(frozen=True)
class CropBox:
    """The region of a frame the model sees: mmpose's (center, scale) in frame pixels."""

    center_x: float
    center_y: float
    scale_w: float
    scale_h: float


def whole_frame_box(frame_w: int, frame_h: int, input_w: int, input_h: int, padding: float) -> CropBox:
    """Box [0, 0, w, h] -> center and padded scale with the input's aspect ratio (smaller side enlarged)."""
    scale_w, scale_h = frame_w * padding, frame_h * padding
    aspect = input_w / input_h
    if scale_w > scale_h * aspect:
        scale_h = scale_w / aspect
    else:
        scale_w = scale_h * aspect
    return CropBox(frame_w / 2, frame_h / 2, scale_w, scale_h)


def _axis_taps(n_out: int, n_in: int, step: float, start: float) -> tuple[np.ndarray, ...]:
    """Bilinear taps along one axis: output i samples input start + i * step (pixel centres)."""
    position = start + np.arange(n_out) * step
    low = np.floor(position).astype(np.intp)
    frac = position - low
    weight_low = np.where((low >= 0) & (low < n_in), 1 - frac, 0.0)  # outside the frame: zero border
    weight_high = np.where((low + 1 >= 0) & (low + 1 < n_in), frac, 0.0)
    return np.clip(low, 0, n_in - 1), np.clip(low + 1, 0, n_in - 1), weight_low, weight_high


class WarpToInput:
    """The affine crop of one frame size into the model input, precomputed as four gathers."""

    def __init__(self, frame_w: int, frame_h: int, input_w: int, input_h: int, padding: float):
        self.box = whole_frame_box(frame_w, frame_h, input_w, input_h, padding)
        self.shape = (input_h, input_w)
        step = self.box.scale_w / input_w  # frame pixels per input pixel, the same on both axes
        # input pixel u samples frame x = (u - input_w / 2) * step + center_x
        x0, x1, wx0, wx1 = _axis_taps(input_w, frame_w, step, self.box.center_x - input_w / 2 * step)
        y0, y1, wy0, wy1 = _axis_taps(input_h, frame_h, step, self.box.center_y - input_h / 2 * step)
        self._indices = [(y[:, None] * frame_w + x[None, :]).ravel() for y in (y0, y1) for x in (x0, x1)]
        self._weights = [(wy[:, None] * wx[None, :]).astype(np.float32).reshape(-1, 1)
                         for wy in (wy0, wy1) for wx in (wx0, wx1)]

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 -> (input_h, input_w, 3) float32 in 0-255."""
        pixels = frame.reshape(-1, 3)
        out = pixels.take(self._indices[0], axis=0) * self._weights[0]  # (input_h * input_w, 3)
        for indices, weights in zip(self._indices[1:], self._weights[1:]):
            out += pixels.take(indices, axis=0) * weights
        return out.reshape(*self.shape, 3)


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray, split_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """mmpose's `get_simcc_maximum`: (N, K, Lx), (N, K, Ly) -> locations (N, K, 2) in input pixels,
    scores (N, K) = min of the two maxima, clipped to [0, 1] (<= 0: not found, score 0)."""
    locations = np.stack([simcc_x.argmax(-1), simcc_y.argmax(-1)], axis=-1) / split_ratio
    scores = np.minimum(simcc_x.max(-1), simcc_y.max(-1))
    return locations, np.clip(scores, 0.0, 1.0)


def to_frame_pixels(locations: np.ndarray, boxes: list[CropBox], input_w: int, input_h: int) -> np.ndarray:
    """(N, K, 2) input pixels -> frame pixels, the exact inverse of `WarpToInput`."""
    center = np.array([(box.center_x, box.center_y) for box in boxes])[:, None, :]  # (N, 1, 2)
    scale = np.array([(box.scale_w, box.scale_h) for box in boxes])[:, None, :]
    return locations / np.array([input_w, input_h]) * scale + center - scale / 2


@dataclass(frozen=True)
class SimccSignature:
    """What the extractor needs to know about an RTMPose ONNX model."""

    input_name: str
    input_w: int
    input_h: int
    batch: int | None  # None: dynamic batch dimension
    output_x: str
    output_y: str
    split_ratio: float


def _onnx_errors() -> tuple[type[BaseException], ...]:
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("Fail", "InvalidArgument", "NoSuchFile", "NoModel", "InvalidProtobuf", "InvalidGraph",
             "NotImplemented", "RuntimeException")
    return (RuntimeError, OSError, *(getattr(state, name) for name in names if hasattr(state, name)))


def choose_providers(device: str) -> list:
    """CUDA first when asked for and present in this onnxruntime build, else the CPU."""
    import onnxruntime

    if device.startswith("cuda"):
        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            device_id = int(device.partition(":")[2] or 0)
            return [("CUDAExecutionProvider", {"device_id": device_id}), "CPUExecutionProvider"]
        warnings.warn(f"device {device!r}: this onnxruntime has no CUDAExecutionProvider "
                      "(pip install onnxruntime-gpu); running RTMPose on the CPU", RuntimeWarning, stacklevel=3)
    return ["CPUExecutionProvider"]


def open_session(path: Path, context: ExtractorContext):
    """Load the ONNX model, turning every way it can fail to load into a one-line UsageError."""
    import onnxruntime

    if not path.exists():
        raise UsageError(f"extractor.path: {path} is missing; {_EXPORT_HINT}")
    if not path.is_file():
        raise UsageError(f"extractor.path: {path} is not a file; point it at the .onnx model ({_EXPORT_HINT})")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, context.threads)
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=choose_providers(context.device))
    except _onnx_errors() as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UsageError(f"extractor.path: {path} is not a loadable ONNX model ({reason}); {_EXPORT_HINT}") from error


def read_signature(session, path: Path) -> SimccSignature:
    """Check the model's inputs and outputs against RTMPose's; K and r come from the output lengths."""
    def bad(problem: str) -> UsageError:
        return UsageError(f"extractor.path: {path} is not an RTMPose SimCC model: {problem}; {_EXPECTED}")

    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise bad(f"it has {len(inputs)} inputs")
    image = inputs[0]
    shape = list(image.shape)
    if image.type != "tensor(float)" or len(shape) != 4 or shape[1] != 3:
        raise bad(f"input '{image.name}' is {image.type} {shape}")
    if not all(isinstance(size, int) and size > 0 for size in shape[2:]):
        raise bad(f"input '{image.name}' has no fixed height and width ({shape})")
    batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
    if len(outputs) != 2:
        raise bad(f"it has {len(outputs)} outputs")
    names = [output.name for output in outputs]
    output_x, output_y = ("simcc_x", "simcc_y") if {"simcc_x", "simcc_y"} <= set(names) else names
    shapes = {output.name: list(output.shape) for output in outputs}
    if any(len(shapes[name]) != 3 for name in names):
        raise bad(f"outputs have shapes {list(shapes.values())}")
    if not all(isinstance(size, int) for name in names for size in shapes[name][1:]):
        probe = np.zeros((batch or 1, 3, shape[2], shape[3]), dtype=np.float32)  # sizes known only by running
        try:
            results = session.run(names, {image.name: probe})
        except _onnx_errors() as error:
            raise bad(f"a test run failed ({str(error).strip().splitlines()[0]})") from error
        shapes = {name: list(result.shape) for name, result in zip(names, results)}
    (_, points_x, length_x), (_, points_y, length_y) = shapes[output_x], shapes[output_y]
    if points_x != points_y:
        raise bad(f"{output_x} has {points_x} points but {output_y} has {points_y}")
    if points_x != NUM_POINTS:
        raise UsageError(f"extractor.path: {path} predicts {points_x} keypoints, not COCO-WholeBody's "
                         f"{NUM_POINTS}; use a wholebody model (RTMPose-*-wholebody or RTMW), not a body-only one")
    ratio_x, ratio_y = length_x / shape[3], length_y / shape[2]
    if ratio_x <= 0 or abs(ratio_x - ratio_y) > 1e-6:
        raise bad(f"{output_x} length {length_x} for width {shape[3]} and {output_y} length {length_y} "
                  f"for height {shape[2]} give different split ratios")
    return SimccSignature(image.name, shape[3], shape[2], batch, output_x, output_y, ratio_x)


class RTMPoseExtractor:
    """Frames -> (T, 133, 3) with an RTMPose/RTMW ONNX model; the whole frame is the person box."""

    def __init__(self, config, context: ExtractorContext):
        self.config = config
        path = Path(config.path).expanduser()
        self.session = open_session(path, context)
        self.signature = read_signature(self.session, path)
        self.batch_size = self.signature.batch or config.batch_size
        order = [2, 1, 0] if config.channel_order == "bgr" else [0, 1, 2]
        self._channel_order = np.array(order)  # frames arrive RGB; mean / std are in the model's order
        self._mean = np.asarray(config.mean, dtype=np.float32)
        self._inv_std = 1 / np.asarray(config.std, dtype=np.float32)
        self._warps: dict[tuple[int, int], WarpToInput] = {}

    def _warp_for(self, frame_h: int, frame_w: int) -> WarpToInput:
        key = (frame_h, frame_w)
        if key not in self._warps:
            signature = self.signature
            self._warps[key] = WarpToInput(frame_w, frame_h, signature.input_w, signature.input_h, self.config.padding)
        return self._warps[key]

    def extract(self, chunks: Iterable[np.ndarray]) -> np.ndarray:
        signature = self.signature
        images = np.zeros((self.batch_size, 3, signature.input_h, signature.input_w), dtype=np.float32)
        boxes: list[CropBox] = []
        results: list[np.ndarray] = []
        for chunk in chunks:
            chunk = np.asarray(chunk)
            if chunk.ndim != 4 or chunk.shape[-1] != 3 or chunk.dtype != np.uint8:
                raise ValueError(f"expected (t, H, W, 3) uint8 RGB frames, got {chunk.dtype} {chunk.shape}")
            for frame in chunk:
                warp = self._warp_for(*frame.shape[:2])
                pixels = warp(np.ascontiguousarray(frame))[..., self._channel_order]  # (h, w, 3) model order
                images[len(boxes)] = ((pixels - self._mean) * self._inv_std).transpose(2, 0, 1)
                boxes.append(warp.box)
                if len(boxes) == self.batch_size:
                    results.append(self._infer(images, boxes))
                    boxes = []
        if boxes:
            results.append(self._infer(images, boxes))
        if not results:
            return np.zeros((0, NUM_POINTS, 3), dtype=np.float32)
        return np.concatenate(results)

    def _infer(self, images: np.ndarray, boxes: list[CropBox]) -> np.ndarray:
        """(B, 3, h, w) normalised inputs, the first len(boxes) filled -> (len(boxes), 133, 3)."""
        signature, count = self.signature, len(boxes)
        feed = images if signature.batch is not None else images[:count]  # a fixed batch runs padded
        simcc_x, simcc_y = self.session.run([signature.output_x, signature.output_y], {signature.input_name: feed})
        locations, scores = decode_simcc(simcc_x[:count], simcc_y[:count], signature.split_ratio)
        points = np.empty((count, NUM_POINTS, 3), dtype=np.float32)
        points[..., :2] = to_frame_pixels(locations, boxes, signature.input_w, signature.input_h)
        points[..., 2] = scores
        return points
