# Compiles one Scheme module with `guild compile` (cmake -P script, run by a custom command).
# Variables: GUILD, SOURCE, OUTPUT, LOAD_PATH and COMPILED_PATH (':'-separated), EXTENSIONS_PATH,
# CACHE_HOME, WERROR (fail on any warning).
string(REPLACE ":" ";" dirs "${LOAD_PATH}")
set(load_args)
foreach(d ${dirs})
  list(APPEND load_args -L ${d})
endforeach()
# Only the build tree's modules and extension; no auto-compilation, no user cache.
set(ENV{GUILE_AUTO_COMPILE} 0)
set(ENV{GUILE_LOAD_PATH} "")
set(ENV{GUILE_LOAD_COMPILED_PATH} "${COMPILED_PATH}")
set(ENV{GUILE_EXTENSIONS_PATH} "${EXTENSIONS_PATH}")
set(ENV{XDG_CACHE_HOME} "${CACHE_HOME}")
execute_process(
  COMMAND ${GUILD} compile -Wunbound-variable -Warity-mismatch -Wformat ${load_args}
          -o ${OUTPUT} ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(err)
  message("${err}")
endif()
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT})
  message(FATAL_ERROR "guild compile ${SOURCE} failed")
endif()
if(WERROR AND (err MATCHES "warning:" OR out MATCHES "warning:"))
  file(REMOVE ${OUTPUT})
  message(FATAL_ERROR "warnings compiling ${SOURCE} (FERRIX_WERROR is on)")
endif()
