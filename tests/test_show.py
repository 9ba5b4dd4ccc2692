"""`slrbench show` on the real sample video with a .pose file, and on a benchmark sample (the embedded
synthetic one): the animation decodes to the drawn frames, the contact sheet is a PNG, and points
under the score threshold are drawn differently and left out of the heatmaps."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image
from typer.testing import CliRunner

from slrbench.cli.app import app
from slrbench.show.draw import LOW_SCORE_COLOUR, POINT_COLOURS, draw_keypoints, heatmap_panels

SAMPLES = Path(__file__).parent / "data" / "samples"
VIDEO, POSE = SAMPLES / "test_video.mp4", SAMPLES / "mediapipe.pose"
PNG = b"\x89PNG\r\n\x1a\n"


def show(*args: str):
    return CliRunner().invoke(app, ["show", *args], env={"COLUMNS": "200"})


def test_a_video_with_its_pose_file_becomes_an_mp4_and_a_contact_sheet(tmp_path):
    out = tmp_path / "drawn.mp4"
    result = show(str(VIDEO), "--keypoints", str(POSE), "--out", str(out), "--height", "240", "--tiles", "6")
    assert result.exit_code == 0, result.output
    with av.open(str(out)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    # 58 frames of 540 x 720 scaled to 180 x 240, the 240 x 240 heatmap panel beside (even width for H.264)
    assert len(frames) == 58 and frames[0].shape == (240, 420, 3)
    assert frames[0][:, 180:].max() > 200 and frames[0][:, 180:].min() < 20  # heatmap blobs on black
    assert (tmp_path / "drawn.sheet.png").read_bytes()[:8] == PNG
    assert "58 frames" in result.stdout and "grey rings" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drawn.mp4", "drawn.sheet.png"]  # no temporaries


def test_a_benchmark_sample_becomes_a_gif(tmp_path):
    out = tmp_path / "sample.gif"
    result = show("--benchmark", "synthetic", "--sample", "test-cold-000", "-o", "dataset.num_classes=6",
                  "-o", "dataset.frame_size=48", "--out", str(out), "--height", "64", "--max-frames", "10")
    assert result.exit_code == 0, result.output
    with Image.open(out) as gif:
        assert gif.n_frames == 10 and gif.size == (128, 64)
    with Image.open(tmp_path / "sample.sheet.png") as sheet:
        assert sheet.format == "PNG"


def test_points_under_the_threshold_are_grey_rings_and_have_no_heatmap():
    frame = np.zeros((100, 100, 3), np.uint8)
    points = np.full((63, 3), np.nan, np.float32)
    points[0] = (30, 30, 0.9)  # the left hand's wrist, confident
    points[21] = (70, 70, 0.1)  # the right hand's wrist, under the threshold
    drawn = draw_keypoints(frame, points, threshold=0.5)
    assert tuple(drawn[30, 30]) == POINT_COLOURS[0]
    assert tuple(drawn[70, 70]) == (0, 0, 0) and (drawn[60:81, 60:81] == LOW_SCORE_COLOUR).all(axis=-1).any()
    panel = heatmap_panels(points[None], (100, 100), 50, threshold=0.5)[0]  # (50, 50, 3)
    assert panel[15, 15, 0] == 255 and panel[35, 35].max() == 0


def test_what_to_show_is_checked_before_any_work(tmp_path):
    assert "give either VIDEO" in show().output
    assert "--keypoints FILE" in show(str(VIDEO)).output
    assert "use a .mp4 or .gif" in show(str(VIDEO), "--keypoints", str(POSE), "--out", str(tmp_path / "x.avi")).output
    wrong = show("--benchmark", "synthetic", "--sample", "test-cold-999", "-o", "dataset.num_classes=6")
    assert wrong.exit_code == 2 and "did you mean" in wrong.output
    missing = show(str(tmp_path / "none.mp4"), "--keypoints", str(POSE), "--out", str(tmp_path / "x.mp4"))
    assert missing.exit_code == 2 and "none.mp4" in missing.output


def test_a_manifest_sample_with_npy_keypoints_is_read_from_its_data_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "sign.mp4").write_bytes(VIDEO.read_bytes())
    keypoints = np.zeros((58, 133, 3), np.float32)  # in the video's pixels: 540 x 720
    keypoints[:, :, :2] = (270, 360)
    keypoints[:, :, 2] = 0.9
    keypoints[:, 112:133, 2] = 0.05  # the right hand barely found
    np.save(root / "sign.npy", keypoints)
    (root / "manifest.csv").write_text("sample_id,split,label,gloss,video,keypoints\n"
                                       "a,train,0,hello,sign.mp4,sign.npy\nb,test,0,hello,sign.mp4,sign.npy\n")
    out = tmp_path / "b.gif"
    result = show("--benchmark", "manifest", "--data-root", str(root), "--sample", "b", "--out", str(out),
                  "--height", "96", "--max-frames", "4")
    assert result.exit_code == 0, result.output
    assert "84 point-frames under score 0.3" in result.stdout  # 21 right-hand points x 4 frames
    with Image.open(out) as gif:
        assert gif.n_frames == 4 and gif.size == (72 + 96, 96)
