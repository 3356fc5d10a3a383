#!/usr/bin/env python3
"""readme_program_words.py README.md - what README.md documents for each
program, one "PROGRAM KIND WORD" line each, for test_programs.sh to find in
the program's --help. KIND is option (--name, or -x), command ("keys new",
"calendar check|apply": the words after the program in a usage line),
env (BANGDAI_*, PG*, NOTIFY_SOCKET, WATCHDOG_USEC) or signal (SIGHUP, ...).

Where: the sections "The daemons" (the five daemons), "The command-line
programs" (the three others), "bangdai-hall", "bangdai-dept", "bangdaictl",
and "Reloading (SIGHUP) and stopping (SIGTERM)" (the daemons' signals only).
In them, every line of a code block that starts with a program, and every
`backticked` span: one that starts with a program name belongs to that
program, one that starts with another tool (cmake, systemctl, ...) to none,
any other to the section's programs."""
import re
import sys

DAEMONS = ["bangdai-intake", "bangdai-router", "bangdai-tracker", "bangdai-delivery",
           "bangdai-evaluation"]
CLIS = ["bangdai-hall", "bangdai-dept", "bangdaictl"]
PROGRAMS = DAEMONS + CLIS
SECTIONS = {
    "The daemons": (DAEMONS, {"option", "command", "env", "signal"}),
    # Its signals are bangdai-dept run's: this section names no others.
    "The command-line programs": (CLIS, {"option", "command", "env"}),
    "bangdai-hall": (["bangdai-hall"], {"option", "command", "env", "signal"}),
    "bangdai-dept": (["bangdai-dept"], {"option", "command", "env", "signal"}),
    "bangdaictl": (["bangdaictl"], {"option", "command", "env", "signal"}),
    "Reloading (SIGHUP) and stopping (SIGTERM)": (DAEMONS, {"signal"}),
}
# A span that starts with another tool is that tool's (`cmake --install --prefix`).
OTHER_TOOL_RE = re.compile(r"^(cmake|systemctl|journalctl|sudo|psql|pg_dump|man|docker|grep)\b")
PROGRAM_RE = re.compile(r"^(?:\S*/)?(" + "|".join(map(re.escape, PROGRAMS)) + r")(?=\s|$)")
OPTION_RE = re.compile(r"(?<![\w-])(--[a-z][a-z-]*[a-z]|-[a-zA-Z])(?![\w-])")
ENV_RE = re.compile(r"\b(BANGDAI_[A-Z_]+|PG[A-Z]+|NOTIFY_SOCKET|WATCHDOG_USEC)\b")
SIGNAL_RE = re.compile(r"\b(SIG[A-Z]+)\b")
found = set()


def add(programs, kinds, kind, word):
    if kind in kinds:
        for p in programs:
            found.add((p, kind, word))


def usage_line(line, kinds):
    """A code line "PROGRAM [--config FILE] [--key NAME] CMD [SUB] ARGS".
    Returns True when it was one."""
    line = line.split("  #")[0].strip()
    m = PROGRAM_RE.match(line)
    if not m:
        return False
    prog = [m.group(1)]
    rest = line[m.end():].split()
    for w in rest:
        for o in OPTION_RE.findall(w):
            add(prog, kinds, "option", o)
    # The command: the first words after the global options that are
    # command words (lower case; a|b alternatives), at most two.
    words = [w for w in rest]
    while words and (words[0].startswith("[") or words[0].startswith("-") or words[0].endswith("]")):
        words.pop(0)
    cmd = []
    for w in words[:2]:
        if re.fullmatch(r"[a-z]+(\|[a-z]+)*", w):
            cmd.append(w)
        else:
            break
    if cmd and prog[0] in CLIS:    # a daemon takes no command
        add(prog, kinds, "command", " ".join(cmd))
    return True


def text(programs, kinds, chunk):
    for span in re.findall(r"`([^`]+)`", chunk):
        if OTHER_TOOL_RE.match(span):
            continue
        m = PROGRAM_RE.match(span)
        owners = [m.group(1)] if m else programs
        for o in OPTION_RE.findall(span):
            # a negative number or a YAML key is no option
            if not re.fullmatch(r"-\d", o):
                add(owners, kinds, "option", o)
    for e in ENV_RE.findall(chunk):
        if e != "BANGDAI_FAULT":    # the tests' switch, README says so
            add(programs, kinds, "env", e)
    for s in SIGNAL_RE.findall(chunk):
        add(programs, kinds, "signal", s)


def main(path):
    section = None
    in_code = False
    para = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("```"):
            in_code = not in_code
            continue
        if not in_code and line.startswith("#"):
            if section:
                text(*SECTIONS[section], "\n".join(para))
            para = []
            title = line.lstrip("#").strip()
            section = title if title in SECTIONS else None
            continue
        if not section:
            continue
        programs, kinds = SECTIONS[section]
        if in_code:
            if not usage_line(line, kinds):
                text(programs, kinds, line)
        else:
            para.append(line)
    if section:
        text(*SECTIONS[section], "\n".join(para))
    for p, kind, word in sorted(found):
        print(p, kind, word, sep="\t")


if __name__ == "__main__":
    main(sys.argv[1])
