# Man pages and shell completion, made at build time from the built `ferrix`'s --help texts by
# build-aux/command-docs.py (with help2man), so that they follow the commands and their options:
# ferrix.1, ferrix-COMMAND.1 for every (ferrix scripts COMMAND) module that defines
# ferrix-COMMAND, ferrix-COMMAND-SUB.1 for subcommands; bash and zsh completion of the commands,
# subcommands and options. Installed under ${CMAKE_INSTALL_MANDIR}/man1,
# ${CMAKE_INSTALL_DATADIR}/bash-completion/completions/ferrix and
# ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions/_ferrix.

find_program(HELP2MAN_PROGRAM help2man)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
if(NOT HELP2MAN_PROGRAM)
  message(FATAL_ERROR "help2man is needed for the man pages: apt-get install help2man "
                      "(build-aux/setup installs it)")
endif()

file(GLOB _scripts CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/modules/ferrix/scripts/*.scm)
set(FERRIX_COMMANDS)
foreach(script ${_scripts})
  get_filename_component(name ${script} NAME_WE)
  file(READ ${script} text)
  if(text MATCHES "\\(define \\(ferrix-${name}[ )]")
    list(APPEND FERRIX_COMMANDS ${name})
  endif()
endforeach()

# Any module may change a help text (the options several commands share are in (ferrix scripts)).
file(GLOB_RECURSE _modules CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/modules/*.scm)
set(FERRIX_MAN_DIR ${PROJECT_BINARY_DIR}/doc/man)
set(FERRIX_COMPLETION_DIR ${PROJECT_BINARY_DIR}/doc/completion)
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/command-docs.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${FERRIX_MAN_DIR}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${FERRIX_MAN_DIR} ${FERRIX_COMPLETION_DIR}
  COMMAND ${CMAKE_COMMAND} -E env XDG_CACHE_HOME=${PROJECT_BINARY_DIR}/guile-cache
          ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/build-aux/command-docs.py
          --ferrix $<TARGET_FILE:ferrix-cli> --version ${PROJECT_VERSION}
          --man-dir ${FERRIX_MAN_DIR}
          --bash ${FERRIX_COMPLETION_DIR}/ferrix --zsh ${FERRIX_COMPLETION_DIR}/_ferrix
          ${FERRIX_COMMANDS}
  COMMAND ${CMAKE_COMMAND} -E touch ${PROJECT_BINARY_DIR}/command-docs.stamp
  DEPENDS ferrix-cli ${_modules} ${PROJECT_SOURCE_DIR}/build-aux/command-docs.py
  COMMENT "Writing the man pages and shell completion from ferrix --help"
  VERBATIM)
add_custom_target(ferrix-command-docs ALL DEPENDS ${PROJECT_BINARY_DIR}/command-docs.stamp)
# The help texts come from the compiled modules.
add_dependencies(ferrix-command-docs ferrix-scheme)

install(DIRECTORY ${FERRIX_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1")
install(FILES ${FERRIX_COMPLETION_DIR}/ferrix
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${FERRIX_COMPLETION_DIR}/_ferrix
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
unset(_scripts)
unset(_modules)
