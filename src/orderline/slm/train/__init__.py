"""Fine-tuning: LoRA adapters on a local causal-LM checkpoint (the bundled SmolLM2 or any HF model)."""
