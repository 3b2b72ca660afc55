"""The engine: everything built once per process and shared by every conversation.

The server's lifespan and every command-line tool build one :class:`Engine` from :class:`Settings`. It owns
the stores, their menus (loaded and fingerprinted once), a tier-1 matcher per menu, the SLM backends and one
fallback chain per brand adapter, and - on first use - the voice models (Whisper, Piper, the Silero VAD).
Nothing below this layer chooses a concrete class.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from orderline.engine.assets import demo_stores_file, resolve_menu_path
from orderline.engine.process import configure_process
from orderline.engine.settings import Settings
from orderline.engine.slm import SlmBackends, SlmMonitor, SlmOptions
from orderline.engine.stores import StoreConfig, StoreError, load_stores
from orderline.menu.fingerprint import menu_fingerprint
from orderline.menu.loader import load_menu
from orderline.menu.schema import Menu
from orderline.nlu.base import Understander
from orderline.nlu.hybrid import HybridUnderstander
from orderline.nlu.matcher import RuleMatcher

if TYPE_CHECKING:
    from orderline.asr.base import Transcriber
    from orderline.audio.vad import SileroVad, Vad
    from orderline.tts.piper import PiperSynthesizer

log = structlog.get_logger("orderline.engine")


LIVE_MENU_CACHE = 256
"""Menus with an 86 list applied, kept per (store, list); a list changes a few times a shift."""


class UnknownStoreError(LookupError):
    """No store with that id is configured."""


@dataclass(frozen=True)
class StoreMenu:
    """A menu as loaded (availability as in the file), its fingerprint and its understanders."""

    menu: Menu
    path: Path
    fingerprint: str
    rules: RuleMatcher
    understander: Understander


class Engine:
    """Shared models and configuration. Build with :meth:`build`; close with :meth:`aclose`."""

    def __init__(
        self,
        settings: Settings,
        stores: dict[str, StoreConfig],
        menus: dict[str, StoreMenu],
        backends: SlmBackends | None,
    ) -> None:
        self.settings = settings
        self.stores = stores
        self._menus = menus
        self.backends = backends
        self.slm = SlmMonitor(budget_ms=settings.slm_step_timeout_s * 1000, enabled=backends is not None)
        self._live: dict[tuple[str, frozenset[str]], Menu] = {}
        self._vocabulary: dict[Path, tuple[str, ...]] = {}
        self._voice_lock = threading.Lock()
        self._transcriber: Transcriber | None = None
        self._synthesizer: PiperSynthesizer | None = None
        self._vad: SileroVad | None = None
        self.pool = ThreadPoolExecutor(
            max_workers=settings.model_workers, thread_name_prefix="orderline-model"
        )
        """Where ASR, TTS and SLM work runs, so an event loop never blocks on a model (bounded)."""

    def model_queue(self) -> int:
        """Model calls waiting for a pool thread now (ASR, TTS, SLM): the saturation signal for admission."""
        queue = getattr(self.pool, "_work_queue", None)
        return int(queue.qsize()) if queue is not None else 0

    @classmethod
    def build(cls, settings: Settings, *, nlu: str | None = None) -> Engine:
        """Load stores, menus and (for hybrid understanding) the SLM. Blocking: seconds with the SLM.

        Raises:
            StoreError, MenuError: configuration that cannot be served.
        """
        configure_process(settings)
        started = time.perf_counter()
        stores = load_stores(settings.stores_file or demo_stores_file())
        mode = nlu or settings.nlu
        backends = SlmBackends.build(SlmOptions.from_settings(settings)) if mode == "hybrid" else None
        menus: dict[str, StoreMenu] = {}
        loaded: dict[Path, tuple[Menu, str, RuleMatcher]] = {}
        for store in stores.values():
            try:
                path = resolve_menu_path(store.menu, settings.menus_dir).resolve()
            except FileNotFoundError as exc:
                raise StoreError(f"store {store.id!r}: {exc}") from None
            if path not in loaded:
                menu = load_menu(path)
                loaded[path] = (menu, menu_fingerprint(menu), RuleMatcher(menu))
            menu, fingerprint, rules = loaded[path]
            understander: Understander = rules
            if backends is not None:
                understander = HybridUnderstander(menu, backends.chain(store.brand_adapter), rules=rules)
            menus[store.id] = StoreMenu(menu, path, fingerprint, rules, understander)
        log.info(
            "engine_built",
            stores=sorted(stores),
            nlu=mode,
            slm=settings.slm_backend if backends else None,
            seconds=round(time.perf_counter() - started, 2),
        )
        return cls(settings, stores, menus, backends)

    # -- stores and menus
    def store(self, store_id: str) -> StoreConfig:
        try:
            return self.stores[store_id]
        except KeyError:
            raise UnknownStoreError(store_id) from None

    def store_menu(self, store_id: str) -> StoreMenu:
        self.store(store_id)
        return self._menus[store_id]

    def live_menu(self, store_id: str, unavailable: frozenset[str]) -> Menu:
        """The store's menu with today's 86 list applied (cached per distinct list)."""
        menu = self.store_menu(store_id).menu
        if not unavailable:
            return menu
        key = (store_id, unavailable)
        if key not in self._live:
            if len(self._live) >= LIVE_MENU_CACHE:
                self._live.clear()
            self._live[key] = menu.with_availability(set(unavailable))
        return self._live[key]

    def vocabulary(self, store_id: str) -> tuple[str, ...]:
        """ASR biasing phrases of the store's menu (computed once per menu)."""
        sm = self.store_menu(store_id)
        if sm.path not in self._vocabulary:
            from orderline.dialog.hearing import menu_vocabulary

            self._vocabulary[sm.path] = menu_vocabulary(sm.menu)
        return self._vocabulary[sm.path]

    def daypart(self, store_id: str) -> str | None:
        from orderline.menu.dayparts import daypart_at

        return daypart_at(self.store_menu(store_id).menu, self.store(store_id).local_time())

    # -- SLM
    async def warm_up(self) -> float | None:
        """One SLM call at start-up: its latency against the step budget (logged once if it is too slow)."""
        if self.backends is None:
            return None
        for sm in self._menus.values():
            if isinstance(sm.understander, HybridUnderstander):
                item = next((i for i in sm.menu.items if sm.menu.groups_for(i)), None)
                if item is None:
                    continue
                option = sm.menu.groups_for(item)[0].options[0]
                started = time.perf_counter()
                answer = await sm.understander.fill(item, f"can you nix the {option.name.lower()}")
                ms = (time.perf_counter() - started) * 1000
                self.slm.warmed(ms, answered=answer.ops is not None)
                return ms
        return None

    # -- voice models, built on first use and shared
    def transcriber(self) -> Transcriber:
        with self._voice_lock:
            if self._transcriber is None:
                from orderline.asr.whisper import WhisperTranscriber

                s = self.settings
                self._transcriber = WhisperTranscriber(
                    s.asr_model,
                    prompt_tokens=s.asr_prompt_tokens,
                    beam_size=s.asr_beam,
                    window_s=s.window_s,
                    cpu_threads=s.threads,
                )
            return self._transcriber

    def synthesizer(self) -> PiperSynthesizer:
        with self._voice_lock:
            if self._synthesizer is None:
                from orderline.asr.base import SAMPLE_RATE
                from orderline.tts.base import ACKNOWLEDGMENTS
                from orderline.tts.piper import PiperSynthesizer

                self._synthesizer = PiperSynthesizer(output_rate=SAMPLE_RATE)
                self._synthesizer.warm(ACKNOWLEDGMENTS)  # replies open with these: their audio is ready
            return self._synthesizer

    def new_vad(self) -> Vad:
        """A Silero VAD for one stream: its own recurrent state over the one ONNX session loaded here."""
        with self._voice_lock:
            if self._vad is None:
                from orderline.audio.vad import SileroVad

                self._vad = SileroVad()
            return self._vad.sibling()

    async def aclose(self) -> None:
        if self.backends is not None:
            await self.backends.aclose()
        self.pool.shutdown(wait=True, cancel_futures=True)
