#!/usr/bin/env python3
"""Checks karmorc's text diagnostics (stderr of `karmorc check`) line by line.

usage: diagfmt.py STDERR_FILE [BASE_DIR]

Every diagnostic must be
    FILE:LINE:COL: SEVERITY: MESSAGE [KCnnnn]      (or FILE: ... for a whole file,
                                                    karmorc: ... for no file)
followed, when it has a line, by the source line and a caret line:
    %5u | <the text of line LINE (control characters as '?'), or a window of a long
          |  line marked with '...' at a cut end>
          | <one blank (a tab stays a tab) per character before COL>^
then optionally "      = fix: ..." and a related "FILE:L:C: note: ..." with its own
excerpt.  The excerpt must be the real text of that line of FILE and the caret must
sit under column COL (columns count characters).  The only other lines allowed are
the summary line of `check` and "karmorc: PATH: reason" I/O messages.
Exit 0 when everything conforms, else 1 with the first problem on stdout.
"""
import os
import re
import sys

HEAD = re.compile(r'^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|note): (?P<msg>.+?)'
                  r'(?: \[(?P<code>KC\d{4})\])?$')
WHOLE = re.compile(r'^(?P<file>[^:]+): (?P<sev>error|warning|note): .+ \[KC\d{4}\]$')
NOFILE = re.compile(r'^karmorc: (error|warning|note): .+ \[KC\d{4}\]$')
SUMMARY = re.compile(r'^\d+ files?, \d+ polic(y|ies): \d+ errors?, \d+ warnings?$')
IOMSG = re.compile(r'^karmorc: .+$')
EXCERPT = re.compile(rb'^ *(\d+) \| (.*)$')
CARET = re.compile(rb'^      \| ([ \t]*)\^$')
FIX = re.compile(rb'^      = fix: .+$')


def source_line(path, n, base):
    full = path if os.path.isabs(path) else os.path.join(base, path)
    try:
        with open(full, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    lines = data.split(b'\n')
    if n < 1 or n > len(lines):
        return None
    text = lines[n - 1]
    if text.endswith(b'\r'):
        text = text[:-1]
    return text


def sanitize(text):
    return bytes(b if b >= 0x20 or b == 0x09 else ord('?') for b in text)


def blanks(seg):
    """What the caret line holds under seg: a tab for a tab, a blank per other character."""
    return bytes(0x09 if b == 0x09 else 0x20 for b in seg if (b & 0xC0) != 0x80)


def check_window(shown, caret, text, col):
    """shown must be the start of the line (at most 200 bytes) or a window of it marked
    with '...' at a cut end; the caret must sit under the character of column col."""
    line = sanitize(text)
    chars = [i for i, b in enumerate(line) if (b & 0xC0) != 0x80]
    if col < 1 or col > len(chars) + 1:
        return f'column {col} is outside the line ({len(chars)} characters)'
    col_byte = chars[col - 1] if col <= len(chars) else len(line)
    lead = shown.startswith(b'...') and not line.startswith(b'...')
    body = shown[3:] if lead else shown
    if body.endswith(b'...') and not line.endswith(body):
        body = body[:-3]
    starts = [0] if not lead else []
    if lead:
        k = line.find(body, 1)
        while k != -1:
            starts.append(k)
            k = line.find(body, k + 1)
    if not lead and not line.startswith(body):
        return f'excerpt {shown!r} is not the text of the line {line[:200]!r}'
    if not starts:
        return f'excerpt {shown!r} is not a window of the line {line!r}'
    for st in starts:
        if not (st <= col_byte <= st + len(body)):
            continue
        want = (b'   ' if lead else b'') + blanks(line[st:col_byte])
        if caret == want:
            return None
    if all(not (st <= col_byte <= st + len(body)) for st in starts):
        return f'column {col} lies outside the quoted text, so the caret cannot point at it'
    return f'caret at character {len(caret) + 1} of the excerpt does not point at column {col}'


def main():
    err_path = sys.argv[1]
    base = sys.argv[2] if len(sys.argv) > 2 else os.getcwd()
    with open(err_path, 'rb') as f:
        lines = f.read().split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    i = 0
    ndiag = 0
    while i < len(lines):
        raw = lines[i]
        line = raw.decode('utf-8', 'replace')
        m = HEAD.match(line)
        if m and m.group('code') is None and m.group('sev') != 'note':
            print(f'line {i+1}: diagnostic without a [KCnnnn] code: {line}')
            return 1
        if m:
            ndiag += 1
            i += 1
            n, col = int(m.group('line')), int(m.group('col'))
            text = source_line(m.group('file'), n, base)
            if text is None and i < len(lines) and EXCERPT.match(lines[i]):
                # no file to compare with (<stdin>): the shape only
                if i + 1 >= len(lines) or not CARET.match(lines[i + 1]):
                    print(f'line {i+2}: no caret line after the excerpt')
                    return 1
                i += 2
            elif text is not None and i < len(lines) and EXCERPT.match(lines[i]):
                em = EXCERPT.match(lines[i])
                if int(em.group(1)) != n:
                    print(f'line {i+1}: excerpt of line {em.group(1).decode()} under a diagnostic for line {n}')
                    return 1
                i += 1
                cm = CARET.match(lines[i]) if i < len(lines) else None
                if not cm:
                    print(f'line {i+1}: no caret line after the excerpt')
                    return 1
                why = check_window(em.group(2), cm.group(1), text, col)
                if why:
                    print(f'line {i}: {m.group("file")}:{n}:{col}: {why}')
                    return 1
                i += 1
            elif text and m.group('file') != '<stdin>':
                print(f'line {i}: {m.group("file")}:{n}: a diagnostic with a line but no source excerpt')
                return 1
            if i < len(lines) and FIX.match(lines[i]):
                i += 1
            continue
        if WHOLE.match(line) or NOFILE.match(line):
            ndiag += 1
            i += 1
            if i < len(lines) and FIX.match(lines[i]):
                i += 1
            continue
        if SUMMARY.match(line) or IOMSG.match(line):
            i += 1
            continue
        print(f'line {i+1}: unexpected line: {line!r}')
        return 1
    if ndiag == 0:
        print('no diagnostic at all')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
