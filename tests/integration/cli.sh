#!/bin/sh
# The command line: help, version, and one-line errors with exit status 2
# for unknown commands, options and arguments.
. "$(dirname "$0")/lib.sh"

run_vigil --help
expect_rc 0 "--help"
expect_grep "$T/out" '^  check +validate a stack file' "--help lists check"
expect_grep "$T/out" '^usage: vigil COMMAND' "--help shows usage"

run_vigil
expect_rc 2 "no command"

run_vigil help check
expect_rc 0 "help check"
expect_grep "$T/out" '^usage: vigil check' "help check shows usage"
expect_grep "$T/out" '^  -f, --file FILE' "help check lists -f"

run_vigil check --help
expect_rc 0 "check --help"

run_vigil version
expect_rc 0 "version"
expect_grep "$T/out" '^vigil [0-9]+\.[0-9]+\.[0-9]+$' "version format"
run_vigil --version
expect_rc 0 "--version"

run_vigil chek
expect_rc 2 "unknown command"
expect_line "$T/err" "vigil: unknown command 'chek' (did you mean 'check'?)" "suggests check"
expect_lines "$T/err" 1 "one line for an unknown command"

run_vigil frobnicate
expect_rc 2 "unknown command without a near match"
expect_line "$T/err" "vigil: unknown command 'frobnicate' (see 'vigil --help')" "points at --help"

run_vigil --hlep
expect_rc 2 "unknown global option"
expect_line "$T/err" "vigil: unknown option '--hlep' (did you mean '--help'?)" "suggests --help"

run_vigil check --jsn
expect_rc 2 "unknown option"
expect_line "$T/err" "vigil: unknown option '--jsn' (did you mean '--json'?)" "suggests --json"
expect_lines "$T/err" 1 "one line for an unknown option"

run_vigil check --fiel=x.yaml
expect_rc 2 "unknown option with a value"
expect_line "$T/err" "vigil: unknown option '--fiel' (did you mean '--file'?)" "suggests --file"

run_vigil check -z
expect_rc 2 "unknown short option"
expect_line "$T/err" "vigil: unknown option '-z' for 'check' (see 'vigil help check')" "short option"

run_vigil check -f
expect_rc 2 "missing option value"
expect_line "$T/err" "vigil: option '-f' needs a FILE" "names the missing FILE"

run_vigil check --json=yes
expect_rc 2 "value for a flag"
expect_line "$T/err" "vigil: option '--json' takes no value" "flag takes no value"

run_vigil check stray
expect_rc 2 "stray argument"
expect_line "$T/err" "vigil: unexpected argument 'stray' for 'check' (use -f FILE)" "names the argument"

run_vigil help nosuch
expect_rc 2 "help for an unknown command"

run_vigil version extra
expect_rc 2 "version takes no arguments"

finish
