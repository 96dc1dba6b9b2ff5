"""Suggesting codes: the YAML codebook, the NLP pipeline, the keyword coder (:mod:`.keywords`), models learned from decisions (:mod:`.learn`), the named strategies and a coding run."""
