"""Exchange with NVivo, ATLAS.ti, MAXQDA and QualCoder through REFI-QDA (QDA-XML 1.0).

* :mod:`.safety` - reading untrusted files: XML through defusedxml, zip members checked
  (path traversal, member count, uncompressed size).
* :mod:`.guids` - deterministic GUIDs (uuid5 of the project id and the object) and lenient
  GUID normalisation.
* :mod:`.codetree` - a codebook as a REFI-QDA code tree (aspect > direction) and back.
* :mod:`.qdc` - ``.qdc`` codebooks, both ways.
* :mod:`.qdpx_write` - a project as a ``.qdpx`` file.
* :mod:`.qdpx_read` - a ``.qdpx`` file as frozen records (pure: no store), with repairs.
* :mod:`.qdpx_import` - those records into the store, in one transaction.

Offsets are Unicode code points into the exact stored text, end exclusive (spec §10.2).
"""
