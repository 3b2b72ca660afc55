"""Small language model backends (tier 2): one Protocol, a local CPU backend and a vLLM HTTP client."""
