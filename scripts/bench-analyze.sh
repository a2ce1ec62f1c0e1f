#!/usr/bin/env bash
# Side-by-side throughput of `rapport analyze` and VADER (PyPI vaderSentiment) on the same
# English file, plus a 100k-line mixed en/he/el file. Usage (from the repo root):
#   scripts/bench-analyze.sh [path/to/rapport]      # default target/release/rapport
#   CALLGRIND=1 scripts/bench-analyze.sh            # also instructions per text (valgrind)
# Needs: python3 with vaderSentiment (`pip install vaderSentiment`), /usr/bin/time, ../shared/data.
set -euo pipefail
RAPPORT=${1:-${CARGO_TARGET_DIR:-target}/release/rapport}
DATA=${DATA:-../shared/data}
WORK=${WORK:-/tmp/rapport-bench}
REPS=${REPS:-3}
mkdir -p "$WORK"
EN_TXT="$DATA/en-tweeteval/sentiment/test_text.txt"

python3 - "$DATA" "$WORK" <<'PY'
import json, os, random, sys
data, work = sys.argv[1], sys.argv[2]
en = [l.rstrip('\n') for l in open(f"{data}/en-tweeteval/sentiment/test_text.txt", encoding="utf-8")]
out = f"{work}/en_tweets.jsonl"
if not os.path.exists(out):
    with open(out, "w", encoding="utf-8") as f:
        for i, t in enumerate(en):
            f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
out = f"{work}/mixed100k.jsonl"
if not os.path.exists(out):
    rng = random.Random(7)
    he = [l.rsplit("\t", 1)[0].strip() for l in open(f"{data}/he-sentiment/train.tsv", encoding="utf-8")][1:]
    el_words = [l.split("\t")[0] for l in open(f"{data}/el-lexicon/greek_sentiment_lexicon.tsv", encoding="utf-8")][1:]
    el_words = [w for w in el_words if w and " " not in w]
    el = ["Το δέμα έφτασε γρήγορα και το προϊόν είναι άψογο.",
          "Είμαι πολύ απογοητευμένη, περίμενα δύο ώρες στο τηλέφωνο.",
          "Η εξυπηρέτηση ήταν ευγενική αλλά το πρόβλημα δεν λύθηκε.",
          "Χρεώθηκα δύο φορές και κανείς δεν απαντά στα email μου.",
          "Ευχαριστώ πολύ για τη γρήγορη βοήθεια!"]
    with open(out, "w", encoding="utf-8") as f:
        for i in range(100000):
            k = i % 3
            if k == 0:
                t = rng.choice(en)
            elif k == 1:
                t = rng.choice(he)
            else:
                t = rng.choice(el) + " " + " ".join(rng.sample(el_words, 5))
            f.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
PY

vader() {
python3 - "$EN_TXT" <<'PY'
import sys, time
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
lines = [l.rstrip('\n') for l in open(sys.argv[1], encoding='utf-8')]
a = SentimentIntensityAnalyzer()
t, c = time.perf_counter(), time.process_time()
for l in lines: a.polarity_scores(l)
dt, dc = time.perf_counter() - t, time.process_time() - c
print(f"VADER  en      1 core : {len(lines)} texts {dt:.3f}s {len(lines)/dt:.0f} texts/s; cpu {dc:.3f}s {len(lines)/dc:.0f} texts/cpu-s")
PY
}

rapport() { # file label threads
  local out
  out=$( { /usr/bin/time -v "$RAPPORT" analyze --input "$1" --output /dev/null --threads "$3"; } 2>&1 )
  local line rss
  line=$(grep '^rapport analyze' <<<"$out")
  rss=$(grep 'Maximum resident' <<<"$out" | awk '{print $NF}')
  local n secs cpu
  n=$(sed -E 's/^rapport analyze: ([0-9]+) lines.*/\1/' <<<"$line")
  secs=$(sed -E 's/.* ([0-9.]+)s \(.*/\1/' <<<"$line")
  # CPU seconds of the whole process (user + system, including start-up): texts per CPU-second
  # is the per-core figure least disturbed by other load on the machine.
  cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{print s}' <<<"$out")
  python3 -c "n=$n;s=$secs;t=$3;c=$cpu;print(f'rapport $2 {t} thr  : {n} texts {s:.3f}s {n/s:.0f} texts/s ({n/s/t:.0f}/thread); cpu {c:.2f}s {n/c:.0f} texts/cpu-s; maxrss {$rss/1024:.1f} MB')"
}

for r in $(seq "$REPS"); do
  echo "--- run $r"
  vader
  rapport "$WORK/en_tweets.jsonl" "en     " 1
  rapport "$WORK/en_tweets.jsonl" "en     " 2
  rapport "$WORK/mixed100k.jsonl" "mixed  " 1
  rapport "$WORK/mixed100k.jsonl" "mixed  " 2
done

# Instruction counts are repeatable whatever the load on the machine: start-up (empty input),
# then per text over the first 1,500 English and 3,000 mixed lines, one thread.
if [ "${CALLGRIND:-0}" = 1 ]; then
  head -n 1500 "$WORK/en_tweets.jsonl" > "$WORK/en1500.jsonl"
  head -n 3000 "$WORK/mixed100k.jsonl" > "$WORK/mixed3000.jsonl"
  : > "$WORK/empty.jsonl"
  instr() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$RAPPORT" analyze --input "$1" \
      --output /dev/null --threads 1 2>&1 | awk '/Collected/{print $NF}'
  }
  s=$(instr "$WORK/empty.jsonl")
  e=$(instr "$WORK/en1500.jsonl")
  m=$(instr "$WORK/mixed3000.jsonl")
  echo "callgrind: start-up $((s / 1000000)) M instr; English $(((e - s) / 1500 / 1000)) k instr/text; mixed $(((m - s) / 3000 / 1000)) k instr/text"
fi
