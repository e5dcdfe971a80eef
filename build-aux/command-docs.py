#!/usr/bin/env python3
"""Write the man pages and the bash and zsh completion of `ferrix` from its --help texts.

Run at build time by cmake/CommandDocs.cmake with the built `ferrix`, so that both follow the
commands and options as they are: one page per command (ferrix-COMMAND.1) and per subcommand
(ferrix-COMMAND-SUB.1, for store, import and registry), made by help2man; completion of the
commands, subcommands and every option each --help lists.

  command-docs.py --ferrix BIN --version V --man-dir DIR --bash FILE --zsh FILE COMMAND...
"""

import argparse
import os
import re
import subprocess
import sys

# A word of a usage line after which the command takes a subcommand.
SUBCOMMAND_WORDS = ("COMMAND", "SUBCOMMAND", "IMPORTER")


def run_help(ferrix, words):
    """Return the --help text of `ferrix WORDS...` (standard output only)."""
    env = dict(os.environ, GUILE_AUTO_COMPILE="0", LC_ALL="C.UTF-8")
    result = subprocess.run([ferrix, *words, "--help"], env=env, capture_output=True, text=True)
    if result.returncode != 0 or not result.stdout.strip():
        # Warned, not fatal: the build goes on, and tests/install/install.sh names the page or
        # completion that is missing.
        print(f"command-docs: warning: 'ferrix {' '.join(words)} --help' failed: {result.stderr}",
              file=sys.stderr)
        return None
    return result.stdout


def options_of(text):
    """Return the options an --help text lists, in order: the option column of each line that
    starts with spaces and a dash ("  -d, --derivations   ...", "      --print-dead, --dry-run")."""
    found = []
    for line in text.splitlines():
        if not re.match(r"^ {2,}-", line):
            continue
        spec = re.split(r" {2,}", line.strip(), maxsplit=1)[0]
        for name in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", spec):
            if name not in found:
                found.append(name)
    return found


def subcommands_of(words, text):
    """Return (NAME, DESCRIPTION) for the subcommands an --help text lists, or [] when its usage
    line takes none."""
    usage = text.splitlines()[0]
    rest = usage.split(" ".join(["ferrix", *words]), 1)[-1].split()
    if not rest or rest[0] not in SUBCOMMAND_WORDS:
        return []
    subs = []
    for line in text.splitlines():
        m = re.match(r"^  ([a-z][a-z-]*)((?: [A-Z.]+)*) {2,}(\S.*)$", line)
        if m:
            subs.append((m.group(1), m.group(3)))
    return subs


def top_level_commands(text):
    """Return {NAME: DESCRIPTION} from `ferrix --help`'s command list."""
    commands = {}
    for line in text.splitlines():
        m = re.match(r"^  ([a-z][a-z-]*) {2,}(\S.*)$", line)
        if m:
            commands[m.group(1)] = m.group(2)
    return commands


def description_of(text):
    """The first sentence after the usage lines, for a command `ferrix --help` does not list."""
    lines = [l for l in text.splitlines()[1:] if l.strip() and not l.startswith(" ")]
    if not lines:
        return ""
    first = lines[0].rstrip(".")
    return first[0].lower() + first[1:]


def man_page(ferrix, words, description, version, out):
    name = "-".join(["ferrix", *words])
    subprocess.run(
        # The Info manual is ferrix's full documentation: SEE ALSO points at `info ferrix`.
        ["help2man", "--info-page", "ferrix",
         "--version-string", version, "--name", description, "--section", "1",
         "--source", f"ferrix {version}", "--manual", "ferrix manual",
         "--output", os.path.join(out, f"{name}.1"), " ".join([ferrix, *words])],
        check=True, env=dict(os.environ, GUILE_AUTO_COMPILE="0", LC_ALL="C.UTF-8"))
    # help2man names the page after the first word: make it the page's own name (FERRIX-BUILD,
    # "ferrix-build \- ..."), as mandb and apropos expect.
    page = os.path.join(out, f"{name}.1")
    with open(page) as f:
        text = f.read()
    text = re.sub(r'^\.TH FERRIX "1"', f'.TH {name.upper()} "1"', text, count=1, flags=re.M)
    spoken = " ".join(["ferrix", *words])
    text = text.replace(f"\n.SH NAME\n{spoken} \\-", f"\n.SH NAME\n{name} \\-", 1)
    with open(page, "w") as f:
        f.write(text)


def write_bash(path, tree, globals_):
    case_options = []
    case_subs = []
    for key, node in tree.items():
        case_options.append(f"    '{key}') echo '{' '.join(node['options'])}' ;;")
        if node["subs"]:
            case_subs.append(f"    '{key}') echo '{' '.join(n for n, _ in node['subs'])}' ;;")
    commands = " ".join(k for k in tree if " " not in k)
    text = f"""# bash completion for ferrix (generated from its --help texts by build-aux/command-docs.py)

_ferrix_commands='{commands}'
_ferrix_global_options='{' '.join(globals_)}'

# The options of a command ("build") or subcommand ("store gc").
_ferrix_options() {{
  case "$1" in
{chr(10).join(case_options)}
  esac
}}

# The subcommands of a command, if it takes one.
_ferrix_subcommands() {{
  case "$1" in
{chr(10).join(case_subs)}
  esac
}}

_ferrix() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}}
  local command="" sub="" i=1 word
  # Global options come before the command; --store and --store-dir take a value.
  while [ "$i" -lt "$COMP_CWORD" ]; do
    word=${{COMP_WORDS[i]}}
    case "$word" in
      --store|--store-dir) i=$((i + 2)); continue ;;
      -*) i=$((i + 1)); continue ;;
    esac
    command=$word
    break
  done
  if [ -z "$command" ]; then
    case "$cur" in
      -*) COMPREPLY=($(compgen -W "$_ferrix_global_options" -- "$cur")) ;;
      *) COMPREPLY=($(compgen -W "$_ferrix_commands" -- "$cur")) ;;
    esac
    return 0
  fi
  local subs
  subs=$(_ferrix_subcommands "$command")
  if [ -n "$subs" ]; then
    if [ $((i + 1)) -lt "$COMP_CWORD" ]; then
      sub=${{COMP_WORDS[i + 1]}}
    elif [[ "$cur" != -* ]]; then
      COMPREPLY=($(compgen -W "$subs" -- "$cur"))
      return 0
    fi
  fi
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$(_ferrix_options "$command${{sub:+ $sub}}")" -- "$cur")) ;;
    *) COMPREPLY=() ;; # files, through -o default
  esac
  return 0
}}

complete -o default -F _ferrix ferrix
"""
    with open(path, "w") as f:
        f.write(text)


def zsh_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def zsh_described(name, description):
    """NAME:DESCRIPTION as _describe reads it, the colons of either escaped."""
    return zsh_quote(name.replace(":", "\\:") + ":" + description.replace(":", "\\:"))


def write_zsh(path, tree, globals_, descriptions):
    case_options = []
    case_subs = []
    for key, node in tree.items():
        case_options.append(f"    {zsh_quote(key)}) reply=({' '.join(node['options'])}) ;;")
        if node["subs"]:
            subs = " ".join(zsh_described(n, d) for n, d in node["subs"])
            case_subs.append(f"    {zsh_quote(key)}) reply=({subs}) ;;")
    commands = " ".join(zsh_described(k, descriptions.get(k, "")) for k in tree if " " not in k)
    text = f"""#compdef ferrix
# zsh completion for ferrix (generated from its --help texts by build-aux/command-docs.py)

_ferrix_options() {{
  case "$1" in
{chr(10).join(case_options)}
    *) reply=() ;;
  esac
}}

_ferrix_subcommands() {{
  case "$1" in
{chr(10).join(case_subs)}
    *) reply=() ;;
  esac
}}

_ferrix() {{
  local -a commands reply
  local command="" sub="" i=2
  commands=({commands})
  while (( i < CURRENT )); do
    case "$words[i]" in
      --store|--store-dir) (( i += 2 )); continue ;;
      -*) (( i += 1 )); continue ;;
    esac
    command=$words[i]
    break
  done
  if [[ -z $command ]]; then
    if [[ $PREFIX == -* ]]; then
      compadd -- {' '.join(globals_)}
    else
      _describe -t commands 'ferrix command' commands
    fi
    return
  fi
  _ferrix_subcommands "$command"
  if (( $#reply )); then
    if (( i + 1 < CURRENT )); then
      sub=$words[i+1]
    elif [[ $PREFIX != -* ]]; then
      local -a subs
      subs=("${{reply[@]}}")
      _describe -t subcommands "ferrix $command subcommand" subs
      return
    fi
  fi
  if [[ $PREFIX == -* ]]; then
    _ferrix_options "$command${{sub:+ $sub}}"
    compadd -- "${{reply[@]}}"
  else
    _files
  fi
}}

_ferrix "$@"
"""
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferrix", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--man-dir", required=True)
    parser.add_argument("--bash", required=True)
    parser.add_argument("--zsh", required=True)
    parser.add_argument("commands", nargs="+")
    args = parser.parse_args()

    os.makedirs(args.man_dir, exist_ok=True)
    top = run_help(args.ferrix, [])
    if top is None:
        sys.exit("command-docs: 'ferrix --help' failed")
    descriptions = top_level_commands(top)
    globals_ = [o for o in options_of(top) if o.startswith("--")]
    for extra in ("--store", "--store-dir", "--help", "--version"):
        if extra not in globals_:
            globals_.append(extra)

    # Pages and completion for every command module, listed by `ferrix --help` or not.
    tree = {}
    for command in sorted(set(args.commands)):
        text = run_help(args.ferrix, [command])
        if text is None:
            continue
        description = descriptions.get(command) or description_of(text)
        descriptions.setdefault(command, description)
        subs = subcommands_of([command], text)
        tree[command] = {"options": options_of(text), "subs": subs}
        man_page(args.ferrix, [command], description, args.version, args.man_dir)
        for sub, sub_description in subs:
            sub_text = run_help(args.ferrix, [command, sub])
            if sub_text is None:
                continue
            tree[f"{command} {sub}"] = {"options": options_of(sub_text), "subs": []}
            man_page(args.ferrix, [command, sub], sub_description, args.version, args.man_dir)
    man_page(args.ferrix, [], "functional package builder for Rust crates", args.version,
             args.man_dir)
    write_bash(args.bash, tree, globals_)
    write_zsh(args.zsh, tree, globals_, descriptions)


if __name__ == "__main__":
    main()
