#!/usr/bin/env python3
"""Lists cue phrases of the rule layer that occur in the evaluation calls'
dialogue and nowhere in the project's own texts: phrases that were likely
copied from the evaluation set rather than written from how people talk.

Phrases come from the lexicon files (postmortem/lexicon/*.toml) and from the
string literals still in the rule modules' code (postmortem/src/extract/*.rs,
outside their test modules), so a cue cannot hide in code. A phrase written
as a regular-expression alternation is expanded into its variants
("customers? (are )?(reporting|escalating)" gives four) and each variant is
checked on its own; word endings ("restart(ing|ed)?") stay one variant.

Texts are normalised the same way on both sides: lowercase, every character
other than a-z, 0-9 and the apostrophe to a space, runs of spaces collapsed.
A phrase occurs in a text when it matches there on word boundaries.

  corpus      /work/shared/scenarios/dev-*.json, field turns[].text
  own texts   fixtures/scenarios/*.json (turns[].text), postmortem/tests/fixtures/*,
              postmortem/tests/*.rs, tests/**/*.rs, and the lexicon's own
              example sentences

Usage: check_overlap.py [--corpus DIR] [--strict] [--all] [--show] [--json]

  --strict   do not count the lexicon's example sentences as own texts (shows
             the phrases that only an example of ours keeps off the list)
  --all      report matches that the own texts share too (for reading)
  --show     print the words around the first match in the corpus
  --json     machine-readable output

It also reports any example sentence of the lexicon that shares four or more
words in a row with a corpus turn: the examples must be our own wording.

Exit status: 0 when nothing is reported, 1 when something is, 2 on bad input.
"""

import argparse
import glob
import json
import os
import re
import sys
import tomllib

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_CORPUS = os.path.normpath(os.path.join(ROOT, "..", "shared", "scenarios"))
CAP = 256  # most variants one phrase expands into before its groups stay patterns


def fail(msg):
    print(f"check_overlap: {msg}", file=sys.stderr)
    sys.exit(2)


def normalise(text):
    text = text.lower().replace("\u2019", "'")
    return re.sub(r" +", " ", re.sub(r"[^a-z0-9']", " ", text)).strip()


# --- a small parser for the regex subset the cues use -------------------------

class Lit:
    def __init__(self, s):
        self.s = s


class Raw:
    """A piece of pattern kept as is (classes, \\w, \\d, repeats...)."""

    def __init__(self, s):
        self.s = s


class Group:
    def __init__(self, alts, quant):
        self.alts = alts  # list of sequences
        self.quant = quant


def parse(rx):
    pos = 0

    def quant():
        nonlocal pos
        q = ""
        if pos < len(rx) and rx[pos] in "?*+":
            q = rx[pos]
            pos += 1
        elif pos < len(rx) and rx[pos] == "{":
            end = rx.index("}", pos)
            q = rx[pos:end + 1]
            pos = end + 1
        if q and pos < len(rx) and rx[pos] == "?":
            q += "?"
            pos += 1
        return q

    def alternation():
        nonlocal pos
        alts = [[]]
        while pos < len(rx):
            c = rx[pos]
            if c == ")":
                break
            if c == "|":
                pos += 1
                alts.append([])
                continue
            if c == "(":
                pos += 1
                if rx.startswith("?:", pos):
                    pos += 2
                elif rx.startswith("?P<", pos):
                    pos = rx.index(">", pos) + 1
                inner = alternation()
                pos += 1  # ")"
                alts[-1].append(Group(inner, quant()))
                continue
            if c == "\\":
                esc = rx[pos:pos + 2]
                pos += 2
                if esc[1] in "bB":
                    alts[-1].append(Raw(esc))
                elif esc[1] in "dDwWsS":
                    alts[-1].append(Raw(esc + quant()))
                else:
                    alts[-1].append(Lit(esc[1]))
                continue
            if c == "[":
                end = rx.index("]", pos + 1)
                cls = rx[pos:end + 1]
                pos = end + 1
                alts[-1].append(Raw(cls + quant()))
                continue
            if c in "^$":
                pos += 1
                alts[-1].append(Raw(""))
                continue
            if c == ".":
                pos += 1
                alts[-1].append(Raw("." + quant()))
                continue
            pos += 1
            q = quant()
            if q:
                alts[-1].append(Group([[Lit(c)]], q))
            else:
                alts[-1].append(Lit(c))
        return alts

    tree = alternation()
    return tree


def expand_seq(seq):
    """Variants of a sequence: lists of ("lit", text) / ("raw", pattern)."""
    out = [[]]
    for k, item in enumerate(seq):
        if suffix_group(seq, k):
            # Word endings ("restart(ing|ed)?") are one phrase, not several.
            opts = [[("raw", "(?:" + source(item.alts) + ")" + item.quant)]]
        elif isinstance(item, Lit):
            opts = [[("lit", item.s)]]
        elif isinstance(item, Raw):
            opts = [[("raw", item.s)]] if item.s else [[]]
        else:
            inner = expand_alts(item.alts)
            if item.quant in ("", "?", "??") and inner is not None:
                opts = inner + ([[]] if item.quant.startswith("?") else [])
            else:
                opts = [[("raw", "(?:" + source(item.alts) + ")" + item.quant)]]
        if len(out) * len(opts) > CAP:
            opts = [[("raw", "(?:" + source([[item]]) + ")")]]
        out = [a + b for a in out for b in opts]
    return out


def suffix_group(seq, k):
    """Whether item k is a group of word endings attached to the word before it."""
    item = seq[k]
    if not isinstance(item, Group) or k == 0:
        return False
    prev = seq[k - 1]
    if not (isinstance(prev, Lit) and prev.s.isalpha()):
        return False
    return all(all(isinstance(i, Lit) and i.s.isalpha() for i in alt) for alt in item.alts)


def expand_alts(alts):
    out = []
    for seq in alts:
        out.extend(expand_seq(seq))
        if len(out) > CAP:
            return None
    return out


def source(alts):
    def item_src(i):
        if isinstance(i, Lit):
            return re.escape(i.s)
        if isinstance(i, Raw):
            return i.s
        return "(?:" + source(i.alts) + ")" + i.quant

    return "|".join("".join(item_src(i) for i in seq) for seq in alts)


def variants(rx):
    """(shown text, compiled matcher) for each variant of a pattern."""
    out = []
    for alt in parse(rx):
        for v in expand_seq(alt):
            shown = "".join(t if k == "lit" else "\u2026" if t not in ("\\b", "\\B") else "" for k, t in v)
            pieces = []
            for k, t in v:
                if k == "lit":
                    # Literal text normalised as the texts are; separators kept.
                    n = re.sub(r"[^a-z0-9']", " ", t.lower())
                    pieces.append(re.escape(n).replace("\\ ", " "))
                elif t not in ("\\b", "\\B"):
                    pieces.append(t)
            pat = re.sub(r"(?: |\\ )+", " ", "".join(pieces)).strip()
            shown = re.sub(r" +", " ", re.sub(r"[^a-z0-9'\u2026]", " ", shown.lower())).strip()
            if not re.search(r"[a-z]{2}|[a-z]'[a-z]", shown.replace("\u2026", " ")):
                continue
            pat = pat.replace(" ", r"\s+")
            try:
                m = re.compile(r"(?<![a-z0-9'])(?:" + pat + r")(?![a-z0-9'])")
            except re.error:
                continue
            out.append((shown, m))
    return out


# --- phrases -----------------------------------------------------------------

NOT_CUES = re.compile(r"\.name\(\s*$|include_str!\(\s*$")


def rust_literals(path):
    """String literals of a Rust file before its test module, with line numbers."""
    text = open(path, encoding="utf-8").read()
    cut = text.find("#[cfg(test)]")
    if cut >= 0:
        text = text[:cut]
    out = []
    i, line = 0, 1
    while i < len(text):
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.index("*/", i)
            line += text.count("\n", i, end)
            i = end + 2
        elif c == "r" and re.match(r'r#*"', text[i:i + 4]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            start = i + 2 + len(hashes)
            end = text.index('"' + hashes, start)
            out.append((line, text[start:end], True))
            line += text.count("\n", i, end)
            i = end + 1 + len(hashes)
        elif c == '"':
            j = i + 1
            buf = []
            while text[j] != '"':
                if text[j] == "\\":
                    nxt = text[j + 1]
                    buf.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}.get(nxt, ""))
                    j += 2
                else:
                    buf.append(text[j])
                    j += 1
            if not NOT_CUES.search(text[max(0, i - 20):i]):
                out.append((line, "".join(buf), False))
            line += text.count("\n", i, j)
            i = j + 1
        elif c == "'":
            # char literal or lifetime
            if text[i + 1] == "\\":
                i = text.index("'", i + 2) + 1
            elif i + 2 < len(text) and text[i + 2] == "'":
                i += 3
            else:
                i += 1
        else:
            i += 1
    return out


def code_phrases():
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "postmortem/src/extract/*.rs"))):
        rel = os.path.relpath(path, ROOT)
        if rel.endswith("/lexicon.rs"):
            continue  # the loader: file names, no cues
        for line, s, raw in rust_literals(path):
            if "{" in s or "panic" in s or "%" in s or re.fullmatch(r"[a-z]+\.[a-z_]+", s):
                continue  # format strings, messages, lexicon names and templates
            where = f"{rel}:{line}"
            if raw or re.search(r"\\b|\(.*\|", s):
                out.append((where, s, True))
            else:
                out.append((where, s, False))
    return out


def lexicon_files():
    return sorted(glob.glob(os.path.join(ROOT, "postmortem/lexicon/*.toml")))


def lexicon_phrases():
    """(where, phrase, is_pattern) for every lexicon list, and the examples."""
    phrases, examples = [], []
    for path in lexicon_files():
        rel = os.path.relpath(path, ROOT)
        try:
            data = tomllib.load(open(path, "rb"))
        except tomllib.TOMLDecodeError as e:
            fail(f"{rel}: {e}")
        for cue in data.get("cue", []):  # the act labeller's lexicon
            phrases.append((f"{rel}:{cue['act']}", cue["phrase"], False))
            examples.append(cue["example"])
        for name, lst in data.items():
            if not isinstance(lst, dict):
                continue
            pattern = bool(lst.get("pattern", False))
            for p in lst.get("phrases", []):
                phrases.append((f"{rel}:{name}", p, pattern))
            for p in lst.get("weights", {}):
                phrases.append((f"{rel}:{name}", p, False))
            examples.extend(lst.get("examples", []))
    return phrases, examples


NGRAM = 4  # words in a row that count as copied wording


def copied_wording(examples, corpus):
    """Example sentences sharing NGRAM words in a row with a corpus turn."""
    grams = set()
    for part in corpus.parts:
        w = part.split()
        grams.update(" ".join(w[k:k + NGRAM]) for k in range(len(w) - NGRAM + 1))
    out = []
    for where, t in [("example", e) for e in examples]:
        w = normalise(t).split()
        for k in range(len(w) - NGRAM + 1):
            g = " ".join(w[k:k + NGRAM])
            if g in grams:
                out.append((where, t, g))
                break
    return out


# --- texts -------------------------------------------------------------------

def scenario_turns(path):
    try:
        data = json.load(open(path, encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{path}: {e}")
    return [(t.get("id", "?"), t.get("text", "")) for t in data.get("turns", [])]


class Texts:
    """Normalised texts joined into one string, with where each came from."""

    def __init__(self):
        self.parts, self.starts, self.names = [], [], []
        self.size = 0

    def add(self, name, text):
        n = normalise(text)
        self.starts.append(self.size)
        self.names.append(name)
        self.parts.append(n)
        self.size += len(n) + 3

    def done(self):
        self.blob = " \n ".join(self.parts)
        return self

    def where(self, m, limit=3):
        import bisect
        out = []
        for hit in m.finditer(self.blob):
            k = bisect.bisect_right(self.starts, hit.start()) - 1
            if self.names[k] not in out:
                out.append(self.names[k])
            if len(out) >= limit:
                break
        return out


def own_texts(examples, strict):
    own = Texts()
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/scenarios/*.json"))):
        for tid, text in scenario_turns(path):
            own.add(f"{os.path.basename(path)}#{tid}", text)
    for pattern in ["postmortem/tests/*.rs", "tests/**/*.rs", "postmortem/tests/fixtures/*"]:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            own.add(os.path.relpath(path, ROOT), open(path, encoding="utf-8", errors="replace").read())
    if not strict:
        for i, e in enumerate(examples):
            own.add(f"lexicon example {i}", e)
    return own.done()


def corpus_texts(corpus):
    files = sorted(glob.glob(os.path.join(corpus, "dev-*.json")))
    if not files:
        fail(f"no dev-*.json under {corpus}")
    c = Texts()
    for path in files:
        name = os.path.basename(path).split("-")[0] + "-" + os.path.basename(path).split("-")[1]
        for tid, text in scenario_turns(path):
            c.add(f"{name}#{tid}", text)
    return c.done()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    lex, examples = lexicon_phrases()
    phrases = lex + code_phrases()
    corpus = corpus_texts(args.corpus)
    own = own_texts(examples, args.strict)

    seen = {}
    for where, phrase, pattern in phrases:
        if pattern:
            vs = variants(phrase)
        else:
            n = normalise(phrase)
            if not re.search(r"[a-z]{2}|[a-z]'[a-z]", n):
                continue
            vs = [(n, re.compile(r"(?<![a-z0-9'])" + re.escape(n).replace("\\ ", r"\s+") + r"(?![a-z0-9'])"))]
        for shown, m in vs:
            key = (shown, where)
            if key in seen:
                continue
            hits = corpus.where(m)
            if not hits:
                continue
            mine = own.where(m, 1)
            if mine and not args.all:
                continue
            seen[key] = {"phrase": shown, "where": where, "words": len(shown.split()),
                         "corpus": hits, "own": mine}
            if args.show:
                hit = m.search(corpus.blob)
                seen[key]["context"] = corpus.blob[max(0, hit.start() - 50):hit.end() + 50]

    copied = copied_wording(examples, corpus) if not args.all else []

    found = sorted(seen.values(), key=lambda f: (f["where"].split(":")[0], -f["words"], f["phrase"]))
    if args.json:
        json.dump(found, sys.stdout, indent=1)
        print()
    else:
        for f in found:
            own_note = f"  own: {f['own'][0]}" if f["own"] else ""
            print(f"{f['where']:<44} {f['phrase']!r:<40} corpus: {', '.join(f['corpus'])}{own_note}")
            if "context" in f:
                print(f"    ... {f['context']} ...")
        multi = sum(1 for f in found if f["words"] > 1)
        print(f"-- {len(found)} found ({multi} of several words, {len(found) - multi} single words)",
              file=sys.stderr)
    for where, text, hit in copied:
        print(f"{where}: {text!r} shares {hit!r} with {', '.join(corpus.where(re.compile(re.escape(hit))))}")
    if copied:
        print(f"-- {len(copied)} example sentences share {NGRAM} or more words in a row with the corpus",
              file=sys.stderr)
    sys.exit(1 if copied or any(not f["own"] for f in found) else 0)


if __name__ == "__main__":
    main()
