#!/usr/bin/env python3
# Turn one of doc/'s Markdown notes into a Texinfo chapter of the manual, so that the note stays
# the one authoritative text and the manual cannot drift from it.  Only the Markdown the notes
# use is known: ATX headings, paragraphs, indented and fenced code, pipe tables, "-"/"*" and
# numbered lists (one level, continuation lines indented), `code`, **strong**, *emphasis* and
# [links](url).  Anything else stays text, escaped.
#
#   md2texi.py NOTE.md OUT.texi NODE KIND [--note PATH]
#
# KIND is the sectioning command of the note's first heading (chapter, appendix, section);
# deeper headings go one level down each, without nodes of their own.  --note writes a line
# saying which file is authoritative.
import re
import sys

LEVELS = {
    "chapter": ["chapter", "section", "subsection", "subsubsection"],
    "appendix": ["appendix", "appendixsec", "appendixsubsec", "appendixsubsubsec"],
    "section": ["section", "subsection", "subsubsection", "subsubsection"],
}


def escape(text):
    return text.replace("@", "@@").replace("{", "@{").replace("}", "@}")


def escape_arg(text):
    # Inside a command's comma-separated arguments.
    return escape(text).replace(",", "@comma{}")


def inline(text):
    """Return TEXT, one Markdown line or paragraph, in Texinfo."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "`":
            n = len(text[i:]) - len(text[i:].lstrip("`"))
            ticks = text[i : i + n]
            end = text.find(ticks, i + n)
            if end < 0:
                out.append(escape(ticks))
                i += n
                continue
            code = text[i + n : end].strip() if n > 1 else text[i + n : end]
            out.append("@code{" + escape(code) + "}")
            i = end + n
            continue
        if text.startswith("**", i):
            end = text.find("**", i + 2)
            if end > i + 2:
                out.append("@strong{" + inline(text[i + 2 : end]) + "}")
                i = end + 2
                continue
        if c == "*" and i + 1 < len(text) and text[i + 1] not in " *":
            end = text.find("*", i + 1)
            if end > i + 1 and text[end - 1] != " ":
                out.append("@emph{" + inline(text[i + 1 : end]) + "}")
                i = end + 1
                continue
        if c == "[":
            m = re.match(r"\[([^\]]+)\]\(([^)\s]+)\)", text[i:])
            if m:
                label, url = m.group(1), m.group(2)
                if re.match(r"https?://", url):
                    out.append("@uref{" + escape_arg(url) + ", " + escape_arg(label) + "}")
                elif url.startswith("#"):
                    out.append(inline(label))
                else:
                    # Another note: name the file, which stays in the source tree.
                    path = url.split("#")[0]
                    if "/" not in path:
                        path = "doc/" + path
                    out.append(inline(label) + " (@file{" + escape(path) + "})")
                i += m.end()
                continue
        out.append(escape(c))
        i += 1
    return "".join(out)


def table(rows):
    # A pipe written \| is a cell's character, not a column's end.
    cells = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", r.strip().strip("|"))]
             for r in rows]
    header, body = cells[0], [r for r in cells[2:]]
    width = max(len(r) for r in cells)
    lines = ["@multitable @columnfractions " + " ".join(["%.2f" % (1.0 / width)] * width)]
    if any(header):
        lines.append("@headitem " + " @tab ".join(inline(c) for c in header))
    for r in body:
        r = r + [""] * (width - len(r))
        lines.append("@item " + " @tab ".join(inline(c) for c in r))
    lines.append("@end multitable")
    return lines


def convert(md, node, kind, note):
    lines = md.split("\n")
    out = []
    levels = LEVELS[kind]
    first = True
    i = 0
    para = []

    def flush():
        if para:
            out.append(inline("\n".join(para)))
            out.append("")
            para.clear()

    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(#+)\s+(.*)$", line)
        if m:
            flush()
            depth = len(m.group(1)) - 1
            title = inline(m.group(2))
            if first:
                out += ["@node " + node, "@" + levels[0] + " " + title]
                if note:
                    out += ["", "@emph{This chapter is generated from @file{" + escape(note) +
                            "}, which is authoritative: edit that file.}"]
                out.append("")
                first = False
            else:
                out += ["@" + levels[min(max(depth, 1), 3)] + " " + title, ""]
            i += 1
            continue
        if line.startswith("```"):
            flush()
            i += 1
            block = []
            while i < len(lines) and not lines[i].startswith("```"):
                block.append(escape(lines[i]))
                i += 1
            i += 1
            out += ["@example"] + block + ["@end example", ""]
            continue
        if line.startswith("    ") and not para:
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or lines[i].strip() == ""):
                block.append(escape(lines[i][4:]))
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += ["@example"] + block + ["@end example", ""]
            continue
        if line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            out += table(rows) + [""]
            continue
        lm = re.match(r"^([-*]|\d+\.)\s+(.*)$", line)
        if lm:
            flush()
            numbered = lm.group(1)[0].isdigit()
            out.append("@enumerate" if numbered else "@itemize @bullet")
            while i < len(lines):
                lm = re.match(r"^([-*]|\d+\.)\s+(.*)$", lines[i])
                if not lm:
                    break
                item = [lm.group(2)]
                i += 1
                while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                    item.append(lines[i].strip())
                    i += 1
                out += ["@item", inline("\n".join(item))]
                while i < len(lines) and not lines[i].strip():
                    if i + 1 < len(lines) and re.match(r"^([-*]|\d+\.)\s+", lines[i + 1]):
                        i += 1
                    else:
                        break
            out += ["@end enumerate" if numbered else "@end itemize", ""]
            continue
        if not line.strip():
            flush()
            i += 1
            continue
        para.append(line)
        i += 1
    flush()
    return "\n".join(out) + "\n"


def main(argv):
    args = argv[1:]
    note = None
    if "--note" in args:
        k = args.index("--note")
        note = args[k + 1]
        del args[k : k + 2]
    src, dst, node, kind = args
    with open(src, encoding="utf-8") as f:
        text = convert(f.read(), node, kind, note)
    with open(dst, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main(sys.argv)
