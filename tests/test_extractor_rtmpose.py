"""The RTMPose extractor with small real ONNX models (tests/onnx_models.py): preprocessing, decoding
back to frame pixels, batching, channel order, and the errors for unusable model files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from onnx_models import export_single_output_model, export_spot_locator  # noqa: E402
from slrbench.errors import UsageError  # noqa: E402
from slrbench.interfaces import ExtractorContext, KeypointExtractor  # noqa: E402
from slrbench.extraction.rtmpose import WarpToInput, decode_simcc, whole_frame_box  # noqa: E402
from slrbench.registry import default_registry  # noqa: E402

INPUT_SIZES = [(192, 256), (288, 384)]  # (width, height), as RTMPose names them
FRAME_SIZES = [(320, 240), (540, 720)]  # (width, height): landscape and portrait


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="module")
def locator(model_folder):
    """locator(input_size, batch) -> path of a spot-locator model, exported once per module."""
    cache: dict[tuple, Path] = {}

    def get(input_size: tuple[int, int] = (192, 256), batch: int | None = 1) -> Path:
        key = (input_size, batch)
        if key not in cache:
            name = f"locator_{input_size[0]}x{input_size[1]}_{batch or 'dynamic'}.onnx"
            cache[key] = export_spot_locator(model_folder / name, input_size, batch=batch)
        return cache[key]

    return get


def build(path: Path, context: ExtractorContext | None = None, **options):
    return default_registry().build("extractors", "rtmpose", {"path": str(path), **options},
                                    context or ExtractorContext())


def moving_square_video(width: int, height: int, frames: int = 30, side: int = 16,
                        colour: tuple[int, int, int] = (255, 255, 255)) -> tuple[np.ndarray, np.ndarray]:
    """(T, H, W, 3) uint8 frames with a square moving along a diagonal arc, and its (T, 2) true
    centres in pixel-centre coordinates (a square over columns x0..x0+side-1 is centred at x0 + (side-1)/2)."""
    video = np.full((frames, height, width, 3), 30, dtype=np.uint8)
    t = np.linspace(0, 1, frames)
    x0 = np.round(0.1 * width + t * (0.8 * width - side)).astype(int)
    y0 = np.round(0.5 * height - side / 2 + 0.35 * height * np.sin(2 * np.pi * t)).astype(int)
    for frame, x, y in zip(video, x0, y0):
        frame[y:y + side, x:x + side] = colour
    return video, np.stack([x0, y0], axis=1) + (side - 1) / 2


@pytest.mark.parametrize("batch", [1, None], ids=["static_batch", "dynamic_batch"])
@pytest.mark.parametrize("input_size", INPUT_SIZES, ids=lambda size: f"input{size[0]}x{size[1]}")
@pytest.mark.parametrize("frame_size", FRAME_SIZES, ids=lambda size: f"frame{size[0]}x{size[1]}")
def test_every_point_decodes_at_the_moving_square(locator, input_size, batch, frame_size):
    width, height = frame_size
    video, centres = moving_square_video(width, height, side=width // 20)
    extractor = build(locator(input_size, batch))
    points = extractor.extract([video])
    assert isinstance(extractor, KeypointExtractor)
    assert points.shape == (len(video), 133, 3) and points.dtype == np.float32
    assert np.all((points[..., 2] > 0.5) & (points[..., 2] <= 1))
    step = whole_frame_box(width, height, *input_size, padding=1.25).scale_w / input_size[0]
    tolerance = 0.5 * step + 1.0  # the locator resolves whole input pixels (step frame pixels each)
    error = np.abs(points[..., :2] - centres[:, None, :])
    assert error.max() <= tolerance, f"worst error {error.max():.2f} px (tolerance {tolerance:.2f})"


def test_chunks_and_batch_sizes_give_the_same_keypoints(locator):
    video, _ = moving_square_video(320, 240)
    reference = build(locator((192, 256), 1)).extract([video])
    dynamic = build(locator((192, 256), None), batch_size=4)
    chunked = dynamic.extract([video[:7], video[7:14], video[14:14], video[14:21], video[21:]])
    np.testing.assert_allclose(chunked, reference, atol=1e-5)
    np.testing.assert_allclose(build(locator((192, 256), None), batch_size=64).extract(iter([video])), reference,
                               atol=1e-5)


def test_fixed_batch_larger_than_one_runs_padded(locator):
    video, _ = moving_square_video(320, 240, frames=7)
    np.testing.assert_allclose(build(locator((192, 256), 3)).extract([video]),
                               build(locator((192, 256), 1)).extract([video]), atol=1e-5)


def test_extractor_keeps_no_state_between_videos(locator):
    extractor = build(locator((192, 256), None), batch_size=4)
    first, _ = moving_square_video(320, 240, frames=6)
    second, _ = moving_square_video(540, 720, frames=5)
    alone = build(locator((192, 256), None), batch_size=4).extract([second])
    extractor.extract([first])
    np.testing.assert_allclose(extractor.extract([second]), alone, atol=1e-5)


@pytest.mark.parametrize("frame_size, expected_scale", [((192, 256), 1), ((96, 128), 2)])
def test_decoding_inverts_the_warp_exactly(locator, frame_size, expected_scale):
    """padding 1 and a frame of the input's aspect: the warp is x -> s * x, and one bright pixel
    decodes back to exactly its own coordinates (a half-pixel convention slip would show)."""
    width, height = frame_size
    extractor = build(locator((192, 256), None), padding=1.0)
    assert extractor._warp_for(height, width).box.scale_w * expected_scale == 192
    truth = np.array([(5, 7), (width // 2 + 3, height // 4), (width - 3, height - 9), (width // 2, height // 2)])
    video = np.zeros((len(truth), height, width, 3), dtype=np.uint8)
    video[np.arange(len(truth)), truth[:, 1], truth[:, 0]] = 255
    points = extractor.extract([video])
    np.testing.assert_array_equal(points[..., :2], np.broadcast_to(truth[:, None, :], (len(truth), 133, 2)))


def test_warp_matches_pillow_bilinear_affine():
    """Pillow samples at pixel centres x + 0.5 in corner coordinates; converted, it must agree with
    the warp inside the frame (Pillow truncates to uint8, hence the tolerance of one grey level)."""
    from PIL import Image

    frame = np.random.default_rng(0).integers(0, 256, (90, 70, 3), dtype=np.uint8)
    warp = WarpToInput(70, 90, 48, 64, padding=1.25)
    box, step = warp.box, warp.box.scale_w / 48
    coefficients = (step, 0, box.center_x + 0.5 - (24 + 0.5) * step, 0, step, box.center_y + 0.5 - (32 + 0.5) * step)
    pillow = np.asarray(Image.fromarray(frame).transform((48, 64), Image.AFFINE, coefficients, Image.BILINEAR))
    u, v = np.meshgrid(np.arange(48), np.arange(64))
    x, y = (u - 24) * step + box.center_x, (v - 32) * step + box.center_y
    inside = (x >= 0) & (x <= 69) & (y >= 0) & (y <= 89)
    assert inside.mean() > 0.5
    assert np.abs(warp(frame) - pillow)[inside].max() <= 1.001
    assert np.all(warp(frame)[(x < -1) | (x > 70) | (y < -1) | (y > 90)] == 0)  # zero border


@pytest.mark.parametrize("frame_w, frame_h, expected", [
    (320, 240, (160, 120, 400, 400 * 256 / 192)),  # landscape: the height is enlarged
    (540, 720, (270, 360, 675, 900)),  # exactly the input's aspect after padding
    (100, 400, (50, 200, 500 * 192 / 256, 500)),  # tall: the width is enlarged
])
def test_whole_frame_box_pads_and_fixes_the_aspect_ratio(frame_w, frame_h, expected):
    box = whole_frame_box(frame_w, frame_h, 192, 256, padding=1.25)
    np.testing.assert_allclose((box.center_x, box.center_y, box.scale_w, box.scale_h), expected)


def test_decode_simcc_takes_the_lower_maximum_and_zeroes_nonpositive_scores():
    simcc_x = np.array([[[0.1, 0.9, 0.2, 0.0], [-0.5, -0.2, -0.3, -0.9]]], dtype=np.float32)  # (1, 2, 4)
    simcc_y = np.array([[[0.0, 0.3, 0.7, 0.1, 0.0, 0.0], [0.4, 0.1, 0.0, 0.0, 0.0, 0.0]]], dtype=np.float32)
    locations, scores = decode_simcc(simcc_x, simcc_y, split_ratio=2.0)
    np.testing.assert_allclose(locations[0, 0], (0.5, 1.0))
    np.testing.assert_allclose(scores[0], (0.7, 0.0))


@pytest.mark.parametrize("colour, found_with, missed_with", [
    ((255, 0, 0), "rgb", "bgr"),  # red: model channel 0 only when the frames stay RGB
    ((0, 0, 255), "bgr", "rgb"),  # blue: model channel 0 only when flipped to BGR
])
def test_channel_order_decides_which_colour_the_model_sees(locator, colour, found_with, missed_with):
    """The locator looks at the model's channel 0 only; a spot in one colour is found, at its
    place, in one channel order and not at all (score 0) in the other."""
    video, centres = moving_square_video(320, 240, frames=8, colour=colour)
    found = build(locator((192, 256), None), channel_order=found_with).extract([video])
    assert np.all(found[..., 2] > 0.5)
    assert np.abs(found[..., :2] - centres[:, None, :]).max() <= 2.5
    missed = build(locator((192, 256), None), channel_order=missed_with).extract([video])
    assert np.all(missed[..., 2] == 0)


@pytest.mark.parametrize("batch", [1, None])
def test_empty_video_gives_no_rows(locator, batch):
    extractor = build(locator((192, 256), batch))
    for chunks in ([], [np.zeros((0, 240, 320, 3), dtype=np.uint8)]):
        points = extractor.extract(chunks)
        assert points.shape == (0, 133, 3) and points.dtype == np.float32


def test_frames_that_are_not_uint8_rgb_are_refused(locator):
    with pytest.raises(ValueError, match="uint8 RGB"):
        build(locator((192, 256), 1)).extract([np.zeros((2, 240, 320), dtype=np.uint8)])


def test_session_uses_the_cpu_threads_of_the_context(locator):
    extractor = build(locator((192, 256), 1), ExtractorContext(threads=2))
    assert extractor.session.get_providers() == ["CPUExecutionProvider"]
    assert extractor.session.get_session_options().intra_op_num_threads == 2


def test_cuda_without_a_cuda_onnxruntime_falls_back_to_the_cpu_with_a_warning(locator):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.warns(RuntimeWarning, match="onnxruntime-gpu"):
        extractor = build(locator((192, 256), 1), ExtractorContext(device="cuda"))
    assert extractor.session.get_providers() == ["CPUExecutionProvider"]


# --- model files the extractor cannot use ---------------------------------------------------
def test_missing_model_file_is_a_usage_error(tmp_path):
    missing = tmp_path / "rtmw-l.onnx"
    with pytest.raises(UsageError, match=r"extractor.path: .*rtmw-l.onnx is missing; export an RTMPose/RTMW"):
        build(missing)


def test_folder_instead_of_a_model_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"is not a file; point it at the .onnx model"):
        build(tmp_path)


def test_file_that_is_not_onnx_is_a_usage_error(tmp_path):
    bogus = tmp_path / "model.onnx"
    bogus.write_text("this is not a protobuf\n")
    with pytest.raises(UsageError, match=r"model.onnx is not a loadable ONNX model \(.*\); export an RTMPose") as error:
        build(bogus)
    assert "\n" not in str(error.value)


def test_body_only_model_with_17_points_is_a_usage_error(model_folder):
    body = export_spot_locator(model_folder / "body17.onnx", num_points=17)
    with pytest.raises(UsageError, match=r"predicts 17 keypoints, not COCO-WholeBody's 133; use a wholebody model"):
        build(body)


def test_model_with_one_output_is_a_usage_error(model_folder):
    single = export_single_output_model(model_folder / "single.onnx")
    with pytest.raises(UsageError, match=r"is not an RTMPose SimCC model: it has 1 outputs; expected one input"):
        build(single)
