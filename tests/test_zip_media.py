"""Videos read in place from zip archives: MP4 members and numbered PNG / JPG frames decode as the
same files do, only the window's frames are read, the loader's workers read them, and hostile or
broken archives cost one sample with a line naming the member."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest

from bundle_fixtures import clip
from safety_files import claims_2_31_frames, sample_video
from slrbench.builtins.datasets.synthetic import write_mp4
from slrbench.data.decoding import VideoUnreadable, open_video
from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.data.zip_archive import archive_reference
from slrbench.data.zip_media import open_video_reference, video_present


def png(frame: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    return buffer.getvalue()


def jpg(frame: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict:
    """A loose MP4 and the same file in a stored and a deflated zip; frame sequences in a zip."""
    folder = tmp_path_factory.mktemp("zips")
    frames = clip(3, frames=20, size=64)  # decord cannot read 48-pixel-wide H.264 (files or bytes)
    loose = folder / "loose.mp4"
    write_mp4(loose, frames)
    for name, method in (("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)):
        with zipfile.ZipFile(folder / f"{name}.zip", "w", method) as archive:
            archive.write(loose, "WLASL2000/00001.mp4")
    with zipfile.ZipFile(folder / "frames.zip", "w") as archive:
        for number, frame in enumerate(frames[:10]):
            archive.writestr(f"msasl/a/{number:04d}.png", png(frame))
            archive.writestr(f"nmfs/b/image_{number + 1:05d}.jpg", jpg(frame))
        for number in (0, 1, 3):  # a gap after frame 1
            archive.writestr(f"gap/{number:04d}.png", png(frames[number]))
        archive.writestr("broken/0000.png", png(frames[0]))
        archive.writestr("broken/0001.png", b"\x89PNG\r\n\x1a\n not really")
        archive.writestr("gif/0000.png", _gif())
        archive.writestr("wide/0000.png", _png_claiming(20_000, 10))
        archive.writestr("huge/0000.png", _png_claiming(100_000, 100_000))
        archive.writestr("lies.mp4", claims_2_31_frames(sample_video()))
    return {"folder": folder, "frames": frames, "loose": loose}


def _gif() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height; its pixel data is a few bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("decoder", ["decord", "pyav"])
@pytest.mark.parametrize("archive", ["stored", "deflated"])
def test_an_mp4_member_decodes_the_frames_of_the_loose_file(media, decoder, archive):
    reference = archive_reference(media["folder"] / f"{archive}.zip", "WLASL2000/00001.mp4")
    video = open_video_reference(reference, decoder)
    loose = open_video(media["loose"], decoder)
    assert video.num_frames == loose.num_frames == 20 and video.decoder == f"{decoder}-zip" + ("-unpacked" if archive == "deflated" else "")
    window = [17, 3, 4, 5, 12]
    assert np.array_equal(video.frames(window), loose.frames(window))


def test_frame_sequences_number_from_zero_or_one_and_end_at_the_first_gap(media):
    folder, frames = media["folder"], media["frames"]
    pngs = open_video_reference(archive_reference(folder / "frames.zip", "msasl/a/%04d.png"))
    assert pngs.num_frames == 10 and pngs.size == (64, 64) and pngs.decoder == "images-zip"
    assert np.array_equal(pngs.frames([9, 0, 4, 4]), frames[[9, 0, 4, 4]])  # PNG is lossless
    jpgs = open_video_reference(archive_reference(folder / "frames.zip", "nmfs/b/image_%05d.jpg"))
    assert jpgs.first == 1 and jpgs.num_frames == 10
    assert np.abs(jpgs.frames([2]).astype(int) - frames[[2]]).mean() < 3  # JPEG: close
    assert open_video_reference(archive_reference(folder / "frames.zip", "gap/%04d.png")).num_frames == 2
    assert video_present(archive_reference(folder / "frames.zip", "nmfs/b/image_%05d.jpg"))
    assert not video_present(archive_reference(folder / "frames.zip", "nmfs/c/image_%05d.jpg"))
    assert not video_present(archive_reference(folder / "absent.zip", "a.mp4"))


def test_only_the_frames_asked_for_are_read(media):
    broken = open_video_reference(archive_reference(media["folder"] / "frames.zip", "broken/%04d.png"))
    assert broken.frames([0, 0]).shape == (2, 64, 64, 3)  # frame 1 is never opened
    with pytest.raises(VideoUnreadable, match=r"frames\.zip#broken/0001\.png: not a PNG or JPEG image"):
        broken.frames([0, 1])


@pytest.mark.parametrize("member, message", [
    ("gif/%04d.png", r"frames\.zip#gif/0000\.png: not a PNG or JPEG image"),
    ("wide/%04d.png", r"frames\.zip#wide/0000\.png: 20000x10 pixels \(limit 8192 a side; SLRBENCH_VIDEO_MAX_SIDE"),
    ("huge/%04d.png", r"frames\.zip#huge/0000\.png: Image size \(10000000000 pixels\) exceeds limit"),
    ("lies.mp4", r"frames\.zip#lies\.mp4: claims 2,147,483,647 frames \(limit 100,000"),
    ("missing.mp4", r"frames\.zip#missing\.mp4: missing \(no such member in frames\.zip\)"),
    ("none/%04d.png", r"frames\.zip#none/%04d\.png: missing \(neither frame 'none/0000\.png' nor"),
])
def test_hostile_or_absent_members_are_one_line_naming_the_member(media, member, message):
    with pytest.raises(VideoUnreadable, match=message):
        video = open_video_reference(archive_reference(media["folder"] / "frames.zip", member))
        video.frames([0])


def test_a_damaged_archive_a_bad_crc_and_a_member_over_the_limit_are_refused(media, tmp_path, monkeypatch):
    damaged = tmp_path / "damaged.zip"
    data = bytearray((media["folder"] / "frames.zip").read_bytes())
    with zipfile.ZipFile(media["folder"] / "frames.zip") as archive:
        info = archive.getinfo("msasl/a/0003.png")
    data[info.header_offset + 30 + len(info.filename) + len(info.extra) + 40] ^= 0xFF  # inside the PNG
    damaged.write_bytes(bytes(data))
    frames = open_video_reference(archive_reference(damaged, "msasl/a/%04d.png"))
    with pytest.raises(VideoUnreadable, match=r"damaged\.zip#msasl/a/0003\.png: Bad CRC-32"):
        frames.frames([2, 3])
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"PK\x03\x04 nothing else")
    with pytest.raises(VideoUnreadable, match=r"not\.zip: not a readable zip archive"):
        open_video_reference(archive_reference(not_zip, "a.mp4"))
    assert video_present(archive_reference(not_zip, "a.mp4"))  # present: reading it says why
    monkeypatch.setenv("SLRBENCH_ZIP_MAX_MEMBER_MB", "1")
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.mp4", b"\0" * (3 << 20))  # 3 MB that pack into a few kilobytes
    with pytest.raises(VideoUnreadable, match=r"big\.zip#bomb\.mp4: 3 MB unpacked \(limit 1 MB; "
                                              r"SLRBENCH_ZIP_MAX_MEMBER_MB raises it\)"):
        open_video_reference(archive_reference(big, "bomb.mp4"))


def test_the_loaders_workers_read_zip_members_as_they_read_the_files(media, tmp_path):
    """Two workers, each with its own descriptor: the same batches from the zip as from the file."""
    keypoints = tmp_path / "k.npy"
    np.save(keypoints, np.random.default_rng(0).uniform(0, 64, (20, 133, 3)).astype(np.float32))
    rows = [{"sample_id": f"s{i}", "split": "test", "label": i % 2, "gloss": "", "keypoints": str(keypoints),
             "start": i, "end": 20 - i, "keypoints_frame": ""} for i in range(6)]
    videos = {"loose": str(media["loose"]),
              "zip": archive_reference(media["folder"] / "deflated.zip", "WLASL2000/00001.mp4")}
    settings = LoaderSettings(num_frames=8, video_size=32, heatmap_size=16)
    batches = {}
    for form, video in videos.items():
        table = pd.DataFrame([{**row, "video": video} for row in rows])
        loader = ClipLoader(table, "test", settings, batch_size=2, num_workers=2, seed=1)
        batches[form] = list(loader.batches())
        assert not loader.report.skipped
    assert len(batches["zip"]) == len(batches["loose"]) == 3
    for ours, theirs in zip(batches["zip"], batches["loose"], strict=True):
        assert np.array_equal(ours["inputs"]["video"].numpy(), theirs["inputs"]["video"].numpy())
        assert np.array_equal(ours["inputs"]["keypoints"].numpy(), theirs["inputs"]["keypoints"].numpy())


def test_a_manifest_may_name_zip_members_and_frame_sequences(media, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from slrbench.cli.app import app

    for name in ("stored.zip", "frames.zip"):
        shutil.copy(media["folder"] / name, tmp_path / name)
    (tmp_path / "manifest.csv").write_text(
        "sample_id,split,label,gloss,video,keypoints,start,end\n"
        "a,train,0,,stored.zip#WLASL2000/00001.mp4,,,\n"
        "b,test,1,,frames.zip#msasl/a/%04d.png,,,\n"
        "c,test,1,,frames.zip#nmfs/b/image_%05d.jpg,,2,8\n")
    result = CliRunner().invoke(app, ["data", "check", "--benchmark", "manifest", "--data-root", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    import json

    splits = json.loads(result.stdout)["splits"]
    assert splits["train"]["usable"] == 1 and splits["test"]["usable"] == 2 and splits["test"]["unreadable"] == 0
