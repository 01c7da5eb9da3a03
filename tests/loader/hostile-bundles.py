#!/usr/bin/env python3
"""tests/loader/hostile-bundles.py IN.kb OUTDIR: hostile bundles made from a good one,
every hash in them made right (a bundle's hashes are integrity, not authenticity: anyone
can write them), so that what stops each one is the loader's reading of its structure or
of an artifact.  Writes OUTDIR/NAME.kb and prints one line per bundle:
NAME <tab> verify|apply (the first command that must refuse it) <tab> the message (a regex)."""
import hashlib, os, struct, sys

def parse(b):
    assert b.startswith(b"karmor-bundle 1\n")
    at, secs = len(b"karmor-bundle 1\n"), []
    while not b.startswith(b"end ", at):
        nl = b.index(b"\n", at)
        _, name, size, _sha = b[at:nl].split(b" ")
        size = int(size)
        secs.append((name.decode(), b[nl + 1:nl + 1 + size]))
        at = nl + 1 + size + 1	# each section's bytes are followed by a newline
    return secs

def manifest(head, secs):
    """the manifest's own lines, its section lines rewritten for secs"""
    lines = [l for l in head.split(b"\n") if l and not l.startswith(b"section\t")]
    for name, data in secs:
        lines.append(b"section\t%s\t%d\t%s" % (name.encode(), len(data), hashlib.sha256(data).hexdigest().encode()))
    return b"\n".join(lines) + b"\n"

def write(secs, raw_sections=None):
    """secs: [(name, data)] after the manifest (rebuilt to list them); raw_sections: the
    section records as given, the manifest taken from secs (hashes right all the same)"""
    out = b"karmor-bundle 1\n"
    for name, data in [("manifest", manifest(HEAD, secs))] + (raw_sections if raw_sections is not None else secs):
        out += b"section %s %d %s\n" % (name.encode(), len(data), hashlib.sha256(data).hexdigest().encode()) + data + b"\n"
    return out + b"end " + hashlib.sha256(out).hexdigest().encode() + b"\n"

def image_fixed(img):
    """an image whose header size field and trailing SHA-256 agree with its bytes"""
    img = bytearray(img)
    struct.pack_into("<Q", img, FILE_SIZE_OFF, len(img))
    img[-32:] = hashlib.sha256(bytes(img[:-32])).digest()
    return bytes(img)

src, outdir = sys.argv[1], sys.argv[2]
original = open(src, "rb").read()
secs = parse(original)
HEAD = secs[0][1]
secs = secs[1:]
assert write(secs) == original, "the writer does not reproduce the good bundle"
kmi = [i for i, (n, _) in enumerate(secs) if n.endswith(".kmi")][0]
img = secs[kmi][1]
# bpf/karmor.h: header_size is the fifth u32 after magic[8]; file_size is the one u64 in the
# header equal to the image's length
HEADER_SIZE = struct.unpack_from("<I", img, 16)[0]
FILE_SIZE_OFF = img[:HEADER_SIZE].index(struct.pack("<Q", len(img)))

cases = []
def case(name, phase, msg, data):
    open(os.path.join(outdir, name + ".kb"), "wb").write(data)
    cases.append((name, phase, msg))

# the structure: what verify refuses
s = list(secs); s.insert(kmi, secs[kmi])
case("duplicate-section", "verify", r"out of order \(the manifest first, then names ascending, each once\)", write(s))
s = list(secs); s[kmi] = ("bpf/../../etc/cron.d/x", secs[kmi][1])
case("name-climbs-out", "verify", r"a bad section line \(name, size or SHA-256\)", write(s, sorted(s)))
s = list(secs); s[kmi] = ("/etc/cron.d/x", secs[kmi][1])
case("name-absolute", "verify", r"a bad section line \(name, size or SHA-256\)", write(s, sorted(s)))
b = bytearray(write(secs)); i = b.rindex(b"\nend ")
case("truncated", "verify", r"no \"end\" line|do not fit in the file", bytes(b[:i - 100]))
s = [("x/%06d" % k, b"") for k in range(65537)]
case("too-many-sections", "verify", r"more than 65536 sections", write(s))
case("manifest-lists-fewer", "verify", r"manifest: lists [0-9]+ sections, the file has [0-9]+", write(secs[:-1], secs))
# an artifact: what apply refuses, nothing attached
s = list(secs); s[kmi] = (secs[kmi][0], img[:200])
case("image-truncated", "apply", r"too short for a map image|the header says", write(s))
bad = bytearray(img); bad[:8] = b"KARMORXX"
s = list(secs); s[kmi] = (secs[kmi][0], image_fixed(bad))
case("image-bad-magic", "apply", r"not a karmor map image \(bad magic\)", write(s))
# nrules, npaths, nnets, ncaps, nsrcs: five u32 at offset 44 of struct karmor_image_header
# (bpf/karmor.h; a change of layout makes this case fail, not pass)
bad = bytearray(img)
struct.pack_into("<5I", bad, 44, *([0xFFFFFFFF] * 5))
s = list(secs); s[kmi] = (secs[kmi][0], image_fixed(bad))
case("image-huge-counts", "apply", r"a record count exceeds what a map can hold", write(s))
bad = bytearray(img) + b"\0" * 64
s = list(secs); s[kmi] = (secs[kmi][0], image_fixed(bad))
case("image-extended", "apply", r"offsets|bytes|section|end", write(s))
for name, phase, msg in cases:
    print("%s\t%s\t%s" % (name, phase, msg))
