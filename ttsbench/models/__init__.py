"""The model families and what is done with them: one module per family (`families/`: loading, training rows,
LoRA targets, prompts, generation, decoding; `families/decode.py`: the fast engines' shared machinery),
loading checkpoints (`model`), devices, LoRA fine-tuning (`train`) and its options and record (`records`)."""
