#!/usr/bin/env python3
"""Word for word, the lines `folio export --format json` holds for a PDF against the PDF's own text layer
as pdfium reads it (pypdfium2): bag-of-words precision, recall and F1, and the words missed or added.

    scripts/text-layer-words.py EXPORT.json DOCUMENT.pdf        (needs: pip install pypdfium2)

A word hyphenated across two lines counts as its two halves, as the page shows them (pdfium marks such a
hyphen U+0002 or U+FFFE), the same rule as the engine's word scores.
"""
import collections
import json
import re
import sys

import pypdfium2 as pdfium


def words(text):
    out = []
    for w in re.split(r"[\s\x02\ufffe]+", text):
        w = re.sub(r"^\W+|\W+$", "", w)
        if w:
            out.append(w)
    return collections.Counter(out)


def main():
    export, path = sys.argv[1], sys.argv[2]
    document = json.load(open(export))
    pdf = pdfium.PdfDocument(path)
    truth_n = found_n = matched = 0
    missed, added = collections.Counter(), collections.Counter()
    for page in document["pages"]:
        truth = words(pdf[page["page"] - 1].get_textpage().get_text_range())
        found = words("\n".join(line["text"] for line in page["lines"]))
        truth_n += sum(truth.values())
        found_n += sum(found.values())
        matched += sum((truth & found).values())
        missed.update(truth - found)
        added.update(found - truth)
    precision = matched / found_n if found_n else 1.0
    recall = matched / truth_n if truth_n else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"pages {len(document['pages'])}  words in the text layer {truth_n}  in the lines {found_n}  matched {matched}")
    print(f"precision {precision:.4f}  recall {recall:.4f}  word F1 {f1:.4f}")
    print("missed:", missed.most_common(10))
    print("added:", added.most_common(10))


if __name__ == "__main__":
    main()
