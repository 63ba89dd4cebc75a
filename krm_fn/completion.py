"""Shell completion scripts for bash, zsh and fish, generated from the commands' own parser.

`krm-fn completion bash|zsh|fish` prints one: commands, their options, the values of options
with choices, kinds where a command takes a kind, directories where it takes one, else files.
zsh loads the bash function through its `bashcompinit`, so the two complete alike.
"""

import argparse
import shlex

from krm_fn.kinds import KINDS

SHELLS = ("bash", "zsh", "fish")
TAKES_KIND = {"explain", "init", "schema"}
TAKES_DIRECTORY = {"install-plugins", "helm-plugin"}
DIRECTORY_OPTIONS = {"-o", "--output"}


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings]


Commands = dict[str, argparse.ArgumentParser]  # each command's parser, by name


def bash(commands: Commands, summaries: dict[str, str]) -> str:
    """The bash completion function `_krm_fn`, registered for krm-fn."""
    cases, values = [], []
    for name, sub in commands.items():
        words = " ".join(o for a in _options(sub) for o in a.option_strings)
        cases.append(f"    {shlex.quote(name)}) options={shlex.quote(words)} ;;")
        for action in _options(sub):
            if action.choices:
                pattern = "|".join(action.option_strings)
                choices = shlex.quote(" ".join(map(str, action.choices)))
                reply = f'COMPREPLY=($(compgen -W {choices} -- "$cur")); return ;;'
                values.append(f"    {name}:{pattern}) {reply}")
    kinds = shlex.quote(" ".join(KINDS))
    options_with_values = sorted(
        {
            o
            for sub in commands.values()
            for a in _options(sub)
            if a.nargs != 0
            for o in a.option_strings
        }
    )
    return f"""# krm-fn completion for bash: source it, or put it in
# ~/.local/share/bash-completion/completions/krm-fn
_krm_fn() {{
  [ -n "${{ZSH_VERSION:-}}" ] && setopt localoptions ksharrays  # zsh's bashcompinit: 0-based
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" command="" word
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${{COMP_WORDS[i]}}"
    case "$word" in -*) ;; *) command="$word"; break ;; esac
  done
  if [ -z "$command" ]; then
    COMPREPLY=($(compgen -W {shlex.quote(" ".join([*commands, "--help", "--version"]))} -- "$cur"))
    return
  fi
  local options=""
  case "$command" in
{chr(10).join(cases)}
  esac
  case "$command:$prev" in
{chr(10).join(values)}
    *:-o|*:--output) COMPREPLY=($(compgen -d -- "$cur")); return ;;
  esac
  case "$prev" in {"|".join(options_with_values) or "--"})
    COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  else
    case "$command" in
      {"|".join(sorted(TAKES_KIND))}) COMPREPLY=($(compgen -W {kinds} -- "$cur")) ;;
      {"|".join(sorted(TAKES_DIRECTORY))}) COMPREPLY=($(compgen -d -- "$cur")) ;;
      *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
  fi
}}
complete -o filenames -o bashdefault -F _krm_fn krm-fn
"""


def zsh(commands: Commands, summaries: dict[str, str]) -> str:
    """The bash function, through zsh's bashcompinit."""
    return (
        "#compdef krm-fn\n# krm-fn completion for zsh: source it from ~/.zshrc (after compinit)\n"
        "autoload -U +X bashcompinit && bashcompinit\n"
        + bash(commands, summaries).split("\n", 2)[2]
    )


def fish(commands: Commands, summaries: dict[str, str]) -> str:
    """`complete` lines for fish."""
    lines = [
        "# krm-fn completion for fish: put it in ~/.config/fish/completions/krm-fn.fish",
        "complete -c krm-fn -f",
    ]
    names = " ".join(commands)
    for name in commands:
        help_text = shlex.quote(summaries.get(name, "").split(":")[0][:60])
        first = f"-n 'not __fish_seen_subcommand_from {names}'"
        lines.append(f"complete -c krm-fn {first} -a {name} -d {help_text}")
    for name, sub in commands.items():
        seen = f"-n '__fish_seen_subcommand_from {name}'"
        for action in _options(sub):
            flags = " ".join(
                f"-l {o[2:]}" if o.startswith("--") else f"-s {o[1:]}"
                for o in action.option_strings
            )
            described = shlex.quote((action.help or "").split(";")[0][:60])
            if action.choices:
                values = shlex.quote(" ".join(map(str, action.choices)))
                lines.append(f"complete -c krm-fn {seen} {flags} -x -a {values} -d {described}")
            elif set(action.option_strings) & DIRECTORY_OPTIONS:
                directories = "-x -a '(__fish_complete_directories)'"
                lines.append(f"complete -c krm-fn {seen} {flags} {directories} -d {described}")
            elif action.nargs == 0:
                lines.append(f"complete -c krm-fn {seen} {flags} -d {described}")
            else:
                lines.append(f"complete -c krm-fn {seen} {flags} -r -F -d {described}")
        if name in TAKES_KIND:
            lines.append(f"complete -c krm-fn {seen} -a {shlex.quote(' '.join(KINDS))}")
        elif name in TAKES_DIRECTORY:
            lines.append(f"complete -c krm-fn {seen} -a '(__fish_complete_directories)'")
        else:
            lines.append(f"complete -c krm-fn {seen} -F")
    return "\n".join(lines) + "\n"


def script(shell: str, commands: Commands, summaries: dict[str, str]) -> str:
    """The completion script of a shell, from each command's parser and summary."""
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](commands, summaries)
