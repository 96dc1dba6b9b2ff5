"""Every word the outputs show a reader, in the codebook's language: one language per output.

The analysis returns codes, directions, values and facts (:mod:`qualcode.analysis.results`);
the renderers (workbook, report, heatmap, the CLI's tables) look their words up here with
:func:`words`, so a Dutch codebook gives a Dutch workbook, report and terminal table alike.
Add a language by adding a dict to :data:`TEXT` (and, if wanted, :data:`ATTRIBUTE_LABELS`
and :data:`SELECTION`); a missing language falls back to English.

Two words are not here but in :mod:`qualcode.analysis.matrix` (``KEY_WORDS``): the name of
the missing group value, "(geen waarde)", and "verschil" in the name of a difference block of
the comparison table. They are keys of the analysis' own tables (group names), made before
any rendering; this module reads them from there so that there is one copy of each.
"""
from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from qualcode.analysis.matrix import KEY_WORDS, code_label, direction_label

if TYPE_CHECKING:
    from qualcode.analysis.passages import Passage
    from qualcode.analysis.results import Analysis, Cell, Difference, Provenance, Selection

DEFAULT_LANGUAGE = "en"

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Kansen en risico's per aspect van werk",
        "aspect": "Aspect",
        "segments": "fragmenten",
        "cases": "cases",
        "share": "aandeel cases",
        "suggested": "waarvan suggestie",
        "n_cases": "aantal cases (met te coderen fragmenten)",
        "n_cases_row": "n cases",
        "cell_legend": "Per cel: aantal fragmenten (aantal verschillende cases van het aantal cases in de groep, "
                       "aandeel). Kleur: aandeel cases.",
        "cell_text": "{segments}{mark} ({cases} van {n}, {percent}%)",
        "points": "{points:+d} pp",
        "share_percent": "aandeel cases (%)",
        "scope_study": "studie {study}",
        "scope_pooled": "alle studies samen ({studies})",
        "scope_title": "{title} — {scope}",
        "scope_line": "n = {n:#case|cases}; {selection}",
        "question": "Vraag",
        "source": "Bron",
        "document": "Document",
        "position": "positie {position}",
        "row": "rij {row}",
        "time": "Tijd",
        "memo": "Memo",
        "memos": "Memo's",
        "role": "Rol",
        "co_occurrence": "Samen gecodeerd: aspecten en richtingen op hetzelfde fragment",
        "co_occurrence_legend": "Per paar: aantal fragmenten met beide codes (aantal verschillende cases).",
        "no_co_occurrence": "geen fragmenten met twee of meer codes",
        "pair": "Paar",
        "first": "Eerste",
        "second": "Tweede",
        "passages": "Fragmenten",
        "passages_of": "Alle {n} fragmenten van deze cel",
        "passages_of_one": "Het enige fragment van deze cel",
        "agreement": "Overeenstemming tussen codeurs",
        "suggested_legend": "* inclusief machinesuggesties die nog niet beoordeeld zijn",
        "suggested_note": "[n sugg.] = waarvan n machinesuggesties, nog niet beoordeeld",
        "difference": KEY_WORDS["nl"]["difference"],
        "no_value": KEY_WORDS["nl"]["no_value"],
        "all": "alle",
        "quotes": "Citaten per cel",
        "quote": "Citaat",
        "case": "Case",
        "segment": "Fragment",
        "rank": "Nr",
        "status": "Status",
        "accepted": "beoordeeld",
        "suggestion": "suggestie",
        "direction": "Richting",
        "by_group": "Matrix per groep",
        "compare": "Vergelijking",
        "provenance": "Herkomst",
        "codebook": "Codeboek",
        "version": "versie",
        "project": "Project",
        "project_id": "Project-id",
        "date": "Datum",
        "counted": "Wat telt",
        "filters": "Filters",
        "none": "geen",
        "codebook_changes": "Wijzigingen in het codeboek tussen de vergeleken versies",
        "no_quotes": "geen citaten",
        "study": "Studie",
        "suggested_italic": "Cursief vet: het aantal bevat machinesuggesties die nog niet beoordeeld zijn.",
        "counts_line": "{coded} van {total:#te coderen fragment|te coderen fragmenten} gecodeerd; {cases:#case|cases}; "
                       "{codings:#codering|coderingen}, waarvan {suggested:#machinesuggestie|machinesuggesties}",
        "group": "Groep",
        "legend_sheet": "Lees: fragmenten = aantal gecodeerde fragmenten; cases = aantal verschillende respondenten of groepen.",
        "codebook_warning": "Let op: de vergeleken codes zijn met verschillende codeboekversies gemaakt",
        "item": "onderdeel",
        "title_item": "titel",
        "value": "waarde",
        "privacy": "privacy",
        "privacy_note": "cases verschijnen alleen met hun pseudoniem; sprekerlabels en case-id's zijn weggelaten",
        "no_compare_sheet": "geen blad Vergelijking: {reason}",
        "no_comparison": "geen vergelijking van studies: {reason}",
        "per_study_note": "De studies ({studies}) zijn apart geanalyseerd: elke studie heeft haar eigen matrix, "
                          "citaten en samen-gecodeerde paren, want een samengevoegde tabel zou citaten uit studies "
                          "met een andere vraag en andere respondenten naast elkaar zetten. Samen, met citaten over "
                          "alle studies: `--all-studies`. Het werkblad Citaten heeft ze in één tabel met een kolom "
                          "Studie om op te filteren.",
        # sheet names of the results workbook (at most 31 characters)
        "sheet_matrix": "Matrix",
        "sheet_groups": "Matrix per groep",
        "sheet_quotes": "Citaten",
        "sheet_segments": "Gecodeerde fragmenten",
        "sheet_co_occurrence": "Samen gecodeerd",
        "sheet_presence": "Codes per case",
        "sheet_codebook": "Codeboek",
        "sheet_cases": "Cases",
        "sheet_compare": "Vergelijking",
        "sheet_agreement": "Overeenstemming",
        "sheet_about": "Herkomst",
        # column headers
        "h_text": "Tekst",
        "h_speaker": "Spreker (pseudoniem)",
        "h_code_id": "Code-id",
        "h_code_path": "Codepad",
        "h_origin": "Gecodeerd door",
        "h_coder": "Codeur",
        "h_segment_id": "Fragment-id",
        "h_source_row": "Bronrij",
        "h_position": "Positie",
        "h_label": "Label",
        "h_parent": "Bovenliggende code",
        "h_includes": "Omvat",
        "h_excludes": "Omvat niet",
        "h_example": "Voorbeeld",
        "h_words": "Woorden",
        "h_compounds": "Samenstellingen",
        "h_phrases": "Woordgroepen",
        "h_exclude": "Uitsluiten",
        "h_opposite": "Tegengestelde waarde",
        "h_valence": "Waarde",
        "h_color": "Kleur",
        "h_segments_to_code": "te coderen fragmenten",
        "h_documents": "documenten",
        "h_segments_short": "fragm.",
        "h_n": "n",
        "h_both": "beiden",
        "h_neither": "geen van beiden",
        "h_only": "alleen {coder}",
        "h_other_direction": "andere richting",
        "h_percent_agreement": "% overeenstemming",
        "h_kappa": "kappa",
        "h_alpha": "alpha",
        "h_note": "Toelichting",
        # values
        "origin_keyword": "trefwoorden (machine)",
        "origin_model": "model (machine)",
        "origin_human": "codeur",
        "valence_positive": "positief",
        "valence_negative": "negatief",
        "all_codes": "alle codes",
        "all_directions": "alle richtingen",
        "presence": "aanwezig",
        "agreement_note_not_used": "door geen van beide codeurs gebruikt: overeenstemming is vanzelf 100%, "
                                   "kappa/alpha niet gedefinieerd",
        "agreement_note_too_few": "minder dan 2 eenheden: kappa/alpha niet gedefinieerd",
        "agreement_note_no_units": "geen fragmenten die beide codeurs beoordeelden: niets te vergelijken",
        "agreement_units": "{units:#fragment|fragmenten} beoordeeld door zowel {a} als {b}{where}; weggelaten: {only_a} alleen "
                           "door {a}, {only_b} alleen door {b} beoordeeld.",
        "agreement_where": " ({attribute} = {group})",
        "filter_by": "per {v}",
        "filter_compare_by": "vergeleken per {v}",
        "filter_per_cell": "{v} citaten per cel",
        "filter_study": "alleen studie {v}",
        "agreement_heading": "Overeenstemming tussen codeurs: {a} en {b}",
        "agreement_meaning": "Per aspect: is het aspect (in welke richting dan ook) bij een fragment gecodeerd, "
                             "door beide codeurs of door geen van beiden. Cohen's kappa en Krippendorff's alpha "
                             "corrigeren de overeenstemming voor toeval: 1 is volledige overeenstemming, 0 niet beter "
                             "dan toeval; vanaf 0,80 geldt als goed, 0,67–0,80 als voorlopig.",
        "undefined": "–",
        "heat_legend": "Per cel, van boven naar onder: aantal fragmenten; aantal verschillende cases van het aantal "
                       "cases in de groep; aandeel cases. Kleur: aandeel cases.",
        "scenarios": "Scenario's per aspect (opzet)",
        "scenario_intro": "Een eerste opzet, geschreven uit de gecodeerde fragmenten: per aspect en richting de "
                          "aantallen per groep, de terugkerende thema's en citaten uit verschillende cases. "
                          "Herschrijf de zinnen; elk getal staat ook in de matrix, elk citaat bij de fragmenten.",
        "scenario_count": "{aspect}, {direction}: genoemd door {cases} van de {n:#case|cases} ({percent}%), in "
                          "{segments:#fragment|fragmenten}.",
        "scenario_none": "{aspect}, {direction}: geen enkele case noemt dit.",
        "scenario_groups": "Per {attribute}: {items}.",
        "scenario_group": "{group} {cases} van {n} ({percent}%)",
        "scenario_themes": "Terugkerende thema's (trefwoorden, in {k} van de {segments:#fragment|fragmenten} gevonden): "
                           "{items}.",
        "scenario_theme": "„{text}” ({n}×)",
        "scenario_subcodes": "Sub-codes: {items}.",
        "scenario_no_themes": "Geen terugkerende trefwoorden: de fragmenten zijn (ook) met de hand gecodeerd of "
                              "noemen steeds iets anders.",
        "scenario_together": "Vaak op hetzelfde fragment gecodeerd met: {items}.",
        "scenario_together_item": "{cell} ({n:#fragment|fragmenten})",
        "scenario_quotes": "Citaten",
        "scenario_todo": "[Duiding: wat zeggen deze cases, en waarin verschillen de groepen?]",
    },
    "en": {
        "title": "Opportunities and risks per aspect of work",
        "aspect": "Aspect",
        "segments": "segments",
        "cases": "cases",
        "share": "share of cases",
        "suggested": "of which suggested",
        "n_cases": "number of cases (with segments to code)",
        "n_cases_row": "n cases",
        "cell_legend": "Each cell: number of segments (distinct cases of the group's cases, share). "
                       "Colour: share of cases.",
        "cell_text": "{segments}{mark} ({cases} of {n}, {percent}%)",
        "points": "{points:+d} pp",
        "share_percent": "share of cases (%)",
        "scope_study": "study {study}",
        "scope_pooled": "all studies pooled ({studies})",
        "scope_title": "{title} — {scope}",
        "scope_line": "n = {n:#case|cases}; {selection}",
        "question": "Question",
        "source": "Source",
        "document": "Document",
        "position": "position {position}",
        "row": "row {row}",
        "time": "Time",
        "memo": "Memo",
        "memos": "Memos",
        "role": "Role",
        "co_occurrence": "Coded together: aspects and directions on the same segment",
        "co_occurrence_legend": "Per pair: number of segments with both codes (number of distinct cases).",
        "no_co_occurrence": "no segments with two or more codes",
        "pair": "Pair",
        "first": "First",
        "second": "Second",
        "passages": "Segments",
        "passages_of": "All {n} segments of this cell",
        "passages_of_one": "The only segment of this cell",
        "agreement": "Agreement between coders",
        "suggested_legend": "* includes machine suggestions not yet reviewed",
        "suggested_note": "[n sugg.] = of which n machine suggestions, not yet reviewed",
        "difference": KEY_WORDS["en"]["difference"],
        "no_value": KEY_WORDS["en"]["no_value"],
        "all": "all",
        "quotes": "Quotes per cell",
        "quote": "Quote",
        "case": "Case",
        "segment": "Segment",
        "rank": "No",
        "status": "Status",
        "accepted": "reviewed",
        "suggestion": "suggestion",
        "direction": "Direction",
        "by_group": "Matrix by group",
        "compare": "Comparison",
        "provenance": "Provenance",
        "codebook": "Codebook",
        "version": "version",
        "project": "Project",
        "project_id": "Project id",
        "date": "Date",
        "counted": "What counts",
        "filters": "Filters",
        "none": "none",
        "codebook_changes": "Codebook changes between the compared versions",
        "no_quotes": "no quotes",
        "study": "Study",
        "suggested_italic": "Bold italic: the count includes machine suggestions not yet reviewed.",
        "counts_line": "{coded} of {total:#segment to code is coded|segments to code are coded}; {cases:#case|cases}; "
                       "{codings:#coding|codings}, of which {suggested:#machine suggestion|machine suggestions}",
        "group": "Group",
        "legend_sheet": "Read: segments = number of coded segments; cases = number of distinct respondents or groups.",
        "codebook_warning": "Note: the compared codings were made with different codebook versions",
        "item": "item",
        "title_item": "title",
        "value": "value",
        "privacy": "privacy",
        "privacy_note": "cases appear by pseudonym only; speaker labels and case ids are left out",
        "no_compare_sheet": "no Compare sheet: {reason}",
        "no_comparison": "no comparison of studies: {reason}",
        "per_study_note": "The studies ({studies}) are analysed apart: each has its own matrix, quotes and pairs "
                          "coded together, since a pooled table would put quotes from studies with other questions "
                          "and other respondents side by side. Pooled, with quotes across all studies: "
                          "`--all-studies`. The workbook's Quotes sheet holds them in one table with a Study column "
                          "to filter on.",
        "sheet_matrix": "Matrix",
        "sheet_groups": "Matrix by group",
        "sheet_quotes": "Quotes",
        "sheet_segments": "Coded segments",
        "sheet_co_occurrence": "Co-occurrence",
        "sheet_presence": "Code presence per case",
        "sheet_codebook": "Codebook",
        "sheet_cases": "Cases",
        "sheet_compare": "Compare",
        "sheet_agreement": "Agreement",
        "sheet_about": "About",
        "h_text": "Text",
        "h_speaker": "Speaker (pseudonym)",
        "h_code_id": "Code id",
        "h_code_path": "Code path",
        "h_origin": "Coded by",
        "h_coder": "Coder",
        "h_segment_id": "Segment id",
        "h_source_row": "Source row",
        "h_position": "Position",
        "h_label": "Label",
        "h_parent": "Parent code",
        "h_includes": "Includes",
        "h_excludes": "Excludes",
        "h_example": "Example",
        "h_words": "Words",
        "h_compounds": "Compounds",
        "h_phrases": "Phrases",
        "h_exclude": "Exclude",
        "h_opposite": "Opposite valence",
        "h_valence": "Valence",
        "h_color": "Colour",
        "h_segments_to_code": "segments to code",
        "h_documents": "documents",
        "h_segments_short": "segm.",
        "h_n": "n",
        "h_both": "both",
        "h_neither": "neither",
        "h_only": "only {coder}",
        "h_other_direction": "other direction",
        "h_percent_agreement": "% agreement",
        "h_kappa": "kappa",
        "h_alpha": "alpha",
        "h_note": "Note",
        "origin_keyword": "keywords (machine)",
        "origin_model": "model (machine)",
        "origin_human": "coder",
        "valence_positive": "positive",
        "valence_negative": "negative",
        "all_codes": "all codes",
        "all_directions": "all directions",
        "presence": "present",
        "agreement_note_not_used": "not used by either coder: agreement is trivially 100%, kappa/alpha undefined",
        "agreement_note_too_few": "fewer than 2 units: kappa/alpha undefined",
        "agreement_note_no_units": "no segments decided by both coders: nothing to compare",
        "agreement_units": "{units:#segment|segments} decided by both {a} and {b}{where}; left out: {only_a} decided only by "
                           "{a}, {only_b} only by {b}.",
        "agreement_where": " ({attribute} = {group})",
        "filter_by": "by {v}",
        "filter_compare_by": "compared by {v}",
        "filter_per_cell": "{v} quotes per cell",
        "filter_study": "study {v} only",
        "agreement_heading": "Agreement between coders: {a} and {b}",
        "agreement_meaning": "Per aspect: whether the aspect (in any direction) was coded on a segment, by both "
                             "coders or by neither. Cohen's kappa and Krippendorff's alpha correct the agreement for "
                             "chance: 1 is full agreement, 0 no better than chance; 0.80 and above counts as good, "
                             "0.67–0.80 as tentative.",
        "undefined": "–",
        "heat_legend": "Per cell, top to bottom: number of segments; distinct cases of the group's cases; share of "
                       "cases. Colour: share of cases.",
        "scenarios": "Scenarios per aspect (draft)",
        "scenario_intro": "A first draft, written from the coded segments: per aspect and direction the counts per "
                          "group, the recurring themes and quotes from different cases. Rewrite the sentences; "
                          "every figure is also in the matrix, every quote with the segments.",
        "scenario_count": "{aspect}, {direction}: raised by {cases} of {n:#case|cases} ({percent}%), in "
                          "{segments:#segment|segments}.",
        "scenario_none": "{aspect}, {direction}: no case raised this.",
        "scenario_groups": "By {attribute}: {items}.",
        "scenario_group": "{group} {cases} of {n} ({percent}%)",
        "scenario_themes": "Recurring themes (keywords, found in {k} of the {segments:#segment|segments}): {items}.",
        "scenario_theme": "“{text}” ({n}×)",
        "scenario_subcodes": "Sub-codes: {items}.",
        "scenario_no_themes": "No recurring keywords: the segments were (also) coded by hand or each say something "
                              "else.",
        "scenario_together": "Often coded on the same segment with: {items}.",
        "scenario_together_item": "{cell} ({n:#segment|segments})",
        "scenario_quotes": "Quotes",
        "scenario_todo": "[Interpretation: what do these cases say, and how do the groups differ?]",
    },
}

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

# How a case attribute is named to a reader ('rol' for role); an attribute not listed keeps its name.
# Known by their usual column names in cases files and surveys (Dutch and English).
ATTRIBUTE_LABELS: dict[str, dict[str, str]] = {
    "nl": {"role": "rol", "study": "studie", "school_type": "schooltype", "schooltype": "schooltype",
           "school": "school", "wave": "meting", "ronde": "ronde", "year": "jaar", "jaar": "jaar",
           "sector": "sector", "gender": "gender", "geslacht": "geslacht", "age": "leeftijd", "leeftijd": "leeftijd",
           "function": "functie", "functie": "functie", "region": "regio", "regio": "regio",
           "experience": "ervaring", "ervaring": "ervaring", "group": "groep", "groep": "groep"},
    "en": {"rol": "role", "studie": "study", "school_type": "school type", "schooltype": "school type",
           "meting": "wave", "ronde": "round", "jaar": "year", "geslacht": "gender", "leeftijd": "age",
           "functie": "function", "regio": "region", "ervaring": "experience", "groep": "group"},
}

# Which codings count, in one line (the matrix sheet's note, the provenance, the terminal).
SELECTION: dict[str, dict[str, str]] = {
    "en": {"reconciled": "reconciled decisions (coder '{r}', {settled:#segment|segments}), elsewhere the codes all coders who "
                         "decided a segment accepted ({agreed:#segment|segments} decided by two or more coders, {single} by "
                         "one coder only)",
           "not_reconciled": "nothing was reconciled (no decisions of coder '{r}'; see `qualcode reconcile`): counted "
                             "instead per segment the codes all coders who decided it accepted ({coders}): "
                             "{agreed:#segment|segments} decided by two or more coders, {single} by one coder only",
           "coder": "accepted decisions of coder {c}", "nobody": "no human decisions",
           "suggested": "; plus machine suggestions on segments not yet decided (status 'suggested')",
           "study": "; study {s} only"},
    "nl": {"reconciled": "afgestemde beslissingen (codeur '{r}', {settled:#fragment|fragmenten}), elders de codes die alle "
                         "codeurs van een fragment accepteerden ({agreed:#fragment|fragmenten} door twee of meer codeurs "
                         "beoordeeld, {single} door één codeur)",
           "not_reconciled": "niets afgestemd (geen beslissingen van codeur '{r}'; zie `qualcode reconcile`): geteld "
                             "is in plaats daarvan per fragment wat alle codeurs die het beoordeelden accepteerden "
                             "({coders}): {agreed:#fragment|fragmenten} door twee of meer codeurs beoordeeld, {single} door "
                             "één codeur",
           "coder": "geaccepteerde beslissingen van codeur {c}", "nobody": "geen menselijke beslissingen",
           "suggested": "; plus machinesuggesties bij fragmenten die nog niet beoordeeld zijn (status 'suggested')",
           "study": "; alleen studie {s}"},
}


class _Counted(string.Formatter):
    """``str.format`` plus counted nouns: ``{n:#fragment|fragmenten}`` is '1 fragment' or '3 fragmenten'."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith("#") and "|" in format_spec:
            one, many = format_spec[1:].split("|", 1)
            return f"{value} {one if value == 1 else many}"
        return super().format_field(value, format_spec)


_COUNTED = _Counted()


def fill(template: str, /, **values: Any) -> str:
    """The text with its fields filled in; ``{n:#segment|segments}`` agrees with the number
    ('1 segment', '2 segments'), also a verb with it ('{n:#segment differs|segments differ}')."""
    return _COUNTED.format(template, **values)


def language_of(codebook: Any) -> str:
    """The codebook's language when this module knows it, else English."""
    language = getattr(codebook, "language", DEFAULT_LANGUAGE)
    return language if language in TEXT else DEFAULT_LANGUAGE


def cell_text(segments: int, cases: int, suggested: int = 0, *, mark: str = "") -> str:
    """'12 (5)': segments (distinct cases); ``mark`` is appended when some are suggestions."""
    return f"{segments}{mark if suggested else ''} ({cases})"


def cell_of(cell: "Cell", mark: str = "*") -> str:
    """:func:`cell_text` of one matrix cell."""
    return cell_text(cell.segments, cell.cases, cell.suggested, mark=mark)


class Words:
    """The words of one output: ``w("aspect")``, ``w.code(code)``, ``w.direction(d)``, ``w.attribute("role")``.

    Code and direction labels come from the codebook (it is written in its language);
    everything else from :data:`TEXT`.
    """

    def __init__(self, codebook: Any):
        self.codebook = codebook
        self.language = language_of(codebook)
        self._text = TEXT[self.language]

    def __call__(self, key: str, **values: Any) -> str:
        text = self._text[key]
        return fill(text, **values) if values else text

    # -- labels from the codebook ------------------------------------------------------------
    def code(self, code: str) -> str:
        """The code's label in the codebook, or its id when the codebook does not (or no longer) know it."""
        return code_label(self.codebook, code)

    def direction(self, direction: str) -> str:
        return direction_label(self.codebook, direction)

    def attribute(self, name: str | None) -> str:
        """How an attribute is named to a reader in the output's language ('rol' for role, 'meting' for wave in
        a Dutch codebook's outputs, 'school type' for school_type in English); an unknown one as it is."""
        return ATTRIBUTE_LABELS.get(self.language, {}).get((name or "").strip().casefold(), name or "")

    # -- composed phrases --------------------------------------------------------------------
    def cell(self, cell: "Cell", mark: str = "*") -> str:
        """'6 (5 van 6, 83%)': segments (distinct cases of the group's n, share, half-way rounded up)."""
        if not cell.n_cases:
            return cell_of(cell, mark)
        return self("cell_text", segments=cell.segments, mark=mark if cell.suggested else "", cases=cell.cases,
                    n=cell.n_cases, percent=cell.percent)

    def points(self, difference: "Difference") -> str:
        """'+33 pp': a difference of shares of cases in percentage points."""
        return self("points", points=difference.points)

    def scope(self, analysis: "Analysis") -> str:
        """'studie vo-2025', or 'alle studies samen (po-2019, vo-2025)'; '' for a project without studies."""
        if analysis.study is not None:
            return self("scope_study", study=analysis.study)
        if analysis.studies:
            return self("scope_pooled", studies=", ".join(analysis.studies))
        return ""

    def scope_title(self, analysis: "Analysis", title: str | None = None) -> str:
        """The title of one scope's matrix, naming the study: 'Kansen en risico's … — studie vo-2025'."""
        scope = self.scope(analysis)
        title = title or self("title")
        return self("scope_title", title=title, scope=scope) if scope else title

    def scope_line(self, analysis: "Analysis") -> str:
        """'n = 18 cases; geaccepteerde beslissingen van codeur anna': n and whose decisions count."""
        return self("scope_line", n=analysis.n_cases(), selection=self.selection(analysis.selection))

    def timestamp(self, seconds: float | None) -> str:
        if seconds is None:
            return ""
        total = int(seconds)
        return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"

    def place(self, passage: "Passage") -> str:
        """Where a passage is in its document, as the review shows it: '00:12:34', else 'rij W026' (a table's
        row), else 'positie 12'."""
        if passage.start_time is not None:
            return self.timestamp(passage.start_time)
        if passage.source_row is not None:
            return self("row", row=passage.source_row)
        return self("position", position=passage.position)

    def source(self, passage: "Passage") -> str:
        """'Expert 1 (expert), vo-2025, interview.docx, 00:12:34, fragment 125': a quote's citation."""
        who = passage.pseudonym + (f" ({passage.role})" if passage.role else "")
        where = self.place(passage)
        parts = [who, passage.study or "", passage.document, where, f"{self('segment').lower()} {passage.segment_id}"]
        return ", ".join(p for p in parts if p)

    def group_heading(self, group: str, n_cases: int) -> str:
        """'expert (n = 6)'."""
        return f"{group} (n = {n_cases})"

    def difference_name(self, group: str, baseline: str) -> str:
        """'verschil vo-2025 − po-2019': the name of a difference block of the comparison."""
        return f"{self('difference')} {group} − {baseline}"

    def selection(self, selection: "Selection | None") -> str:
        """One line saying which codings count: 'geaccepteerde beslissingen van codeur anna'."""
        if selection is None:
            return ""
        words = SELECTION.get(self.language, SELECTION[DEFAULT_LANGUAGE])
        if selection.reconciled:
            from qualcode.store.codings import RECONCILED

            key = "not_reconciled" if selection.nothing_reconciled else "reconciled"
            text = fill(words[key], r=RECONCILED, settled=selection.settled_segments,
                        agreed=selection.agreed_segments, single=selection.single_coder_segments,
                        coders=" + ".join(c for c in selection.coders if c != RECONCILED))
        elif selection.coder or selection.coders:
            text = words["coder"].format(c=selection.coder or selection.coders[0])
        else:
            text = words["nobody"]
        if selection.include_suggested:
            text += words["suggested"]
        if selection.study:
            text += words["study"].format(s=selection.study)
        return text

    def number(self, value: float | None, digits: int = 2) -> str:
        """'0,95' (Dutch decimal comma) or '0.95'; '–' for an undefined figure."""
        if value is None:
            return self("undefined")
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.language == "nl" else text

    def sheet(self, key: str) -> str:
        """A sheet name of the results workbook: ``w.sheet("segments")`` is 'Gecodeerde fragmenten'."""
        return self(f"sheet_{key}")

    def origin(self, origin: str | None) -> str:
        """Who made a coding: 'trefwoorden (machine)', 'model (machine)', 'codeur'."""
        return self._text.get(f"origin_{origin}", origin or "")

    def status(self, status: str | None) -> str:
        """'beoordeeld' or 'suggestie' (the same words in every sheet)."""
        return {"accepted": self("accepted"), "suggested": self("suggestion")}.get(status or "", status or "")

    def valence(self, valence: str | None) -> str:
        return self._text.get(f"valence_{valence}", valence or "")

    def agreement_note(self, note: str) -> str:
        """The agreement module's notes (English facts) in this language; an unknown part stays as it is."""
        from qualcode.analysis import agreement as ag

        known = {ag.NOT_USED: "agreement_note_not_used", ag.TOO_FEW: "agreement_note_too_few",
                 ag.NO_UNITS: "agreement_note_no_units"}
        return "; ".join(self(known[part]) if part in known else part for part in note.split("; ") if part)

    def date(self, iso: str, local: bool = True) -> str:
        """'2 december 2026, 18:04' (local time) from an ISO 8601 time; the text as it is when it is not one."""
        from datetime import datetime

        try:
            when = datetime.fromisoformat(iso)
        except (TypeError, ValueError):
            return str(iso)
        if local and when.tzinfo is not None:
            when = when.astimezone()
        month = MONTHS.get(self.language, MONTHS[DEFAULT_LANGUAGE])[when.month - 1]
        return f"{when.day} {month} {when.year}, {when:%H:%M}"

    def filters(self, provenance: "Provenance") -> str:
        """'per rol; vergeleken per studie; 3 citaten per cel': the options an output was made with."""
        parts = []
        for key, value in provenance.filters:
            shown = self.attribute(value) if key in ("by", "compare_by") else value
            parts.append(self._text[f"filter_{key}"].format(v=shown) if f"filter_{key}" in self._text
                         else f"{key}={value}")
        return "; ".join(parts) or self("none")

    def provenance(self, provenance: "Provenance", compare_note: str | None = None) -> list[tuple[str, str]]:
        """The provenance as (label, value) lines: the same lines in the report and the workbook."""
        p = provenance
        items = [
            (self("codebook"), f"{p.codebook} ({p.codebook_language}), {self('version')} "
                               f"{p.codebook_version[:8]}"),
            (self("project"), p.project_file),
            (self("project_id"), p.project_id),
            (self("date"), self.date(p.date)),
            (self("counted"), self.selection(p.selection)),
            (self("filters"), self.filters(p)),
            ("n", self("counts_line", coded=p.coded_segments, total=p.segments_to_code, cases=p.cases,
                       codings=p.codings, suggested=p.suggested_codings)),
            ("qualcode", p.qualcode_version),
        ]
        if compare_note:
            items.append((self("compare"), compare_note))
        return items


def words(codebook: Any) -> Words:
    """The words for an output made with ``codebook`` (its language; English when unknown)."""
    return Words(codebook)


# For messages to the terminal (the CLI speaks English), e.g. why an output has no comparison.
ENGLISH = Words(None)
