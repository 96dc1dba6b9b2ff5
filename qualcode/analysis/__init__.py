"""Pure computations over the codings that count: selection, matrix, quotes, comparison, agreement, codebook statistics, and the one result every output renders (:mod:`.results`)."""
