#!/usr/bin/env python3
"""ansi2html.py COLS ROWS < capture > page.html

A terminal capture with SGR escapes (`tmux capture-pane -e -p`) as an HTML
page of a fixed-size terminal: colours (the 8/16 basic ones, 256 and
truecolor), bold, dim, reverse, underline. Used by scripts/screenshots.sh.
"""
import html
import re
import sys

BASE = ["#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
        "#666666", "#d54e53", "#b9ca4a", "#e7c547", "#7aa6da", "#c397d8", "#70c0b1", "#eaeaea"]
FG, BG = "#c5c8c6", "#1d1f21"


def c256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)


def main():
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    text = sys.stdin.read()
    out = []
    st = {"fg": None, "bg": None, "bold": False, "dim": False, "rev": False, "ul": False}

    def span(s):
        fg, bg = st["fg"] or FG, st["bg"] or BG
        if st["rev"]:
            fg, bg = bg, fg
        css = "color:%s;background:%s" % (fg, bg)
        if st["bold"]:
            css += ";font-weight:bold"
        if st["dim"]:
            css += ";opacity:0.6"
        if st["ul"]:
            css += ";text-decoration:underline"
        out.append('<span style="%s">%s</span>' % (css, html.escape(s)))

    for line in text.split("\n")[:rows]:
        pos = 0
        for m in re.finditer(r"\x1b\[([0-9;]*)m", line):
            if m.start() > pos:
                span(line[pos:m.start()])
            pos = m.end()
            codes = [int(x) if x else 0 for x in m.group(1).split(";")] or [0]
            i = 0
            while i < len(codes):
                k = codes[i]
                if k == 0:
                    st.update(fg=None, bg=None, bold=False, dim=False, rev=False, ul=False)
                elif k == 1:
                    st["bold"] = True
                elif k == 2:
                    st["dim"] = True
                elif k == 4:
                    st["ul"] = True
                elif k == 7:
                    st["rev"] = True
                elif k == 22:
                    st["bold"] = st["dim"] = False
                elif k == 24:
                    st["ul"] = False
                elif k == 27:
                    st["rev"] = False
                elif 30 <= k <= 37:
                    st["fg"] = BASE[k - 30]
                elif 90 <= k <= 97:
                    st["fg"] = BASE[k - 90 + 8]
                elif 40 <= k <= 47:
                    st["bg"] = BASE[k - 40]
                elif 100 <= k <= 107:
                    st["bg"] = BASE[k - 100 + 8]
                elif k == 39:
                    st["fg"] = None
                elif k == 49:
                    st["bg"] = None
                elif k in (38, 48) and i + 1 < len(codes):
                    key = "fg" if k == 38 else "bg"
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        st[key] = c256(codes[i + 2])
                        i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        st[key] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                        i += 4
                i += 1
        if pos < len(line):
            span(line[pos:])
        out.append("\n")
    print("""<!doctype html><meta charset="utf-8"><style>
body{margin:0;background:%s}
pre{margin:0;padding:8px;font:14px/1.25 "DejaVu Sans Mono",monospace;color:%s;width:%dch;height:%dem;white-space:pre}
</style><pre>%s</pre>""" % (BG, FG, cols, int(rows * 1.25), "".join(out)))


if __name__ == "__main__":
    main()
