# shellcheck shell=bash
# The agent's special commands (open, goto, scroll_up, scroll_down, create, edit, insert, search_dir,
# search_file, find_file, state, validate, submit) as shell functions that behave, message for
# message, like the tools of MLGym's default agent: a file viewer with a WINDOW-line window, an
# editor guarded by flake8, grep/find searches, and the markers that ask the harness to evaluate.
#
# tools/runner/mlgym-exec sources this file before every agent command and then restores the shell
# state the previous command left, so this file only defines functions and gives defaults to unset
# variables; it must stay cheap to source (no subprocess).
#
# Editor state, in shell variables as in MLGym: CURRENT_FILE (absolute path of the open file),
# CURRENT_LINE (the line the window is centred on), WINDOW (lines shown), OVERLAP (lines kept in
# view when scrolling), SCROLL_COUNT (scrolls in a row) and LAST_ACTION (the agent's previous
# command, set by the runner). Tools run their helpers in the C locale, as MLGym's container did, so
# that grep, sort and find treat files as bytes whatever the agent's locale.

: "${WINDOW:=1000}" "${OVERLAP:=2}" "${CURRENT_LINE:=0}" "${CURRENT_FILE:=}"

# Where the lint helper lives. The __mlgym_ prefix keeps it out of the state the runner saves, so it
# always names this copy of the tools.
if [[ ${BASH_SOURCE[0]} == */* ]]; then __mlgym_tools_lib=${BASH_SOURCE[0]%/*}; else __mlgym_tools_lib=.; fi
[[ $__mlgym_tools_lib == /* ]] || __mlgym_tools_lib=$PWD/$__mlgym_tools_lib

# --- window arithmetic ---------------------------------------------------------------------------
# MLGym computes the window with jq in floating point, so CURRENT_LINE can hold a half ("2.5") when
# WINDOW is odd. Here the maths runs on doubled values ("halves") to stay in bash integers.

# _mlgym_to_halves NAME VALUE: NAME = 2 * VALUE for VALUE "N", "-N", "N.5" or "-N.5" (else 0).
_mlgym_to_halves() {
  local twice=0
  if [[ $2 =~ ^(-?)([0-9]+)(\.5)?$ ]]; then
    twice=$((2 * 10#${BASH_REMATCH[2]}))
    [ -n "${BASH_REMATCH[3]}" ] && twice=$((twice + 1))
    [ -n "${BASH_REMATCH[1]}" ] && twice=$((-twice))
  fi
  printf -v "$1" '%d' "$twice"
}

# _mlgym_set_line HALVES: CURRENT_LINE = HALVES / 2, written as jq writes numbers ("3", "3.5").
_mlgym_set_line() {
  local halves=$1 sign=
  if ((halves < 0)); then sign=- halves=$((-halves)); fi
  if ((halves % 2)); then CURRENT_LINE=$sign$((halves / 2)).5; else CURRENT_LINE=$sign$((halves / 2)); fi
  [ "$CURRENT_LINE" = -0 ] && CURRENT_LINE=0
  export CURRENT_LINE
}

# Lines in a file, a last line without a newline included.
_mlgym_line_count() { LC_ALL=C awk 'END { print NR }' "$1"; }

# _mlgym_centre_on NAME LINE: NAME = where open and goto centre the window (in halves) so that LINE
# shows about a sixth of the way down: max(LINE + WINDOW/2 - floor(WINDOW/6), 1), rounded down.
_mlgym_centre_on() {
  local halves=$((2 * 10#$2 + WINDOW - 2 * (WINDOW / 6)))
  ((halves < 2)) && halves=2
  printf -v "$1" '%d' $((halves - halves % 2))
}

# Keeps the window inside the file: WINDOW/2 <= CURRENT_LINE <= lines - WINDOW/2 (the lower bound
# wins for files shorter than the window).
_mlgym_clamp_line() {
  local total half line
  total=$(_mlgym_line_count "$CURRENT_FILE")
  half=$((WINDOW / 2))
  _mlgym_to_halves line "$CURRENT_LINE"
  ((line > 2 * (total - half))) && line=$((2 * (total - half)))
  ((line < 2 * half)) && line=$((2 * half))
  _mlgym_set_line "$line"
}

# Prints the window: a header, "(K more lines above)", numbered lines, "(K more lines below)".
_mlgym_show_window() {
  local total line above below last
  total=$(_mlgym_line_count "$CURRENT_FILE")
  _mlgym_to_halves line "$CURRENT_LINE"
  above=$(((line - WINDOW) / 2))
  ((above < 0)) && above=0
  below=$((2 * total - line - WINDOW))
  # MLGym rounds a half line below up.
  if ((below > 0)); then below=$(((below + 1) / 2)); else below=0; fi
  last=$(((line > 0 ? line + WINDOW : WINDOW) / 2))
  echo "[File: $(realpath "$CURRENT_FILE") ($total lines total)]"
  if ((above > 0)); then echo "($above more lines above)"; fi
  LC_ALL=C grep -n '' <"$CURRENT_FILE" | head -n "$last" | tail -n "$WINDOW"
  if ((below > 0)); then echo "($below more lines below)"; fi
}

# _mlgym_no_file MESSAGE: true, after printing MESSAGE, when no file is open.
_mlgym_no_file() {
  if [ -z "$CURRENT_FILE" ]; then echo "$1"; return 0; fi
  return 1
}

# --- viewer ---------------------------------------------------------------------------------------

open() {
  local path=${1:-} wanted=${2:-} total
  if [ -z "$path" ]; then
    echo 'Usage: open "<file>"'
    return
  fi
  if [ -f "$path" ]; then
    if file -b --mime-type "$path" | grep -q image; then
      echo "Error: $path is an image file. Current environment does not support image viewing."
      return
    fi
  elif [ -d "$path" ]; then
    echo "Error: $path is a directory. You can only open files. Use cd or ls to navigate directories."
    return
  else
    echo "File $path not found"
    return
  fi

  # Where the window goes, in halves (see _mlgym_to_halves).
  local line=$WINDOW # WINDOW / 2: the top of the file
  if [ -n "$wanted" ]; then
    if ! [[ $wanted =~ ^[0-9]+$ ]]; then
      echo 'Usage: open "<file>" [<line_number>]'
      echo "Error: <line_number> must be a number"
      return
    fi
    if (($(wc -c <"$path") > 20000)); then
      echo "The file is larger than 20000 characters, please use 'head -n NUM_LINES' to open it"
      return
    fi
    total=$(_mlgym_line_count "$path")
    if ((10#$wanted > total)); then
      echo "Warning: <line_number> ($wanted) is greater than the number of lines in the file ($total)"
      echo "Warning: Setting <line_number> to $total"
      line=$((2 * total))
    elif ((10#$wanted < 1)); then
      echo "Warning: <line_number> ($wanted) is less than 1"
      echo "Warning: Setting <line_number> to 1"
      line=2
    else
      _mlgym_centre_on line "$wanted"
    fi
  fi

  CURRENT_FILE=$(realpath "$path")
  export CURRENT_FILE
  _mlgym_set_line "$line"
  _mlgym_clamp_line
  _mlgym_show_window
}

goto() {
  if (($# > 1)); then
    echo "goto allows only one line number at a time."
    return
  fi
  _mlgym_no_file "No file open. Use the open command first." && return
  if [ -z "${1:-}" ]; then
    echo "Usage: goto <line>"
    return
  fi
  if ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "Usage: goto <line>"
    echo "Error: <line> must be a number"
    return
  fi
  local total
  total=$(_mlgym_line_count "$CURRENT_FILE")
  if ((10#$1 > total)); then
    echo "Error: <line> must be less than or equal to $total"
    return
  fi
  local line
  _mlgym_centre_on line "$1"
  _mlgym_set_line "$line"
  _mlgym_clamp_line
  _mlgym_show_window
}

# _mlgym_scroll SIGN: moves the window by WINDOW - OVERLAP lines, then warns from the third scroll in
# a row on (LAST_ACTION tells whether the previous command scrolled too).
_mlgym_scroll() {
  _mlgym_no_file "No file open. Use the open command first." && return
  local line
  _mlgym_to_halves line "$CURRENT_LINE"
  _mlgym_set_line $((line + $1 * 2 * (WINDOW - OVERLAP)))
  _mlgym_clamp_line
  _mlgym_show_window
  case ${LAST_ACTION:-} in
    scroll_up | scroll_down) SCROLL_COUNT=$((${SCROLL_COUNT:-0} + 1)) ;;
    *) SCROLL_COUNT=1 ;;
  esac
  export SCROLL_COUNT
  if ((SCROLL_COUNT >= ${WARN_AFTER_SCROLLING_TIMES:-3})); then
    echo ""
    echo "WARNING: Scrolling many times in a row is very inefficient."
    echo "If you know what you are looking for, use \`search_file <pattern>\` instead."
    echo ""
  fi
}

scroll_down() { _mlgym_scroll 1; }
scroll_up() { _mlgym_scroll -1; }

create() {
  if [ -z "${1:-}" ]; then
    echo "Usage: create <filename>"
    return
  fi
  if [ -e "$1" ]; then
    echo "Error: File '$1' already exists."
    open "$1"
    return
  fi
  printf '\n' >"$1"
  open "$1"
}

# --- editor ---------------------------------------------------------------------------------------

_mlgym_flake8() {
  local select=--select=F821,F822,F831,E111,E112,E113,E999,E902
  if command -v flake8 >/dev/null; then
    flake8 --isolated "$select" "$@"
  else
    python3 -m flake8 --isolated "$select" "$@"
  fi
}

# _mlgym_splice edit|insert KEEP RESUME: replaces the open file's lines from index KEEP up to index
# RESUME (0-based, exclusive; bash array slicing, so an end past the file's end replaces through the
# end and a start past it appends) with the lines on stdin. In a Python file the change is undone
# when flake8 reports an error the file did not have before; the report then shows the window as the
# change would have looked and as the file still is.
_mlgym_splice() {
  local tool=$1 keep=$2 resume=$3
  local file=$CURRENT_FILE lint_before= errors= line count=0
  local -a text=() old=()
  [[ $file == *.py ]] && lint_before=$(_mlgym_flake8 "$file" 2>&1)
  while IFS= read -r line; do
    text+=("$line")
    count=$((count + 1))
  done

  # A copy next to the file, as MLGym keeps it (a directory the agent cannot write refuses the edit).
  local backup=${file%/*}/backup_${file##*/}
  if [ ! -w "$file" ] || ! cp "$file" "$backup" 2>/dev/null; then
    echo "Error: You cannot edit read-only file $file"
    return 1
  fi
  mapfile -t old <"$file"
  local -a new=("${old[@]:0:keep}" "${text[@]}" "${old[@]:resume}")
  printf '%s\n' "${new[@]}" >|"$file"

  if [[ $file == *.py ]]; then
    # MLGym's span: the replaced lines for edit, the new lines for insert.
    local last=$resume
    [ "$tool" = insert ] && last=$((keep + count))
    errors=$(python3 "$__mlgym_tools_lib/lint_new_errors.py" <(_mlgym_flake8 "$file" 2>&1) <(printf '%s' "$lint_before") \
      $((keep + 1)) "$last" "$count")
  fi

  if [ -z "$errors" ]; then
    if [ "$tool" = edit ]; then _mlgym_set_line $((2 * keep)); else _mlgym_set_line $((2 * (keep + 1))); fi
    _mlgym_clamp_line
    _mlgym_show_window
    echo "File updated. Please review the changes and make sure they are correct (correct indentation, no duplicate lines, etc). Edit the file again if necessary."
  else
    _mlgym_report_lint "$tool" "$keep" "$resume" "$count" "$errors" "$backup"
  fi
  rm -f "$backup"
}

# The refusal report of a change that introduced lint errors; restores the file from BACKUP.
_mlgym_report_lint() {
  local tool=$1 keep=$2 resume=$3 count=$4 errors=$5 backup=$6
  local change=edit doing="editing the file" arguments="start/end line arguments"
  if [ "$tool" = insert ]; then change=insertion doing="inserting into the file" arguments="line number argument"; fi
  local saved_line=$CURRENT_LINE saved_window=$WINDOW rule=-------------------------------------------------
  echo "Your proposed $change has introduced new syntax error(s). Please read this error message carefully and then retry $doing."
  echo ""
  echo "ERRORS:"
  echo "$errors"
  echo ""
  # The new text with 5 lines of context around it...
  WINDOW=$((count + 10))
  _mlgym_set_line $((2 * (count / 2 + keep)))
  echo "This is how your $change would have looked if applied"
  echo "$rule"
  _mlgym_clamp_line
  _mlgym_show_window
  echo "$rule"
  echo ""
  cp "$backup" "$CURRENT_FILE"
  # ...then the lines it would have replaced, with the same context.
  WINDOW=$((resume - keep + 10))
  _mlgym_set_line $((2 * ((resume - keep + 1) / 2 + keep)))
  echo "This is the original code before your $change"
  echo "$rule"
  _mlgym_clamp_line
  _mlgym_show_window
  echo "$rule"
  CURRENT_LINE=$saved_line WINDOW=$saved_window
  echo "Your changes have NOT been applied. Please fix your $tool command and try again."
  echo "You either need to 1) Specify the correct $arguments or 2) Correct your $change code."
  echo "DO NOT re-run the same failed $tool command. Running it again will lead to the same error."
}

edit() {
  _mlgym_no_file 'No file open. Use the `open` command first.' && return
  # "S:E" as MLGym reads it: the argument's words joined by spaces, then the first two
  # colon-separated fields ("5" alone leaves E empty).
  local -a words=()
  read -ra words <<<"${1:-}"
  local spec="${words[*]}:"
  local start=${spec%%:*} rest=${spec#*:}
  local end=${rest%%:*}
  if [ -z "$start" ] || [ -z "$end" ]; then
    echo "Usage: edit <start_line>:<end_line>"
    return
  fi
  if ! [[ $start =~ ^[0-9]+$ ]]; then
    echo "Usage: edit <start_line>:<end_line>"
    echo "Error: start_line must be a number"
    return
  fi
  if ! [[ $end =~ ^[0-9]+$ ]]; then
    echo "Usage: edit <start_line>:<end_line>"
    echo "Error: end_line must be a number"
    return
  fi
  _mlgym_splice edit $((10#$start - 1)) $((10#$end))
}

insert() {
  _mlgym_no_file 'No file open. Use the `open` command first.' && return
  local -a words=()
  read -ra words <<<"${1:-}"
  local after="${words[*]}"
  if [ -z "$after" ]; then
    echo "Usage: insert <line_number>"
    return
  fi
  if ! [[ $after =~ ^[0-9]+$ ]]; then
    echo "Usage: insert <line_number>"
    echo "Error: line_number must be a number"
    return
  fi
  _mlgym_splice insert $((10#$after)) $((10#$after))
}

# --- search ---------------------------------------------------------------------------------------

# _mlgym_search_root USAGE TERM [DIR]: sets `root` to DIR (default .) made absolute, or prints why not.
_mlgym_search_root() {
  local usage=$1
  shift
  if (($# == 1)); then
    root=./
  elif (($# == 2)); then
    if [ ! -d "$2" ]; then
      echo "Directory $2 not found"
      return 1
    fi
    root=$2
  else
    echo "$usage"
    return 1
  fi
  root=$(realpath "$root")
}

search_dir() {
  local root
  _mlgym_search_root "Usage: search_dir <search_term> [<dir>]" "$@" || return 0
  local term=$1 per_file files total
  # Hidden files and folders are skipped, binary files too (grep -I); the term is a grep basic regex.
  per_file=$(LC_ALL=C find "$root" -type f ! -path '*/.*' -exec grep -nIH -- "$term" {} + |
    cut -d: -f1 | LC_ALL=C sort | uniq -c)
  if [ -z "$per_file" ]; then
    echo "No matches found for \"$term\" in $root"
    return
  fi
  total=$(awk '{ sum += $1 } END { print sum }' <<<"$per_file")
  files=$(wc -l <<<"$per_file")
  if ((files > 100)); then
    echo "More than $files files matched for \"$term\" in $root. Please narrow your search."
    return
  fi
  echo "Found $total matches for \"$term\" in $root:"
  # `uniq -c` lines are "<count> <path>"; a path is shown up to its first blank, as in MLGym.
  awk '{ path = $2; sub(/^\.+\/+/, "./", path); print path " (" $1 " matches)" }' <<<"$per_file"
  echo "End of matches for \"$term\" in $root"
}

search_file() {
  if [ -z "${1:-}" ]; then
    echo "Usage: search_file <search_term> [<file>]"
    return
  fi
  local term=$1 file
  if [ -n "${2:-}" ]; then
    if [ ! -f "$2" ]; then
      echo "Usage: search_file <search_term> [<file>]"
      echo "Error: File name $2 not found. Please provide a valid file name."
      return
    fi
    file=$2
  else
    _mlgym_no_file "No file open. Use the open command first." && return
    file=$CURRENT_FILE
  fi
  file=$(realpath "$file")
  local hits count
  hits=$(LC_ALL=C grep -nH -- "$term" "$file")
  if [ -z "$hits" ]; then
    echo "No matches found for \"$term\" in $file"
    return
  fi
  count=$(wc -l <<<"$hits")
  # MLGym's "more than 100" guard counts the distinct text before the first colon of each hit: the
  # file name, so a single file never trips it. Kept as it is, since its output is what MLGym shows.
  local distinct
  distinct=$(cut -d: -f1 <<<"$hits" | LC_ALL=C sort -u | wc -l)
  if ((distinct > 100)); then
    echo "More than $distinct lines matched for \"$term\" in $file. Please narrow your search."
    return
  fi
  echo "Found $count matches for \"$term\" in $file:"
  # One line per matching line number, in order, showing the file's line.
  cut -d: -f2 <<<"$hits" | LC_ALL=C sort -un | LC_ALL=C awk '
    FNR == NR { wanted[$1] = 1; next }
    FNR in wanted { print "Line " FNR ":" $0 }' - "$file"
  echo "End of matches for \"$term\" in $file"
}

find_file() {
  local root
  _mlgym_search_root "Usage: find_file <file_name> [<dir>]" "$@" || return 0
  local name=$1 found
  found=$(LC_ALL=C find "$root" -type f -name "$name")
  if [ -z "$found" ]; then
    echo "No matches found for \"$name\" in $root"
    return
  fi
  echo "Found $(wc -l <<<"$found") matches for \"$name\" in $root:"
  echo "$found"
}

# --- state and evaluation -------------------------------------------------------------------------

# The JSON line the harness reads after every command for the prompt's (Open file: ...) and
# (Current directory: ...) lines, written exactly as MLGym's state command writes it.
state() {
  local open_file=n/a
  [ -n "$CURRENT_FILE" ] && open_file=$(realpath "$CURRENT_FILE")
  echo "{\"open_file\": \"$open_file\", \"working_dir\": \"$PWD\"}"
}

# The harness evaluates when it sees these markers in a command's output.
validate() { printf '%s\n' '<<VALIDATION||' 'validating file' '||VALIDATION>>'; }
submit() { printf '%s\n' '<<SUBMISSION||' 'submitting file' '||SUBMISSION>>'; }
