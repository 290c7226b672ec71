#!/usr/bin/env python3
"""Convert a `.tiktoken` rank file into Prompt Preflight's compact vocabulary.

Usage: gen_vocab.py NAME IN.tiktoken OUT.bin

The format (little-endian), read by `src/tokens/vocab.rs`:
  8 bytes  magic b"PPVOCAB1"
  u32      number of tokens N (ranks are 0..N, without gaps)
  u32      total length of the token bytes
  u8       length of the encoding name, then the name (ASCII)
  N bytes  the length of each token, in rank order (1..=255)
  ...      the bytes of every token, concatenated in rank order
"""
import base64
import struct
import sys

name, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
tokens = {}
with open(src, "rb") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        raw, rank = line.split(b" ")
        tokens[int(rank)] = base64.b64decode(raw)
n = len(tokens)
assert sorted(tokens) == list(range(n)), "ranks must be contiguous from 0"
lengths = [len(tokens[r]) for r in range(n)]
assert all(1 <= l <= 255 for l in lengths), max(lengths)
body = b"".join(tokens[r] for r in range(n))
with open(dst, "wb") as f:
    f.write(b"PPVOCAB1")
    f.write(struct.pack("<II", n, len(body)))
    f.write(bytes([len(name)]) + name.encode("ascii"))
    f.write(bytes(lengths))
    f.write(body)
print(f"{dst}: {n} tokens, {len(body)} bytes of token text, longest {max(lengths)}")
