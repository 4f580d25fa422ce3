# cmake -DPERFLEDGER=<binary> -DHELP2MAN=<help2man> -DGZIP=<gzip> -DWORK_DIR=<dir>
#       -DOUT=<perfledger.1.gz> -P man_page.cmake
# Writes perfledger(1) from the binary's own --help: help2man formats `perfledger --help` and
# `--version`, and a VERBS section holds every verb's `--help` (and, for verbs with subcommands
# such as `token` and `alerts`, each subcommand's), verbatim. The page is gzip-compressed the
# way Debian ships man pages (-9n: no name or time stamp inside, so equal input makes equal
# bytes).

# The names listed under "Subcommands:" in a --help text, in their order.
function(perfledger_subcommands help out_var)
  set(names "")
  if(help MATCHES "\nSubcommands:\n(.*)")
    string(REGEX REPLACE "\n\n.*" "" block "${CMAKE_MATCH_1}")
    string(REGEX MATCHALL "(^|\n)  [a-z][a-z0-9-]*" found "${block}")
    foreach(entry IN LISTS found)
      string(STRIP "${entry}" entry)
      list(APPEND names "${entry}")
    endforeach()
  endif()
  set(${out_var} "${names}" PARENT_SCOPE)
endfunction()

function(perfledger_help out_var)
  execute_process(COMMAND "${PERFLEDGER}" ${ARGN} --help
                  OUTPUT_VARIABLE help RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "`perfledger ${ARGN} --help` failed (${rc}): ${err}")
  endif()
  set(${out_var} "${help}" PARENT_SCOPE)
endfunction()

# Text as roff inside .nf/.fi: backslashes escaped, `-` a minus sign (so options can be copied
# from the rendered page), and a line that starts with `.` or `'` kept from being a request.
function(perfledger_roff text out_var)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "\n([.'])" "\n\\\\&\\1" text "\n${text}")
  string(SUBSTRING "${text}" 1 -1 text)
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

function(perfledger_verb_section out_var)
  list(JOIN ARGN " " name)
  perfledger_roff("${name}" name)
  perfledger_help(help ${ARGN})
  perfledger_roff("${help}" text)
  set(${out_var} ".SS \"perfledger ${name}\"\n.nf\n${text}.fi\n" PARENT_SCOPE)
endfunction()

perfledger_help(top)
perfledger_subcommands("${top}" verbs)
if(NOT verbs)
  message(FATAL_ERROR "`perfledger --help` lists no subcommands: cannot write the VERBS section")
endif()

string(CONCAT include "[VERBS]\nEach verb's own \\fB\\-\\-help\\fR, as "
                      "\\fBperfledger \\fIVERB\\fB \\-\\-help\\fR prints it.\n")
foreach(verb IN LISTS verbs)
  perfledger_verb_section(section ${verb})
  string(APPEND include "${section}")
  perfledger_help(verb_help ${verb})
  perfledger_subcommands("${verb_help}" subs)
  foreach(sub IN LISTS subs)
    perfledger_verb_section(section ${verb} ${sub})
    string(APPEND include "${section}")
  endforeach()
endforeach()
string(APPEND include "[SEE ALSO]\nThe README and docs/ of the perfledger source tree; "
                      "\\fBdocs/api.md\\fR for the HTTP API.\n")

file(MAKE_DIRECTORY "${WORK_DIR}")
file(WRITE "${WORK_DIR}/verbs.h2m" "${include}")
execute_process(
  COMMAND "${HELP2MAN}" --no-info --section=1
          "--name=continuous benchmarking for fast-moving repositories"
          "--include=${WORK_DIR}/verbs.h2m" "--output=${WORK_DIR}/perfledger.1" "${PERFLEDGER}"
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc}): ${err}")
endif()
execute_process(COMMAND "${GZIP}" -9n -c "${WORK_DIR}/perfledger.1"
                OUTPUT_FILE "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip failed (${rc})")
endif()
