"""Renderers of the one analysis result: the Excel workbook, the report (Markdown/HTML), the heatmap, explanations as text; every word a reader sees comes from :mod:`.i18n`."""
