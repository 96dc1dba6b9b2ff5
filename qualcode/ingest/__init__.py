"""Reading material in: one pure reader per format (:mod:`.importers`), segmentation, case mapping, and the import run that writes it all in one transaction."""
