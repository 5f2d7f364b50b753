"""Numbers the whole harness agrees on, defined once."""

CSM_SAMPLE_RATE = 24_000  # Mimi, CSM's codec, works at 24 kHz
ASR_SAMPLE_RATE = 16_000  # Whisper and the speaker encoders take 16 kHz
MAX_CLIP_SECONDS = 30.0  # the notebook's limit on one training clip
MIN_CLIP_SECONDS = 2.0
SILENCE_DBFS = -60.0  # audio whose peak stays below this is treated as silent
CSM_FRAME_RATE = 12.5  # Mimi audio frames per second (CSM's audio tokens)
