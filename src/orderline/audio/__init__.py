"""Audio below the ASR: wire codecs, resampling, WAV files, voice activity, turn and barge-in detection.

Everything here works on 16 kHz mono float32 internally and knows nothing of menus or orders.
"""

from orderline.audio.codecs import (
    INTERNAL_RATE,
    PCM16_16K,
    TELEPHONY,
    AudioFormat,
    AudioFormatError,
    Resampler,
    float_to_pcm16,
    frames,
    mulaw_decode,
    mulaw_encode,
    pcm16_to_float,
    resample,
)
from orderline.audio.turns import (
    Backchannel,
    BargeIn,
    BargeInConfig,
    BargeInConfirmed,
    BargeInDetector,
    BargeInEvent,
    EndpointConfig,
    SpeechPaused,
    SpeechStarted,
    TurnDetector,
    TurnEnded,
    TurnEvent,
)
from orderline.audio.vad import EnergyVad, SileroVad, SpeechGate, Vad, Windower
from orderline.audio.wav import read_wav, write_wav

__all__ = [
    "INTERNAL_RATE",
    "PCM16_16K",
    "TELEPHONY",
    "AudioFormat",
    "AudioFormatError",
    "Backchannel",
    "BargeIn",
    "BargeInConfig",
    "BargeInConfirmed",
    "BargeInDetector",
    "BargeInEvent",
    "EndpointConfig",
    "EnergyVad",
    "Resampler",
    "SileroVad",
    "SpeechGate",
    "SpeechPaused",
    "SpeechStarted",
    "TurnDetector",
    "TurnEnded",
    "TurnEvent",
    "Vad",
    "Windower",
    "float_to_pcm16",
    "frames",
    "mulaw_decode",
    "mulaw_encode",
    "pcm16_to_float",
    "read_wav",
    "resample",
    "write_wav",
]
