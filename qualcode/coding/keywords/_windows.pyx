# cython: language_level=3, cdivision=True
"""``Prefilter.windows`` compiled: the same windows from the same run flags, with the loops over a
text's runs in C. ``Prefilter.reference_windows`` (prefilter.py) is the reference: read it for what
each step means; tests/test_prefilter.py holds the two equal. Built by setup.py where a C compiler
is found; without it qualcode runs the Python code."""
import re

from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_GET_LENGTH
from libc.stdlib cimport free, malloc

from qualcode.coding.keywords import runflags

cdef long CANDIDATE = runflags.CANDIDATE
cdef long STAFF = runflags.STAFF
cdef long ENDS_SENTENCE = runflags.ENDS_SENTENCE
cdef long OPENS_SENTENCE = runflags.OPENS_SENTENCE
cdef long MARKS = runflags.MARKS
_RUN = re.compile(r"\S+")


def windows(prefilter, str text):
    """(windows as (start, end), names the staff?) of ``text``, as ``prefilter.reference_windows(text)``."""
    cdef list runs = text.split()
    cdef Py_ssize_t count = len(runs), i, k, lo, hi, mid, cut, block_start, block_end
    cdef Py_ssize_t blocks = 0, cuts_found = 0, total = 0, start, end, last_end = -2
    cdef long flag, marks = 0, staff = 0
    cdef dict known = prefilter.flags
    cdef PyObject* entry
    cdef bint regular
    cdef long* flags = <long*> malloc((count + 1) * sizeof(long))
    cdef Py_ssize_t* starts = <Py_ssize_t*> malloc((count + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* cuts = <Py_ssize_t*> malloc((count + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* spans = <Py_ssize_t*> malloc((2 * count + 2) * sizeof(Py_ssize_t))
    cdef list out
    if flags is NULL or starts is NULL or cuts is NULL or spans is NULL:
        free(flags); free(starts); free(cuts); free(spans)
        raise MemoryError()
    try:
        for i in range(count):
            entry = PyDict_GetItem(known, runs[i])
            if entry is NULL:  # runs seen for the first time
                prefilter.classify_missing(runs)
                known = prefilter.flags
                entry = PyDict_GetItem(known, runs[i])
                if entry is NULL:
                    raise AssertionError(f"the run {runs[i]!r} was not classified")
            flag = <object> entry
            flags[i] = flag
            marks |= flag & MARKS
            staff |= flag & STAFF
            total += PyUnicode_GET_LENGTH(runs[i])
        names_staff = staff != 0
        if not marks:
            return [], names_staff
        if not prefilter.risky_starts.isdisjoint(runs):
            risky_starts, risky_ends = prefilter.risky_starts, prefilter.risky_ends
            for i in range(1, count):
                if runs[i] in risky_starts and runs[i - 1] in risky_ends:
                    return [(0, len(text))], None
        regular = text.count(" ") == count - 1 and PyUnicode_GET_LENGTH(text) == total + count - 1
        if regular:  # one space between runs
            start = 0
            for i in range(count):
                starts[i] = start
                start += PyUnicode_GET_LENGTH(runs[i]) + 1
        else:
            i = 0
            for match in _RUN.finditer(text):
                starts[i] = match.start()
                i += 1
        for i in range(1, count):  # where a sentence surely starts
            if flags[i - 1] & ENDS_SENTENCE and flags[i] & OPENS_SENTENCE and (
                    regular or (starts[i] == starts[i - 1] + PyUnicode_GET_LENGTH(runs[i - 1]) + 1
                                and text[starts[i] - 1] == " ")):
                cuts[cuts_found] = i
                cuts_found += 1
        block_start = block_end = 0
        for i in range(count):  # the blocks around the marked runs
            flag = flags[i]
            if not flag & MARKS:
                continue
            if i < block_end:
                if (blocks and spans[2 * blocks - 1] == block_end) or not flag & CANDIDATE:
                    continue
                spans[2 * blocks], spans[2 * blocks + 1] = block_start, block_end
                blocks += 1
                continue
            lo, hi = 0, cuts_found  # bisect_right(cuts, i)
            while lo < hi:
                mid = (lo + hi) // 2
                if i < cuts[mid]:
                    hi = mid
                else:
                    lo = mid + 1
            cut = lo
            block_start = cuts[cut - 1] if cut else 0
            block_end = cuts[cut] if cut < cuts_found else count
            if flag & CANDIDATE or prefilter._may_hold_aspect(runs[block_start:block_end]):
                spans[2 * blocks], spans[2 * blocks + 1] = block_start, block_end
                blocks += 1
        out = []
        for k in range(blocks):
            block_start, block_end = spans[2 * k], spans[2 * k + 1]
            start = starts[block_start] if block_start else 0
            if block_end == count:
                end = PyUnicode_GET_LENGTH(text)
            else:
                end = starts[block_end - 1] + PyUnicode_GET_LENGTH(runs[block_end - 1])
            if out and last_end == start - 1:  # right after the previous block: one window
                start = out.pop()[0]
            out.append((start, end))
            last_end = end
        return out, names_staff
    finally:
        free(flags); free(starts); free(cuts); free(spans)
