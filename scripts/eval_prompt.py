#!/usr/bin/env python3
"""Measures what a roster-built whisper prompt gains on rendered calls.

For each call it writes a roster (the scenario's speakers, and its
`truth.systems` as `terms`: what a team knows before the call, never the
ids said during it) into a temporary directory, transcribes the call with
and without `transcribe --roster`, and reports, against the reference text:

- name recall: occurrences of the speakers' names in the reference that the
  transcript has (case-insensitive word match, counts clipped),
- term recall: the same for the words of the roster's terms (stop words and
  words under three letters left out),
- extra: name/term words the transcript has more often than the reference
  (what a prompt could make whisper invent),
- WER after a plain normalisation (lower case, words of letters, digits and
  apostrophes); `hotwash eval asr` normalises numbers too, so its WER
  differs, but both runs here are scored alike.

Usage:
    scripts/eval_prompt.py [--scenarios ../shared/scenarios] [--calls N | --ids ID...]
                           [--bin target/release/transcribe] [--model tiny.en]
                           [--json OUT.json]

Nothing is written into the repository; rosters and transcripts live in a
temporary directory removed at the end (`--keep DIR` keeps them in DIR;
`--reuse-plain` then skips transcribing again without the roster).
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

AUDIO_EXT = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".mp4", ".webm")
STOP = set(
    """a an and the of for to in on at by or with from into via its it is are
    all old new main""".split()
)
TITLES = {"dr", "mr", "mrs", "ms"}


def words(text):
    """Lower-case words of letters, digits and apostrophes."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def terms_of(systems):
    """A scenario's systems as the terms a team would list: each phrase,
    split at parentheses, slashes, commas and semicolons."""
    out = []
    for phrase in systems:
        for part in re.split(r"[()/,;:]", phrase):
            part = part.strip()
            if len(part) >= 2 and part.lower() not in (t.lower() for t in out):
                out.append(part)
    return out


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def write_roster(path, scenario):
    terms = terms_of(scenario.get("truth", {}).get("systems", []))
    lines = ["terms = [" + ", ".join(toml_str(t) for t in terms) + "]", ""]
    for key, sp in scenario["speakers"].items():
        lines.append(f"[speakers.{toml_str(key)}]")
        lines.append(f"name = {toml_str(sp.get('name', key))}")
        if sp.get("role"):
            lines.append(f"role = {toml_str(sp['role'])}")
        lines.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return terms


def name_words(scenario):
    out = set()
    for sp in scenario["speakers"].values():
        for w in words(sp.get("name", "")):
            if w not in TITLES and len(w) >= 2:
                out.add(w)
    return out


def term_words(terms, names):
    out = set()
    for t in terms:
        for w in words(t):
            if len(w) >= 3 and w not in STOP and w not in names:
                out.add(w)
    return out


def recall(vocab, ref, hyp):
    """(matched, in reference, extra) occurrences of `vocab` words."""
    rc, hc = collections.Counter(ref), collections.Counter(hyp)
    matched = sum(min(rc[w], hc[w]) for w in vocab)
    total = sum(rc[w] for w in vocab)
    extra = sum(max(0, hc[w] - rc[w]) for w in vocab)
    return matched, total, extra


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def reference_text(rendered, stem):
    txt = os.path.join(rendered, stem + ".txt")
    if os.path.isfile(txt):
        with open(txt, encoding="utf-8") as f:
            return f.read()
    with open(os.path.join(rendered, stem + ".ref.json"), encoding="utf-8") as f:
        return " ".join(t["text"] for t in json.load(f)["turns"])


def audio_of(rendered, stem):
    for ext in AUDIO_EXT:
        p = os.path.join(rendered, stem + ext)
        if os.path.isfile(p):
            return p
    return None


def duration_of(rendered, stem):
    with open(os.path.join(rendered, stem + ".ref.json"), encoding="utf-8") as f:
        return float(json.load(f).get("duration") or 0.0)


def transcribe(binary, model, audio, out, roster):
    cmd = [binary, audio, "-f", "json", "-q", "-m", model, "-o", out]
    if roster:
        cmd += ["--roster", roster]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return read_transcript(out) + (time.time() - t0,)


def read_transcript(path):
    """(text, prompt) of a `-f json` transcript."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    text = " ".join(u["text"] for u in doc["utterances"])
    return text, doc.get("recording", {}).get("prompt")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--scenarios", default=os.path.join(root, "..", "shared", "scenarios"))
    ap.add_argument("--calls", type=int, default=5, help="the N shortest calls")
    ap.add_argument("--ids", nargs="*", help="these scenario ids instead")
    ap.add_argument("--bin", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "release", "transcribe"))
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--keep", help="keep rosters and transcripts in this directory")
    ap.add_argument("--reuse-plain", action="store_true",
                    help="with --keep: reuse transcripts without the roster already there "
                         "(the roster run is always made afresh)")
    args = ap.parse_args()

    rendered = os.path.join(args.scenarios, "rendered")
    stems = []
    for name in sorted(os.listdir(args.scenarios)):
        if name.endswith(".json"):
            stem = name[:-5]
            if audio_of(rendered, stem) and os.path.isfile(os.path.join(rendered, stem + ".ref.json")):
                stems.append(stem)
    if args.ids:
        stems = [s for s in stems if any(s == i or s.startswith(i + "-") for i in args.ids)]
    else:
        stems = sorted(stems, key=lambda s: duration_of(rendered, s))[: args.calls]
    if not stems:
        sys.exit("no calls with audio and a reference found")

    work = args.keep or tempfile.mkdtemp(prefix="hotwash-prompt-")
    os.makedirs(work, exist_ok=True)
    rows = []
    tot = collections.Counter()
    for stem in stems:
        with open(os.path.join(args.scenarios, stem + ".json"), encoding="utf-8") as f:
            scenario = json.load(f)
        roster = os.path.join(work, stem + ".roster.toml")
        terms = write_roster(roster, scenario)
        names = name_words(scenario)
        tvocab = term_words(terms, names)
        ref = words(reference_text(rendered, stem))
        audio = audio_of(rendered, stem)
        row = {"call": stem, "audio_s": duration_of(rendered, stem), "ref_words": len(ref)}
        for cond, r in (("plain", None), ("roster", roster)):
            out = os.path.join(work, f"{stem}.{cond}.json")
            if cond == "plain" and args.reuse_plain and os.path.isfile(out):
                hyp_text, prompt, secs = read_transcript(out) + (0.0,)
            else:
                hyp_text, prompt, secs = transcribe(args.bin, args.model, audio, out, r)
            hyp = words(hyp_text)
            nm, nt, nx = recall(names, ref, hyp)
            tm, tt, tx = recall(tvocab, ref, hyp)
            errs = edit_distance(ref, hyp)
            row[cond] = {
                "names": [nm, nt], "terms": [tm, tt], "extra": nx + tx,
                "wer": errs / max(1, len(ref)), "seconds": round(secs, 1),
            }
            if cond == "roster":
                row["prompt_chars"] = len(prompt or "")
            for k, v in (("nm", nm), ("nt", nt), ("tm", tm), ("tt", tt), ("x", nx + tx), ("e", errs)):
                tot[cond + k] += v
        tot["ref"] += len(ref)
        rows.append(row)
        p, q = row["plain"], row["roster"]
        print(f"{stem:40s} names {p['names'][0]:3d}/{p['names'][1]:<3d} -> {q['names'][0]:3d}/{q['names'][1]:<3d}"
              f"  terms {p['terms'][0]:3d}/{p['terms'][1]:<3d} -> {q['terms'][0]:3d}/{q['terms'][1]:<3d}"
              f"  extra {p['extra']:2d} -> {q['extra']:2d}"
              f"  WER {100 * p['wer']:5.1f}% -> {100 * q['wer']:5.1f}%", flush=True)

    def pct(a, b):
        return 100.0 * a / b if b else 0.0

    summary = {}
    for cond in ("plain", "roster"):
        summary[cond] = {
            "name_recall": pct(tot[cond + "nm"], tot[cond + "nt"]),
            "term_recall": pct(tot[cond + "tm"], tot[cond + "tt"]),
            "extra": tot[cond + "x"],
            "wer": pct(tot[cond + "e"], tot["ref"]),
        }
    p, q = summary["plain"], summary["roster"]
    print(f"{'all ' + str(len(rows)) + ' calls':40s} names {p['name_recall']:.1f}% -> {q['name_recall']:.1f}%"
          f" ({tot['plainnm']}/{tot['plainnt']} -> {tot['rosternm']}/{tot['rosternt']})"
          f"  terms {p['term_recall']:.1f}% -> {q['term_recall']:.1f}%"
          f" ({tot['plaintm']}/{tot['plaintt']} -> {tot['rostertm']}/{tot['rostertt']})"
          f"  extra {p['extra']} -> {q['extra']}  WER {p['wer']:.1f}% -> {q['wer']:.1f}%")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"model": args.model, "calls": rows, "summary": summary}, f, indent=1)
    if not args.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
