"""Numbers the whole harness agrees on, defined once."""

DATASET_SAMPLE_RATE = 24_000  # a voice dataset's audio: the codecs of CSM (Mimi) and Orpheus (SNAC) work at 24 kHz
ASR_SAMPLE_RATE = 16_000  # Whisper and the speaker encoders take 16 kHz
MAX_CLIP_SECONDS = 30.0  # the notebook's limit on one training clip
MIN_CLIP_SECONDS = 2.0
SILENCE_DBFS = -60.0  # audio whose peak stays below this is treated as silent
