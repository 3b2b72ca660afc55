"""Speech synthesis: the ``Synthesizer`` contract and sentence splitting.

The Piper backend lives in ``orderline.tts.piper`` (imported on demand: it loads onnxruntime).
"""

from orderline.tts.base import AudioChunk, Synthesizer, speech_chunks, split_sentences

__all__ = ["AudioChunk", "Synthesizer", "speech_chunks", "split_sentences"]
