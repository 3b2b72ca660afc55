from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from orderline.audio.codecs import AudioFormatError
from orderline.audio.wav import read_wav, write_wav


def raw_wav(path: Path, data: bytes, *, width: int, channels: int, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)
    return path


def test_write_then_read_round_trips_16_bit_mono(tmp_path: Path) -> None:
    x = (0.5 * np.sin(np.arange(1600) / 7)).astype(np.float32)
    write_wav(tmp_path / "a.wav", x, 16000)
    y, rate = read_wav(tmp_path / "a.wav")
    assert rate == 16000
    assert y.dtype == np.float32
    assert np.max(np.abs(x - y)) <= 1 / 32768
    with wave.open(str(tmp_path / "a.wav"), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)


def test_write_clips_out_of_range_samples(tmp_path: Path) -> None:
    write_wav(tmp_path / "a.wav", np.array([1.5, -1.5], np.float32), 8000)
    y, _ = read_wav(tmp_path / "a.wav")
    assert y.tolist() == [32767 / 32768, -1.0]


def test_stereo_is_downmixed(tmp_path: Path) -> None:
    frames = np.array([[1000, 3000], [-2000, 0]], np.int16).astype("<i2").tobytes()
    y, rate = read_wav(raw_wav(tmp_path / "s.wav", frames, width=2, channels=2, rate=22050))
    assert rate == 22050
    assert np.allclose(y, [2000 / 32768, -1000 / 32768])


def test_8_bit_unsigned_is_read(tmp_path: Path) -> None:
    y, _ = read_wav(raw_wav(tmp_path / "b.wav", bytes([128, 255, 0, 192]), width=1, channels=1))
    assert y.tolist() == [0.0, 127 / 128, -1.0, 0.5]


def test_24_bit_is_rejected_clearly(tmp_path: Path) -> None:
    path = raw_wav(tmp_path / "c.wav", bytes(6), width=3, channels=1)
    with pytest.raises(AudioFormatError, match="24-bit"):
        read_wav(path)


def test_a_file_that_is_not_wav_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"ID3 this is an mp3")
    with pytest.raises(AudioFormatError, match="not a readable PCM WAV"):
        read_wav(path)


def test_write_rejects_bad_rate_and_non_float_audio(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="positive"):
        write_wav(tmp_path / "a.wav", np.zeros(4, np.float32), 0)
    with pytest.raises(AudioFormatError, match="floating"):
        write_wav(tmp_path / "a.wav", np.zeros(4, np.int16), 8000)
