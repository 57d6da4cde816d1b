# Sourced by the command's shell (see mlgym-exec): __mlgym_save, its EXIT trap, writes what the next
# command's shell restores. Runs at the command's top level, so `declare -p` sees its globals.
__mlgym_save() {
  local __mlgym_name
  pwd >"$__mlgym_dir/cwd.after" 2>/dev/null
  {
    # Every variable name starts with a letter or _: listed by expansion, not by a subshell.
    for __mlgym_name in "${!A@}" "${!B@}" "${!C@}" "${!D@}" "${!E@}" "${!F@}" "${!G@}" "${!H@}" "${!I@}" "${!J@}" "${!K@}" "${!L@}" "${!M@}" \
      "${!N@}" "${!O@}" "${!P@}" "${!Q@}" "${!R@}" "${!S@}" "${!T@}" "${!U@}" "${!V@}" "${!W@}" "${!X@}" "${!Y@}" "${!Z@}" "${!_@}" \
      "${!a@}" "${!b@}" "${!c@}" "${!d@}" "${!e@}" "${!f@}" "${!g@}" "${!h@}" "${!i@}" "${!j@}" "${!k@}" "${!l@}" "${!m@}" \
      "${!n@}" "${!o@}" "${!p@}" "${!q@}" "${!r@}" "${!s@}" "${!t@}" "${!u@}" "${!v@}" "${!w@}" "${!x@}" "${!y@}" "${!z@}"; do
      case $__mlgym_name in
        # Bash's own dynamic and read-only variables, and ours.
        BASH | BASH[A-Z_]* | BASHOPTS | COMP_* | DIRSTACK | EPOCHREALTIME | EPOCHSECONDS | EUID | FUNCNAME | GROUPS | \
          HISTCMD | LINENO | OPTIND | OPTERR | PIPESTATUS | PPID | PWD | RANDOM | SECONDS | SHELLOPTS | SHLVL | SRANDOM | UID | _ | \
          __mlgym_*) continue ;;
      esac
      declare -p "$__mlgym_name" 2>/dev/null
    done
    # All at once (this one included: the next shell defines it again anyway).
    declare -f
    alias -p
    # Read without a process; trailing newlines dropped, as $(<file) drops them.
    local __mlgym_cmd=
    IFS= read -r -d '' __mlgym_cmd <"$__mlgym_dir/cmd"
    while [[ $__mlgym_cmd == *$'\n' ]]; do __mlgym_cmd=${__mlgym_cmd%$'\n'}; done
    printf 'LAST_ACTION=%q\n' "$__mlgym_cmd"
  } >"$__mlgym_dir/shell.sh" 2>/dev/null && : >"$__mlgym_dir/saved"
  # MLGym's `state` command (tools/lib/mlgym.sh): the open file and working directory, for the next prompt.
  state >"$__mlgym_dir/state.json" 2>/dev/null
}
